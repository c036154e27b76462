# Every target bootstraps its own virtual environment: a fresh clone needs only Python 3.12.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PYTHON312 ?= $(shell scripts/find-python312.sh)
EXTRAS := media,ml,cli,local,infra,dev

.PHONY: dev test lint format openapi bench venv clean reset

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found. Install it (e.g. 'pyenv install 3.12') or set PYTHON312=/path/to/python3.12"; exit 1; }
	@test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	@rm -f $(VENV)/.installed-* && touch $@

## make dev: PostgreSQL + pgvector, moto (S3/SQS/SNS), migrations, the API on :8000 and the workers.
dev: venv models
	$(PY) -m chalicelib.local.devstack

## make test: lint, then the whole suite (unit, api, integration, runner, e2e). One worker
## takes a whole file (--dist loadfile): modules build a shared library once. The schemathesis
## fuzzing runs beside it in its own pytest without xdist: under xdist its generated
## operations collapse into one test that fuzzes nothing.
FUZZ := tests/api/test_fuzz_openapi.py
test: venv models lint
	@mkdir -p .skyroll; $(PY) -m pytest -q -p no:xdist $(FUZZ) > .skyroll/fuzz.log 2>&1 & fuzz=$$!; \
	$(PY) -m pytest -n 2 --dist loadfile --ignore=$(FUZZ) tests; suite=$$?; \
	wait $$fuzz; fuzzed=$$?; echo "--- schemathesis ($(FUZZ)) ---"; tail -n 40 .skyroll/fuzz.log; \
	test $$suite -eq 0 && test $$fuzzed -eq 0

## make lint: ruff, ruff format, mypy (strict on chalicelib/) and the import directions
## (scripts/check_imports.py, docs/architecture.md).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) scripts/check_imports.py
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## make openapi: regenerate docs/openapi.json from the DTOs and the route table.
openapi: venv
	$(PY) -m chalicelib.api.routes > docs/openapi.json

## make bench: every benchmark under bench/, figures into docs/benchmarks.md (BENCH=name to pick).
bench: venv
	$(PY) bench/run.py $(BENCH)

reset:
	rm -rf .skyroll

clean:
	rm -rf $(VENV) .skyroll .pytest_cache .mypy_cache .ruff_cache chalice.out

# Capabilities add their own targets in mk/*.mk (models, synth, bench, ...).
-include mk/*.mk
