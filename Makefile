# Newcomer entry points (see README):  make demo  |  make test
# The newest supported Python that runs here (3.12, else 3.11); PYTHON=... chooses another.
# 3.13 is out while numpy 1.26.4 is pinned (no 3.13 wheel; hls4ml 1.3.0 breaks on numpy 2).
PYTHON ?= $(shell for p in python3.12 python3.11; do $$p -c 'import sys' >/dev/null 2>&1 && echo $$p && break; done)
HGQ2   := hgq2==0.2.0
VENV   ?= .venv
BIN    := $(VENV)/bin
PART   ?= xcvu13p-flga2577-2-e

.PHONY: setup tools demo test test-long lint baselines clean

# The virtual environment is rebuilt when pyproject.toml changes.
$(BIN)/.installed: pyproject.toml
	@[ -n "$(PYTHON)" ] || { echo "error: no Python 3.12 or 3.11 runs here: install one, or give PYTHON=/path/to/python3.x"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -e '.[dev]'
	@# hgq2 ships a qkeras/ compatibility package whose folders shadow QKeras 0.9's modules: it gets its own
	@# folder, put on sys.path behind site-packages by a .pth file, so `import qkeras` stays QKeras 0.9
	@# and no later `pip install` into the venv can overwrite one with the other (tests/test_stack.py)
	rm -rf $(VENV)/hgq2
	$(BIN)/python -m pip install --quiet --no-compile --no-deps --target $(VENV)/hgq2 $(HGQ2)
	echo "$(abspath $(VENV))/hgq2" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/zz_fpga_nn_hgq2.pth"
	$(BIN)/python -m pip check
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null  # .pyc on all cores: 36 + 17 s instead of pip's 69 s
	touch $@

# Yosys (Debian) gives the open-source resource counts, GHDL (Debian) turns conifer's VHDL of a tree
# ensemble into Verilog; installed when we may (root), else skipped with a note.
tools:
	@missing=""; for t in yosys ghdl; do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note:$$missing missing (sudo apt-get install$$missing): reports will lack Yosys counts / tree RTL figures"; fi; \
	fi

setup: $(BIN)/.installed tools

demo: setup
	$(BIN)/fpga-nn trigger-rate --embedded --out results/trigger_rate_demo --part $(PART)

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
