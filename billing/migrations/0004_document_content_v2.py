"""Documents' content to format v2: every figure a document prints stored with it.

A content v1 receipt held its lines and total, and its tax groups were worked out again
at each render from the current tax rate; a v1 refund statement re-ran the refund rules.
This fills the new fields from what the documents printed (v1's readers,
``ReceiptContent.from_json`` and ``RefundStatementContent.from_json``, which know the
rate and the fare steps v1 was printed with), so the figures stay as issued whatever the
rules become. The figures themselves do not change; a content that cannot be read is
left as it was (its v1 reader still reads it) and named in the output.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from billing.documents.receipts import ReceiptContent
    from billing.documents.refund_statements import RefundStatementContent

    Document = apps.get_model("billing", "Document")
    readers = {"receipt": ReceiptContent, "refund_statement": RefundStatementContent}
    pending = Document.objects.exclude(content__has_key="v").only("id", "kind", "content").order_by("id")
    batch = []
    for document in pending.iterator(chunk_size=500):
        reader = readers.get(document.kind)
        if reader is None or not document.content:
            continue
        try:
            document.content = reader.from_json(document.content).to_json()
        except (KeyError, TypeError, ValueError) as error:
            print(f"\n  document {document.pk}: content left as v1 ({error})")  # noqa: T201
            continue
        batch.append(document)
        if len(batch) >= 500:
            Document.objects.bulk_update(batch, ["content"])
            batch = []
    if batch:
        Document.objects.bulk_update(batch, ["content"])


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_payment_method_fingerprint")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
