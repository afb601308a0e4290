# Handoff — the two commands a newcomer needs:
#   make run    install what is missing, build, migrate and serve on 127.0.0.1:8080 (simulator gateway)
#   make test   install what is missing, lint, build (no warnings), run every test, fuzz briefly
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# What building and running need; what only the tests need (the widget's browser tests, the Python
# oracles' venv, the sqlite3 shell of the fault tests, the throwaway PostgreSQL server of the
# driver's tests) comes on top, with `make test`.
APT_PACKAGES := libsqlite3-dev libcurl4-openssl-dev libpq-dev curl
TEST_APT_PACKAGES := python3-venv chromium chromium-driver sqlite3 postgresql
VENV := .venv
PYTHON := $(CURDIR)/$(VENV)/bin/python
FUZZ_SECONDS ?= 45
FUZZ_RUNS ?= 1000000
SWIFT_FORMAT_PATHS := Package.swift Sources Tests bench Fuzz Plugins

.PHONY: help deps test-deps venv build release lint format run migrate test unit contract fuzz fuzz-smoke test-faults bench clean

help:
	@echo "make run         build and serve on 127.0.0.1:8080 with ./data/handoff.sqlite and the simulator gateway"
	@echo "make test        lint, build without warnings, run all tests, fuzz each target briefly"
	@echo "make test-faults kill -9 under load, locked database, full disk, gateway faults, slow clients"
	@echo "make fuzz        run every libFuzzer target for FUZZ_RUNS executions (default $(FUZZ_RUNS))"
	@echo "make bench       run the benchmarks in bench/ (needs nginx and wrk; installed when root)"
	@echo "make format      rewrite sources with swift-format"

# Installs the Debian packages $(1) that are missing, when we are root.
define install_missing
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "missing Debian packages:$$missing (run as root or install them)"; exit 1; fi; \
	fi
endef

# The Debian packages building and running need.
deps:
	$(call install_missing,$(APT_PACKAGES))

# The Debian packages the tests need on top.
test-deps: deps
	$(call install_missing,$(TEST_APT_PACKAGES))

# Python test oracles (Twilio's validator, phonenumbers, smsutil, h11), pinned.
$(VENV)/.installed: Tests/Oracles/requirements.txt | test-deps
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r Tests/Oracles/requirements.txt
	touch $@

venv: $(VENV)/.installed

build: deps
	swift build --build-tests 2>&1 | tee .build-log.txt
	@! grep -E '^/.*/(Sources|Tests|bench)/.*: warning:' .build-log.txt || (echo "warnings in our code: fix them" && exit 1)

release: deps
	swift build -c release --product handoff

# The import arrows of ARCHITECTURE.md, then formatting.
lint:
	.ci/check-imports.sh
	swift format lint --strict -r $(SWIFT_FORMAT_PATHS)

format:
	swift format -i -r $(SWIFT_FORMAT_PATHS)

migrate: release
	.build/release/handoff migrate

run: release
	.build/release/handoff migrate
	@echo "demo: http://127.0.0.1:8080/demo  (operator API key: $${HANDOFF_API_KEYS:-dev-local-key-change-me})"
	HANDOFF_COOKIE_SECURE=$${HANDOFF_COOKIE_SECURE:-false} HANDOFF_API_KEYS=$${HANDOFF_API_KEYS:-dev-local-key-change-me} \
		exec .build/release/handoff serve

# Every test, one at a time: the live-server tests bound latencies and rate-limit windows, which
# 220 tests at once on two cores (a browser among them) stretch past; serial is ~75 s, and exact.
# The PostgreSQL suites run against a throwaway server (.ci/postgres.sh), stopped and removed
# afterwards whatever the outcome, unless HANDOFF_TEST_POSTGRES names a server already.
# Every suite on SQLite, then the service's integration suites again with each test application on
# a scratch PostgreSQL database (HANDOFF_TEST_BACKEND=postgresql); SQLite-only tests skip, saying why.
unit: test-deps build venv
	if [ -z "$${HANDOFF_TEST_POSTGRES:-}" ]; then \
		pgdir=$$(mktemp -d /tmp/handoff-postgres.XXXXXX); trap '.ci/postgres.sh stop "$$pgdir"' EXIT; \
		server=$$(.ci/postgres.sh start "$$pgdir"); eval "$$server"; \
	fi; \
	HANDOFF_TEST_PYTHON=$(PYTHON) swift test --skip-build --no-parallel; \
	echo "second pass: the service's integration suites on PostgreSQL"; \
	HANDOFF_TEST_BACKEND=postgresql HANDOFF_TEST_PYTHON=$(PYTHON) \
		swift test --skip-build --no-parallel --filter HandoffServiceTests --skip '$(SQLITE_PASS_ONLY)'

# Suites the PostgreSQL pass leaves out: they already ran on PostgreSQL in the first pass (their
# names say Postgres, or they start nodes on it), they start no test application (so they would run
# on SQLite again), or they test pages, whose backend-dependent numbers other suites check on both.
SQLITE_PASS_ONLY := Postgres|ThreeNodeTests|MultiNodeTests|CrashSafetyTests|FaultTests|GatewayFaultMixTests|HandoffApplicationTests|TemplateImportTests|OutboxDispatcherTests|TimelineTests|QuietHoursPolicyTests|BrowserTests|ReportsPageTests

# schemathesis against the live server, from openapi.yaml.
contract: build venv
	Tests/Oracles/contract_check.sh $(CURDIR)/$(VENV)/bin .build/debug/handoff

fuzz-smoke:
	Fuzz/run-all.sh $(FUZZ_SECONDS)

fuzz:
	Fuzz/run-all.sh 0 $(FUZZ_RUNS)

# Faults at full size: kill -9 under 30 s of inbound load, kill -9 with 1,000 texts queued, the
# database locked and the disk full, gateway failures; then slow clients against a release build.
test-faults: build venv
	HANDOFF_FAULT_SECONDS=30 HANDOFF_FAULT_OUTBOUND=1000 HANDOFF_TEST_PYTHON=$(CURDIR)/$(VENV)/bin/python \
		swift test --skip-build --filter 'FaultTests|CrashSafetyTests|SMSDeliveryTests|OutboxDispatcherTests|GatewayFaultMixTests'
	bench/slow-clients.sh

test: test-deps lint unit contract fuzz-smoke

bench:
	bench/run-all.sh

clean:
	rm -rf .build Fuzz/.out bench/.out $(VENV) .build-log.txt
