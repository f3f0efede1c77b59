# Offbeat: every target sets itself up on a fresh machine (venv + pinned deps + Java check).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.offbeat-installed
DAGSTER_HOME ?= $(CURDIR)/data/dagster_home

export PYSPARK_PYTHON := $(CURDIR)/$(PY)
export PYSPARK_DRIVER_PYTHON := $(CURDIR)/$(PY)
export SPARK_LOCAL_IP ?= 127.0.0.1
export DAGSTER_HOME
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: setup demo dev test test-integration test-standalone bench lint lock java clean

java:
	@command -v java >/dev/null 2>&1 || { echo "ERROR: Java 17+ is required by Spark but 'java' is not on PATH (Debian: apt-get install openjdk-17-jre-headless)." >&2; exit 1; }
	@v=$$(java -version 2>&1 | sed -nE 's/.*version "([0-9]+).*/\1/p' | head -1); \
	 if [ -z "$$v" ] || [ "$$v" -lt 17 ]; then echo "ERROR: Java 17+ is required by Spark; found version '$$v' ($$(command -v java))." >&2; exit 1; fi

$(STAMP): requirements.lock pyproject.toml
	@$(MAKE) --no-print-directory java
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned dependencies into $(VENV) (about a minute; log: $(VENV)/install.log)"
	@export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore; \
	 { $(PY) -m pip install --upgrade pip && $(PY) -m pip install -r requirements.lock; } > $(VENV)/install.log 2>&1 \
	 || { tail -n 30 $(VENV)/install.log >&2; echo "ERROR: pip install failed; full log in $(VENV)/install.log" >&2; exit 1; }
	@touch $(STAMP)

setup: $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: infra/dagster/dagster.yaml
	@mkdir -p $(DAGSTER_HOME) && cp infra/dagster/dagster.yaml $@

demo: $(STAMP) $(DAGSTER_HOME)/dagster.yaml  ## materialise the whole asset graph on the embedded defaults
	$(PY) -m orchestration.demo

dev: $(STAMP) $(DAGSTER_HOME)/dagster.yaml  ## Dagster UI on http://127.0.0.1:3000
	$(VENV)/bin/dagster dev -h 127.0.0.1 -p $${DAGSTER_PORT:-3000}

test: $(STAMP)  ## the test suite but the `integration` and `standalone` tests (under 10 minutes; CI runs `make test-integration` and `make test-standalone` after it); writes nothing into the tree
	$(PY) -m pytest -m "not standalone and not integration"

test-integration: $(STAMP)  ## the long tests: whole chains through Dagster, quality targets, million-row imports, killed crawls (about 10 minutes; CI runs it after `make test`)
	$(PY) -m pytest -m "(integration and not standalone) or repository_tree"

test-standalone: $(STAMP)  ## the two Spark standalone tests (catalog chain, stream chain) on one master + worker on 127.0.0.1; not in `make test`, CI runs it after
	$(PY) -m pytest -m standalone tests/pipeline/test_spark_standalone.py tests/streams/test_assets_standalone.py

bench: $(STAMP)  ## benchmarks beside their baselines; appends to bench/RESULTS.md
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .

lock:  ## regenerate requirements.lock from the names in pyproject.toml
	rm -rf /tmp/offbeat-lock && $(PYTHON) -m venv /tmp/offbeat-lock
	/tmp/offbeat-lock/bin/pip install --quiet -e '.[test]'
	/tmp/offbeat-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf data/warehouse data/raw data/quarantine data/reports data/landing spark-warehouse

.PHONY: test-e2e browser audio-tools
audio-tools:  ## fpcalc (Chromaprint) and sox with mp3 for the audio re-upload path and its tests (Debian; needs root)
	@{ command -v fpcalc >/dev/null 2>&1 && command -v sox >/dev/null 2>&1 && sox -h 2>/dev/null | grep -q mp3; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libchromaprint-tools sox libsox-fmt-mp3 >/dev/null; } \
	    || echo "could not install fpcalc/sox with apt-get: the audio tests will skip" >&2; \
	  else echo "Audio tests skip without fpcalc and sox: install them with 'apt-get install libchromaprint-tools sox libsox-fmt-mp3' (Debian)." >&2; fi; }

browser:  ## headless Chromium and Noto CJK fonts for the report tests (Debian; needs root)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-core >/dev/null; } \
	    || echo "could not install chromium with apt-get: the report browser tests will skip" >&2; \
	  else echo "Report browser tests skip without chromium: install it with 'apt-get install chromium fonts-noto-cjk' (Debian)." >&2; fi; }

test-e2e: $(STAMP)  ## Dagster UI path end to end (webserver + daemon + GraphQL backfills; minutes)
	OFFBEAT_E2E=1 $(PY) -m pytest -p no:cacheprovider -s --timeout=2700 tests/e2e

.PHONY: serve-scores
serve-scores: $(STAMP)  ## spam scoring service on http://127.0.0.1:$${OFFBEAT_SCORES_PORT:-8787} (promoted model, warehouse features)
	$(PY) -m assets.users.service --port $${OFFBEAT_SCORES_PORT:-8787}
