# The two commands: `make dev` runs the system locally, `make test` runs every test.
SHELL := /bin/bash
CARGO ?= cargo
TOOLS_VENV := infra/.venv-tools

.PHONY: dev test emulator emulator-stop unit template openapi client-check fuzz-tools sam-validate sam-build bench bench-calls bench-meter fmt lint

## Run the whole system locally: emulator + provisioning + dev server + workers, demo tenant seeded.
dev: emulator
	$(CARGO) run -p devserver -- up

## Run every test: unit, store-against-emulator, end-to-end over HTTP, template lint.
test:
	bash infra/test.sh

emulator:
	bash infra/emulator.sh start

emulator-stop:
	bash infra/emulator.sh stop

## Write the route stacks (stacks/*.yaml and the root's entries for them) from the route tables and functions/*/stack.yaml.
template:
	$(CARGO) run -q -p devserver -- template

## Generate a TypeScript client from docs/openapi.json and type-check code that uses it.
client-check:
	bash infra/client-check.sh

## Regenerate docs/openapi.json from the code (a test fails when it is stale).
openapi:
	$(CARGO) run -q -p devserver -- openapi > docs/openapi.json

## The API fuzzer (schemathesis), for tests/api/fuzz.rs.
FUZZ_VENV := infra/.venv-fuzz
fuzz-tools: $(FUZZ_VENV)/.done
$(FUZZ_VENV)/.done: infra/requirements-fuzz.txt
	python3 -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-fuzz.txt
	touch $@

$(TOOLS_VENV)/.done: infra/requirements-tools.txt
	python3 -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-tools.txt
	touch $@

## Lint every stack (the root and stacks/*.yaml), then count each one's resources against its limit.
sam-validate: $(TOOLS_VENV)/.done
	for t in template.yaml stacks/*.yaml; do SAM_CLI_TELEMETRY=0 $(TOOLS_VENV)/bin/sam validate --lint -t $$t || exit 1; done
	$(TOOLS_VENV)/bin/python infra/resource_budget.py template.yaml

## Package every function as SAM would deploy it (cargo-lambda cross-compiles with zig, both from PyPI).
sam-build: $(TOOLS_VENV)/.done
	$(TOOLS_VENV)/bin/pip install --quiet --disable-pip-version-check cargo-lambda==1.9.2
	PATH="$(CURDIR)/$(TOOLS_VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 sam build

## Cold-start bench (release binaries against a local Lambda Runtime API).
bench:
	$(CARGO) build --release -p authorizer -p platform -p activities -p outbox -p identity -p notifications
	$(CARGO) run --release -p coldstart --bin coldstart

## DynamoDB calls per request on the main routes (local stack against the emulator).
bench-calls: emulator
	$(CARGO) run -q -p coldstart --bin dbcalls

## The billing metering worker: events per second and DynamoDB calls per event (local stack).
bench-meter: emulator
	$(CARGO) run -q -p coldstart --bin meter

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
