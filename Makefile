# Credo. `make run` serves the app; `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every network interface: phones on the same Wi-Fi join the laptop. HOST=127.0.0.1 keeps
# Credo to this computer (README, "Set up on a fresh machine").
HOST ?= 0.0.0.0
PORT ?= 5000
export HOST PORT

.PHONY: run test lint bench install assets translations fonts system-deps system-test-deps clean

run: install
	$(BIN)/workshop serve --host $(HOST) --port $(PORT)

test: install system-test-deps
	$(BIN)/ruff check .
	$(LINT_IMPORTS)
	$(BANDIT)
	$(PIP_AUDIT)
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(LINT_IMPORTS)
	$(BANDIT)

# The layers of workshop/ (pyproject.toml, [tool.importlinter]): views -> services -> models
# -> db, no view imports another, the CLI imports no view, no import cycles.
LINT_IMPORTS = $(BIN)/lint-imports --no-cache --no-logo

# Bandit at medium severity and up. B608 (SQL built from a string) is skipped because each
# such f-string only names a fixed table or column; tests/test_security.py checks that instead.
BANDIT = $(BIN)/bandit -q -r workshop -ll -s B608
# pip-audit fails on any installed package (all but Credo itself) with a known vulnerability,
# or that it cannot look up. Its vulnerability data is PyPI's per-release JSON. When that
# cannot be reached (offline, or behind a package index or proxy that does not serve it),
# nothing can be audited: `make test` then says plainly that the audit did NOT run and why,
# and goes on with the tests instead of failing. Audit from a network that reaches pypi.org
# before a release (SECURITY.md).
PIP_AUDIT_PROBE = https://pypi.org/pypi/pip-audit/2.10.1/json
PIP_AUDIT = @if $(BIN)/python -c "import urllib.request as r; r.urlopen('$(PIP_AUDIT_PROBE)', timeout=20)" 2>/dev/null; then \
	  $(BIN)/pip freeze --exclude-editable > $(VENV)/audit-requirements.txt && \
	  $(BIN)/pip-audit --strict --no-deps --disable-pip --progress-spinner off -r $(VENV)/audit-requirements.txt; \
	else echo "pip-audit: NOT RUN - the vulnerability data ($(PIP_AUDIT_PROBE)) cannot be reached (offline, or a package index or proxy that does not serve it), so no package was audited; audit from a network that reaches pypi.org before a release"; fi

bench: install system-test-deps
	$(BIN)/python -m bench

install: system-deps $(VENV)/.installed assets translations fonts

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# htmx 2.x and its SSE extension, pinned in package.json/package-lock.json, fetched from npm.
assets: static/vendor/.installed

static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/htmx-ext-sse/dist/sse.min.js static/vendor/sse.min.js
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d workshop/translations > /dev/null

# The poster's static font instances, made once from the pinned fontpkg-* wheels
# (about 25 s the first time), so the first poster download isn't the slow one.
fonts: $(VENV)/.installed
	$(BIN)/python -c "from workshop import fonts; fonts.font_files()"

# Pango and HarfBuzz's subsetter, which WeasyPrint needs to draw and embed the poster's fonts.
system-deps:
	@ldconfig -p | grep -q libpangoft2-1.0 && ldconfig -p | grep -q libharfbuzz-subset || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0; }

# Debian packages the tests drive: Chromium (browser tests), poppler-utils (PDF checks),
# redis-server (the Redis fan-out tests start their own on a free port).
system-test-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf $(VENV) node_modules static/vendor
