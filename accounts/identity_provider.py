"""The local WESTER ID stand-in: oidc-provider-mock, with its signing key imported once.

oidc-provider-mock 0.3 hands authlib its RSA key as a JWK dictionary for every ID token it
signs, and authlib imports it again each time: ``RSAPrivateNumbers.private_key()`` checks the
whole private key, about 95 % of the token endpoint's time (30 ms and more of each sign-in's
callback waiting on the local provider). Here the provider signs with the key it generated at
start, imported once per process; the tokens, the JWKS and everything else are the mock's own.

Run as a script (``manage.py run_identity_provider`` does, with ``python -P``): it imports
nothing of the portal, only the mock and its libraries, and takes the mock's options.
"""

from __future__ import annotations

import functools
import json

from joserfc import jwk
from oidc_provider_mock import __main__ as mock_main
from oidc_provider_mock import _app


@functools.lru_cache(maxsize=4)
def signing_key(private_jwk_json: str) -> jwk.RSAKey:
    """The provider's private key (its JWK as canonical JSON), imported once."""
    return jwk.import_key(json.loads(private_jwk_json))


class OpenIDCode(_app.OpenIDCode):
    """The mock's ID token extension, signing with the key imported once. The key is still
    the one the mock's ``get_jwt_config`` names (the app's own, published at ``/jwks``)."""

    def resolve_client_private_key(self, client):
        key = super().resolve_client_private_key(client)  # the JWK dictionary, as the mock gives it
        if isinstance(key, dict):
            return signing_key(json.dumps(key, sort_keys=True))
        return key


def install() -> None:
    """Use ``OpenIDCode`` in the provider apps created after this (``oidc_provider_mock.app``)."""
    _app.OpenIDCode = OpenIDCode


def main() -> None:
    install()
    mock_main.run()


if __name__ == "__main__":
    main()
