"""The demo members: the same WESTER ID ``sub`` values in the local identity
provider (run_identity_provider) and in the demo data (seed_demo)."""

from __future__ import annotations

DEMO_MEMBERS: tuple[dict[str, str], ...] = (
    {
        "sub": "demo-hanako",
        "name": "山田 花子",
        "family_name": "YAMADA",
        "given_name": "HANAKO",
        "email": "hanako.yamada@example.jp",
    },
    {
        "sub": "demo-taro",
        "name": "田中 太郎",
        "family_name": "TANAKA",
        "given_name": "TARO",
        "email": "taro.tanaka@example.jp",
    },
    {
        "sub": "demo-emily",
        "name": "Emily Carter",
        "family_name": "CARTER",
        "given_name": "EMILY",
        "email": "emily.carter@example.com",
    },
)

# Members only the local identity provider knows (no demo data): a WESTER ID that sends only
# ``name``, no romaji name, as a standard provider may. The portal asks such a member once for
# the name printed on their cards before a card is registered.
NAME_ONLY_MEMBERS: tuple[dict[str, str], ...] = (
    {"sub": "demo-kensho", "name": "検証 花子", "email": "kensho.hanako@example.jp"},
)
