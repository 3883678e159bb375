#!/usr/bin/env bash
# API fuzzing of omics-match with schemathesis.
#
#   tests/fuzz/run.sh [path/to/omics-match]
#
# Starts the binary (default: $CARGO_TARGET_DIR/debug/omics-match, else target/debug/omics-match)
# on a free loopback port with a throw-away data dir and --demo, then runs schemathesis over every
# operation of the live /api-docs/openapi.json twice: anonymous, and with the bearer token of a
# freshly registered platform_manager. Checks: not_a_server_error, response_schema_conformance,
# status_code_conformance, content_type_conformance, response_headers_conformance.
# Stops by itself (examples per operation are bounded, each run is under a timeout), kills the
# server on exit, and exits non-zero if any check failed, schemathesis errored, or fewer than
# FUZZ_MIN_REQUESTS requests were sent. Last line: `fuzz: N requests, M failures`.
#
# Knobs (environment):
#   FUZZ_VENV          venv holding schemathesis (default $HOME/.cache/omics-fuzz-venv)
#   FUZZ_MAX_EXAMPLES  schemathesis --max-examples, per operation and run (default 100)
#   FUZZ_SEED          schemathesis --seed (default 20261129; the authenticated run uses SEED+1)
#   FUZZ_TIMEOUT       wall-clock limit, seconds, for each schemathesis run (default 200)
#   FUZZ_WORKERS       schemathesis --workers (default 1: one worker keeps a seeded run repeatable)
#   FUZZ_MIN_REQUESTS  fail below this many requests over both runs (default 2000)
#   FUZZ_OUT           folder for reports and logs (default: a new temp dir, printed at the end)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

venv="${FUZZ_VENV:-$HOME/.cache/omics-fuzz-venv}"
max_examples="${FUZZ_MAX_EXAMPLES:-100}"
seed="${FUZZ_SEED:-20261129}"
run_timeout="${FUZZ_TIMEOUT:-200}"
workers="${FUZZ_WORKERS:-1}"
min_requests="${FUZZ_MIN_REQUESTS:-2000}"
bin="${1:-${CARGO_TARGET_DIR:-$repo/target}/debug/omics-match}"

log() { printf 'fuzz: %s\n' "$*" >&2; }
die() { log "error: $*"; echo "fuzz: 0 requests, 1 failures"; exit 2; }

[ -x "$bin" ] || die "no executable binary at $bin (pass its path as the first argument)"

# ---------------------------------------------------------------- venv (PyPI only)
req="$here/requirements.txt"
req_sum="$(sha256sum "$req" | cut -d' ' -f1)"
stamp="$venv/.omics-fuzz-requirements.sha256"
if [ ! -x "$venv/bin/schemathesis" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$req_sum" ]; then
  log "installing $(grep -m1 '^schemathesis==' "$req") into $venv"
  python3 -m venv "$venv"
  # Packages come from the package index only, never from a local wheel folder.
  env -u PIP_FIND_LINKS -u PIP_NO_INDEX "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  echo "$req_sum" > "$stamp"
fi
st="$venv/bin/schemathesis"
py="$venv/bin/python"
log "$("$st" --version)"

# ---------------------------------------------------------------- server
work="$(mktemp -d "${TMPDIR:-/tmp}/omics-fuzz.XXXXXX")"
out="${FUZZ_OUT:-$work/out}"
mkdir -p "$out" "$work/data"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work/data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
# Rate limits off: the fuzzer should reach validation, not the limiter (429 is documented and
# tested in crates/api/tests/api.rs).
OMICS_RATE_LIMIT_AUTH_PER_MINUTE=0 OMICS_RATE_LIMIT_ANONYMOUS_MATCH_PER_MINUTE=0 \
"$bin" serve --demo --data-dir "$work/data" --port "$port" > "$out/server.log" 2>&1 &
server_pid=$!
log "server pid $server_pid on $base (log: $out/server.log)"

ready=""
for _ in $(seq 300); do
  kill -0 "$server_pid" 2>/dev/null || { tail -20 "$out/server.log" >&2; die "server exited during start-up"; }
  if curl -fsS -o /dev/null --max-time 2 "$base/api/v1/health/ready" 2>/dev/null; then ready=1; break; fi
  sleep 0.2
done
[ -n "$ready" ] || die "server not ready after 60 s"

# ---------------------------------------------------------------- account and token
email="fuzz-$$-$RANDOM@example.org"
password="fuzz-password-$RANDOM-$RANDOM"
code="$(curl -sS -o "$out/register.json" -w '%{http_code}' --max-time 30 "$base/api/v1/auth/register" \
  -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\",\"display_name\":\"Fuzz Manager\",\"role\":\"platform_manager\"}")"
[ "$code" = 201 ] || die "register returned $code: $(cat "$out/register.json")"
token="$(curl -sS --max-time 30 "$base/api/v1/auth/token" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" \
  | "$py" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')" \
  || die "could not get a token"

# ---------------------------------------------------------------- schemathesis
# - Schemathesis 4.32 spots register/token and tries to sign up by itself (and crashes on this
#   schema with a StopIteration); both runs say who they are explicitly instead.
# - Its Location-header link inference (stateful phase) builds a link from POST /needs and
#   POST /platforms to GET /vocabularies/{name} with a parameter `id` that operation lacks, and
#   reports that as an error of the run; links inferred from the schema's dependencies still work.
cat > "$work/schemathesis.toml" <<'EOF'
[auth]
auto-signup = false

[phases.stateful.inference]
algorithms = ["dependency-analysis"]
EOF

checks=not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance
if "$st" run --help | grep -q response_headers_conformance; then
  checks="$checks,response_headers_conformance"
fi

status=0
run_st() { # name seed [extra args...]
  local name="$1" s="$2"; shift 2
  local rc=0
  mkdir -p "$out/$name"
  log "schemathesis run ($name), seed $s, --max-examples $max_examples"
  # Run from the report folder so nothing (e.g. .hypothesis/) lands in the work tree.
  ( cd "$out/$name" && timeout --kill-after=10 "$run_timeout" \
      "$st" --config-file "$work/schemathesis.toml" run "$base/api-docs/openapi.json" \
      --checks "$checks" \
      --max-examples "$max_examples" \
      --seed "$s" \
      --workers "$workers" \
      --continue-on-failure \
      --generation-database none \
      --request-timeout 20 \
      --wait-for-schema 30 \
      --no-color \
      --report junit,ndjson --report-dir "$out/$name" \
      --report-junit-path junit.xml --report-ndjson-path events.ndjson \
      "$@" ) > "$out/$name/output.txt" 2>&1 || rc=$?
  # Keep the log short: errors and failures (first 400 lines), then the summary.
  sed -n '/^=* \(ERRORS\|FAILURES\) =*$/,/^=* \(WARNINGS\|SUMMARY\) =*$/p' "$out/$name/output.txt" | head -400 >&2 || true
  sed -n '/^=* SUMMARY =*$/,$p' "$out/$name/output.txt" >&2 || true
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then log "$name: schemathesis hit the ${run_timeout}s timeout"; fi
  log "$name: schemathesis exit code $rc"
  [ "$rc" = 0 ] || status=1
}

run_st anonymous "$seed"
run_st authenticated "$((seed + 1))" -H "Authorization: Bearer $token"

# ---------------------------------------------------------------- summary
# Requests = recorded request/response interactions; failures = distinct (operation, check,
# status code, first line of the message) over both runs.
summary="$("$py" - "$out" "$min_requests" <<'EOF'
import json, sys, pathlib
out, min_requests = pathlib.Path(sys.argv[1]), int(sys.argv[2])
total, distinct, lines = 0, {}, []
for name in ("anonymous", "authenticated"):
    path = out / name / "events.ndjson"
    requests = failing_cases = 0
    if path.exists():
        for raw in path.open():
            event = json.loads(raw)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            rec = finished["recorder"]
            requests += len(rec.get("interactions", {}))
            for case_id, checks in rec.get("checks", {}).items():
                failed = [c for c in checks if c.get("status") == "failure"]
                if failed:
                    failing_cases += 1
                inter = rec.get("interactions", {}).get(case_id) or {}
                code = (inter.get("response") or {}).get("status_code")
                for c in failed:
                    f = (c.get("failure_info") or {}).get("failure") or {}
                    op = f.get("operation") or rec.get("label")
                    first = (f.get("message") or f.get("title") or "").strip().splitlines()
                    key = (op, c["name"], code, first[0][:160] if first else "")
                    distinct.setdefault(key, set()).add(name)
    total += requests
    lines.append(f"fuzz: {name}: {requests} requests, {failing_cases} failing test cases")
for (op, check, code, msg), runs in sorted(distinct.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]))):
    lines.append(f"fuzz:   FAIL {op} [{check}] status {code} ({'+'.join(sorted(runs))}): {msg}")
if total < min_requests:
    lines.append(f"fuzz: only {total} requests, fewer than the required {min_requests}")
lines.append(f"{total} {len(distinct)} {int(total < min_requests)}")
print("\n".join(lines))
EOF
)"
counts="$(tail -1 <<<"$summary")"
read -r n_requests n_failures too_few <<<"$counts"
sed '$d' <<<"$summary"
log "reports, responses and server log: $out"
[ "$too_few" = 0 ] || status=1
[ "$n_failures" = 0 ] || status=1
echo "fuzz: $n_requests requests, $n_failures failures"
exit "$status"
