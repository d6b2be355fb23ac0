# annualreport: `make example` sets everything up and builds the example report; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PARTNERSHIP ?= lancashire
YEAR ?= 2013-14
ARGS ?=

.PHONY: setup browser example build test bench clean

# Our own modules compiled once here: where PYTHONDONTWRITEBYTECODE is set, Python would otherwise
# compile them again in every process (each build, kernel and test: about 0.1 s each).
setup: $(STAMP)
	@$(BIN)/python -m compileall -q src

# The environment is installed only from the lock file, every package checked against its hash.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "annualreport needs Python 3.11, found " + sys.version.split()[0] + "; run: make PYTHON=python3.11 ...")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --editable .
	@touch $(STAMP)

# The tests open the HTML report in headless Chromium (Debian's package) and check it with axe-core
# (npm's package, at the version in tests/axe/package-lock.json, into tests/axe/node_modules; npm is
# Debian's package), and read the PDFs' layout with poppler's pdftotext, pdfimages and pdffonts
# (Debian's poppler-utils). Nothing is downloaded when a report is built.
CHROMIUM ?= chromium
AXE := tests/axe/node_modules/axe-core/axe.min.js

# $(call debian,COMMAND,PACKAGE,WHY): install Debian's PACKAGE unless COMMAND exists (as root), else say what to install.
define debian
	@command -v $(1) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $(2) from Debian's packages ($(3))"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	  else \
	    echo "the tests need $(2): install Debian's '$(2)' package (sudo apt-get install $(2))"; exit 1; \
	  fi; }
endef

browser: $(AXE)
	$(call debian,$(CHROMIUM),chromium,needed by the tests)
	$(call debian,pdftotext,poppler-utils,needed by the tests)

$(AXE): tests/axe/package.json tests/axe/package-lock.json
	$(call debian,npm,npm,axe-core for the tests comes from npm)
	cd tests/axe && npm ci --no-audit --no-fund --ignore-scripts --silent
	@touch $(AXE)

example: setup
	$(BIN)/annualreport build --partnership $(PARTNERSHIP) --year $(YEAR) $(ARGS)

build: example

test: setup browser
	$(BIN)/python -m pytest $(ARGS)

bench: setup
	$(BIN)/python bench/bench_build.py $(ARGS)

clean:
	rm -rf build
