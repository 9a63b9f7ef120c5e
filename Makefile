# The README's two commands are `make run` and `make test`; each sets itself up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
FIGURES ?= figures

.PHONY: run study test lint bench gpu-check soak clean services web types chromium

# A virtual environment with pinned installs (constraints.txt), rebuilt when they change.
# The client (client/, the distribution optbench-client) is installed from this checkout
# in the same step, which is how the server's dependency on it is met.
$(INSTALLED): pyproject.toml client/pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e './client[cli,figures,mlflow]' \
		-e '.[dev]'
	touch $(INSTALLED)

run: $(INSTALLED) web
	$(BIN)/optbench serve

# The synthetic study alone, no server: tables on the terminal, figures in $(FIGURES)/.
study: $(INSTALLED)
	$(BIN)/optbench landscape --plots $(FIGURES)

test: lint services web chromium
	$(BIN)/python -m pytest -n 2 -q -m "not serial"
	$(BIN)/python -m pytest -q -m serial
	cd frontend && node scripts/check-source.mjs && node scripts/types.mjs --check
	$(BIN)/python client/scripts/models.py --check
	cd frontend && npx vitest run
	cd frontend && node tests/e2e.mjs

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(INSTALLED)
	$(BIN)/python -m bench.landscape
	$(BIN)/python -m bench.landscape_torch
	$(BIN)/python -m bench.plugin_discovery
	$(BIN)/python -m bench.platform
	$(BIN)/python -m bench.runner
	$(BIN)/python -m bench.set_comparison
	$(BIN)/python -m bench.bootstrap
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.artifacts
	$(BIN)/python -m bench.tuning

# The prepared GPU check (bench/gpu.py): on a machine with CUDA, ResNet-50 and MiniLM
# speed, bfloat16, the CIFAR data path, exact resume onto the GPU, sharpness and the
# runner's overhead, in under 8 minutes; without CUDA, the same checks at tiny sizes.
gpu-check: $(INSTALLED)
	$(BIN)/python -m bench.gpu

# Soak (not in CI): the load benchmark for 10 minutes while a worker is killed every 60 s
# and PostgreSQL is restarted once (the whole local server: run it when nothing else uses
# it). Prints requests, errors and p99 latency, and what the workers got done.
soak: $(INSTALLED) services
	$(BIN)/python -m bench.soak --seconds 200  # per phase: before, after, after revalidated

# The web page: pinned npm installs (package-lock.json), built into frontend/dist, which
# the API serves at /. Rebuilt when its sources change.
FRONTEND_INSTALLED := frontend/node_modules/.installed
$(FRONTEND_INSTALLED): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $(FRONTEND_INSTALLED)

frontend/dist/index.html: $(FRONTEND_INSTALLED) frontend/index.html frontend/vite.config.ts \
		frontend/tsconfig.json $(shell find frontend/src -type f)
	cd frontend && npm run build

web: frontend/dist/index.html

# The page's TypeScript types and the client's response models, both generated from the
# API's OpenAPI document (checked in; `make test` fails when either is stale).
types: $(INSTALLED) $(FRONTEND_INSTALLED)
	cd frontend && node scripts/types.mjs
	$(BIN)/python client/scripts/models.py

# Debian's Chromium for the browser tests (test tools cannot download their own).
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

clean:
	rm -rf $(VENV) $(FIGURES) .pytest_cache .ruff_cache *.egg-info frontend/node_modules \
		frontend/dist test-artifacts

# The platform tests talk to a real PostgreSQL and Redis on 127.0.0.1; start them if this
# machine has them installed but stopped (CI does the same in .ci/run).
services:
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect \
		$$(ls /etc/postgresql | head -n 1) main start
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes \
		--bind 127.0.0.1 --port 6379 --save "" --appendonly no
