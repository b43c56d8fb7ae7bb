"""Settings for the test suite: the production settings module with the
test environment set before it is read (pytest-django loads settings before
any conftest.py runs)."""

import os
import tempfile

os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("PORTAL_VAR_DIR", tempfile.mkdtemp(prefix="portal-test-var-"))
# One fixed key for the test suite and the servers and workers it starts, so that signed
# values are the same in every run; a checkout's own portal generates its key into var/.
os.environ.setdefault("SECRET_KEY", "test-suite-only-key-never-used-by-a-running-portal-0123456789")
# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the tests make there are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from portal.settings import *  # noqa: F403

# A session is saved at most once a minute (accounts.sessions.session_touch); in the suite,
# where a slow machine can take a minute between two requests of one test, that save would
# make query counts depend on the machine's speed. The tests of the idle timeout set 60.
SESSION_TOUCH_SECONDS = 24 * 60 * 60
