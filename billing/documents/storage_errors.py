"""Which storage errors are temporary (worth a retry with backoff) and which are not.

A document's PDF goes to Django's storage: files on disk, or an S3-compatible bucket
through django-storages and botocore. The disk raises ``OSError``; botocore raises its
own classes, which are not ``OSError``:

* ``EndpointConnectionError``, ``ConnectTimeoutError``, ``ReadTimeoutError``,
  ``ConnectionClosedError`` (the service cannot be reached, or stopped answering):
  temporary.
* ``ClientError`` with a throttling code (``SlowDown``, ``Throttling``, ...) or an HTTP
  status of 429 or 5xx (``InternalError``, ``ServiceUnavailable``): temporary.
* Any other ``ClientError`` (``AccessDenied``, ``NoSuchBucket``, a 4xx): not temporary;
  a retry would fail the same way, so the document is marked ``failed`` at once with the
  reason and support sees it.

:func:`temporary_storage_errors` turns a temporary botocore error into
:class:`StorageUnavailable`, an ``OSError``, so the render task and the document e-mail
task retry it as they retry a disk error (billing/documents/tasks.py, portal/mail.py);
the original error stays attached as ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

#: Error codes S3 and S3-compatible services answer when a client should slow down.
THROTTLING_CODES = frozenset({
    "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
    "RequestThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
    "ProvisionedThroughputExceededException", "BandwidthLimitExceeded", "RequestTimeout",
    "ServiceUnavailable", "InternalError",
})


class StorageUnavailable(OSError):
    """The file store did not answer, or asked to slow down: try again later."""


def _botocore():
    try:
        from botocore import exceptions
    except ImportError:  # storage on disk only: botocore is not needed
        return None
    return exceptions


def is_temporary(error: BaseException) -> bool:
    """Whether a storage error is worth a retry (see the module's docstring)."""
    if isinstance(error, OSError):  # the disk (TimeoutError is one too)
        return True
    boto = _botocore()
    if boto is None:
        return False
    if isinstance(error, (boto.ConnectionError, boto.HTTPClientError)):
        # EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError, ...
        return True
    if isinstance(error, boto.ClientError):
        response = getattr(error, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return code in THROTTLING_CODES or status == 429 or status >= 500
    return False


@contextmanager
def temporary_storage_errors() -> Iterator[None]:
    """Around a storage call: a temporary error comes out as :class:`StorageUnavailable`
    (an ``OSError``, retried by the tasks), any other error as it was."""
    try:
        yield
    except OSError:  # the disk's own errors (and StorageUnavailable) as they are
        raise
    except Exception as error:
        if is_temporary(error):
            raise StorageUnavailable(f"{type(error).__name__}: {error}") from error
        raise
