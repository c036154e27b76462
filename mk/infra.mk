# Cloud deployment (infra/, layers/, localstack/). See docs/deploy.md.
.PHONY: synth layers cdk-cli test-infra test-localstack localstack-venv

CDK_ENV := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 CDK_DISABLE_CLI_TELEMETRY=true \
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1}
CDK_STAGE ?= dev

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

## make cdk-cli: the pinned CDK CLI (package.json) in node_modules/.
cdk-cli: node_modules/.package-lock.json

## make layers: build the Lambda layers for python3.12/x86_64 (cached in .skyroll/layers).
layers: venv
	$(PY) -m layers.build

## make synth: the whole app (CDK_STAGE, default dev) into infra/cdk.out; no Docker, no AWS.
synth: venv cdk-cli
	cd infra && $(CDK_ENV) ../node_modules/.bin/cdk synth --quiet -c stage=$(CDK_STAGE) -o cdk.out
	rm -rf infra/chalice.out
	@echo "synthesized Skyroll-$(CDK_STAGE) into infra/cdk.out"

test-infra: venv cdk-cli
	$(CDK_ENV) $(PY) -m pytest tests/infra

# LocalStack without Docker needs its own venv (pins in localstack/requirements.txt).
# localstack-core 2026.3.0 imports warnings.deprecated, which only Python 3.13 has: 3.12.1
# fails at start with "No component plugins found".
LOCALSTACK_VENV := .skyroll/localstack-venv
LOCALSTACK_STAMP := $(LOCALSTACK_VENV)/.installed-2026.3.0
PYTHON313 ?= $(shell command -v python3.13 >/dev/null 2>&1 && PYENV_VERSION=3.13.0 python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null || ls $$HOME/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null | head -1)

$(LOCALSTACK_STAMP):
	@test -n "$(PYTHON313)" || { echo "Python 3.13 not found (set PYTHON313=...)"; exit 1; }
	rm -rf $(LOCALSTACK_VENV)
	$(PYTHON313) -m venv $(LOCALSTACK_VENV)
	$(LOCALSTACK_VENV)/bin/pip install --quiet -r localstack/requirements.txt
	touch $@

localstack-venv: $(LOCALSTACK_STAMP)

## make test-localstack: start LocalStack (no Docker, signatures enforced) and run tests/localstack.
test-localstack: venv localstack-venv
	SKYROLL_LOCALSTACK_PYTHON=$(abspath $(LOCALSTACK_VENV))/bin/python $(PY) -m pytest -p no:xdist tests/localstack

## make artifacts: what `cdk deploy` ships, built into .skyroll/artifacts/<hash> (layers, the
## Chalice package, the zip code, each image's Python environment). tests/artifacts runs it.
.PHONY: artifacts smoke
artifacts: venv models
	$(PY) -m layers.artifacts

## make smoke API=<ApiUrl>: the smoke test against a deployed API (docs/deploy.md). Asks for
## the admin login (or SKYROLL_SMOKE_EMAIL / SKYROLL_SMOKE_PASSWORD); exits 1 on any failure.
smoke: venv
	@test -n "$(API)" || { echo "usage: make smoke API=<the stack's ApiUrl output>"; exit 2; }
	$(PY) -m scripts.smoke --api "$(API)"

## make dev-localstack: `make dev` on LocalStack (started without Docker, S3 signatures,
## expiry, Content-Type and checksums enforced) instead of moto.
.PHONY: dev-localstack
dev-localstack: venv models localstack-venv
	$(PY) -m scripts.dev_localstack
