"""Documents kept in an S3-compatible bucket (``S3_BUCKET``, django-storages): made by the
worker, downloaded by their owner and attached to the e-mail exactly as on disk; nothing
written to MEDIA_ROOT. The bucket is moto's in-process S3, so no network is needed."""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

import boto3
import pytest
import time_machine
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
