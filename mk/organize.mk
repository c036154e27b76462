# Tags, map, memories, zip downloads, jobs admin, server statistics: their tests.
.PHONY: test-organize

## make test-organize: tests/integration/organize over real PostgreSQL + moto + the local runner (2 workers).
test-organize: venv
	$(PY) -m pytest -q -n 2 tests/integration/organize
