//! PostgreSQL baseline (benches/run.sh, figure 3): the same generated platforms and needs in a
//! plain relational schema, and the same match and faceted search as one SQL query each,
//! timed client-side over the same sample as `latency`.
//!
//! The schema is what a competent team would build without a search engine: a `platforms`
//! table with technology codes (as offered, and with their broader terms so that a family
//! finds its members), country, readiness areas, accreditations and capacity, a generated
//! `tsvector` (name weighted A, description B) and GIN indexes on it and on the arrays; a
//! `capabilities` table (per-capability sample types, capacity, turnaround, accreditations);
//! a `countries` table (neighbours, reference point). Vocabulary closures (broader terms) are
//! computed at load time from the built-in vocabularies, as a team would keep them in a
//! vocabulary table.
//!
//! The match keeps our hard filters (published, every must-have technology or a narrower
//! one served by a capability that takes the sample type and holds the required
//! accreditation, external samples, cross-border, acceptable countries) and as much of our
//! weighting as SQL expresses (technology exact/narrower share and nice-to-haves, readiness
//! same/adjacent, country same/named/neighbour/distance, capacity and turnaround before the
//! deadline, `ts_rank` of the need's words normalised by the best candidate, maturity,
//! accreditation), ORDER BY score LIMIT 20 with the records' JSON. Statements are prepared
//! once (with custom plans and JIT off, see below); each timing is one round trip on
//! loopback including the rows.
//!
//! Prints `key value` lines.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use clap::Parser;
use omics_benches::{emit_stats, read_json_array, sample_needs, searches, stats};
use omics_domain::{Vocabularies, Vocabulary};
use omics_matching::Weights;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use postgres::{Client, NoTls};
use serde_json::Value;

#[derive(Parser)]
#[command(about = "PostgreSQL baseline: load the generated data, time the same match and search in SQL")]
struct Args {
    /// Database to use (created empty by the caller; the tables are dropped and recreated).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/omics_bench")]
    url: String,
    /// Generated platforms.json.
    #[arg(long)]
    platforms: PathBuf,
    /// Generated needs.json.
    #[arg(long)]
    needs: PathBuf,
    /// Skip loading (the tables are already there from an earlier run).
    #[arg(long)]
    no_load: bool,
    /// Needs (and searches) in the sample.
    #[arg(long, default_value_t = 200)]
    sample: usize,
    /// Timed passes over the sample (after one untimed warm-up pass).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Our top 20 per sampled need (written by `latency --top-out`), to report the overlap.
    #[arg(long)]
    compare: Option<PathBuf>,
}

const SCHEMA: &str = r#"
DROP TABLE IF EXISTS capabilities, needs, platforms, countries;
CREATE TABLE countries (
    id text PRIMARY KEY,
    lat double precision,
    lon double precision,
    neighbours text[] NOT NULL
);
CREATE TABLE platforms (
    id bigint PRIMARY KEY,
    external_key text NOT NULL UNIQUE,
    name text NOT NULL,
    organisation text NOT NULL,
    country text NOT NULL,
    city text NOT NULL,
    description text NOT NULL,
    maturity_level smallint NOT NULL,
    readiness_areas text[] NOT NULL,
    accepts_external boolean NOT NULL,
    accepts_cross_border boolean NOT NULL,
    status text NOT NULL,
    technologies text[] NOT NULL,        -- as offered by the capabilities
    technology_closure text[] NOT NULL,  -- and their broader terms
    accreditations text[] NOT NULL,      -- with broader terms
    monthly_capacity integer,            -- largest of the capabilities
    body jsonb NOT NULL,
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, name), 'A') ||
        setweight(to_tsvector('english'::regconfig, description), 'B')) STORED
);
CREATE TABLE capabilities (
    platform_id bigint NOT NULL REFERENCES platforms (id),
    technology text NOT NULL,
    technology_closure text[] NOT NULL,
    sample_types text[] NOT NULL,
    monthly_capacity integer,
    turnaround_days integer,
    accreditations text[] NOT NULL       -- with broader terms
);
CREATE TABLE needs (
    id bigint PRIMARY KEY,
    external_key text NOT NULL UNIQUE,
    title text NOT NULL,
    description text NOT NULL,
    required_technologies text[] NOT NULL,
    nice_technologies text[] NOT NULL,
    sample_type text NOT NULL,
    sample_count integer NOT NULL,
    readiness_area text NOT NULL,
    country text NOT NULL,
    acceptable_countries text[] NOT NULL,
    deadline date,
    accreditation_required text,
    status text NOT NULL,
    body jsonb NOT NULL,
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, title), 'A') ||
        setweight(to_tsvector('english'::regconfig, description), 'B')) STORED
);
"#;

const INDEXES: &str = r#"
CREATE INDEX platforms_search ON platforms USING gin (search);
CREATE INDEX platforms_technology_closure ON platforms USING gin (technology_closure);
CREATE INDEX platforms_readiness_areas ON platforms USING gin (readiness_areas);
CREATE INDEX platforms_accreditations ON platforms USING gin (accreditations);
CREATE INDEX platforms_country ON platforms (country);
CREATE INDEX capabilities_platform ON capabilities (platform_id);
CREATE INDEX needs_search ON needs USING gin (search);
CREATE INDEX needs_required_technologies ON needs USING gin (required_technologies);
"#;

/// Parameters: $1 must-have technologies, $2 nice-to-have technologies, $3 requester country,
/// $4 acceptable countries (NULL: any), $5 the sample type and its broader types, $6 required
/// accreditation (or NULL), $7 readiness area, $8 adjacent readiness areas, $9 title and
/// description, $10 sample count, $11 days to the deadline (or NULL).
/// The weights (`{W..}`) are our defaults, written in when the statement is prepared.
const MATCH: &str = r#"
WITH q AS (
    -- any of the need's words (plainto_tsquery joins them with AND)
    SELECT replace(plainto_tsquery('english', $9)::text, ' & ', ' | ')::tsquery AS q
), req AS (
    SELECT lat, lon, neighbours FROM countries WHERE id = $3
), cand AS (
    SELECT p.id, p.country, p.maturity_level, p.readiness_areas,
           p.technologies, p.technology_closure, ts_rank(p.search, q.q) AS rank
    FROM platforms p CROSS JOIN q
    WHERE p.status = 'published'
      AND p.accepts_external
      AND p.technology_closure @> $1::text[]
      AND (p.country = $3 OR p.accepts_cross_border)
      AND ($4::text[] IS NULL OR p.country = $3 OR p.country = ANY($4::text[]))
      AND NOT EXISTS (
          SELECT 1 FROM unnest($1::text[]) AS m(tech)
          WHERE NOT EXISTS (
              SELECT 1 FROM capabilities c
              WHERE c.platform_id = p.id
                AND m.tech = ANY(c.technology_closure)
                AND (cardinality(c.sample_types) = 0 OR c.sample_types && $5::text[])
                AND ($6::text IS NULL OR $6::text = ANY(c.accreditations))))
), scored AS (
    SELECT cand.id,
        (SELECT CASE WHEN cardinality($2::text[]) = 0 THEN x.must ELSE 0.75 * x.must + 0.25 * x.nice END
         FROM (SELECT
                 coalesce((SELECT avg(CASE WHEN t = ANY(cand.technologies) THEN 1.0 ELSE 0.75 END)
                           FROM unnest($1::text[]) t), 0.0)::float8 AS must,
                 ((SELECT count(*) FROM unnest($2::text[]) t WHERE t = ANY(cand.technology_closure))::float8
                   / greatest(cardinality($2::text[]), 1)) AS nice) x) AS technology,
        CASE WHEN $7::text = ANY(cand.readiness_areas) THEN 1.0
             WHEN cand.readiness_areas && $8::text[] THEN 0.5
             ELSE 0.0 END::float8 AS readiness,
        CASE WHEN cand.country = $3 THEN 1.0
             WHEN cand.country = ANY($4::text[]) THEN 0.85
             WHEN cand.country = ANY(req.neighbours) THEN 0.7
             WHEN req.lat IS NULL OR pc.lat IS NULL THEN 0.0
             ELSE greatest(0.0, 0.6 * (1.0 - 2 * 6371 * asin(sqrt(
                      power(sin(radians(pc.lat - req.lat) / 2), 2)
                      + cos(radians(req.lat)) * cos(radians(pc.lat)) * power(sin(radians(pc.lon - req.lon) / 2), 2))) / 4000.0))
        END::float8 AS country,
        coalesce(cap.value, 0.0)::float8 AS capacity,
        CASE WHEN max(cand.rank) OVER () > 0 THEN cand.rank / max(cand.rank) OVER () ELSE 0 END::float8 AS text,
        ((cand.maturity_level - 1) / 2.0)::float8 AS maturity,
        CASE WHEN cap.accredited THEN 1.0 ELSE 0.0 END::float8 AS accreditation,
        count(*) OVER () AS candidates
    FROM cand
    LEFT JOIN req ON true
    LEFT JOIN countries pc ON pc.id = cand.country
    LEFT JOIN LATERAL (
        SELECT max(
                 0.6 * CASE WHEN c.monthly_capacity IS NULL THEN 0.5
                            ELSE least(1.0, c.monthly_capacity
                                   * CASE WHEN $11::int IS NULL THEN 6.0
                                          ELSE greatest(0, $11::int - coalesce(c.turnaround_days, 0)) / 30.44 END
                                   / greatest($10::int, 1)) END
               + 0.4 * CASE WHEN c.turnaround_days IS NULL THEN 0.5
                            WHEN $11::int IS NULL OR c.turnaround_days <= $11::int THEN 1.0
                            ELSE greatest(0.0, $11::int::numeric / c.turnaround_days) END) AS value,
               bool_or(cardinality(c.accreditations) > 0) AS accredited
        FROM capabilities c
        WHERE c.platform_id = cand.id
          AND c.technology_closure && $1::text[]
          AND (cardinality(c.sample_types) = 0 OR c.sample_types && $5::text[])
    ) cap ON true
)
-- the records' JSON for the top 20 only
SELECT p.external_key, p.body::text, top.score, top.candidates
FROM (
    SELECT id, candidates,
           ({WT} * technology + {WR} * readiness + {WC} * country + {WCAP} * capacity
            + {WTXT} * text + {WM} * maturity + {WA} * accreditation) / {WTOTAL} AS score
    FROM scored
    ORDER BY score DESC, id
    LIMIT 20
) top JOIN platforms p ON p.id = top.id
ORDER BY top.score DESC, top.id
"#;

/// `GET /platforms?q=..&technology=..&country=..`: every word must match, the technology
/// filter includes narrower terms, first page by relevance with the records, the total, and
/// facet counts per technology (with broader terms), country and readiness area.
/// Parameters: $1 text, $2 technologies, $3 countries.
const SEARCH: &str = r#"
WITH hits AS MATERIALIZED (
    SELECT p.id, p.body, p.technology_closure, p.country, p.readiness_areas, ts_rank(p.search, q) AS rank
    FROM platforms p, plainto_tsquery('english', $1) q
    WHERE p.status = 'published'
      AND p.search @@ q
      AND p.technology_closure && $2::text[]
      AND p.country = ANY($3::text[])
)
SELECT
    (SELECT coalesce(json_agg(x.body ORDER BY x.rank DESC, x.id), '[]')
       FROM (SELECT body, rank, id FROM hits ORDER BY rank DESC, id LIMIT 20) x)::text AS page,
    (SELECT count(*) FROM hits) AS total,
    (SELECT coalesce(json_object_agg(t, n), '{}')
       FROM (SELECT t, count(*) AS n FROM hits, unnest(hits.technology_closure) t GROUP BY t) a)::text AS technology,
    (SELECT coalesce(json_object_agg(country, n), '{}')
       FROM (SELECT country, count(*) AS n FROM hits GROUP BY country) b)::text AS country,
    (SELECT coalesce(json_object_agg(r, n), '{}')
       FROM (SELECT r, count(*) AS n FROM hits, unnest(hits.readiness_areas) r GROUP BY r) c)::text AS readiness_area
"#;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let vocabs = Vocabularies::builtin()?;
    let mut client = Client::connect(&args.url, NoTls).with_context(|| format!("connecting to {}", args.url))?;
    let platforms = read_json_array(&args.platforms)?;
    let needs = read_json_array(&args.needs)?;

    if !args.no_load {
        let t = Instant::now();
        load(&mut client, &vocabs, &platforms, &needs)?;
        let secs = t.elapsed().as_secs_f64();
        println!("pg_load_s {secs:.2}");
        println!("pg_load_records_per_s {:.0}", (platforms.len() + needs.len()) as f64 / secs);
    }
    let size: i64 = client.query_one("SELECT pg_database_size(current_database())", &[])?.get(0);
    println!("pg_database_mb {:.1}", size as f64 / 1_048_576.0);
    // Tuned as a team running these queries would: JIT compiles expressions of queries it
    // estimates as expensive, which only adds compile time (tens of ms) to these; and after
    // five executions a prepared statement may switch to a generic plan, which for some
    // must-have technologies is many times slower than the plan for the actual values
    // (measured at 100,000: p99 1.8 s generic vs 0.47 s custom), so plans stay custom.
    client.batch_execute("SET jit = off; SET plan_cache_mode = force_custom_plan")?;
    let settings: Vec<String> =
        ["server_version", "shared_buffers", "work_mem", "jit", "plan_cache_mode", "max_parallel_workers_per_gather"]
            .iter()
            .map(|s| Ok(format!("{s}={}", client.query_one(&format!("SHOW {s}"), &[])?.get::<_, String>(0))))
            .collect::<anyhow::Result<_>>()?;
    println!("pg_settings {}", settings.join(","));

    // ---- the match
    let w = Weights::default();
    let sql = MATCH
        .replace("{WTXT}", &w.text.to_string())
        .replace("{WTOTAL}", &w.total().to_string())
        .replace("{WCAP}", &w.capacity.to_string())
        .replace("{WT}", &w.technology.to_string())
        .replace("{WR}", &w.readiness.to_string())
        .replace("{WC}", &w.country.to_string())
        .replace("{WM}", &w.maturity.to_string())
        .replace("{WA}", &w.accreditation.to_string());
    let statement = client.prepare(&sql)?;
    let today = Utc::now().date_naive();
    let sample = sample_needs(&needs, args.sample);
    let params: Vec<(String, MatchParams)> =
        sample.iter().map(|n| Ok((key(n)?, MatchParams::of(n, &vocabs, today)?))).collect::<anyhow::Result<_>>()?;
    let run = |client: &mut Client, p: &MatchParams| -> anyhow::Result<Vec<postgres::Row>> {
        Ok(client.query(
            &statement,
            &[
                &p.required,
                &p.nice,
                &p.country,
                &p.acceptable,
                &p.sample_types,
                &p.accreditation,
                &p.readiness,
                &p.adjacent,
                &p.text,
                &p.sample_count,
                &p.days_left,
            ],
        )?)
    };
    let mut tops: HashMap<String, Vec<String>> = HashMap::new();
    for (k, p) in &params {
        let rows = run(&mut client, p)?;
        tops.insert(k.clone(), rows.iter().map(|r| r.get::<_, String>(0)).collect());
    }
    let mut timings = Vec::new();
    let (mut results, mut candidates) = (0usize, 0i64);
    for _ in 0..args.rounds {
        for (_, p) in &params {
            let t = Instant::now();
            let rows = run(&mut client, p)?;
            timings.push(t.elapsed());
            results += rows.len();
            candidates += rows.first().map_or(0, |r| r.get::<_, i64>(3));
        }
    }
    emit_stats("pg_match", &stats(&timings));
    println!("pg_match_results_mean {:.1}", results as f64 / timings.len() as f64);
    println!("pg_match_candidates_mean {:.1}", candidates as f64 / timings.len() as f64);

    if let Some(path) = &args.compare {
        let ours = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let (mut overlap, mut n) = (0.0, 0usize);
        for line in ours.lines() {
            let Some((need, list)) = line.split_once('\t') else { continue };
            let a: HashSet<&str> = list.split(',').filter(|s| !s.is_empty()).collect();
            let Some(b) = tops.get(need) else { continue };
            let denom = a.len().max(b.len());
            if denom > 0 {
                overlap += b.iter().filter(|k| a.contains(k.as_str())).count() as f64 / denom as f64;
                n += 1;
            }
        }
        if n > 0 {
            println!("pg_match_overlap_top20 {:.3}", overlap / n as f64);
        }
    }

    // ---- the faceted search
    let search = client.prepare(SEARCH)?;
    let list = searches(&sample);
    let run = |client: &mut Client, s: &omics_benches::Search| -> anyhow::Result<i64> {
        let row = client.query_one(&search, &[&s.q, &vec![s.technology.to_owned()], &vec![s.country.clone()]])?;
        Ok(row.get::<_, i64>(1))
    };
    for s in &list {
        run(&mut client, s)?;
    }
    let mut timings = Vec::new();
    let mut total = 0i64;
    for _ in 0..args.rounds {
        for s in &list {
            let t = Instant::now();
            total += run(&mut client, s)?;
            timings.push(t.elapsed());
        }
    }
    emit_stats("pg_search", &stats(&timings));
    println!("pg_search_total_mean {:.1}", total as f64 / timings.len() as f64);
    Ok(())
}

fn key(v: &Value) -> anyhow::Result<String> {
    Ok(v["external_key"].as_str().context("a generated record without external_key")?.to_owned())
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

fn closure(vocab: &Vocabulary, ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = ids.iter().flat_map(|i| vocab.self_and_ancestors(i).map(str::to_owned).collect::<Vec<_>>()).collect();
    out.sort();
    out.dedup();
    out
}

fn int(v: &Value) -> Option<i32> {
    v.as_i64().and_then(|n| i32::try_from(n).ok())
}

/// What the match statement takes for one need.
struct MatchParams {
    required: Vec<String>,
    nice: Vec<String>,
    country: String,
    acceptable: Option<Vec<String>>,
    sample_types: Vec<String>,
    accreditation: Option<String>,
    readiness: String,
    adjacent: Vec<String>,
    text: String,
    sample_count: i32,
    days_left: Option<i32>,
}

impl MatchParams {
    fn of(n: &Value, v: &Vocabularies, today: NaiveDate) -> anyhow::Result<MatchParams> {
        let techs = n["technologies"].as_array().map(Vec::as_slice).unwrap_or_default();
        let pick = |required: bool| -> Vec<String> {
            techs
                .iter()
                .filter(|t| t["required"].as_bool().unwrap_or(false) == required)
                .filter_map(|t| t["technology"].as_str().map(str::to_owned))
                .collect()
        };
        let acceptable = strings(&n["acceptable_countries"]);
        let readiness = n["readiness_area"].as_str().unwrap_or_default().to_owned();
        let areas = &v.readiness_areas;
        let adjacent = match areas.position(&readiness) {
            Some(i) => areas.terms().iter().enumerate().filter(|(j, _)| j.abs_diff(i) == 1).map(|(_, t)| t.id.clone()).collect(),
            None => Vec::new(),
        };
        let deadline = n["deadline"].as_str().map(|d| d.parse::<NaiveDate>()).transpose()?;
        let sample = n["sample_type"].as_str().unwrap_or_default().to_owned();
        Ok(MatchParams {
            required: pick(true),
            nice: pick(false),
            country: n["country"].as_str().unwrap_or_default().to_owned(),
            acceptable: if acceptable.iter().any(|c| c == "ANY") { None } else { Some(acceptable) },
            sample_types: closure(&v.sample_types, &[sample]),
            accreditation: n["accreditation_required"].as_str().map(str::to_owned),
            readiness,
            adjacent,
            text: format!("{}\n{}", n["title"].as_str().unwrap_or_default(), n["description"].as_str().unwrap_or_default()),
            sample_count: int(&n["sample_count"]).unwrap_or(1),
            days_left: deadline.map(|d| i32::try_from((d - today).num_days().max(0)).unwrap_or(i32::MAX)),
        })
    }
}

/// Create the tables, COPY the records in (binary), then index and analyse.
fn load(client: &mut Client, v: &Vocabularies, platforms: &[Value], needs: &[Value]) -> anyhow::Result<()> {
    client.batch_execute(SCHEMA)?;

    let mut countries = client.transaction()?;
    for t in v.countries.terms() {
        countries.execute("INSERT INTO countries VALUES ($1, $2, $3, $4)", &[&t.id, &t.lat, &t.lon, &t.neighbours])?;
    }
    countries.commit()?;

    let sink = client.copy_in(
        "COPY platforms (id, external_key, name, organisation, country, city, description, maturity_level, readiness_areas, \
         accepts_external, accepts_cross_border, status, technologies, technology_closure, accreditations, monthly_capacity, body) \
         FROM STDIN BINARY",
    )?;
    let types = [
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::INT2,
        Type::TEXT_ARRAY,
        Type::BOOL,
        Type::BOOL,
        Type::TEXT,
        Type::TEXT_ARRAY,
        Type::TEXT_ARRAY,
        Type::TEXT_ARRAY,
        Type::INT4,
        Type::JSONB,
    ];
    let mut w = BinaryCopyInWriter::new(sink, &types);
    for (i, p) in platforms.iter().enumerate() {
        let caps = p["capabilities"].as_array().map(Vec::as_slice).unwrap_or_default();
        let techs: Vec<String> = caps.iter().filter_map(|c| c["technology"].as_str().map(str::to_owned)).collect();
        let accr: Vec<String> = caps.iter().flat_map(|c| strings(&c["accreditations"])).collect();
        let capacity = caps.iter().filter_map(|c| int(&c["monthly_capacity"])).max();
        let maturity = p["maturity_level"].as_i64().and_then(|m| i16::try_from(m).ok()).unwrap_or(1);
        w.write(&[
            &(i as i64),
            &key(p)?,
            &p["name"].as_str().unwrap_or_default(),
            &p["organisation"]["name"].as_str().unwrap_or_default(),
            &p["country"].as_str().unwrap_or_default(),
            &p["city"].as_str().unwrap_or_default(),
            &p["description"].as_str().unwrap_or_default(),
            &maturity,
            &strings(&p["readiness_areas"]),
            &p["accepts_external_samples"].as_bool().unwrap_or(false),
            &p["accepts_cross_border"].as_bool().unwrap_or(false),
            &p["status"].as_str().unwrap_or("published"),
            &techs,
            &closure(&v.technologies, &techs),
            &closure(&v.accreditations, &accr),
            &capacity,
            p,
        ])?;
    }
    w.finish()?;

    let sink = client.copy_in(
        "COPY capabilities (platform_id, technology, technology_closure, sample_types, monthly_capacity, turnaround_days, accreditations) \
         FROM STDIN BINARY",
    )?;
    let types = [Type::INT8, Type::TEXT, Type::TEXT_ARRAY, Type::TEXT_ARRAY, Type::INT4, Type::INT4, Type::TEXT_ARRAY];
    let mut w = BinaryCopyInWriter::new(sink, &types);
    for (i, p) in platforms.iter().enumerate() {
        for c in p["capabilities"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let tech = c["technology"].as_str().unwrap_or_default().to_owned();
            w.write(&[
                &(i as i64),
                &tech,
                &closure(&v.technologies, std::slice::from_ref(&tech)),
                &strings(&c["sample_types"]),
                &int(&c["monthly_capacity"]),
                &int(&c["turnaround_days"]),
                &closure(&v.accreditations, &strings(&c["accreditations"])),
            ])?;
        }
    }
    w.finish()?;

    let sink = client.copy_in(
        "COPY needs (id, external_key, title, description, required_technologies, nice_technologies, sample_type, sample_count, \
         readiness_area, country, acceptable_countries, deadline, accreditation_required, status, body) FROM STDIN BINARY",
    )?;
    let types = [
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT_ARRAY,
        Type::TEXT_ARRAY,
        Type::TEXT,
        Type::INT4,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT_ARRAY,
        Type::DATE,
        Type::TEXT,
        Type::TEXT,
        Type::JSONB,
    ];
    let mut w = BinaryCopyInWriter::new(sink, &types);
    let today = Utc::now().date_naive();
    for (i, n) in needs.iter().enumerate() {
        let p = MatchParams::of(n, v, today)?;
        let deadline = n["deadline"].as_str().map(|d| d.parse::<NaiveDate>()).transpose()?;
        w.write(&[
            &(i as i64),
            &key(n)?,
            &n["title"].as_str().unwrap_or_default(),
            &n["description"].as_str().unwrap_or_default(),
            &p.required,
            &p.nice,
            &n["sample_type"].as_str().unwrap_or_default(),
            &p.sample_count,
            &p.readiness,
            &p.country,
            &strings(&n["acceptable_countries"]),
            &deadline,
            &p.accreditation,
            &n["status"].as_str().unwrap_or("open"),
            n,
        ])?;
    }
    w.finish()?;

    client.batch_execute(INDEXES)?;
    client.batch_execute("VACUUM ANALYZE")?;
    Ok(())
}
