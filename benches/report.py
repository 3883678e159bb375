#!/usr/bin/env python3
"""The report of benches/run.sh: one table of every figure with its target and PASS/FAIL,
printed, and with --write also written with the machine description and the method to a
Markdown file (benches/RESULTS.md). Reads the "key value" figures file that run.sh fills."""

import argparse
import sys

p = argparse.ArgumentParser()
p.add_argument("--figures", required=True)
p.add_argument("--machine", required=True)
p.add_argument("--args", default="")
p.add_argument("--workers", default="?")
p.add_argument("--write")
a = p.parse_args()


def read_pairs(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if " " in line:
            k, v = line.split(" ", 1)
            out[k] = v
    return out


F = read_pairs(a.figures)
M = read_pairs(a.machine)


def num(key):
    try:
        return float(F[key])
    except (KeyError, ValueError):
        return None


def ms(v):
    return "n/a" if v is None else (f"{v:.2f} ms" if v < 100 else f"{v:.0f} ms")


def mib(kb):
    return "n/a" if kb is None else f"{kb / 1024:.0f} MiB"


def rate(v):
    return "n/a" if v is None else f"{v:,.0f}"


def speed(ratio):
    """How many times faster ours is, from PostgreSQL's time over ours."""
    if ratio is None:
        return "n/a"
    return f"{ratio:.1f}× faster" if ratio >= 1 else f"{1 / ratio:.1f}× slower"


def percent(v):
    return "n/a" if v is None else (f"{v:.1f} %" if v >= 1 else f"{v:.3f} %")


size = int(F.get("size", "0"))
rows = []  # (figure, value, target, result)


def row(figure, value, target="—", ok=None):
    result = "—" if ok is None else ("PASS" if ok else "FAIL")
    rows.append((figure, value, target, result))


def check(v, pred):
    return None if v is None else pred(v)


# 1. import
rps = num("import_records_per_s")
row(f"Bulk import, {size:,} platforms + {size:,} needs",
    f"{rate(rps)} records/s ({num('import_s') or 0:.1f} s wall, data dir {F.get('data_dir_mb', '?')} MB)",
    "≥ 5,000 records/s", check(rps, lambda v: v >= 5000))

# 2. in-process
m50, m99 = num("match_p50_ms"), num("match_p99_ms")
row("Match in-process (top 20 + reasons), p50", ms(m50), "≤ 2 ms", check(m50, lambda v: v <= 2.0))
row("Match in-process, p99 / mean",
    f"{ms(m99)} / {ms(num('match_mean_ms'))} ({F.get('match_count', '?')} calls, {F.get('match_candidates_mean', '?')} candidates on average)")
s50, s99 = num("search_p50_ms"), num("search_p99_ms")
row("Faceted search in-process, p50 / p99",
    f"{ms(s50)} / {ms(s99)} ({F.get('search_count', '?')} calls, {F.get('search_total_mean', '?')} hits on average)")

# 3. PostgreSQL
pg50, pg99 = num("pg_match_p50_ms"), num("pg_match_p99_ms")
if pg50 is not None:
    overlap = num("pg_match_overlap_top20")
    row("PostgreSQL match (one SQL query), p50 / p99",
        f"{ms(pg50)} / {ms(pg99)} ({F.get('pg_match_candidates_mean', '?')} candidates on average"
        + (f"; top-20 overlap with ours {overlap * 100:.0f} %" if overlap is not None else "") + ")")
    ratio = pg50 / m50 if m50 else None
    row("Match: ours vs PostgreSQL at p50", speed(ratio),
        "≥ 10× faster", check(ratio, lambda v: v >= 10))
    pgs50, pgs99 = num("pg_search_p50_ms"), num("pg_search_p99_ms")
    sratio = pgs50 / s50 if (s50 and pgs50) else None
    row("PostgreSQL faceted search (text + filters + GROUP BY counts), p50 / p99",
        f"{ms(pgs50)} / {ms(pgs99)} (ours {speed(sratio)} at p50)")
else:
    row("PostgreSQL baseline", "skipped (--skip-pg)", "≥ 10× faster", None)


# 4. HTTP
def http(name):
    r = num(f"http_{name}_rps")
    p99 = num(f"http_{name}_p99_ms")
    errs = int(num(f"http_{name}_non2xx") or 0) + int(num(f"http_{name}_socket_errors") or 0)
    return r, p99, errs


mr, mp99, merr = http("match")
br, bp99, berr = http("bare")
sr, sp99, serr = http("search")
err_note = lambda e: f"; {e} errors" if e else ""
row("HTTP GET /needs/{id}/matches (wrk)", f"{rate(mr)} req/s, p99 {ms(mp99)}{err_note(merr)}", "no errors", merr == 0)
row("HTTP GET /platforms?q=&technology=&country= (wrk)", f"{rate(sr)} req/s, p99 {ms(sp99)}{err_note(serr)}", "no errors",
    serr == 0)
row("HTTP bare actix fixed JSON (wrk)", f"{rate(br)} req/s, p99 {ms(bp99)}{err_note(berr)}")
share = (mr / br * 100) if (mr and br) else None
row("HTTP match throughput vs bare actix", percent(share), "≥ 30 %",
    check(share, lambda v: v >= 30))

# 5. memory and restart
row("Server RSS after start", mib(num("rss_start_kb")))
peak = max([v for v in (num("rss_hwm_kb"), num("rss_peak_load_kb")) if v is not None], default=None)
row("Server RSS peak under wrk load",
    f"{mib(peak)} (sampled max {mib(num('rss_peak_load_kb'))}, up to {F.get('threads_peak_load', '?')} threads)", "≤ 1 GiB",
    check(peak, lambda v: v <= 1024 * 1024))
r1 = num("restart_index_s")
row("Restart until ready (index lag 0), index present", "n/a" if r1 is None else f"{r1:.2f} s", "≤ 10 s",
    check(r1, lambda v: v <= 10))
r2 = num("restart_changes_s")
changes = num("changes_written")
row(f"Restart until ready after {'?' if changes is None else f'{changes:,.0f}'} changes while down",
    "n/a" if r2 is None else f"{r2:.2f} s ({F.get('restart_changes_applied') or '?'} changes applied at start)")

judged = [r for r in rows if r[3] != "—"]
passed = sum(1 for r in judged if r[3] == "PASS")


def table(rs, header):
    widths = [max(len(h), *(len(r[i]) for r in rs)) for i, h in enumerate(header)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    out = [line(header), "| " + " | ".join("-" * w for w in widths) + " |"]
    out += [line(r) for r in rs]
    return "\n".join(out)


main = table(rows, ("figure", "value", "target", "result"))
phases = [(name, ms(num(f"match_phase_{key}_p50_ms")), ms(num(f"match_phase_{key}_mean_ms")))
          for key, name in (("candidates", "index: candidates + BM25 (platform_candidates)"),
                            ("fetch", "catalogue: the candidates' records and features (in memory)"),
                            ("supply", "index: supply per country (equity; kept per index generation)"),
                            ("rank", "engine: need tables, bound, scores from features, reasons for the top 20"),
                            ("serialise", "JSON of the response (HTTP only)"))]
breakdown = table(phases, ("step of one match", "p50", "mean"))

print()
print(main)
print()
print(breakdown)
print()
print(f"{passed} of {len(judged)} targets met.")

if a.write:
    machine = table([(k, v) for k, v in M.items()], ("machine", "")) if M else ""
    raw = "\n".join(f"{k} {v}" for k, v in F.items())
    text = f"""# Measurement results

Written by `benches/run.sh {a.args} --write-results` (issue 5). {passed} of {len(judged)} targets met.
Every figure below comes from that one run; rerun it to refresh this file.

{machine}

{main}

The server and the bare actix baseline ran with {a.workers} HTTP workers (one per core); wrk ran
on the same machine, on loopback, sharing its cores.

## Where one match spends its time

The steps of `platforms_for`, timed apart over one pass of the sample (p50 and mean of the
step; the whole call is the in-process figure above).

{breakdown}

## How each figure is measured

- **Data**: `omics-datagen --platforms N --needs N --seed 42`; realistic synthetic
  records (skewed technology popularity, population-weighted countries, composed descriptions).
- **Bulk import**: `omics-match import platforms.json`, then `import needs.json`, into a fresh
  SQLite data dir (WAL, `synchronous = FULL`); the import commits the records and the search
  index every 1,000 records. Wall time of both commands (including reading and parsing the
  JSON); records/s = 2N / wall time.
- **In-process latency** (`benches/src/bin/latency.rs`): opens the data dir as the server does;
  the sample is 200 needs spread evenly over `needs.json`, read back from the store by external
  key. One untimed warm-up pass, then 5 timed passes; each timing is one
  `omics_api::routes::matches::platforms_for` call (index candidates with BM25, records and
  features from the in-memory catalogue, hard constraints, eight components, top 20 with their
  sentences, the returned records checked against the database's change log, default weights).
  Faceted search: `SearchIndex::search` with `q`, a technology family filter, the need's
  country and the three facets, then reading the page's 20 records: what the list route does
  before writing JSON. Searches cycle over ten (words, family) pairs in the sampled needs'
  countries.
- **PostgreSQL baseline** (`benches/src/bin/pg_baseline.rs`): the same generated files
  loaded (binary COPY) into a fresh database `omics_bench`: `platforms` (technology codes as
  offered and with their broader terms, country, readiness areas, accreditations, capacity,
  JSONB record, generated `tsvector` with name weight A and description B), `capabilities`
  (sample types, capacity, turnaround, accreditations per technology), `countries`
  (neighbours, reference point), `needs`; GIN indexes on the `tsvector` and the arrays; then
  `VACUUM ANALYZE`. The match is one prepared SQL statement per need with the same hard
  filters (published, external samples, cross-border, acceptable countries, every must-have
  technology or a narrower one, `@>`, served by a capability that takes the sample type and
  holds the required accreditation) and our weighting as far as SQL goes (technology
  exact/narrower share and nice-to-haves, readiness same/adjacent, country
  same/named/neighbour/haversine distance, capacity and turnaround before the deadline,
  `ts_rank` of the need's words normalised by the best candidate, maturity, accreditation),
  `ORDER BY score LIMIT 20` returning the records' JSON. The faceted search is one statement:
  every word (`plainto_tsquery`), technology family (`&&` on the closure), country, first page
  by `ts_rank`, the total and `GROUP BY` counts per technology, country and readiness area.
  Timed client-side with the `postgres` crate over one loopback connection (prepared
  statements, rows included): one warm-up pass, then 3 timed passes over the same sample as
  ours. The session sets `jit = off` (JIT only adds compile time to these queries) and
  `plan_cache_mode = force_custom_plan` (after five executions PostgreSQL may switch a
  prepared statement to a generic plan, many times slower for some technologies); the
  server's other settings are as installed (see `pg_settings` below). The top-20 overlap is the mean
  share of PostgreSQL's top 20 that is also in ours: how close the SQL approximation of our
  scoring is.
- **HTTP** (wrk, `benches/wrk/paths.lua`): our server with the imported data, anonymous-match
  rate limit off (`OMICS_RATE_LIMIT_ANONYMOUS_MATCH_PER_MINUTE=0`), one worker per core;
  `GET /api/v1/needs/{{id}}/matches` cycling over 1,000 stored need ids spread over all needs
  (a 5 s warm-up run first), then the 200 sample searches as
  `GET /api/v1/platforms?q=..&technology=..&country=..`. The bare baseline
  (`benches/src/bin/bare_actix.rs`) is actix-web with one route answering a fixed 38-byte JSON
  body, the same worker count and the same wrk settings. Any non-2xx response or socket
  error is counted and fails the row.
- **Memory**: VmRSS from `/proc/<pid>/status` 2 s after the first start on the imported data;
  peak = the process's VmHWM after the match and search loads (VmRSS and the thread count
  sampled every 0.25 s alongside). Matches run on the blocking thread pool, so the peak grows
  with the number of concurrent requests (wrk connections).
- **Restart**: from spawning `omics-match serve` until `GET /api/v1/health/ready` answers 200
  with `"index_lag":0` (polled every 20 ms). (i) after a clean stop (SIGTERM), the index
  present and up to date; (ii) after `benches/src/bin/write_changes.rs` wrote the changes
  through `omics_store::Store::import` (updates by external key, transactions of 1,000) while
  the server was down and without touching the index, so the server catches its index up from
  the change log before it listens.

## All figures of the run

```
{raw}
```
"""
    # Sections measured by other means (the term linker's, issue 10) are kept as they are.
    kept = ""
    try:
        with open(a.write, encoding="utf-8") as f:
            old = f.read()
        at = old.find("\n## Term linker (issue 10)")
        if at >= 0:
            kept = old[at:]
    except FileNotFoundError:
        pass
    with open(a.write, "w", encoding="utf-8") as f:
        f.write(text + kept)

sys.exit(0)
