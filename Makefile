# LuckyGas back office. `make run` serves the app; `make test` runs lint and every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
# checkov pins dependencies that conflict with ours (packaging<24, …): it has a venv of its own.
CHECKOV_VENV := .venv-checkov
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages the test suite needs: a browser, an SFTP server, CJK fonts for PDFs, gettext.
SYSTEM_PACKAGES := chromium openssh-server fonts-noto-cjk gettext

# The test suite always runs on real PostgreSQL and Redis, never on the embedded default.
TEST_ENV := DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/luckygas} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-test-only-secret-key-0123456789abcdefghijklmnop} \
	DJANGO_SECURE_SSL_REDIRECT=0

.PHONY: docs docs-screenshots soak help run test lint pytest static format requirements system-packages assets messages install install-dev check-services clean deploy-tools config-docs

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.created:
	$(PYTHON_VERSION) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9
	touch $@

$(VENV)/.installed: $(VENV)/.created requirements.txt
	$(UV) pip install --quiet --python $(PY) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(UV) pip install --quiet --python $(PY) -r requirements.txt -r requirements-dev.txt
	touch $@

$(CHECKOV_VENV)/.installed: $(VENV)/.created deploy/requirements-checkov.txt
	$(PYTHON_VERSION) -m venv $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python -r deploy/requirements-checkov.txt
	touch $@

$(VENV)/.installed-docs: $(VENV)/.installed requirements-docs.txt
	$(UV) pip install --quiet --python $(PY) -r requirements-docs.txt
	touch $@

docs: $(VENV)/.installed-docs ## build the user guides (docs/, MkDocs Material) strictly into build/root/docs, served at /docs/, and the quick cards' PDFs
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict
	$(PY) -m docs_tools.quick_cards

docs-screenshots: install-dev messages assets $(VENV)/.installed-docs ## remake the guides' pictures from a throwaway make-run demo (docs_tools/steps/*.yaml)
	$(PY) -m docs_tools.screenshots --demo
	$(MAKE) --no-print-directory docs

deploy-tools: $(CHECKOV_VENV)/.installed ## install checkov (for the deployment checks) into its own venv

install: $(VENV)/.installed ## create .venv with the pinned runtime dependencies

install-dev: $(VENV)/.installed-dev ## create .venv with the pinned runtime and test dependencies

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

assets: node_modules/.package-lock.json ## copy npm packages (idb, chart.js, leaflet) into build/static/vendor
	mkdir -p build/static/vendor/idb build/static/vendor/chart.js build/static/vendor/leaflet
	cp node_modules/idb/build/*.js build/static/vendor/idb/
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map build/static/vendor/chart.js/
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.js.map node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images build/static/vendor/leaflet/

messages: $(VENV)/.installed ## compile the translations (.po → .mo)
	@command -v msgfmt >/dev/null || $(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES=gettext
	find . -name "*.mo" -path "*/locale/*" -not -path "./.venv*/*" -not -path "./node_modules/*" -delete
	DJANGO_DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

requirements: $(VENV)/.created ## regenerate the pinned requirements from requirements*.in
	$(UV) pip compile --quiet --python-version 3.11 requirements.in -o requirements.txt
	$(UV) pip compile --quiet --python-version 3.11 requirements-dev.in -o requirements-dev.txt
	$(UV) pip compile --quiet --python-version 3.11 requirements-docs.in -o requirements-docs.txt
	$(UV) pip compile --quiet --python-version 3.11 deploy/requirements-checkov.in -o deploy/requirements-checkov.txt

run: install assets messages docs ## set up and serve the app with demo data on http://127.0.0.1:8000
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py migrate --no-input -v0
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py seed_demo
	@echo
	@echo "LuckyGas is starting on http://$(HOST):$(PORT)/"
	@echo "  admin (office):   http://$(HOST):$(PORT)/admin/"
	@echo "  dashboard:        http://$(HOST):$(PORT)/dashboard/"
	@echo "  driver app:       http://$(HOST):$(PORT)/driver/"
	@echo "  API schema:       http://$(HOST):$(PORT)/api/docs/"
	@echo "  logins: admin, manager, office, driver1 … driver5 — password luckygas-demo"
	@if [ -n "$$REDIS_URL" ]; then \
		echo "  REDIS_URL is set: starting a Celery worker with beat and the dashboard ticker beside the web server"; \
		DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(VENV)/bin/celery -A luckygas worker --beat -Q default,sms,banking,exports \
			--loglevel=INFO --concurrency=2 & \
		celery_pid=$$!; \
		DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py run_dashboard_ticker & \
		trap "kill $$celery_pid $$! 2>/dev/null" EXIT; \
	fi; \
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(VENV)/bin/uvicorn luckygas.asgi:application --host $(HOST) --port $(PORT)

system-packages: ## install the Debian packages the tests need (when root), or name them
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian packages: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "The tests need these Debian packages; install them as root: apt-get install $$missing"; exit 1; \
		fi; \
	fi

check-services: install-dev
	@$(TEST_ENV) $(PY) manage.py check_services

lint: install-dev node_modules/.package-lock.json ## ruff check, ruff format --check, ESLint and Prettier --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	npm run --silent lint

format: install-dev ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	npm run --silent format

config-docs: $(VENV)/.installed ## regenerate README.md's configuration table from luckygas/configuration
	$(PY) -m luckygas.configuration.docs

static: install assets ## collect static files for production-like serving (whitenoise)
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only-key-0123456789abcdefghijklmnop $(PY) manage.py collectstatic --no-input -v0

pytest: install-dev deploy-tools assets messages static docs ## run pytest only (ARGS="tests/sms -x" to narrow)
	$(TEST_ENV) $(VENV)/bin/pytest $(ARGS)

test: system-packages install-dev deploy-tools assets messages static docs check-services lint ## lint and the whole suite on PostgreSQL and Redis
	$(TEST_ENV) $(VENV)/bin/pytest $(ARGS)

clean: ## remove the virtualenv, node_modules and build output
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules build staticfiles

SOAK_MINUTES ?= 10
SOAK_DRIVERS ?= 40
soak: ## a business day under load and faults (issue #18): SOAK_MINUTES (10), SOAK_DRIVERS (40); not part of make test
	$(PY) -m soak --minutes $(SOAK_MINUTES) --drivers $(SOAK_DRIVERS)
