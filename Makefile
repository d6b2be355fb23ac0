# annualreport: `make example` sets everything up and builds the example report; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PARTNERSHIP ?= lancashire
YEAR ?= 2013-14
ARGS ?=

.PHONY: setup example build test bench clean

setup: $(STAMP)

# The environment is installed only from the lock file, every package checked against its hash.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "annualreport needs Python 3.11, found " + sys.version.split()[0] + "; run: make PYTHON=python3.11 ...")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --editable .
	@touch $(STAMP)

example: setup
	$(BIN)/annualreport build --partnership $(PARTNERSHIP) --year $(YEAR) $(ARGS)

build: example

test: setup
	$(BIN)/python -m pytest $(ARGS)

bench: setup
	$(BIN)/python bench/bench_build.py $(ARGS)

clean:
	rm -rf build
