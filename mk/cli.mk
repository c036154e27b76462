# The `skyroll` command-line client (chalicelib/cli): its tests and its upload benchmark.
.PHONY: test-cli bench-upload

## make test-cli: CLI unit tests over httpx.MockTransport, then the e2e over the local stack.
test-cli: venv
	$(PY) -m pytest -q tests/unit/cli tests/e2e/test_cli.py

## make bench-upload: `skyroll upload` of 200 photos vs a boto3 upload_file loop, same stack.
## BENCH_UPLOAD_OUT=path.md writes the markdown section to a file instead of stdout.
bench-upload: venv
	$(PY) bench/bench_upload.py $(BENCH_UPLOAD_OUT)
