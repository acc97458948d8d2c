# dockyard: `make up` deploys a stack, `make test` runs the whole suite. `make help` lists targets.
# Your personal stack (stacks/Pulumi.mine.yaml, made from stacks/personal.example.yaml by
# `make up`); the shared stacks are dev and prod (STACK=dev).
STACK ?= mine
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: help up preview destroy test unit venv system-deps lint snapshot docs

# A new personal stack's file: the template, where `me` in adminCidrs is this machine's
# address, so the Ansible step reaches the hosts. The name is checked before it is used.
stacks/Pulumi.%.yaml: export NEW_STACK = $*
stacks/Pulumi.%.yaml:
	@printf '%s\n' "$$NEW_STACK" | grep -Eqx '[a-z][a-z0-9-]{0,40}' || { printf '%s\n' \
	  "make: STACK must be lowercase letters, digits and -, starting with a letter" >&2; exit 2; }
	cp stacks/personal.example.yaml "stacks/Pulumi.$$NEW_STACK.yaml"
	@echo "stacks/Pulumi.$$NEW_STACK.yaml: a new stack from stacks/personal.example.yaml (edit aws:region there)"

## help: list the targets with what they do.
help:
	@sed -n 's/^## \([a-z-]*\): \(.*\)/\1\t\2/p' $(firstword $(MAKEFILE_LIST)) | expand -t 12
	@echo "STACK=$(STACK) (another stack: make preview STACK=prod)"

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The first step of up, preview and destroy, before anything is built.
define require_pulumi
@command -v pulumi >/dev/null 2>&1 || { printf '%s\n' \
  "make $@: the Pulumi CLI is not on PATH. To deploy you need:" \
  "  1. the Pulumi CLI: https://www.pulumi.com/docs/install/" \
  "  2. a backend to keep the state: \`pulumi login\` (Pulumi Cloud), or" \
  "     \`pulumi login s3://BUCKET\`, or \`pulumi login --local\` (files in ~/.pulumi)" \
  "  3. AWS credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY) and a region" \
  "Without the CLI, \`make snapshot\` previews offline: it evaluates every stack under" \
  "mocks and writes what would be created to snapshots/<stack>.json." >&2; exit 2; }
endef

## up: select (or create) the stack STACK and run `pulumi up` on it (Pulumi CLI, AWS credentials).
## A stack without a stacks/Pulumi.<STACK>.yaml starts from stacks/personal.example.yaml.
up:
	$(require_pulumi)
	@$(MAKE) --no-print-directory venv stacks/Pulumi.$(STACK).yaml
	pulumi stack select --create $(STACK)
	pulumi up --stack $(STACK)

## preview: show what `make up` would change in the stack STACK (Pulumi CLI, AWS credentials).
preview:
	$(require_pulumi)
	@$(MAKE) --no-print-directory venv stacks/Pulumi.$(STACK).yaml
	pulumi stack select --create $(STACK)
	pulumi preview --diff --stack $(STACK)

## destroy: delete every resource of the stack STACK (Pulumi CLI, AWS credentials; asks first).
destroy:
	$(require_pulumi)
	pulumi destroy --stack $(STACK)

system-deps:
	bash scripts/install-system-deps.sh

## test: the whole suite, root tier included; installs Debian packages (removes none) first.
## The daemons it drives live in sbin (sshd, dockerd, runc, debootstrap, ip), which a
## non-login PATH may lack.
test: export PATH := $(PATH):/usr/local/sbin:/usr/sbin:/sbin
test: venv system-deps
	$(BIN)/python -m pytest

## unit: the unit tier alone (mocks and pure functions, no root, no system packages).
unit: venv
	$(BIN)/python -m pytest -n 2 tests/unit tests/day2

## lint: ruff, mypy --strict, and the import graph (no cycle; dockyard/ never imports pulumi).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/integration/test_lint.py \
	  -k "import_cycles or imports_another or never_imports_pulumi or defined_once"

## snapshot: evaluate every stacks/Pulumi.<stack>.yaml under mocks, offline, into snapshots/.
## Commit the result; the test suite fails when a snapshot is stale.
snapshot: venv
	$(BIN)/python scripts/snapshot.py

## docs: regenerate the configuration key table in docs/configuration.md from Pulumi.yaml.
docs: venv
	$(BIN)/python scripts/config_docs.py
