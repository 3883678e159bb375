#!/usr/bin/env bash
# Cold start of a new replica (issue 14): "a new replica joining a database of 100,000 +
# 100,000 records is ready in <= 10 s". Run by hand, not in CI:
#
#   benches/coldstart.sh                      # generate, import into PostgreSQL, 3 cold starts
#   benches/coldstart.sh --reuse --runs 5     # the database is already loaded: cold starts only
#
# Options:
#   --size N        platforms and needs to generate and import (N of each; default 100000)
#   --runs N        cold starts to time (default 3); each on a new, empty data dir
#   --pg-url URL    PostgreSQL server (default $BENCH_PG_URL or postgres://postgres@127.0.0.1:5432);
#                   the database omics_coldstart on it is dropped and loaded again
#   --reuse         keep omics_coldstart as it is (loaded by an earlier run) and only time starts
#   --keep DIR      work in DIR and keep it (generated data, logs); default: a temporary dir
#   --no-build      use the release binaries already built
#
# What it does:
#   0. cargo build --release -p omics-match -p omics-datagen (into $CARGO_TARGET_DIR if set)
#   1. omics-datagen N platforms + N needs (seed 42); omics-match import both into the fresh
#      PostgreSQL database omics_coldstart (the importer's own index is thrown away)
#   2. per run: omics-match serve on that database with a new, empty data dir and port 0, timed
#      from spawning the process until GET /api/v1/health/ready answers 200 with index_lag 0
#      (polled every 20 ms); the server's log says where the time went ("search index and
#      catalogue built", secs: the one scan of a new replica; or, for an index that was not
#      empty, "search index caught up" and "catalogue loaded"), and /proc the CPU seconds the
#      server used until then (user + system, all threads: the work, whatever else runs)
# The database is left in place (drop it with: psql URL/postgres -c 'DROP DATABASE omics_coldstart').
set -euo pipefail

SIZE=100000
RUNS=3
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_DB=omics_coldstart
REUSE=0
KEEP=""
BUILD=1

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "coldstart.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --pg-url) PG_URL="$2"; shift 2 ;;
    --reuse) REUSE=1; shift ;;
    --keep) KEEP="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
for v in SIZE RUNS; do
  if ! [[ "${!v}" =~ ^[0-9]+$ ]] || [ "${!v}" -lt 1 ]; then die "--${v,,} must be a positive integer"; fi
done
PG_URL="${PG_URL%/}"
DB_URL="$PG_URL/$PG_DB"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

for tool in cargo curl psql awk; do command -v "$tool" >/dev/null 2>&1 || die "$tool is required"; done
psql "$PG_URL/postgres" -X -q -A -t -c 'SELECT 1' >/dev/null 2>&1 || die "PostgreSQL is not reachable at $PG_URL"

TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
if [ "$BUILD" = 1 ]; then
  log "building release binaries (cargo build --release -p omics-match -p omics-datagen)"
  (cd "$REPO" && cargo build --release -p omics-match -p omics-datagen) >&2
fi
for b in omics-match omics-datagen; do [ -x "$TARGET_DIR/release/$b" ] || die "$TARGET_DIR/release/$b is missing"; done

if [ -n "$KEEP" ]; then
  mkdir -p "$KEEP"
  WORK="$(cd "$KEEP" && pwd)"
else
  WORK="$(mktemp -d /tmp/omics-coldstart.XXXXXX)"
fi
mkdir -p "$WORK/bin"
for b in omics-match omics-datagen; do cp "$TARGET_DIR/release/$b" "$WORK/bin/"; done
OMICS="$WORK/bin/omics-match"
SERVER_PID=""
cleanup() {
  local rc=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  [ -n "$KEEP" ] || rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export OMICS_JWT_SECRET="coldstart-benchmark-secret-of-at-least-32-bytes"

# ------------------------------------------------------------------ 1. the database
if [ "$REUSE" = 0 ]; then
  log "generating $SIZE platforms + $SIZE needs"
  "$WORK/bin/omics-datagen" --platforms "$SIZE" --needs "$SIZE" --seed 42 --out-dir "$WORK/gen" 2>"$WORK/generate.log"
  psql "$PG_URL/postgres" -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" >/dev/null
  log "importing into $DB_URL"
  t0="$(now)"
  for f in platforms needs; do
    DATABASE_URL="$DB_URL" "$OMICS" --data-dir "$WORK/import-data" import "$WORK/gen/$f.json" --owner bench@omics-match.invalid >>"$WORK/import.log" 2>&1
  done
  log "imported $((2 * SIZE)) records in $(since "$t0") s"
  rm -rf "$WORK/import-data"
fi
RECORDS="$(psql "$DB_URL" -X -A -t -c 'SELECT count(*) FROM records')"
CHANGES="$(psql "$DB_URL" -X -A -t -c 'SELECT count(*) FROM change_log')"
DB_MB="$(psql "$DB_URL" -X -A -t -c "SELECT pg_database_size('$PG_DB') / 1048576")"
log "database: $RECORDS records, $CHANGES change-log entries, $DB_MB MB"

# ------------------------------------------------------------------ 2. cold starts
TIMES=()
for run in $(seq 1 "$RUNS"); do
  DATA="$WORK/replica-$run"
  LOG="$WORK/server-$run.log"
  rm -rf "$DATA"
  sync
  t0="$(now)"
  DATABASE_URL="$DB_URL" RUST_LOG=info "$OMICS" --data-dir "$DATA" serve --host 127.0.0.1 --port 0 >"$LOG" 2>&1 &
  SERVER_PID=$!
  PORT=""
  READY=""
  end=$(( $(date +%s) + 600 ))
  while [ "$(date +%s)" -lt "$end" ]; do
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "coldstart.sh: the server exited; its log:" >&2; cat "$LOG" >&2; exit 1; }
    if [ -z "$PORT" ]; then
      PORT="$(sed 's/\x1b\[[0-9;]*m//g' "$LOG" | grep -o 'listening on http://127\.0\.0\.1:[0-9]*' | head -1 | grep -o '[0-9]*$' || true)"
    fi
    if [ -n "$PORT" ] && curl -fsS -m 2 "http://127.0.0.1:$PORT/api/v1/health/ready" 2>/dev/null | grep -q '"index_lag":0[,}]'; then
      READY="$(since "$t0")"
      break
    fi
    sleep 0.02
  done
  [ -n "$READY" ] || { echo "coldstart.sh: not ready within 600 s; its log:" >&2; tail -30 "$LOG" >&2; exit 1; }
  PLAIN="$(sed 's/\x1b\[[0-9;]*m//g' "$LOG")"
  INDEX_S="$(grep -o 'search index caught up.*' <<<"$PLAIN" | grep -o 'secs=[0-9.]*' | head -1 | cut -d= -f2 || true)"
  APPLIED="$(grep -o 'search index caught up.*' <<<"$PLAIN" | grep -o 'applied=[0-9]*' | head -1 | cut -d= -f2 || true)"
  BUILT_S="$(grep -o 'search index and catalogue built.*' <<<"$PLAIN" | grep -o 'secs=[0-9.]*' | head -1 | cut -d= -f2 || true)"
  CATALOGUE_S="$(grep -o 'catalogue loaded.*' <<<"$PLAIN" | grep -o 'secs=[0-9.]*' | head -1 | cut -d= -f2 || true)"
  RSS_MB="$(awk '/^VmRSS:/ {printf "%d", $2 / 1024}' "/proc/$SERVER_PID/status" 2>/dev/null || echo '?')"
  # CPU seconds the server used until ready (user + system, all threads): the work, whatever the load.
  CPU_S="$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$SERVER_PID/stat" 2>/dev/null || echo '?')"
  if [ -n "$BUILT_S" ]; then
    WHERE="index and catalogue built in one scan: $BUILT_S s"
  else
    WHERE="index from the change log: ${INDEX_S:-?} s${APPLIED:+, $APPLIED changes replayed}; catalogue: ${CATALOGUE_S:-?} s"
  fi
  echo "run $run: ready with index lag 0 in $READY s ($WHERE; server CPU $CPU_S s; RSS $RSS_MB MiB; index $(du -sm "$DATA/index" | cut -f1) MB)"
  TIMES+=("$READY")
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  rm -rf "$DATA"
done
MEDIAN="$(printf '%s\n' "${TIMES[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')"
echo "cold start of a new replica on $RECORDS records ($CHANGES change-log entries): median $MEDIAN s over $RUNS runs (${TIMES[*]} s); target <= 10 s"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
