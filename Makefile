# Two commands do everything on a machine with Python 3.11+ and make:
#   make run    set up, then open the planner (Streamlit) on a bundled example
#   make test   set up, then run every test (browser test included)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8501
# One BLAS thread for the planner's many small matrix products (see forecast/__init__.py):
# the app's server and the test workers import numpy before forecast, so it is set here too.
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: setup run test lint bench docs mutation system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# Server settings (bound to 127.0.0.1, headless, no usage statistics, no tracebacks in the
# page) come from .streamlit/config.toml; see docs/app.md to share the page on a LAN.
run: setup
	$(BIN)/python -m streamlit run app.py --server.port $(PORT)

system-deps:
	@bash scripts/ensure-system-deps.sh

test: setup system-deps
	$(BIN)/python -m ruff check forecast tests bench app.py ui
	$(BIN)/python -m pytest -n auto --dist loadgroup

# Re-run every output block of README.md and docs/*.md and rewrite it in place (review the
# diff); tests/test_docs.py checks the same blocks.
docs: setup
	$(BIN)/python scripts/update_docs.py

bench: setup
	$(BIN)/python bench/bench_plan.py
	$(BIN)/python bench/bench_report.py

# Mutation testing of the contract rule, the search, the negotiation desk and the cost model
# (docs/mutation.md): mutmut runs the fast tests that pin them on every mutant (niced, two
# children: the machine is shared), then the score per module is printed. Results are kept
# in mutants/, so a second run only tests what changed; `rm -rf mutants` starts afresh.
mutation: setup
	nice -n 10 $(BIN)/mutmut run --max-children 2 || true
	$(BIN)/python scripts/mutation_score.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis mutants
