#!/usr/bin/env bash
# Browser test of the explorer page: starts `<binary> serve --demo` on a free port with a fresh
# data dir, waits for /api/v1/health/ready, runs explorer.test.mjs against it, always stops it.
# Usage: tests/browser/run.sh <path-to-omics-match-binary>
# Screenshots: <repo>/target/screenshots/*.png
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:?usage: tests/browser/run.sh <path-to-omics-match-binary>}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
[ -x "$bin" ] || { echo "run.sh: $bin is not an executable" >&2; exit 2; }
command -v node >/dev/null || { echo "run.sh: node is required" >&2; exit 2; }

if [ ! -x /usr/bin/chromium ]; then
  echo "run.sh: installing chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  # A dpkg run cut off earlier (a killed session) blocks every install until it is finished.
  dpkg --configure -a >/dev/null 2>&1 || true
  apt-get install -y -qq chromium >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --fix-broken chromium >/dev/null; }
fi

# npm ci when node_modules is missing or was installed from another lockfile.
lock_sum=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [ ! -d "$here/node_modules/playwright-core" ] || [ "$(cat "$here/node_modules/.lock-sum" 2>/dev/null)" != "$lock_sum" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" > "$here/node_modules/.lock-sum"
fi

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
data=$(mktemp -d /tmp/omics-browser-test.XXXXXX)
log="$data/server.log"
"$bin" --data-dir "$data/data" serve --demo --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

base="http://127.0.0.1:$port"
ready=0
for _ in $(seq 1 120); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: the server exited; its log:" >&2; cat "$log" >&2; exit 1
  fi
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))' "$base/api/v1/health/ready"; then
    ready=1; break
  fi
  sleep 0.5
done
if [ "$ready" != 1 ]; then
  echo "run.sh: $base/api/v1/health/ready did not answer 200 within 60 s; server log:" >&2; tail -n 50 "$log" >&2; exit 1
fi

status=0
(cd "$here" && node explorer.test.mjs "$base") || status=$?
if [ "$status" != 0 ]; then
  echo "run.sh: the browser test failed; last lines of the server log:" >&2; tail -n 30 "$log" >&2
fi
exit "$status"
