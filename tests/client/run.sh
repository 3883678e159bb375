#!/usr/bin/env bash
# The OpenAPI document as a front end meets it: (1) lints api-spec/openapi.json with Spectral
# (`spectral:oas`, .spectral.yaml) and Redocly (`recommended`, redocly.yaml), failing on any
# error and counting warnings; (2) generates schema.d.ts with openapi-typescript; (3) compiles
# flow.ts against it with `tsc --strict` into build/; (4) starts `<binary> serve` on a free port
# with a fresh data dir, waits for /api/v1/health/ready, and runs build/flow.js against it
# (register, sign in, publish a platform, post a need, find the platform among its matches);
# always stops the server. Nothing is fetched but the pinned packages (npm ci, first run only).
# Usage: tests/client/run.sh <path-to-omics-match-binary>
# Last line: `client: N passed, M failed`; the exit status is non-zero on any failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
spec="$repo/api-spec/openapi.json"
bin=${1:?usage: tests/client/run.sh <path-to-omics-match-binary>}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
passed=0
failed=0
finish() { echo "client: $passed passed, $failed failed"; }
die() { echo "run.sh: $*" >&2; failed=$((failed + 1)); finish; exit 1; }
[ -x "$bin" ] || die "$bin is not an executable"
command -v node >/dev/null || die "node is required"

# No telemetry, no update checks, nothing else over the network.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

# npm ci when node_modules is missing or was installed from another lockfile.
lock_sum=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [ ! -d "$here/node_modules/openapi-fetch" ] || [ "$(cat "$here/node_modules/.lock-sum" 2>/dev/null)" != "$lock_sum" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" > "$here/node_modules/.lock-sum"
fi
bin_dir="$here/node_modules/.bin"

work=$(mktemp -d /tmp/omics-client-test.XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# (1) Lint. Both linters write JSON reports; summarize-lint.mjs prints the counts and errors.
cd "$here"
"$bin_dir/spectral" lint --ruleset "$here/.spectral.yaml" --format json --output "$work/spectral.json" \
  --fail-severity error "$spec" >"$work/spectral.log" 2>&1 || true
"$bin_dir/redocly" lint --config "$here/redocly.yaml" --format json "$spec" >"$work/redocly.json" 2>"$work/redocly.log" || true
if node "$here/summarize-lint.mjs" "$work/spectral.json" "$work/redocly.json"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  cat "$work/spectral.log" >&2
  grep -v '^\s*$' "$work/redocly.log" | grep -iv 'node.js\|nodejs.org\|║\|╔\|╚' >&2 || true
fi

# (2) The typed client's schema; openapi-typescript validates the document with redocly.yaml too.
if "$bin_dir/openapi-typescript" "$spec" --output "$here/schema.d.ts" >"$work/generate.log" 2>&1; then
  passed=$((passed + 1))
  echo "generate: schema.d.ts ($(wc -l <"$here/schema.d.ts") lines)"
else
  failed=$((failed + 1))
  echo "generate: openapi-typescript failed:" >&2; cat "$work/generate.log" >&2
  finish; exit 1
fi

# (3) Compile the flow against it, strictly.
rm -rf "$here/build"
if "$bin_dir/tsc" -p "$here/tsconfig.json" --strict --noEmit false --outDir "$here/build"; then
  passed=$((passed + 1))
  echo "compile: flow.ts type-checks against schema.d.ts (tsc --strict)"
else
  failed=$((failed + 1))
  echo "compile: tsc failed" >&2
  finish; exit 1
fi

# (4) Run it against a live server.
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
log="$work/server.log"
"$bin" --data-dir "$work/data" serve --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
ready=0
for _ in $(seq 1 120); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: the server exited; its log:" >&2; cat "$log" >&2; failed=$((failed + 1)); finish; exit 1
  fi
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))' "$base/api/v1/health/ready"; then
    ready=1; break
  fi
  sleep 0.5
done
if [ "$ready" != 1 ]; then
  echo "run.sh: $base/api/v1/health/ready did not answer 200 within 60 s; server log:" >&2; tail -n 50 "$log" >&2
  failed=$((failed + 1)); finish; exit 1
fi

status=0
node "$here/build/flow.js" "$base" >"$work/flow.log" 2>&1 || status=$?
# flow.js ends with its own `client: N passed, M failed`; fold its counts into ours.
grep -v '^client: ' "$work/flow.log" || true
counts=$(sed -n 's/^client: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$work/flow.log" | tail -n1)
if [ -n "$counts" ]; then
  passed=$((passed + ${counts% *}))
  failed=$((failed + ${counts#* }))
fi
if [ "$status" != 0 ] || [ -z "$counts" ]; then
  [ "$failed" -gt 0 ] || failed=$((failed + 1))
  echo "run.sh: the flow failed; last lines of the server log:" >&2; tail -n 30 "$log" >&2
fi
finish
[ "$failed" = 0 ]
