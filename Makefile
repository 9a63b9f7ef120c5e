# The README's two commands are `make run` and `make test`; each sets itself up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
FIGURES ?= figures

.PHONY: run test lint bench clean

# A virtual environment with pinned installs (constraints.txt), rebuilt when they change.
$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/optbench landscape --plots $(FIGURES)

test: lint
	$(BIN)/python -m pytest -n 2 -q

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(INSTALLED)
	$(BIN)/python -m bench.landscape

clean:
	rm -rf $(VENV) $(FIGURES) .pytest_cache .ruff_cache *.egg-info
