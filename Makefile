# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
#   make demo  installs ssbands with only what the main job needs (numpy, scipy, xarray, pandas,
#              matplotlib, pyyaml, click) and runs it;
#   make test  adds the optional extras and the test peers (py-sc-fermi, DEVSIM, mpmath, hypothesis, ...)
#              and runs the test suite.
# pip prints what it downloads and installs (no --quiet), so a slow network shows as progress.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --progress-bar on --disable-pip-version-check
CORE   := $(VENV)/.installed-core
FULL   := $(VENV)/.installed-full

.PHONY: demo test lint bench install clean

$(PY):
	@echo "==> [setup] creating the virtual environment $(VENV)"
	$(PYTHON) -m venv $(VENV)

$(CORE): pyproject.toml | $(PY)
	@echo "==> [setup] installing ssbands and its runtime dependencies (no test tools)"
	$(PIP) -e .
	touch $(CORE)

$(FULL): pyproject.toml $(CORE)
	@echo "==> [setup] installing the optional extras and the test tools and peers"
	$(PIP) -e ".[all,dev]"
	touch $(FULL)

install: $(FULL)

demo: $(CORE)
	@echo "==> [demo] charging Cu | LixSi | LiPON | LixCoO2 | Pt | Si from 0 to 4 V"
	$(VENV)/bin/ssbands demo --out ssbands-demo

test: $(FULL)
	@echo "==> [test] running the test suite on 2 processes"
	$(PY) -m pytest -n 2 -q

lint: $(FULL)
	@echo "==> [lint] ruff, mypy and the house rules (tools/house_rules.py)"
	$(VENV)/bin/ruff check src tests benchmarks examples tools
	$(VENV)/bin/mypy
	$(PY) tools/house_rules.py

bench: $(FULL)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) ssbands-demo build *.egg-info src/*.egg-info
