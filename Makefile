# qaf-kobo: `make demo` runs the whole job offline; `make test` runs the test suite.
# Both create .venv when it is missing. They need only python3 and make (Node, Java, Chromium and
# LibreOffice are used by some tests when present; .ci/run installs them).

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
NODE_DIRS := $(dir $(wildcard tests/*/package.json))

.PHONY: test demo node-deps benchmarks lint guide clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# npm packages for the real-client tests (pinned in each package-lock.json); skipped when npm is absent.
node-deps:
	@if command -v npm >/dev/null 2>&1; then \
	  for d in $(NODE_DIRS); do \
	    if [ ! -d $$d/node_modules ] || [ $$d/package-lock.json -nt $$d/node_modules ]; then \
	      echo "npm ci in $$d"; (cd $$d && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || exit 1; \
	      touch $$d/node_modules; \
	    fi; \
	  done; \
	else echo "npm not found: tests that need Node will be skipped"; fi

# Two workers per core (pytest-xdist): many tests wait on servers, browsers, LibreOffice or Java, and one worker per
# core left a third of the CPU idle (6 Dec 2026, 2 cores: 5 min 21 s with 2 workers, 4 min 27 s with 4). --dist
# loadfile keeps each test file on one worker, so a file's module-scoped fixtures (built forms, demo store, Enketo
# bundle) are built once; --no-loadscope-reorder hands the files out in the order conftest.py collects them, the
# longest first. Every test works in its own tmp_path and port 0.
WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))
test: $(STAMP) node-deps
	$(PY) -m pytest -q -n $(WORKERS) --dist loadfile --no-loadscope-reorder

demo: $(STAMP)
	$(VENV)/bin/qaf-kobo demo
	$(VENV)/bin/qaf-kobo demo --framework cpss --out reports/demo-cpss --store data/demo-cpss.sqlite

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

# the coordinator's guide (reports/README.md) takes its rules from the About sheet's wording
guide: $(STAMP)
	$(PY) -c "from qaf_kobo.report.guide import refresh_guide; refresh_guide()"

benchmarks: $(STAMP)
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) forms/build reports/demo reports/demo-cpss data/demo.sqlite* data/demo-cpss.sqlite* .pytest_cache
