#!/usr/bin/env bash
# Soak test of omics-match: hold N connections for D seconds on a mixed read/write workload
# (benches/soak/mixed.lua, driven by wrk) against a fresh server with the demo data, sample the
# server's RSS every second, and fail unless there were zero errors and memory stayed flat.
#
#   benches/soak/soak.sh                  # the full run: 256 connections, 60 s, 2 wrk threads
#   benches/soak/soak.sh --duration 10    # the short CI variant
#
# Options:
#   --duration SECONDS   how long wrk runs (default 60)
#   --connections N      open connections held by wrk (default 256)
#   --threads N          wrk threads (default 2)
#   --timeout SECONDS    wrk's per-request timeout (default 10, see "Errors" below)
#   --bin PATH           the omics-match binary (default: $OMICS_BIN, else the release build in
#                        $CARGO_TARGET_DIR or $HOME/.cache/omics-target or ./target, else the
#                        debug build there)
#   --label TEXT         what the binary is, for the table (default: "release" or "debug" from
#                        its path)
#   --out DIR            where to keep the logs (default: a new /tmp/omics-soak.XXXXXX)
#   --no-writes          diagnostic only: drop POST/PATCH /platforms from the mix (reads and
#                        matches keep their relative weights), to tell apart what the writes cost
#
# Only 127.0.0.1 is targeted. The server gets its own data directory (SQLite) under --out and
# port 0 (the kernel picks a free port; it is read back from the server's log). The server is
# killed when the script exits, whatever the reason (trap on EXIT).
#
# Errors (any of them makes the exit status 1):
#   - a response with status >= 400 (counted by mixed.lua; every request is valid, so no 4xx
#     is expected; wrk's own "Non-2xx or 3xx responses" count is reported too);
#   - socket errors reported by wrk: connect, read, write, timeout. wrk counts as a timeout
#     every response slower than --timeout and leaves it out of its latency histogram; the
#     default of 10 s (wrk's own is 2 s) is there so that p99 and max show the real tail
#     instead of being cut at 2 s. Responses slower than 2 s are reported as a finding.
#   - the server died during the run, or logged an ERROR or a panic while the load ran (ERROR
#     lines logged at start, before the load, are reported but do not fail the run).
#
# Besides wrk's load, a probe times one request of each write/match kind every 3 s with curl
# (probe.tsv), because wrk's latency histogram mixes all kinds; its medians are in the table.
#
# Memory rule: let BASE be the RSS sampled WARMUP seconds after the load started, where
# WARMUP = 10 s, or half the duration for runs shorter than 20 s (so 5 s in the 10 s CI run).
# Memory is "flat" when the RSS at the end of the load is at most 25 % above BASE
# (END <= 1.25 * BASE). Start (before load) and maximum RSS are reported alongside, and VmRSS
# is split into RssAnon (heap) and RssFile (mapped files: the binary and tantivy's index
# segments, which tantivy mmaps) to tell a leak from a growing index; the server's thread count
# is sampled too (blocking work runs on a thread pool that grows with queued work).
set -euo pipefail

DURATION=60
CONNECTIONS=256
THREADS=2
TIMEOUT=10
BIN="${OMICS_BIN:-}"
OUT=""
LABEL=""
WRITES=1
FLAT_LIMIT_PCT=25

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --label) LABEL="$2"; shift 2 ;;
    --no-writes) WRITES=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "soak.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

for v in DURATION CONNECTIONS THREADS TIMEOUT; do
  if ! [[ "${!v}" =~ ^[0-9]+$ ]] || [ "${!v}" -lt 1 ]; then
    echo "soak.sh: --${v,,} must be a positive integer" >&2; exit 2
  fi
done
if [ "$DURATION" -gt 3600 ]; then echo "soak.sh: --duration is at most 3600" >&2; exit 2; fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
LUA="$HERE/mixed.lua"

# ------------------------------------------------------------------ tools and binary
need() { command -v "$1" >/dev/null 2>&1 || { echo "soak.sh: $1 is required" >&2; exit 2; }; }
need curl
need python3

if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  echo "soak.sh: installing wrk (apt-get install -y wrk)" >&2
  if ! $SUDO apt-get install -y wrk >&2; then
    $SUDO apt-get update >&2
    $SUDO apt-get install -y wrk >&2
  fi
fi
need wrk

if [ -z "$BIN" ]; then
  for dir in "${CARGO_TARGET_DIR:-}" "$HOME/.cache/omics-target" "$REPO/target"; do
    [ -n "$dir" ] || continue
    if [ -x "$dir/release/omics-match" ]; then BIN="$dir/release/omics-match"; break; fi
  done
fi
if [ -z "$BIN" ]; then
  for dir in "${CARGO_TARGET_DIR:-}" "$HOME/.cache/omics-target" "$REPO/target"; do
    [ -n "$dir" ] || continue
    if [ -x "$dir/debug/omics-match" ]; then BIN="$dir/debug/omics-match"; break; fi
  done
fi
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
  echo "soak.sh: no omics-match binary; build one (cargo build --release) or pass --bin PATH" >&2
  exit 2
fi

# ------------------------------------------------------------------ work dir, server, cleanup
if [ -z "$OUT" ]; then OUT="$(mktemp -d /tmp/omics-soak.XXXXXX)"; else mkdir -p "$OUT"; fi
DATA="$OUT/data"
mkdir -p "$DATA"
SERVER_LOG="$OUT/server.log"
RSS_LOG="$OUT/rss.tsv"
PROBE_LOG="$OUT/probe.tsv"
WRK_OUT="$OUT/wrk.txt"
SERVER_PID=""
SAMPLER_PID=""
PROBE_PID=""

cleanup() {
  local rc=$?
  for p in "$SAMPLER_PID" "$PROBE_PID"; do
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then kill "$p" 2>/dev/null || true; fi
  done
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "soak.sh: binary $BIN" >&2
echo "soak.sh: logs in $OUT" >&2
# wrk's 256 connections stand for many users but all come from 127.0.0.1: the per-address
# limit on anonymous matching (60 a minute by default) would answer most of them 429, so it is
# off here (its 429 with Retry-After is tested in crates/api/tests).
OMICS_RATE_LIMIT_ANONYMOUS_MATCH_PER_MINUTE=0 \
RUST_LOG="${RUST_LOG:-info}" "$BIN" serve --demo --host 127.0.0.1 --port 0 --data-dir "$DATA" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

PORT=""
for _ in $(seq 1 300); do   # at most 30 s for migrations, demo data and the index
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "soak.sh: the server exited at start; its log:" >&2; cat "$SERVER_LOG" >&2; exit 1
  fi
  PORT="$(sed 's/\x1b\[[0-9;]*m//g' "$SERVER_LOG" | grep -o 'listening on http://127\.0\.0\.1:[0-9]*' | head -1 | grep -o '[0-9]*$' || true)"
  if [ -n "$PORT" ] && curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/v1/health/ready" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$PORT" ] || ! curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/v1/health/ready"; then
  echo "soak.sh: the server did not become ready; its log:" >&2; cat "$SERVER_LOG" >&2; exit 1
fi
BASE_URL="http://127.0.0.1:$PORT"
API="$BASE_URL/api/v1"
echo "soak.sh: server pid $SERVER_PID on $BASE_URL" >&2

# ------------------------------------------------------------------ account, token, ids
RUN_TAG="$(date +%s)-$$"
EMAIL="soak-$RUN_TAG@example.org"
PASSWORD="soak test password $RUN_TAG"
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
ids_of() { python3 -c 'import json,sys; print(",".join(i["id"] for i in json.load(sys.stdin)["items"]))'; }

curl -fsS -o /dev/null "$API/auth/register" -H 'content-type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"display_name\":\"Soak Test\",\"role\":\"platform_manager\"}"
TOKEN="$(curl -fsS "$API/auth/token" -H 'content-type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" | json_field access_token)"

# Platforms owned by the soak account: the PATCH targets (demo platforms belong to another account).
OWN=""
for i in $(seq 1 16); do
  id="$(curl -fsS "$API/platforms" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "{
    \"name\": \"Soak patch target $RUN_TAG #$i\", \"organisation\": {\"name\": \"Soak Test Institute\", \"ror_id\": null},
    \"country\": \"PT\", \"city\": \"Lisbon\", \"maturity_level\": 2, \"readiness_areas\": [\"routine care\"],
    \"accepts_external_samples\": true, \"accepts_cross_border\": true, \"data_standards\": [\"VCF\"],
    \"capabilities\": [{\"technology\": \"WES\", \"instruments\": [\"NovaSeq X Plus\"], \"sample_types\": [\"FFPE\"],
      \"monthly_capacity\": 200, \"turnaround_days\": 21, \"accreditations\": [\"ISO 15189\"],
      \"services\": [\"wet lab\", \"bioinformatics\"]}]}" | json_field id)"
  OWN="${OWN:+$OWN,}$id"
done
PLATFORMS="$(curl -fsS "$API/platforms?limit=100" | ids_of)"
NEEDS="$(curl -fsS "$API/needs?limit=100" | ids_of)"
echo "soak.sh: $(echo "$PLATFORMS" | tr ',' '\n' | wc -l) platforms, $(echo "$NEEDS" | tr ',' '\n' | wc -l) needs, 16 own platforms" >&2

# ------------------------------------------------------------------ RSS sampler and probe
rss_line() { awk '/^VmRSS:/ {r=$2} /^RssAnon:/ {a=$2} /^RssFile:/ {f=$2} /^Threads:/ {n=$2} END {printf "%s\t%s\t%s\t%s", r+0, a+0, f+0, n+0}' "/proc/$SERVER_PID/status" 2>/dev/null || printf '0\t0\t0\t0'; }
START_LINE="$(rss_line)"
START_RSS="${START_LINE%%$'\t'*}"
printf 't_s\trss_kb\tanon_kb\tfile_kb\tthreads\n' >"$RSS_LOG"
LOG_LINES_BEFORE_LOAD="$(wc -l <"$SERVER_LOG")"
(
  # One sample a second while wrk runs, bounded: at most duration + 60 samples.
  t=0
  while [ "$t" -le $((DURATION + 60)) ] && kill -0 "$SERVER_PID" 2>/dev/null; do
    printf '%d\t%s\n' "$t" "$(rss_line)" >>"$RSS_LOG"
    sleep 1
    t=$((t + 1))
  done
) &
SAMPLER_PID=$!

MATCH_BODY='{"title":"Exomes for a lung cohort","technologies":[{"technology":"WES"}],"sample_type":"FFPE","sample_count":40,"readiness_area":"translational-research","country":"LT","deadline":"2027-06-30"}'
FIRST_NEED="${NEEDS%%,*}"
printf 't_s\tkind\tstatus\tseconds\n' >"$PROBE_LOG"
(
  # One request of each kind every 3 s while wrk runs (bounded by the duration and by 1000
  # rounds); each curl at most 30 s.
  begin=$SECONDS
  sleep 2
  n=0
  while [ $((SECONDS - begin)) -lt $((DURATION - 2)) ] && [ "$n" -lt 1000 ]; do
    n=$((n + 1))
    t=$((SECONDS - begin))
    probe() { printf '%d\t%s\t%s\n' "$t" "$1" "$(curl -s -o /dev/null -m 30 -w '%{http_code}\t%{time_total}' "${@:2}")" >>"$PROBE_LOG"; }
    probe search "$API/platforms?q=exome"
    probe need_matches "$API/needs/$FIRST_NEED/matches"
    probe post_matches "$API/matches" -H 'content-type: application/json' -d "$MATCH_BODY"
    probe post_platform "$API/platforms" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "{
      \"name\": \"Soak probe $RUN_TAG #$n\", \"organisation\": {\"name\": \"Soak Test Institute\", \"ror_id\": null},
      \"country\": \"PT\", \"city\": \"Lisbon\", \"maturity_level\": 2, \"readiness_areas\": [\"routine care\"],
      \"accepts_external_samples\": true, \"accepts_cross_border\": true, \"data_standards\": [\"VCF\"],
      \"capabilities\": [{\"technology\": \"WES\", \"sample_types\": [\"FFPE\"], \"monthly_capacity\": 50}]}"
    sleep 3
  done
) &
PROBE_PID=$!

# ------------------------------------------------------------------ load
echo "soak.sh: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --timeout ${TIMEOUT}s --latency -s mixed.lua $BASE_URL" >&2
set +e
SOAK_TOKEN="$TOKEN" SOAK_PLATFORMS="$PLATFORMS" SOAK_NEEDS="$NEEDS" SOAK_OWN="$OWN" SOAK_RUN="$RUN_TAG" SOAK_WRITES="$WRITES" \
  timeout $((DURATION + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout "${TIMEOUT}s" --latency \
  -s "$LUA" "$BASE_URL" >"$WRK_OUT" 2>&1
WRK_RC=$?
set -e
END_LINE="$(rss_line)"
END_RSS="${END_LINE%%$'\t'*}"
kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
for _ in $(seq 1 350); do kill -0 "$PROBE_PID" 2>/dev/null || break; sleep 0.1; done   # let a probe in flight finish
kill "$PROBE_PID" 2>/dev/null || true
wait "$PROBE_PID" 2>/dev/null || true
PROBE_PID=""

SERVER_ALIVE=yes
kill -0 "$SERVER_PID" 2>/dev/null || SERVER_ALIVE=no
if [ "$SERVER_ALIVE" = yes ] && ! curl -fsS -m 10 -o /dev/null "$API/health/ready"; then SERVER_ALIVE="no (not ready)"; fi
SERVER_LOG_ERRORS="$(tail -n +"$((LOG_LINES_BEFORE_LOAD + 1))" "$SERVER_LOG" | sed 's/\x1b\[[0-9;]*m//g' | grep -c -E ' ERROR |panicked' || true)"
START_LOG_ERRORS="$(head -n "$LOG_LINES_BEFORE_LOAD" "$SERVER_LOG" | sed 's/\x1b\[[0-9;]*m//g' | grep -c -E ' ERROR |panicked' || true)"

# ------------------------------------------------------------------ report
BIN_KIND="${LABEL:-$(case "$BIN" in */release/*) echo release ;; */debug/*) echo debug ;; *) echo "unknown build" ;; esac)}"
WARMUP=10
if [ "$DURATION" -lt 20 ]; then WARMUP=$((DURATION / 2)); fi

WRK_RC="$WRK_RC" START_RSS="$START_RSS" END_RSS="$END_RSS" START_LINE="$START_LINE" END_LINE="$END_LINE" PROBE_LOG="$PROBE_LOG" WARMUP="$WARMUP" FLAT_LIMIT_PCT="$FLAT_LIMIT_PCT" \
SERVER_ALIVE="$SERVER_ALIVE" SERVER_LOG_ERRORS="$SERVER_LOG_ERRORS" START_LOG_ERRORS="$START_LOG_ERRORS" WRITES="$WRITES" DURATION="$DURATION" CONNECTIONS="$CONNECTIONS" \
THREADS="$THREADS" TIMEOUT="$TIMEOUT" BIN="$BIN" BIN_KIND="$BIN_KIND" \
python3 - "$WRK_OUT" "$RSS_LOG" <<'PY'
import os, re, sys

wrk_out, rss_log = sys.argv[1], sys.argv[2]
text = open(wrk_out, encoding="utf-8", errors="replace").read()
soak = {}
for line in text.splitlines():
    if line.startswith("SOAK "):
        parts = line.split(" ", 2)
        soak[parts[1]] = parts[2] if len(parts) > 2 else ""
env = os.environ

def num(key, default=0):
    try:
        return float(soak.get(key, default))
    except ValueError:
        return default

non2xx = 0
m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
if m:
    non2xx = int(m.group(1))
wrk_socket = re.search(r"Socket errors:.*", text)

samples, full = [], []
for line in open(rss_log).read().splitlines()[1:]:
    t, kb, anon, fil, thr = (line.split("\t") + ["0", "0", "0"])[:5]
    if kb.isdigit() and int(kb) > 0:
        samples.append((int(t), int(kb)))
        full.append((int(t), int(kb), int(anon or 0), int(fil or 0), int(thr or 0)))
split4 = lambda s: [int(x or 0) for x in (s.split("\t") + ["0", "0", "0", "0"])[:4]]
start, start_anon, start_file, start_threads = split4(env["START_LINE"])
end, end_anon, end_file, end_threads = split4(env["END_LINE"])
if end == 0 and full:
    _, end, end_anon, end_file, end_threads = full[-1]
max_threads = max([row[4] for row in full] + [start_threads, end_threads])
warmup = int(env["WARMUP"])
base_row = next((row for row in full if row[0] >= warmup), (0, end, end_anon, end_file, end_threads))
base, base_anon, base_file = base_row[1], base_row[2], base_row[3]
peak = max([kb for _, kb in samples] + [start, end])
limit = int(env["FLAT_LIMIT_PCT"])
growth = (end - base) * 100.0 / base if base else float("inf")
flat = base > 0 and end <= base * (1 + limit / 100.0)

sock = {k: int(num("sock_" + k)) for k in ("connect", "read", "write", "timeout")}
lua_errors = int(num("lua_errors"))
requests = int(num("requests"))
wrk_ok = env["WRK_RC"] == "0" and requests > 0
slow = num("latency_max_ms") > 2000

errors = []
if not wrk_ok:
    errors.append(f"wrk failed (exit {env['WRK_RC']}, {requests} requests)")
if lua_errors or non2xx:
    errors.append(f"{max(lua_errors, non2xx)} responses with status >= 400")
if any(sock.values()):
    errors.append("socket errors " + ", ".join(f"{k} {v}" for k, v in sock.items() if v))
if env["SERVER_ALIVE"] != "yes":
    errors.append("server not alive/ready after the run: " + env["SERVER_ALIVE"])
if int(env["SERVER_LOG_ERRORS"]):
    errors.append(f"{env['SERVER_LOG_ERRORS']} ERROR/panic lines in the server log during the load")
if not flat:
    errors.append(f"memory not flat: end {end} kB is {growth:+.1f} % vs {base} kB after warm-up (limit +{limit} %)")

mb = lambda kb: f"{kb / 1024:.1f} MiB"
split_mb = lambda total, anon, fil: f"{mb(total)} (anon {mb(anon)}, file {mb(fil)})"
probes = {}
try:
    for line in open(env["PROBE_LOG"]).read().splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) == 4:
            probes.setdefault(parts[1], []).append((parts[2], float(parts[3])))
except (OSError, ValueError):
    pass
def probe_cell(kind):
    rows = probes.get(kind, [])
    if not rows:
        return "-"
    secs = sorted(s for _, s in rows)
    bad = sum(1 for st, _ in rows if not st.startswith("2"))
    return f"median {secs[len(secs) // 2] * 1000:.0f} ms, max {secs[-1] * 1000:.0f} ms ({len(rows)} probes{f', {bad} not 2xx' if bad else ''})"
statuses = ", ".join(f"{k[7:]}: {int(float(v))}" for k, v in sorted(soak.items()) if k.startswith("status_")) or "none"
sent = {k[5:]: int(float(v)) for k, v in soak.items() if k.startswith("sent_")}
total_sent = sum(sent.values()) or 1
groups = {
    "reads": ["search_platforms_q", "search_platforms_filter", "search_needs", "get_platform", "get_need", "list_platforms"],
    "matches": ["need_matches", "post_matches"],
    "writes": ["post_platform", "patch_platform"],
}
mix = ", ".join(f"{g} {sum(sent.get(k, 0) for k in ks) * 100.0 / total_sent:.1f} %" for g, ks in groups.items())

rows = [
    ("binary", f"{env['BIN_KIND']} ({env['BIN']})"),
    ("load", f"{env['CONNECTIONS']} connections, {env['THREADS']} wrk threads, {env['DURATION']} s, timeout {env['TIMEOUT']} s"
             + ("" if env["WRITES"] == "1" else "; DIAGNOSTIC --no-writes")),
    ("requests", f"{requests}"),
    ("requests/s", f"{num('rps'):.1f}"),
    ("latency p50", f"{num('latency_p50_ms'):.2f} ms"),
    ("latency p90", f"{num('latency_p90_ms'):.2f} ms"),
    ("latency p99", f"{num('latency_p99_ms'):.2f} ms"),
    ("latency max", f"{num('latency_max_ms'):.2f} ms"),
    ("mix issued", mix),
    ("statuses", statuses),
    ("status >= 400 (Lua) / non-2xx/3xx (wrk)", f"{lua_errors} / {non2xx}"),
    ("socket errors", f"connect {sock['connect']}, read {sock['read']}, write {sock['write']}, timeout {sock['timeout']}"),
    ("server after run", f"alive: {env['SERVER_ALIVE']}; ERROR/panic log lines during load: {env['SERVER_LOG_ERRORS']} (at start: {env['START_LOG_ERRORS']})"),
    ("probe under load: search", probe_cell("search")),
    ("probe under load: GET need matches", probe_cell("need_matches")),
    ("probe under load: POST /matches", probe_cell("post_matches")),
    ("probe under load: POST /platforms", probe_cell("post_platform")),
    ("RSS start (before load)", split_mb(start, start_anon, start_file)),
    (f"RSS after warm-up ({warmup} s)", split_mb(base, base_anon, base_file)),
    ("RSS max", mb(peak)),
    ("RSS end", split_mb(end, end_anon, end_file)),
    ("server threads start / max / end", f"{start_threads} / {max_threads} / {end_threads}"),
    ("memory flat", f"{'yes' if flat else 'NO'} (end {growth:+.1f} % vs after warm-up; rule: end <= +{limit} %)"),
    ("slowest response > 2 s", "yes" if slow else "no"),
    ("result", "PASS" if not errors else "FAIL: " + "; ".join(errors)),
]
w = max(len(k) for k, _ in rows)
print()
print(f"| {'metric'.ljust(w)} | value |")
print(f"| {'-' * w} | ----- |")
for k, v in rows:
    print(f"| {k.ljust(w)} | {v} |")
samples_err = [v for k, v in sorted(soak.items()) if k.startswith("error_sample_")]
if samples_err:
    print("\nfirst error responses:")
    for s in samples_err:
        print("  " + s[:500])
if not wrk_ok:
    print("\nwrk output:\n" + text[-3000:])
sys.exit(1 if errors else 0)
PY
