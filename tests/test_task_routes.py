"""Every task's queue is decided in one place, ``CELERY_TASK_ROUTES`` in the
settings: no call site names a queue, and every task that sends a member an
e-mail (``portal.mail.EmailTask``) runs on the ``mail`` queue."""

from __future__ import annotations

import ast
from pathlib import Path

from portal import mail
from portal.celery import app

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "cards", "billing", "support", "portal")


def _queue_named_at(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and any(keyword.arg == "queue" for keyword in node.keywords)
    ]


def test_no_call_site_names_a_queue():
    named = {
        str(path.relative_to(ROOT)): lines
        for app_name in APPS
        for path in (ROOT / app_name).rglob("*.py")
        if "tests" not in path.parts and (lines := _queue_named_at(path))
    }
    assert named == {}


def test_every_email_task_runs_on_the_mail_queue():
    app.loader.import_default_modules()
    email_tasks = sorted(
        name for name, task in app.tasks.items()
        if isinstance(task, mail.EmailTask) and ".tests." not in name  # not a test's own task
    )
    assert len(email_tasks) >= 4  # pass reminders, payment-card reminders, documents, security notices
    queues = {name: app.amqp.router.route({}, name, args=(1,), kwargs={})["queue"].name for name in email_tasks}
    assert queues == dict.fromkeys(email_tasks, "mail")


def test_the_rendering_runs_on_the_documents_queue():
    for name in ("billing.documents.tasks.document_render", "billing.documents.tasks.monthly_statement_create"):
        assert app.amqp.router.route({}, name, args=(1,), kwargs={})["queue"].name == "documents"
