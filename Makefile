# SigmaTrade — the two commands: `make demo` and `make test` (each sets itself up).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PYTEST_ARGS ?=

.PHONY: all setup demo test test-sqlite test-postgres lint layers typecheck bench bench-chain bench-e2e bench-rewards bench-register clean contracts

all: test

$(VENV_STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# `npm install` (not `npm ci`): npm 11 leaves other platforms' optional anvil binaries out of the
# lock file and `npm ci` then refuses it; `npm install` follows the lock and leaves it unchanged.
$(NODE_STAMP): package.json package-lock.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV_STAMP) $(NODE_STAMP)

## The main job: the bot end to end against the built-in Bot API emulator and a local chain.
demo: setup
	$(PY) -m sigmatrade demo

## The whole suite: SQLite always; PostgreSQL (+Redis) too when reachable (see scripts/run-tests).
test: setup
	PY=$(PY) PYTEST_ARGS="$(PYTEST_ARGS)" ./scripts/run-tests

test-sqlite: setup
	TEST_DATABASE_URL= TEST_REDIS_URL= $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: setup
	PY=$(PY) PYTEST_ARGS="$(PYTEST_ARGS)" ONLY=postgres ./scripts/run-tests

lint: setup
	$(VENV)/bin/ruff check src tests scripts $(wildcard benchmarks)
	$(VENV)/bin/ruff format --check src tests scripts $(wildcard benchmarks)

## The layers contract of docs/architecture.md (names every offending import; no cycles).
layers:
	$(PYTHON) scripts/check_layers.py

typecheck: setup
	$(VENV)/bin/mypy

## Benchmarks print numbers (never asserted in tests).
bench: setup
	$(PY) benchmarks/bench_updates.py

bench-chain: setup
	$(PY) benchmarks/bench_chain.py

## The real process (`sigmatrade run` as a subprocess, jobs, logging, chain on anvil) against the
## emulator over HTTP, next to a minimal aiogram bot: delivery -> reply percentiles, start-up, RSS, work.
bench-e2e: setup
	$(PY) benchmarks/bench_e2e.py

## Reward calculator: 10k and 100k deposits on PostgreSQL, 100k on SQLite (BENCH_REWARDS_ARGS="--sizes 10000,100000,1000000" adds 1M).
BENCH_REWARDS_ARGS ?=
bench-rewards: setup
	$(PY) benchmarks/bench_rewards.py $(BENCH_REWARDS_ARGS)

## 1,000 registrations through the bot in parallel batches: p50/p90/p99/max per step.
bench-register: setup
	$(PY) benchmarks/bench_register.py

contracts: $(NODE_STAMP)
	npm run --silent compile-contracts

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
