# The two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Debian/Ubuntu packages: WeasyPrint's libraries (HarfBuzz subsetting keeps
# Japanese PDFs fast), gettext for translations, venv for Python, a C compiler
# for the feed importer's native reader.
RUN_PACKAGES := python3-venv python3-dev gcc libc6-dev gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 shared-mime-info
# For the tests: Debian's Chromium for Playwright (with a Japanese font so
# screenshots show Japanese), poppler for PDF checks, redis-server for the
# reliability tests (they start and stop their own Redis).
TEST_PACKAGES := chromium fonts-ipafont-gothic poppler-utils redis-server
# axe-core (package.json, pinned in package-lock.json) for the browser tests'
# accessibility checks, installed with npm into node_modules/ (not tracked).
AXE := node_modules/axe-core/axe.min.js

.PHONY: help run test bench load lint sanitize system-packages system-packages-test setup test-tools migrate messages clean

help:
	@echo "make run    - install what is missing, load demo data and run the portal on http://127.0.0.1:$(PORT)/"
	@echo "make test   - install what is missing and run the whole test suite"
	@echo "make bench  - run the benchmarks and write docs/performance.md"
	@echo "make load   - the whole stack under load (docs/performance.md, Load): LOAD_MEMBERS=2000 for a quick run"
	@echo "make sanitize - the native reader's tests with the library built under AddressSanitizer and UBSan"

system-packages:
	@bin/ensure-packages $(RUN_PACKAGES)

system-packages-test:
	@bin/ensure-packages $(RUN_PACKAGES) $(TEST_PACKAGES)

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# The feed importer's reader of plain usage lines (cards/feed/native.py).
NATIVE := cards/feed/_usage_span.so
NATIVE_CFLAGS := -O2 -fPIC -shared -Wall -Wextra -fstack-protector-strong -D_FORTIFY_SOURCE=2

setup: $(VENV)/.installed messages $(NATIVE)

$(NATIVE): cards/feed/usage_span.c
	$(CC) $(NATIVE_CFLAGS) -o $@ $<

# The native reader's tests (every comparison with Python, the random mutations included)
# with the library built under AddressSanitizer and UBSan, any finding fatal; Python itself
# is not instrumented, so the sanitizer runtimes are preloaded.
SANITIZED := var/_usage_span_sanitized.so
sanitize: $(VENV)/.installed
	@mkdir -p var
	$(CC) -O1 -g -fPIC -shared -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
		-Wall -Wextra -o $(SANITIZED) cards/feed/usage_span.c
	LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
		ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		USAGE_SPAN_LIBRARY=$(SANITIZED) $(PY) -m pytest -q -p no:cacheprovider \
		cards/tests/test_feed_native.py cards/tests/test_feed_fastpath.py

# npm comes with Node.js; Debian's npm package brings both when neither is there.
$(AXE): package.json package-lock.json
	@command -v npm >/dev/null || bin/ensure-packages npm
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

test-tools: $(AXE)

messages: $(VENV)/.installed
	@$(PY) manage.py compilemessages --ignore=.venv --ignore=var -v 0

migrate: setup
	$(PY) manage.py migrate --noinput -v 0

run: system-packages migrate
	$(PY) manage.py seed_demo
	$(PY) manage.py run_local --port $(PORT)

lint: setup
	$(VENV)/bin/ruff check .

test: system-packages-test setup test-tools lint
	$(PY) manage.py makemigrations --check --dry-run -v 0 || { echo "Model changes without a migration: run manage.py makemigrations"; exit 1; }
	$(PY) -m pytest $(PYTEST_ARGS)

bench: system-packages setup
	$(PY) -m bench

# The whole stack under load on this machine, on free ports (beside a `make run`): its own
# PostgreSQL cluster and Redis, gunicorn, workers, beat, Locust. Variables: LOAD_MEMBERS
# (20000), LOAD_SCENARIOS (members; or members,burst,redis,postgres,kill / all),
# LOAD_DURATION (s per step), LOAD_STEPS, LOAD_BURST_MEMBERS. See docs/performance.md.
load: system-packages-test setup
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || bin/ensure-packages postgresql
	$(PY) -m loadtest

clean:
	rm -rf var test-artifacts .pytest_cache node_modules $(NATIVE)
