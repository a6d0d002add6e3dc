# Kinlink — the two commands are `make demo` (run the system on embedded defaults) and
# `make test` (the whole test suite against a real Kafka and PostgreSQL that it starts itself).
# Prerequisites: Python 3.11+, Java 17+ and Maven (for the Kafka broker jars). Nothing else.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KINLINK := $(VENV)/bin/kinlink
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
# The dashboard's map and scripts, built from pinned npm packages (services/notifier/web/).
WEB := services/notifier/web
VENDOR := services/notifier/static/vendor
VENDOR_STAMP := $(VENDOR)/.built

.PHONY: help setup up down status demo test test-unit lint bench chaos clean

help:
	@echo "make demo   - set everything up and run the demo on embedded Kafka + PostgreSQL"
	@echo "make test   - set everything up, run the whole test suite, stop what it started"
	@echo "make up     - start Kafka, PostgreSQL and the services in the background"
	@echo "make down   - stop them (data kept in .cache/)"
	@echo "make status - what runs and where"
	@echo "make lint   - ruff and mypy"
	@echo "make bench  - every benchmark; report.md, results.json and charts in .cache/bench/"
	@echo "make chaos  - the scenario through the whole system under faults: nothing may be lost"
	@echo "make clean  - remove the venv and the cache (jars, data directories)"

setup: $(STAMP) .cache/kafka/libs/.pom.sha256 $(VENDOR_STAMP) .cache/.browser

# PyICU (transliteration, via rigour) builds against the system ICU: install its headers with
# apt-get when they are missing and we may (root on Debian); otherwise say what is needed.
.cache/.sysdeps:
	@mkdir -p .cache
	@if ! pkg-config --exists icu-uc 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libicu-dev pkg-config g++; \
	  else echo "please install the ICU headers (Debian: libicu-dev pkg-config g++)"; exit 1; fi; \
	fi
	@command -v java >/dev/null || { echo "Java 17+ is required (Debian: openjdk-17-jre-headless)"; exit 1; }
	@command -v mvn >/dev/null || { echo "Maven is required (Debian: maven)"; exit 1; }
	@touch $@

# The browser test drives Debian's Chromium (Playwright's own browser download is not used):
# install it like the ICU headers, or point KINLINK_CHROMIUM at another Chromium/Chrome binary.
.cache/.browser:
	@mkdir -p .cache
	@if [ -z "$$KINLINK_CHROMIUM" ] && ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "please install Chromium for the browser test (Debian: chromium)," \
	    "or set KINLINK_CHROMIUM to a Chromium/Chrome executable"; exit 1; fi; \
	fi
	@touch $@

# npm ci in .cache/web (node_modules stay out of the source tree), then copy the few built
# files the page loads into static/vendor/ (git-ignored): d3-array, d3-geo, topojson-client
# and Natural Earth's country shapes from world-atlas, with their licences.
$(VENDOR_STAMP): $(WEB)/package.json $(WEB)/package-lock.json $(WEB)/vendor.txt
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; \
	  else echo "npm is required to build the dashboard's assets (Debian: npm)"; exit 1; fi; }
	@rm -rf .cache/web && mkdir -p .cache/web $(VENDOR)
	cp $(WEB)/package.json $(WEB)/package-lock.json .cache/web/
	cd .cache/web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@grep -v '^#' $(WEB)/vendor.txt | while read -r from to; do \
	  [ -z "$$from" ] || cp ".cache/web/node_modules/$$from" "$(VENDOR)/$$to" || exit 1; \
	done
	@touch $@

$(STAMP): pyproject.toml .cache/.sysdeps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

.cache/kafka/libs/.pom.sha256: infra/kafka/pom.xml $(STAMP)
	$(PY) -c "from services.devstack.kafka import resolve_jars; resolve_jars()"

up: setup
	$(KINLINK) up

down:
	@if [ -x $(KINLINK) ]; then $(KINLINK) down; fi

status: setup
	$(KINLINK) status

demo: setup
	$(KINLINK) demo

test: setup
	$(PY) -m pytest -q -p no:cacheprovider

test-unit: setup
	$(PY) -m pytest -q -p no:cacheprovider tests/unit tests/contract

lint: setup
	$(VENV)/bin/ruff check services tests
	$(VENV)/bin/mypy

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev,bench]'
	touch $@

bench: setup $(BENCH_STAMP)
	$(KINLINK) bench

# Fault-free run, then the same scenario while services, brokers and the database are killed;
# prints a table and, last, one JSON line; exits 1 if anything accepted was lost. CHAOS_ARGS
# passes options (e.g. CHAOS_ARGS="--seed 3 --children 80 --verbose").
chaos: setup
	$(KINLINK) chaos $(CHAOS_ARGS)

clean: down
	rm -rf $(VENV) .cache $(VENDOR)
