"""Fixtures for the document tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def eager_tasks():
    """Celery tasks run in the test's process, whatever the environment says
    (pytest-django reads the settings before the root conftest sets the
    environment, so CELERY_TASK_ALWAYS_EAGER there does not reach them)."""
    from portal.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    # Not propagating lets an eager task retry as a worker would (Celery runs
    # the retries at once); what a task did is checked on the rows it changed.
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def media_root(settings, tmp_path):
    """Stored PDFs go to a directory of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"
