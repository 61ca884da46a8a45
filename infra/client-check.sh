#!/usr/bin/env bash
# Generates a TypeScript client from docs/openapi.json with a standard
# generator (openapi-typescript, pinned in infra/client/package-lock.json)
# and type-checks code that uses it (infra/client/client.ts) with tsc.
set -euo pipefail
cd "$(dirname "$0")/client"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npx --no-install openapi-typescript ../../docs/openapi.json -o generated/schema.d.ts
npx --no-install tsc --noEmit -p .
echo "client-check: generated/schema.d.ts type-checks against client.ts"
