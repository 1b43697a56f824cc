# Credo. `make run` serves the app; `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export HOST PORT

.PHONY: run test lint bench install assets translations fonts system-deps system-test-deps clean

run: install
	$(BIN)/workshop serve --host $(HOST) --port $(PORT)

test: install system-test-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

bench: install
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

# Debian packages the tests drive: Chromium (browser tests), poppler-utils (PDF checks).
system-test-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf $(VENV) node_modules static/vendor
