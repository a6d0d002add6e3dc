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

.PHONY: help setup up down status demo test test-unit lint bench clean

help:
	@echo "make demo   - set everything up and run the demo on embedded Kafka + PostgreSQL"
	@echo "make test   - set everything up, run the whole test suite, stop what it started"
	@echo "make up     - start Kafka, PostgreSQL and the services in the background"
	@echo "make down   - stop them (data kept in .cache/)"
	@echo "make status - what runs and where"
	@echo "make lint   - ruff and mypy"
	@echo "make bench  - benchmarks (figures as ratios to a reference measured in the same run)"
	@echo "make clean  - remove the venv and the cache (jars, data directories)"

setup: $(STAMP) .cache/kafka/libs/.pom.sha256

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

clean: down
	rm -rf $(VENV) .cache
