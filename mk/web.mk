# The web client (web/: SvelteKit static app). `make dev` serves the build; `make test` runs
# its unit tests, type-checks it against docs/openapi.json and drives it in Chromium.
.PHONY: web-build web-unit chromium

WEB_DEPS := web/node_modules/.package-lock.json
WEB_SOURCES := $(shell find web/src web/static -type f 2>/dev/null) web/package.json \
	web/svelte.config.js web/vite.config.ts web/tsconfig.json docs/openapi.json
# Debian's Chromium, driven by Playwright through executablePath (Playwright's own browser
# download cannot work without internet). Not the /usr/bin/chromium wrapper script.
CHROMIUM := /usr/lib/chromium/chromium

$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error

web/build/index.html: $(WEB_DEPS) $(WEB_SOURCES)
	cd web && npm run build --silent

## make web-build: the static site into web/build (API types regenerated from docs/openapi.json).
web-build: web/build/index.html

## make web-unit: svelte-check (types against the OpenAPI schema) and the Vitest tests.
web-unit: $(WEB_DEPS)
	cd web && npm run check --silent && npm test --silent

## make chromium: Debian's chromium for the browser tests (apt-get as root when missing).
chromium:
	@test -x $(CHROMIUM) || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "Chromium is missing: run 'sudo apt-get install -y chromium' (tests/web needs $(CHROMIUM))"; exit 1; \
		fi; }

dev: web-build
test: web-build web-unit chromium
# The CDK app deploys web/build to the site bucket behind CloudFront (infra/skyroll_cdk/web.py).
synth: web-build
