# The transcode stage, thumbnail/playback routes and the admin stage re-queue (docs/video.md).
.PHONY: test-stages

## make test-stages: transcode, media redirects and re-queue through the real pipeline.
test-stages: venv
	$(PY) -m pytest -q tests/integration/stages
