# Transplant — see README.md. Every target is safe to run again.
SHELL := /bin/bash
NODE ?= node
# Three test files at once on two cores: the end-to-end files mostly wait on processes they started.
TEST_CONCURRENCY ?= 3
TEST_FILES = $(shell find dist/test -name '*.test.js' 2>/dev/null | sort)
# Unit tests: the layers whose tests run their code in this process and need no etcd and no
# Transplant process (garden, seed, node agent, kube-apiserver); at most kubectl or a short node
# child. Seconds, not minutes.
UNIT_DIRS = api registry apiserver client controller flow garden lint
UNIT_FILES = $(shell find $(addprefix dist/test/,$(UNIT_DIRS)) -name '*.test.js' 2>/dev/null | sort)

.PHONY: setup deps etcd haproxy build test unit demo lint bench bench-shoot-api bench-garden-stores bench-shoots bench-backup bench-migration bench-workers clean

setup: etcd haproxy deps build

# etcd 3.4 from Debian: later parts (shoot control planes, the etcd store backend) run it.
etcd:
	@if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then \
	  echo "installing etcd-server and etcd-client from Debian"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server etcd-client >/dev/null; \
	fi
	@if ! command -v jq >/dev/null; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null; fi
	@# Knot: the landscape's authoritative DNS server for the shoots' endpoints (RFC 2136 updates).
	@if ! command -v knotd >/dev/null || ! command -v kdig >/dev/null; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq knot knot-dnsutils >/dev/null; \
	fi

# haproxy 2.6 from Debian: the load balancer in front of the garden's replicas (src/landscape/haproxy.ts).
haproxy:
	@if ! command -v haproxy >/dev/null; then \
	  echo "installing haproxy from Debian"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
	fi

deps: node_modules/.setup-stamp

node_modules/.setup-stamp: package.json package-lock.json
	npm install --no-fund --no-audit
	@touch $@

# From scratch: tsc never removes the output of a source file that was moved or deleted, and a
# stale compiled test would still run.
build: deps
	rm -rf dist
	npx tsc -p tsconfig.json
	@chmod +x dist/src/cli/main.js 2>/dev/null || true

test: setup
	$(NODE) --test --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=600000 $(TEST_FILES)

unit: build
	$(NODE) --test --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=60000 $(UNIT_FILES)

demo: setup
	bash examples/demo.sh

# Style, types, and the layers of src/ (.dependency-cruiser.cjs: a lower layer importing a higher
# one fails, naming the rule and the import).
lint: deps
	npx biome check src test bench
	npx tsc -p tsconfig.json --noEmit
	npx depcruise --config .dependency-cruiser.cjs --output-type err-long src

bench: setup
	$(NODE) dist/bench/apiserver-latency.js
	$(NODE) dist/bench/shoot-api-latency.js
	$(NODE) dist/bench/shoot-lifecycle.js
	$(NODE) dist/bench/backup.js
	$(NODE) dist/bench/migration.js
	$(NODE) dist/bench/workers.js

bench-shoot-api: setup
	$(NODE) dist/bench/shoot-api-latency.js

# The garden API on SQLite and on a 3-member TLS etcd cluster, one after the other in one run.
bench-garden-stores: setup
	$(NODE) dist/bench/apiserver-latency.js --stores sqlite,etcd

bench-shoots: setup
	$(NODE) dist/bench/shoot-lifecycle.js

bench-backup: setup
	$(NODE) dist/bench/backup.js

bench-migration: setup
	$(NODE) dist/bench/migration.js

bench-workers: setup
	$(NODE) dist/bench/workers.js

clean:
	rm -rf dist
