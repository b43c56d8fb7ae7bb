"""Documents kept in an S3-compatible bucket (``S3_BUCKET``, django-storages): made by the
worker, downloaded by their owner and attached to the e-mail exactly as on disk; nothing
written to MEDIA_ROOT. The bucket is moto's in-process S3, so no network is needed."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import boto3
import pytest
import time_machine
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
from django.core import mail
from moto import mock_aws

from accounts.tests.factories import MemberFactory
from billing.models import Document, DocumentStatus
from billing.tests.document_data import month_of_payments

pytestmark = pytest.mark.django_db(transaction=True)
BUCKET = "portal-documents"


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")), tick=False):
        yield


@pytest.fixture
def bucket(settings, monkeypatch, media_root):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET, "region_name": "us-east-1", "location": "portal", "default_acl": None,
                    "querystring_auth": True, "file_overwrite": False,
                    "object_parameters": {"ServerSideEncryption": "AES256"},
                },
            },
        }
        yield s3


def test_a_document_is_stored_in_the_bucket_and_read_back_for_download_and_email(client, bucket, eager_tasks, media_root):
    hanako = MemberFactory(name="山田 花子", email="hanako@example.jp")
    month_of_payments(hanako)
    client.force_login(hanako)
    response = client.post("/documents/request/", {"mode": "month", "month": "2026-10"})
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.status == DocumentStatus.READY

    keys = [item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [f"portal/{document.file.name}"] and document.file.name.startswith("documents/")
    stored = bucket.get_object(Bucket=BUCKET, Key=keys[0])
    assert stored["ServerSideEncryption"] == "AES256"
    data = stored["Body"].read()
    assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == document.sha256

    download = client.get(f"/documents/{document.public_id}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == data
    assert [attachment[1] for attachment in mail.outbox[0].attachments] == [data]
    assert not any(path.is_file() for path in media_root.rglob("*"))


# -- outages: the bucket unreachable, throttling, 5xx -------------------------------------------


class _Body(io.BytesIO):
    """The raw body botocore reads an answer from."""

    def stream(self, **kwargs):
        yield self.read()


def s3_error(status: int, code: str) -> AWSResponse:
    """An answer of S3 refusing a request: ``503 SlowDown`` and the like, as the service sends it."""
    body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>{code}</Message><RequestId>TEST</RequestId></Error>").encode()
    return AWSResponse("https://s3.amazonaws.com/", status, {"Content-Type": "application/xml"}, _Body(body))


class Outage:
    """Makes the bucket's own client fail the given operations ``times`` times (every time
    with ``times=None``): with an answer (``s3_error``) or an exception (``EndpointConnectionError``).
    Registered before moto's handler, on the client the storage really uses."""

    def __init__(self, operations: tuple[str, ...], failure, times: int | None):
        self.operations, self.failure, self.times, self.calls = operations, failure, times, 0

    def __call__(self, request, **kwargs):
        if self.times is not None and self.calls >= self.times:
            return None  # over: moto answers
        self.calls += 1
        if isinstance(self.failure, Exception):
            raise self.failure
        return self.failure


@pytest.fixture
def outage(bucket, settings):
    """``outage(("PutObject",), s3_error(503, "SlowDown"), times=2)``. botocore's own retries are
    off, so each failure reaches the task (production keeps them: a shorter outage never gets here)."""
    options = settings.STORAGES["default"]["OPTIONS"]
    settings.STORAGES = {**settings.STORAGES, "default": {
        **settings.STORAGES["default"],
        "OPTIONS": {**options, "client_config": Config(retries={"mode": "standard", "total_max_attempts": 1})},
    }}
    settings.DOCUMENT_RENDER_MAX_RETRIES = 3
    settings.DOCUMENT_EMAIL_MAX_RETRIES = 3
    registered = []

    def start(operations, failure, times=None) -> Outage:
        client = Document._meta.get_field("file").storage.connection.meta.client
        handler = Outage(operations, failure, times)
        for operation in operations:
            client.meta.events.register_first(f"before-send.s3.{operation}", handler)
            registered.append((client, f"before-send.s3.{operation}", handler))
        return handler

    yield start
    for client, event, handler in registered:
        client.meta.events.unregister(event, handler)


def unreachable() -> EndpointConnectionError:
    return EndpointConnectionError(endpoint_url="https://s3.us-east-1.amazonaws.com/portal-documents")


def request_october(member) -> Document:
    from billing.documents import services as document_services

    document = document_services.receipt_request_month(member=member, year=2026, month=10).document
    document.refresh_from_db()
    return document


@pytest.fixture
def hanako():
    member = MemberFactory(name="山田 花子", email="hanako@example.jp")
    month_of_payments(member)
    return member


@pytest.mark.parametrize(
    "failure",
    [unreachable(), s3_error(503, "SlowDown"), s3_error(500, "InternalError"), s3_error(503, "ServiceUnavailable"),
     s3_error(429, "TooManyRequests")],
    ids=["unreachable", "slow-down", "internal-error", "service-unavailable", "429"],
)
def test_a_short_outage_is_retried_and_the_document_made(hanako, bucket, outage, eager_tasks, failure):
    failing = outage(("PutObject",), failure, times=2)
    document = request_october(hanako)
    assert failing.calls == 2
    assert document.status == DocumentStatus.READY, document.failure_reason
    assert document.attempts == 3  # two retries by the task, with backoff, not a failure at the first
    stored = bucket.get_object(Bucket=BUCKET, Key=f"portal/{document.file.name}")["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == document.sha256
    assert len(mail.outbox) == 1


def test_a_long_outage_fails_the_document_after_the_retries_and_a_retry_makes_it(hanako, bucket, outage, eager_tasks):
    from billing.documents import services as document_services

    failing = outage(("PutObject",), unreachable())
    document = request_october(hanako)
    assert document.status == DocumentStatus.FAILED
    assert document.attempts == 4 == failing.calls  # the first try and DOCUMENT_RENDER_MAX_RETRIES
    assert "EndpointConnectionError" in document.failure_reason
    assert not mail.outbox
    failing.times = failing.calls  # the bucket is back

    document_services.document_retry(member=hanako, document=document)
    document.refresh_from_db()
    assert document.status == DocumentStatus.READY and len(mail.outbox) == 1


@pytest.mark.parametrize(("status", "code"), [(403, "AccessDenied"), (404, "NoSuchBucket"), (400, "InvalidRequest")])
def test_a_refusal_that_a_retry_cannot_change_fails_at_once(hanako, bucket, outage, eager_tasks, status, code):
    failing = outage(("PutObject",), s3_error(status, code))
    document = request_october(hanako)
    assert document.status == DocumentStatus.FAILED
    assert document.attempts == 1 == failing.calls
    assert code in document.failure_reason


def test_the_email_waits_out_an_outage_of_the_bucket(hanako, bucket, outage, eager_tasks):
    # the render writes the PDF (PutObject); reading it back for the e-mail fails twice
    failing = outage(("GetObject",), unreachable(), times=2)
    document = request_october(hanako)
    assert document.status == DocumentStatus.READY
    assert failing.calls == 2
    assert document.emailed_at is not None and document.email_failed_reason == ""
    assert document.email_attempts == 3
    (message,) = mail.outbox
    assert message.attachments[0][1] == document.file.read()
