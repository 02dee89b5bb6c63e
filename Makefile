# Transplant — see README.md. Every target is safe to run again.
SHELL := /bin/bash
NODE ?= node
# Three test files at once on two cores: the end-to-end files mostly wait on processes they started.
TEST_CONCURRENCY ?= 3
# The end-to-end files first: they take minutes each, the others seconds, and with the long ones
# started first the short ones fill the lanes at the end instead of a long one running alone.
TEST_FILES = $(shell find dist/test/e2e -name '*.test.js' 2>/dev/null | sort) \
  $(shell find dist/test -name '*.test.js' -not -path 'dist/test/e2e/*' 2>/dev/null | sort)
# Unit tests: the layers whose tests run their code in this process and need no etcd and no
# Transplant process (garden, seed, node agent, kube-apiserver); at most kubectl or a short node
# child. Seconds, not minutes.
UNIT_DIRS = api registry apiserver client controller flow garden lint
UNIT_FILES = $(shell find $(addprefix dist/test/,$(UNIT_DIRS)) -name '*.test.js' 2>/dev/null | sort)
# TAP as always, and at the very end the failed tests with their file, title and reason: CI
# keeps only the tail of the output (test/helpers/failure-summary-reporter.ts).
TEST_REPORTERS = --test-reporter=tap --test-reporter-destination=stdout \
  --test-reporter=./dist/test/helpers/failure-summary-reporter.js --test-reporter-destination=stderr
# Loaded into each test file's process: a kubectl discovery cache of its own
# (test/helpers/kubectl-cache-dir.ts says why).
TEST_SETUP = --import ./dist/test/helpers/kubectl-cache-dir.js

.PHONY: setup deps packages build test test-crash-matrix test-matrix unit fuzz demo lint bench bench-shoot-api bench-garden-stores bench-shoots bench-backup bench-migration bench-migration-hosts bench-live-migration bench-workers bench-seed-authorization bench-process-start bench-etcd-learner-disk bench-etcd-hashkv-hold bench-etcd-removal-reads clean

setup: packages deps build

# Debian packages, one list: etcd 3.4 (shoot control planes, the etcd store backend), jq (tests,
# examples), and for `transplant up --hosts` iproute2 (network namespaces), nftables (network
# cuts), haproxy (the garden's load balancer), knot and knot-dnsutils (the landscape's DNS server);
# prometheus (with promtool) for `transplant up --monitoring`; chromium for the dashboard's browser
# test (test/e2e/dashboard.test.ts, driven by puppeteer-core, which downloads no browser).
DEBIAN_PACKAGES = etcd-server etcd-client jq iproute2 nftables haproxy knot knot-dnsutils prometheus chromium
# Daemons those packages start on a systemd machine (ports 53, 2379, 9090, 9100, …): the landscape
# runs its own. One at a time: prometheus-node-exporter, a recommended package of prometheus, may
# be missing, and systemctl disables none of a list naming a unit it does not know. avahi-daemon
# comes with chromium as a recommended package.
PACKAGE_SERVICES = etcd knot haproxy prometheus prometheus-node-exporter avahi-daemon

packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing from Debian:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then \
	    for service in $(PACKAGE_SERVICES); do systemctl disable --now $$service >/dev/null 2>&1 || true; done; \
	  fi; \
	fi

deps: node_modules/.setup-stamp

node_modules/.setup-stamp: package.json package-lock.json
	npm install --no-fund --no-audit
	@touch $@

# From scratch: tsc never removes the output of a source file that was moved or deleted, and a
# stale compiled test would still run. Then the program is bundled (tools/bundle.ts): every
# transplant process starts from a few files instead of about 1,150 modules; src/cli/main.ts runs
# the bundle only while it is newer than the compile, so a later `npx tsc` alone is never shadowed.
build: deps
	rm -rf dist
	npx tsc -p tsconfig.json
	$(NODE) dist/tools/bundle.js
	@chmod +x dist/src/cli/main.js 2>/dev/null || true

test: setup
	$(NODE) $(TEST_SETUP) --test $(TEST_REPORTERS) --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=600000 $(TEST_FILES)

# Every crash point of the migration (the seed killed before and after every step of Migrate and
# Restore, and of both live flows, of a single-member and a highly available shoot); make test
# runs migration-crash-slice.test.ts instead, chosen steps of every flow on one landscape
# (test/helpers/seed-crash-migration.ts).
test-crash-matrix: setup
	TRANSPLANT_CRASH_MATRIX=full $(NODE) $(TEST_SETUP) --test $(TEST_REPORTERS) --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=0 $(shell find dist/test/e2e -name 'migration-crash-*.test.js' 2>/dev/null | sort)

# The variants of a scenario that make test runs in one mode only (test/helpers/test-matrix.ts:
# a backup provider, a kill point, a multi-host test's loopback twin); the files that have one.
test-matrix: setup
	TRANSPLANT_TEST_MATRIX=full $(NODE) $(TEST_SETUP) --test $(TEST_REPORTERS) --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=0 $(shell grep -l "helpers/test-matrix.js" dist/test/e2e/*.test.js 2>/dev/null | sort)

unit: build
	$(NODE) $(TEST_SETUP) --test $(TEST_REPORTERS) --test-concurrency=$(TEST_CONCURRENCY) --test-timeout=60000 $(UNIT_FILES)

# The API fuzzer at release strength: 100,000 requests per surface (garden, seed, shoot) instead
# of make test's 2,000; FUZZ_SEED=… FUZZ_RUNS=… reproduce a failure (docs/security.md, "Fuzzing").
FUZZ_RUNS ?= 100000
fuzz: setup
	FUZZ_RUNS=$(FUZZ_RUNS) $(NODE) $(TEST_SETUP) --test $(TEST_REPORTERS) --test-concurrency=3 --test-timeout=0 $(shell find dist/test/fuzz -name '*.test.js' 2>/dev/null | sort)

demo: setup
	bash examples/demo.sh

# Style, types, and the layers of src/ (.dependency-cruiser.cjs: a lower layer importing a higher
# one fails, naming the rule and the import).
lint: deps
	npx biome check src test bench tools
	npx tsc -p tsconfig.json --noEmit
	npx depcruise --config .dependency-cruiser.cjs --output-type err-long src

bench: setup
	$(NODE) dist/bench/apiserver-latency.js
	$(NODE) dist/bench/shoot-api-latency.js
	$(NODE) dist/bench/shoot-lifecycle.js
	$(NODE) dist/bench/backup.js
	$(NODE) dist/bench/migration.js
	$(NODE) dist/bench/migration.js --sizes 100 --modes loopback,hosts --repeat 2 --no-floor
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

# The 100 MB migration on the multi-host landscape (transplant up --hosts; needs root) next to
# loopback, twice, interleaved; prints the ratios of API downtime and total.
bench-migration-hosts: setup
	$(NODE) dist/bench/migration.js --sizes 100 --modes loopback,hosts --repeat 2 --no-floor

# Live control plane migration next to the classic one at 10, 100 and 500 MB, with the continuity
# probe (a write and a read every 20 ms, a watch); the report goes to bench/results/.
bench-live-migration: setup
	$(NODE) dist/bench/live-migration.js

bench-workers: setup
	$(NODE) dist/bench/workers.js

# A process's start, bundled (what make build runs) next to the compiled modules, in one run:
# a short command's CPU, and a landscape's time to ready with each process's CPU by then.
bench-process-start: setup
	$(NODE) dist/bench/process-start.js

# Raw etcd: a one-member cluster's writes and reads while a learner joins: its data on the same disk, paced, or on tmpfs.
bench-etcd-learner-disk: setup
	$(NODE) dist/bench/etcd-learner-disk.js

# Raw etcd: whose writes wait while a member of a two-voter cluster computes HashKV.
bench-etcd-hashkv-hold: setup
	$(NODE) dist/bench/etcd-hashkv-hold.js

# Raw etcd and the etcd store: reads while a two-voter cluster shrinks to one, held and not held.
bench-etcd-removal-reads: setup
	$(NODE) dist/bench/etcd-removal-reads.js

# Get and binding latency with seed authorization on, next to off, in one run.
bench-seed-authorization: setup
	$(NODE) dist/bench/seed-authorization.js

clean:
	rm -rf dist
