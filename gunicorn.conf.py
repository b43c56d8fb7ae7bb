"""gunicorn's settings, the same file in production and in `make load`
(``gunicorn -c gunicorn.conf.py``). Every value can be changed with an
environment variable, so a host is sized without editing this file.

- Sync workers: each request holds one worker process from start to finish; the
  portal's requests are short (docs/performance.md) and the slow member
  (a slow phone network) is held by the load balancer or reverse proxy in front,
  which buffers requests and responses, never by a worker.
- ``WEB_CONCURRENCY`` workers, by default 2 per core + 1: a worker waits on
  PostgreSQL and Redis for part of each request, so a core is kept busy by about
  two of them (docs/scaling.md has the measured figures).
- Workers are recycled after ``GUNICORN_MAX_REQUESTS`` requests (with jitter, so
  they do not all restart at once): a slow leak never grows without bound.
- No access log here: the portal writes one line per request itself
  (portal/middleware.py, without personal data).
"""

import multiprocessing
import os

wsgi_app = "portal.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# A request that takes longer than this is killed (and logged); nothing a member waits for
# takes more than a few seconds (the year's CSV of a heavy member about 1 s).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))
backlog = int(os.environ.get("GUNICORN_BACKLOG", "2048"))
# Only the load balancer in front may say the request came over HTTPS (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
# Request headers the portal needs are small; refuse huge ones early.
limit_request_line = 8190
limit_request_fields = 100
proc_name = "icoca-portal"
