#!/usr/bin/env bash
# `make test`: every test, on a fresh machine too.
#   1. starts the AWS emulator if none runs (installs it into infra/.venv on first use), and checks its
#      patches against moto's own answers (infra/moto_server_test.py)
#   2. rustfmt and clippy, then cargo test --workspace: unit tests, store tests against the emulator, end-to-end tests over HTTP,
#      schemathesis against the local stack (installed into infra/.venv-fuzz on first use)
#   3. a TypeScript client generated from docs/openapi.json, type-checked (npm packages pinned in infra/client)
#   4. sam validate --lint on every stack (installs aws-sam-cli into infra/.venv-tools on first use)
# Missing system packages (headless Chromium, Node.js) are installed first (infra/system-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export RUST_LOG="${RUST_LOG:-warn}"
export SAM_CLI_TELEMETRY=0

bash infra/system-tools.sh
make --no-print-directory fuzz-tools

started=0
if ! bash infra/emulator.sh status >/dev/null 2>&1; then
  bash infra/emulator.sh start
  started=1
fi
cleanup() {
  if [ "$started" = 1 ]; then bash infra/emulator.sh stop || true; fi
}
trap cleanup EXIT

echo "== emulator patches (infra/moto_server_test.py)"
infra/.venv/bin/python infra/moto_server_test.py

echo "== format"
cargo fmt --all -- --check

echo "== clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -q -- -D warnings

echo "== cargo test (unit, store, end-to-end)"
cargo test --workspace --locked

echo "== TypeScript client from the contract"
bash infra/client-check.sh

echo "== template lint"
make --no-print-directory sam-validate
