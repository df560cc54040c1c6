# Susurro — the commands a newcomer needs. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
NODE_RUN := node --import tsx
# V8 flags of the chat service; why: packages/server/src/node-flags.ts (kept in step by a test).
SERVER_NODE_FLAGS := --max-semi-space-size=64 --no-allocation-site-pretenuring --heap-growing-percent=100 --single-threaded-gc

.PHONY: install run client mock backend bundle services test test-node test-browser lint typecheck format bench system-deps

# Reinstall only when the lockfile changes (native modules are not rebuilt twice).
node_modules/.install-stamp: package-lock.json package.json
	npm ci --no-audit --no-fund
	touch $@

install: node_modules/.install-stamp

## run: the monolith — HTTP API, WebSocket and web client on an embedded SQLite database.
run: install
	npm run --silent build -w @susurro/web
	node $(SERVER_NODE_FLAGS) --import tsx apps/server/src/main.ts

## client: the interactive terminal client. Run two with different names to chat:
##   make client NAME=alice    and, in another terminal,    make client NAME=bob
NAME ?= me
SERVER ?= http://127.0.0.1:8080
client: install
	$(NODE_RUN) apps/cli/src/main.ts --server $(SERVER) --config .data/clients/$(NAME) chat

## The serverless shape, locally (three terminals): `make mock`, `make backend`, then
## `make client NAME=alice` and `make client NAME=bob`. The emulator plays API Gateway (and runs
## the real $connect/$disconnect Lambda code against a local DynamoDB); the backend is the chat
## service in gateway mode. Both share the SQLite file under GATEWAY_DATA.
GATEWAY_SECRET ?= local-only-gateway-secret-change-me-in-aws
GATEWAY_DATA ?= .data/gateway
GATEWAY_PORT ?= 3001
DYNAMODB_PORT ?= 8001
BACKEND_PORT ?= 8080
GATEWAY_ENV := AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true GATEWAY_SECRET=$(GATEWAY_SECRET) \
  DATA_DIR=$(GATEWAY_DATA) CONNECTIONS_TABLE=connections AWS_REGION=us-east-1

## mock: API Gateway WebSocket emulator on :$(GATEWAY_PORT) + dynalite on :$(DYNAMODB_PORT).
mock: install
	$(GATEWAY_ENV) GATEWAY_PORT=$(GATEWAY_PORT) DYNAMODB_PORT=$(DYNAMODB_PORT) \
	  BACKEND_URL=http://127.0.0.1:$(BACKEND_PORT) LOG_LEVEL=warn \
	  $(NODE_RUN) apps/gateway-emulator/src/main.ts

## backend: the chat service "behind a gateway", pointed at `make mock`.
backend: install
	$(GATEWAY_ENV) PORT=$(BACKEND_PORT) REALTIME=gateway \
	  GATEWAY_MANAGEMENT_URL=http://127.0.0.1:$(GATEWAY_PORT)/local \
	  PUBLIC_WS_URL=ws://127.0.0.1:$(GATEWAY_PORT)/local \
	  DYNAMODB_ENDPOINT=http://127.0.0.1:$(DYNAMODB_PORT) \
	  node $(SERVER_NODE_FLAGS) --import tsx apps/server/src/main.ts

## bundle: the deployable artefacts (dist/server, dist/lambda/*) that the Dockerfiles copy.
bundle: install
	node scripts/bundle.mjs

## test: install everything, then lint, typecheck and every test (Node and headless Chromium).
test: install system-deps services
	npm run --silent lint
	npm run --silent typecheck
	npm run --silent format:check
	npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json; \
	  status=$$?; node scripts/test-summary.mjs test-results/vitest.json; exit $$status

test-node: install
	npx vitest run --project node

test-browser: install system-deps
	npx vitest run --project chromium

lint: install
	npm run --silent lint

typecheck: install
	npm run --silent typecheck

format: install
	npm run --silent format

## bench: protocol, message-queue and server-load benchmarks; prints their tables.
bench: install
	$(NODE_RUN) packages/protocol/bench/protocol-bench.ts
	$(NODE_RUN) packages/server/bench/queue-bench.ts
	$(NODE_RUN) packages/server/bench/server-bench.ts

# Redis for the cluster test (started if it is down).
services:
	@bash scripts/services.sh

# Debian's Chromium for the browser suite (as root it installs itself; otherwise say how).
system-deps:
	@bash scripts/system-deps.sh
