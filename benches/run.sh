#!/usr/bin/env bash
# Measurement harness of omics-match (issue 5): one command, one table of every figure with its
# target and PASS/FAIL, optionally written with a machine description to benches/RESULTS.md.
#
#   benches/run.sh --size 100000 --write-results   # the full run (about 20-40 min on 2 cores)
#   benches/run.sh --size 10000                    # a quick one
#
# Options:
#   --size N           platforms and needs to generate (N of each; default 100000)
#   --skip-pg          leave out the PostgreSQL baseline (figure 3)
#   --keep DIR         work in DIR and keep it (generated data, data dir, logs, wrk outputs)
#                      and the omics_bench database; default: a temporary dir, removed at exit
#   --duration S       seconds of each measured wrk run (default 30)
#   --connections N    wrk connections (default 32); wrk threads: --threads (default 2)
#   --sample N         needs (and searches) in the latency samples (default 200)
#   --changes N        changes written while the server is down, figure 5 (ii) (default 10000)
#   --pg-url URL       PostgreSQL server (default $BENCH_PG_URL or
#                      postgres://postgres@127.0.0.1:5432); the database omics_bench on it is
#                      dropped and recreated
#   --write-results    write the table and the machine description to benches/RESULTS.md
#   --no-build         use the release binaries already built
#
# What it does, in order (every figure is in the table; the method is in RESULTS.md):
#   0. cargo build --release -p omics-match -p omics-datagen -p omics-benches (into $CARGO_TARGET_DIR if set)
#   1. omics-datagen N platforms + N needs; omics-match import both into a fresh SQLite
#      data dir: records/s and wall time (target >= 5,000 records/s)
#   2. omics-bench latency: in-process top-20 match with explanations over a sample of stored
#      needs (p50 target <= 2 ms) and the faceted platform search
#   3. pg_baseline: the same data in PostgreSQL, the same match as one SQL query per need
#      (target: ours >= 10x faster at p50) and the faceted search in SQL
#   4. wrk on loopback: GET /api/v1/needs/{id}/matches cycling over 1,000 need ids, the
#      faceted search, and the bare actix route (target: match throughput >= 30 % of bare)
#   5. memory (VmRSS after start, peak under load; target <= 1 GiB) and restart time until
#      /api/v1/health/ready answers 200 with index_lag 0: (i) index present (target <= 10 s),
#      (ii) after --changes changes written to the database while the server was down
#
# Servers run on 127.0.0.1 with port 0 (the port is read from their log) and are stopped when
# the script exits, whatever the reason. Anonymous matching is rate-limited by default; the
# server under test runs with OMICS_RATE_LIMIT_ANONYMOUS_MATCH_PER_MINUTE=0 (no limit).
# Exit status: 0 when every step ran (missed targets are shown as FAIL in the table), 1 when a
# step failed, 2 for bad usage or a missing prerequisite.
set -euo pipefail

SIZE=100000
SKIP_PG=0
KEEP=""
DURATION=30
CONNECTIONS=32
THREADS=2
SAMPLE=200
CHANGES=10000
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_DB=omics_bench
WRITE_RESULTS=0
BUILD=1

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "run.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE="$2"; shift 2 ;;
    --skip-pg) SKIP_PG=1; shift ;;
    --keep) KEEP="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --sample) SAMPLE="$2"; shift 2 ;;
    --changes) CHANGES="$2"; shift 2 ;;
    --pg-url) PG_URL="$2"; shift 2 ;;
    --write-results) WRITE_RESULTS=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
for v in SIZE DURATION CONNECTIONS THREADS SAMPLE CHANGES; do
  if ! [[ "${!v}" =~ ^[0-9]+$ ]] || [ "${!v}" -lt 1 ]; then die "--${v,,} must be a positive integer"; fi
done
PG_URL="${PG_URL%/}"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

# ------------------------------------------------------------------ prerequisites
for tool in cargo curl wrk python3 awk; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required (wrk: apt-get install wrk)"
done
if [ "$SKIP_PG" = 0 ]; then
  command -v psql >/dev/null 2>&1 || die "psql is required for the PostgreSQL baseline (or pass --skip-pg)"
  if ! psql "$PG_URL/postgres" -X -q -A -t -c 'SELECT 1' >/dev/null 2>&1; then
    die "PostgreSQL is not reachable at $PG_URL (start it, set --pg-url, or pass --skip-pg)"
  fi
fi

TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
BIN_DIR="$TARGET_DIR/release"
if [ "$BUILD" = 1 ]; then
  log "building release binaries (cargo build --release -p omics-match -p omics-datagen -p omics-benches)"
  (cd "$REPO" && cargo build --release -p omics-match -p omics-datagen -p omics-benches) >&2
fi
for b in omics-match omics-datagen latency pg_baseline bare_actix write_changes; do
  [ -x "$BIN_DIR/$b" ] || die "$BIN_DIR/$b is missing (build without --no-build)"
done

# ------------------------------------------------------------------ work dir and cleanup
if [ -n "$KEEP" ]; then
  mkdir -p "$KEEP"
  WORK="$(cd "$KEEP" && pwd)"
  [ -z "$(ls -A "$WORK")" ] || die "--keep $KEEP is not empty"
else
  WORK="$(mktemp -d /tmp/omics-bench.XXXXXX)"
fi
GEN="$WORK/gen"
DATA="$WORK/data"
FIG="$WORK/figures.txt"   # every figure as "key value", read by the report
mkdir -p "$GEN" "$WORK/bin"
: >"$FIG"
# Copies of the binaries: another build into a shared target dir cannot swap them mid-run.
for b in omics-match omics-datagen latency pg_baseline bare_actix write_changes; do cp "$BIN_DIR/$b" "$WORK/bin/"; done
BIN_DIR="$WORK/bin"
OMICS="$BIN_DIR/omics-match"
SERVER_PID=""
BARE_PID=""
SAMPLER_PID=""

stop_pid() {   # stop a process we started: TERM, up to 30 s, then KILL
  local pid="$1"
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop_pid "$SAMPLER_PID"
  stop_pid "$SERVER_PID"
  stop_pid "$BARE_PID"
  if [ -z "$KEEP" ]; then
    rm -rf "$WORK"
    if [ "$SKIP_PG" = 0 ]; then psql "$PG_URL/postgres" -X -q -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true; fi
  fi
  if [ "$rc" -ne 0 ]; then echo "run.sh: failed (exit $rc); logs were in $WORK${KEEP:+ (kept)}" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fig() { echo "$1 $2" >>"$FIG"; }
# Append the "key value" lines of a file (optionally only those starting with a prefix,
# stripped, and renamed with another prefix).
collect() {   # file [line-prefix] [key-prefix]
  local file="$1" strip="${2:-}" add="${3:-}"
  grep -E "^${strip}[a-z0-9_]+ " "$file" | sed "s/^${strip}/${add}/" >>"$FIG" || true
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
WORKERS="$(nproc)"

log "size $SIZE platforms + $SIZE needs; work dir $WORK"
fig size "$SIZE"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------------ 1. generate and import
t0="$(now)"
"$BIN_DIR/omics-datagen" --platforms "$SIZE" --needs "$SIZE" --seed 42 --out-dir "$GEN" 2>"$WORK/generate.log"
fig generate_s "$(since "$t0")"
log "generated in $(tail -1 "$FIG" | cut -d' ' -f2) s; importing"

t0="$(now)"
"$OMICS" --data-dir "$DATA" import "$GEN/platforms.json" --owner bench@omics-match.invalid >"$WORK/import.log" 2>&1
"$OMICS" --data-dir "$DATA" import "$GEN/needs.json" --owner bench@omics-match.invalid >>"$WORK/import.log" 2>&1
IMPORT_S="$(since "$t0")"
fig import_s "$IMPORT_S"
fig import_records_per_s "$(awk -v n="$((2 * SIZE))" -v s="$IMPORT_S" 'BEGIN { printf "%.0f", n / s }')"
fig data_dir_mb "$(du -sm "$DATA" | cut -f1)"
log "imported $((2 * SIZE)) records in $IMPORT_S s"

# ------------------------------------------------------------------ 2. in-process latency
log "in-process latency (sample $SAMPLE)"
"$BIN_DIR/latency" --data-dir "$DATA" --needs "$GEN/needs.json" --sample "$SAMPLE" \
  --match-paths "$WORK/match-paths.txt" --search-paths "$WORK/search-paths.txt" --top-out "$WORK/top20.tsv" \
  >"$WORK/latency.txt" 2>"$WORK/latency.log"
collect "$WORK/latency.txt"

# ------------------------------------------------------------------ 3. PostgreSQL baseline
if [ "$SKIP_PG" = 0 ]; then
  log "PostgreSQL baseline: loading $PG_DB and timing the same sample"
  psql "$PG_URL/postgres" -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" >/dev/null
  "$BIN_DIR/pg_baseline" --url "$PG_URL/$PG_DB" --platforms "$GEN/platforms.json" --needs "$GEN/needs.json" \
    --sample "$SAMPLE" --compare "$WORK/top20.tsv" >"$WORK/pg.txt" 2>"$WORK/pg.log"
  collect "$WORK/pg.txt"
fi

# ------------------------------------------------------------------ servers
SERVER_LOG=""
PORT=""
# Start omics-match on $DATA and wait until ready with index lag 0; sets SERVER_PID, PORT
# and READY_S (seconds from process start).
start_server() {   # log file
  SERVER_LOG="$1"
  local t0
  t0="$(now)"
  OMICS_RATE_LIMIT_ANONYMOUS_MATCH_PER_MINUTE=0 OMICS_WORKERS="$WORKERS" \
    "$OMICS" --data-dir "$DATA" serve --host 127.0.0.1 --port 0 >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  PORT=""
  local end=$(( $(date +%s) + 900 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "run.sh: the server exited at start; its log:" >&2; cat "$SERVER_LOG" >&2; exit 1
    fi
    if [ -z "$PORT" ]; then
      PORT="$(sed 's/\x1b\[[0-9;]*m//g' "$SERVER_LOG" | grep -o 'listening on http://127\.0\.0\.1:[0-9]*' | head -1 | grep -o '[0-9]*$' || true)"
    fi
    if [ -n "$PORT" ] && curl -fsS -m 2 "http://127.0.0.1:$PORT/api/v1/health/ready" 2>/dev/null | grep -q '"index_lag":0[,}]'; then
      READY_S="$(since "$t0")"
      return 0
    fi
    sleep 0.02
  done
  echo "run.sh: the server was not ready with index lag 0 within 900 s; its log:" >&2; tail -50 "$SERVER_LOG" >&2; exit 1
}
stop_server() { stop_pid "$SERVER_PID"; SERVER_PID=""; }

# Sample a process's VmRSS (kB) and thread count every 0.25 s into a file until stopped.
start_sampler() {   # pid file
  ( while kill -0 "$1" 2>/dev/null; do
      awk '/^VmRSS:/ {r = $2} /^Threads:/ {t = $2} END {print r + 0, t + 0}' "/proc/$1/status" 2>/dev/null >>"$2" || true
      sleep 0.25
    done ) &
  SAMPLER_PID=$!
}
stop_sampler() { stop_pid "$SAMPLER_PID"; SAMPLER_PID=""; }

# wrk against a base URL cycling over a paths file; figures go in as http_<name>_<key>.
run_wrk() {   # name base-url paths-file seconds
  local out="$WORK/wrk-$1.txt"
  WRK_PATHS="$3" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${4}s" --timeout 10s -s "$HERE/wrk/paths.lua" "$2" >"$out" 2>&1 || {
    echo "run.sh: wrk failed for $1:" >&2; cat "$out" >&2; exit 1; }
  collect "$out" 'WRK ' "http_$1_"
}

# ------------------------------------------------------------------ 4 and 5. HTTP, memory
log "starting the server on the imported data"
start_server "$WORK/server-1.log"
fig start_first_s "$READY_S"
sleep 2
fig rss_start_kb "$(rss_kb "$SERVER_PID")"
BASE="http://127.0.0.1:$PORT"
log "server ready in $READY_S s on $BASE; wrk ${DURATION}s x $CONNECTIONS connections, $THREADS threads"

run_wrk warmup "$BASE" "$WORK/match-paths.txt" 5
start_sampler "$SERVER_PID" "$WORK/rss-load.txt"
run_wrk match "$BASE" "$WORK/match-paths.txt" "$DURATION"
run_wrk search "$BASE" "$WORK/search-paths.txt" "$DURATION"
stop_sampler
fig rss_peak_load_kb "$(awk '$1 > m {m = $1} END {print m + 0}' "$WORK/rss-load.txt")"
fig threads_peak_load "$(awk '$2 > m {m = $2} END {print m + 0}' "$WORK/rss-load.txt")"
fig rss_hwm_kb "$(hwm_kb "$SERVER_PID")"
stop_server

log "bare actix baseline ($WORKERS workers)"
"$BIN_DIR/bare_actix" --workers "$WORKERS" >"$WORK/bare.log" 2>&1 &
BARE_PID=$!
BARE_PORT=""
for _ in $(seq 1 200); do
  BARE_PORT="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/bare.log" | head -1 | grep -o '[0-9]*$' || true)"
  [ -n "$BARE_PORT" ] && break
  sleep 0.05
done
[ -n "$BARE_PORT" ] || { echo "run.sh: bare_actix did not start:" >&2; cat "$WORK/bare.log" >&2; exit 1; }
echo "/hello" >"$WORK/bare-paths.txt"
run_wrk bare_warmup "http://127.0.0.1:$BARE_PORT" "$WORK/bare-paths.txt" 3
run_wrk bare "http://127.0.0.1:$BARE_PORT" "$WORK/bare-paths.txt" "$DURATION"
stop_pid "$BARE_PID"
BARE_PID=""

log "restart (i): index present"
start_server "$WORK/server-2.log"
fig restart_index_s "$READY_S"
stop_server

log "restart (ii): $CHANGES changes written while the server is down"
"$BIN_DIR/write_changes" --data-dir "$DATA" --count "$CHANGES" >"$WORK/changes.txt" 2>"$WORK/changes.log"
collect "$WORK/changes.txt"
start_server "$WORK/server-3.log"
fig restart_changes_s "$READY_S"
fig restart_changes_applied "$(sed 's/\x1b\[[0-9;]*m//g' "$WORK/server-3.log" | grep -o 'applied=[0-9]*' | head -1 | cut -d= -f2 || true)"
stop_server

# ------------------------------------------------------------------ report
log "report"
MACHINE="$WORK/machine.txt"
{
  echo "cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "cores $(nproc)"
  echo "ram $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "kernel $(uname -sr)"
  echo "rustc $(rustc --version 2>/dev/null || echo unknown)"
  echo "wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
  if [ "$SKIP_PG" = 0 ]; then echo "postgres $(psql "$PG_URL/postgres" -X -A -t -c 'SHOW server_version' 2>/dev/null || echo unknown)"; fi
  echo "commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "load $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (1/5/15-min load averages)"
} >"$MACHINE"

ARGS="--size $SIZE --duration $DURATION --connections $CONNECTIONS --threads $THREADS --sample $SAMPLE --changes $CHANGES"
if [ "$SKIP_PG" = 1 ]; then ARGS="$ARGS --skip-pg"; fi
RESULTS="$HERE/RESULTS.md"
[ "$WRITE_RESULTS" = 1 ] || RESULTS=""
python3 "$HERE/report.py" --figures "$FIG" --machine "$MACHINE" --args "$ARGS" --workers "$WORKERS" ${RESULTS:+--write "$RESULTS"}
[ -z "$RESULTS" ] || log "wrote $RESULTS"
