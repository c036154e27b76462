# The library (access module, albums, partners, shared links, timeline): its tests.
.PHONY: test-library

## make test-library: every role (owner, editor, viewer, partner, stranger, link visitor,
## anonymous) over the API on real PostgreSQL + moto; two workers.
test-library: venv
	$(PY) -m pytest -q -n 2 tests/integration/library
