# Susurro — the commands a newcomer needs. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
NODE_RUN := node --import tsx

.PHONY: install run client test test-node test-browser lint typecheck format bench system-deps

# Reinstall only when the lockfile changes (native modules are not rebuilt twice).
node_modules/.install-stamp: package-lock.json package.json
	npm ci --no-audit --no-fund
	touch $@

install: node_modules/.install-stamp

## run: the monolith — HTTP API, WebSocket and web client on an embedded SQLite database.
run: install
	npm run --silent build -w @susurro/web
	$(NODE_RUN) apps/server/src/main.ts

## client: the interactive terminal client. Run two with different names to chat:
##   make client NAME=alice    and, in another terminal,    make client NAME=bob
NAME ?= me
SERVER ?= http://127.0.0.1:8080
client: install
	$(NODE_RUN) apps/cli/src/main.ts --server $(SERVER) --config .data/clients/$(NAME) chat

## test: install everything, then lint, typecheck and every test (Node and headless Chromium).
test: install system-deps
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

## bench: protocol (and server) benchmarks; prints tables of ops/s.
bench: install
	$(NODE_RUN) packages/protocol/bench/protocol-bench.ts
	$(NODE_RUN) packages/server/bench/server-bench.ts

# Debian's Chromium for the browser suite (as root it installs itself; otherwise say how).
system-deps:
	@bash scripts/system-deps.sh
