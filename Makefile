# Newcomer entry points (see README):  make demo  |  make test
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PART   ?= xcvu13p-flga2577-2-e

.PHONY: setup tools demo test test-long lint baselines clean

# The virtual environment is rebuilt when pyproject.toml changes.
$(BIN)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found: install Python 3.11 (pyproject pins TensorFlow 2.14.1)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -e '.[dev]'
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null  # .pyc on all cores: 36 + 17 s instead of pip's 69 s
	touch $@

# Yosys (Debian) gives the open-source resource counts; installed when we may (root), else skipped.
tools:
	@command -v yosys >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq yosys >/dev/null; \
	  else echo "note: yosys missing (sudo apt-get install yosys): reports will lack Yosys resource counts"; fi; }

setup: $(BIN)/.installed tools

demo: setup
	$(BIN)/fpga-nn build --part $(PART) --force

test: setup
	$(BIN)/python -m pytest -q -n 2 --dist worksteal

# The property tests with many more drawn examples (about an hour on 2 cores)
test-long: setup
	FPGA_NN_LONG_TESTS=1 $(BIN)/python -m pytest -q -n 2

# Re-record the exact figures of the default test build for the installed tools (tests/baselines.json)
baselines: setup
	FPGA_NN_RECORD_BASELINES=1 $(BIN)/python -m pytest -q tests/test_baselines.py

lint: setup
	$(BIN)/ruff format --check fpga_nn tests benchmarks
	$(BIN)/ruff check fpga_nn tests benchmarks

clean:
	rm -rf $(VENV) hls_projects/*/ .pytest_cache
