# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql://postgres@127.0.0.1:5432/tenure
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test test-sqlite test-postgres lint browser java pdf-libs clean constraints

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

## make constraints: the newest versions pyproject.toml allows, into constraints.txt (then make test)
constraints:
	rm -rf .venv-fresh && $(PYTHON) -m venv .venv-fresh
	.venv-fresh/bin/pip install --quiet --upgrade pip && .venv-fresh/bin/pip install --quiet -e '.[test]'
	{ sed -n '1,3p' constraints.txt; .venv-fresh/bin/pip freeze --exclude-editable | grep -v '^#'; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .venv-fresh

## make demo: install, migrate, load the demo business, serve it with a worker on :8000
demo: $(VENV)/.installed pdf-libs
	$(BIN)/tenure demo

## make test: lint, then the whole suite on SQLite and on PostgreSQL side by side, each half's
## output printed whole when it ends (TEST_JOBS=1: one after the other, 70 minutes against 41)
TEST_JOBS ?= 2
test: $(VENV)/.installed-test browser java pdf-libs lint
	$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target test-sqlite test-postgres

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy src

test-sqlite: $(VENV)/.installed-test
	TENURE_DATABASE_URL= TENURE_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest

# The pure analytics tests touch no database: once (above) is enough.
test-postgres: $(VENV)/.installed-test
	@pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not answering on 127.0.0.1:5432: start it with 'pg_ctlcluster --skip-systemctl-redirect \$$(ls /etc/postgresql) main start'"; exit 1; }
	TENURE_DATABASE_URL=$(PG_URL) TENURE_DATA_DIR=$(CURDIR)/var/test-pg $(BIN)/pytest -o cache_dir=var/test-pg/.pytest_cache --ignore=tests/analytics -m "not browser"

# Debian's Chromium for the Playwright browser tests (Playwright cannot download its own here).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

# Java 17 for the Spark parity tests' local PySpark session, from Debian's packages when missing.
java:
	@command -v java >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq openjdk-17-jre-headless >/dev/null; fi; }

# Pango, HarfBuzz and fonts for WeasyPrint (the results report's PDF), from Debian's packages
# when missing; nothing is asked of apt when they are there.
pdf-libs:
	@{ ldconfig -p | grep -q libpangoft2-1.0.so.0 && ldconfig -p | grep -q libharfbuzz.so.0 \
	  && fc-list | grep -q .; } || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 \
	  libharfbuzz0b fonts-dejavu-core >/dev/null; }

clean:
	rm -rf var/test var/test-pg .pytest_cache
