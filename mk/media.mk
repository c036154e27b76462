# Media library (chalicelib/media): its tests and its benchmark.
.PHONY: test-media bench-media

## make test-media: sniffing, metadata, thumbnails, video (real files, a few seconds).
test-media: venv
	$(PY) -m pytest -q tests/unit/media

## make bench-media: thumbnails vs Pillow draft() vs the libvips floor, and transcode speed.
## BENCH_MEDIA_OUT=path.md writes the markdown section to a file instead of stdout.
bench-media: venv
	$(PY) bench/bench_media.py $(BENCH_MEDIA_OUT)
