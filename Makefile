# dockyard: `make up` deploys a stack, `make test` runs the whole suite.
STACK ?= dev
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: up test unit venv system-deps lint snapshot

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## up: create the venv, select (or create) $(STACK) and run `pulumi up` on it.
## Needs the Pulumi CLI on PATH and AWS credentials in the environment.
up: venv
	@command -v pulumi >/dev/null 2>&1 || { \
	  echo "make up: the Pulumi CLI is not on PATH; install it (https://www.pulumi.com/docs/install/) and log in" >&2; exit 2; }
	pulumi stack select --create $(STACK)
	pulumi up --stack $(STACK)

system-deps:
	bash scripts/install-system-deps.sh

## test: install everything the suite drives (venv + Debian packages) and run it all.
## The daemons it drives live in sbin (sshd, dockerd, runc, debootstrap, ip), which a
## non-login PATH may lack.
test: export PATH := $(PATH):/usr/local/sbin:/usr/sbin:/sbin
test: venv system-deps
	$(BIN)/python -m pytest

## unit: the unit tier alone (mocks and pure functions, no root), on both cores.
unit: venv
	$(BIN)/python -m pytest -n 2 tests/unit

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## snapshot: evaluate the program under mocks for every stacks/Pulumi.<stack>.yaml and
## write snapshots/<stack>.json (commit them; the test suite fails when they are stale).
snapshot: venv
	$(BIN)/python scripts/snapshot.py
