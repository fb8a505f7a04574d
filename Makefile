# The two commands: `make run` (the portal with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

.PHONY: run test install lint worker beat clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the portal at http://127.0.0.1:8000 with demo data.
run: $(STAMP)
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  The portal runs at http://127.0.0.1:8000  (staff admin: http://127.0.0.1:8000/admin/)"
	@echo "  E-mails it sends are written to var/mail/ (or go to EMAIL_URL when set)."
	@echo ""
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver 127.0.0.1:8000

## Run the whole test suite on PostgreSQL and Redis, then the fault suite (tests/faults/: its
## own PostgreSQL, Redis, gunicorn and Celery, killed and restarted; a few minutes).
test: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest -m faults tests/faults

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy foundation/audit.py foundation/emails.py foundation/uploads.py \
		foundation/transitions.py foundation/retries.py foundation/pagecache.py foundation/outbox.py \
		foundation/backups.py foundation/outage.py \
		foundation/accounts/services.py \
		foundation/billing/services.py foundation/billing/events.py foundation/billing/stripe_sync.py \
		foundation/checklists/services.py members/services/ credits/services/ credits/ledger/ \
		projects/services/
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

## Measure the pages against an empty Django view at 5,000 organizations (bench/README.md).
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## A Celery worker and beat, for running with REDIS_URL set.
worker: $(STAMP)
	$(BIN)/celery -A foundation worker -l info

beat: $(STAMP)
	$(BIN)/celery -A foundation beat -l info

clean:
	rm -rf var db.sqlite3

## The README's pictures of the home page and the directory, from the running demo (make run).
## CHROMIUM is the browser, as for the browser tests; empty, Playwright's own
## (`playwright install chromium`).
DEMO_URL ?= http://127.0.0.1:8000
CHROMIUM ?= /usr/bin/chromium
screenshots: $(STAMP)
	mkdir -p docs/images
	$(BIN)/python -c "from playwright.sync_api import sync_playwright; \
	p = sync_playwright().start(); \
	b = p.chromium.launch(executable_path='$(CHROMIUM)' or None, args=['--no-sandbox']); \
	page = b.new_page(viewport={'width': 1280, 'height': 900}, color_scheme='light'); \
	[(page.goto('$(DEMO_URL)' + path, wait_until='networkidle'), \
	  page.screenshot(path='docs/images/' + name + '.png', full_page=whole)) \
	 for path, name, whole in (('/', 'home', True), ('/members/', 'directory', False))]; \
	b.close(); p.stop()"
