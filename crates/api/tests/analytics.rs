//! Analytics on the demo data: the coverage matrix, the gaps and the activity agree with
//! counts this test works out on its own from the records the API lists (and, for the best
//! match of each open need, from `GET /needs/{id}/matches`); the small-cell rule holds for
//! non-admins; the CSV parses and says what the JSON says.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use omics_domain::Vocabularies;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_backends!(analytics_agree_with_the_records, analytics_refuse_bad_parameters);

fn fixture(name: &str) -> Vec<Value> {
    let path = format!("{}/../../fixtures/demo/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The family of a technology: the root of its `parent` chain.
fn family(v: &Vocabularies, id: &str) -> String {
    let mut cur = id.to_owned();
    while let Some(p) = v.technologies.get(&cur).and_then(|t| t.parent.clone()) {
        cur = p;
    }
    cur
}

fn is_ancestor(v: &Vocabularies, anc: &str, of: &str) -> bool {
    let mut cur = v.technologies.get(of).and_then(|t| t.parent.clone());
    while let Some(p) = cur {
        if p == anc {
            return true;
        }
        cur = v.technologies.get(&p).and_then(|t| t.parent.clone());
    }
    false
}

#[derive(Debug, Default, Clone)]
struct Expect {
    platforms: u64,
    cross: u64,
    capacity: u64,
    open: u64,
    unserved: u64,
    scores: Vec<f64>,
}

impl Expect {
    fn median(&self) -> Option<f64> {
        let mut s = self.scores.clone();
        if s.is_empty() {
            return None;
        }
        s.sort_by(f64::total_cmp);
        let n = s.len();
        let m = if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 };
        Some((m * 1000.0).round() / 1000.0)
    }

    /// Compare with a figures object as an admin sees it (every count exact).
    fn check(&self, got: &Value, what: &str) {
        assert_eq!(got["platforms"], json!(self.platforms), "{what}: {got}");
        assert_eq!(got["cross_border_platforms"], json!(self.cross), "{what}: {got}");
        assert_eq!(got["monthly_capacity"], json!(self.capacity), "{what}: {got}");
        assert_eq!(got["open_needs"], json!(self.open), "{what}: {got}");
        assert_eq!(got["unserved_needs"], json!(self.unserved), "{what}: {got}");
        match self.median() {
            None => assert!(got["median_best_score"].is_null(), "{what}: {got}"),
            Some(m) => assert!((got["median_best_score"].as_f64().unwrap() - m).abs() < 1e-9, "{what}: {m} vs {got}"),
        }
    }
}

/// What a non-admin sees of a count of needs.
fn shown(n: u64) -> Value {
    if n > 0 && n < 3 { json!("<3") } else { json!(n) }
}

/// All records of a kind, as an admin lists them.
async fn all(app: &TestApp, admin: &str, kind: &str) -> Vec<Value> {
    let (s, v) = app.get(&format!("/api/v1/{kind}?limit=100"), Some(admin)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["total"].as_u64().unwrap() <= 100, "one page holds them all");
    v["items"].as_array().unwrap().clone()
}

/// Wait until the analytics reflect every change and every open need is ranked.
async fn settled(app: &TestApp, admin: &str) {
    for _ in 0..300 {
        let last = app.state.store.last_seq().unwrap();
        let (_, v) = app.get("/api/v1/analytics/coverage", Some(admin)).await;
        if v["as_of_seq"].as_i64() == Some(last) && v["ranked_as_of_seq"].as_i64() == Some(last) && v["stale_needs"] == json!(0) {
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("analytics did not catch up within 30 s");
}

/// A need written straight into the database with a posting date `days` ago.
fn insert_old_need(app: &TestApp, owner: uuid::Uuid, days: i64) -> uuid::Uuid {
    let v = Vocabularies::builtin().unwrap();
    let fields: omics_domain::NeedFields = serde_json::from_value(need("An old need for exomes", "MT", "whole-exome-sequencing")).unwrap();
    let fields = fields.validate(&v, None).unwrap();
    let at = chrono::Utc::now() - chrono::Duration::days(days);
    let id = uuid::Uuid::now_v7();
    let rec = omics_domain::Record::Need(omics_domain::Need {
        meta: omics_domain::Meta { id, owner_id: Some(owner), created_at: at, updated_at: at, version: 1 },
        fields,
        requester: None,
    });
    app.state.store.insert(&rec, Some(owner)).unwrap();
    id
}

async fn analytics_agree_with_the_records(app: TestApp) {
    let v = Vocabularies::builtin().unwrap();
    let admin = app.admin().await;
    let manager = app.user("manager@example.org", "platform_manager").await;
    let researcher = app.user("researcher@example.org", "researcher").await;
    for p in fixture("platforms.json") {
        let (s, body) = app.post("/api/v1/platforms", Some(&manager), p).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    for mut n in fixture("needs.json") {
        // A new need is open (three demo needs are imported in discussion).
        n.as_object_mut().unwrap().remove("status");
        let (s, body) = app.post("/api/v1/needs", Some(&researcher), n).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let (_, me) = app.get("/api/v1/auth/me", Some(&researcher)).await;
    let researcher_id: uuid::Uuid = me["id"].as_str().unwrap().parse().unwrap();
    let old = insert_old_need(&app, researcher_id, 60);

    // Three introductions on three open needs, each to its best match; two accepted, one of
    // those marked matched.
    let needs = all(&app, &admin, "needs").await;
    let mut intros = Vec::new();
    for n in needs.iter().filter(|n| n["id"] != json!(old.to_string())).take(3) {
        let (_, m) = app.get(&format!("/api/v1/needs/{}/matches?limit=1", n["id"].as_str().unwrap()), Some(&admin)).await;
        let platform = m["matches"][0]["platform"]["id"].clone();
        let (s, intro) = app.post("/api/v1/introductions", Some(&researcher), json!({"need_id": n["id"], "platform_id": platform})).await;
        assert_eq!(s, StatusCode::CREATED, "{intro}");
        intros.push((n["id"].as_str().unwrap().to_owned(), intro["id"].as_str().unwrap().to_owned()));
    }
    for (_, intro) in &intros[..2] {
        let (s, body) = app.post(&format!("/api/v1/introductions/{intro}/accept"), Some(&manager), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let (need0, intro0) = &intros[0];
    let (s, body) = app.post(&format!("/api/v1/needs/{need0}/matched"), Some(&researcher), json!({"introduction_id": intro0})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    settled(&app, &admin).await;

    let platforms = all(&app, &admin, "platforms").await;
    let needs = all(&app, &admin, "needs").await;
    assert_eq!((platforms.len(), needs.len()), (fixture("platforms.json").len(), fixture("needs.json").len() + 1));

    // ---- Coverage, worked out from the records.
    let mut cells: BTreeMap<(String, String), Expect> = BTreeMap::new();
    let mut rows: BTreeMap<String, Expect> = BTreeMap::new();
    let mut cols: BTreeMap<String, Expect> = BTreeMap::new();
    let mut total = Expect::default();
    for p in platforms.iter().filter(|p| p["status"] == "published") {
        let country = p["country"].as_str().unwrap().to_owned();
        let cross = p["accepts_cross_border"].as_bool().unwrap();
        let mut by_family: BTreeMap<String, u64> = BTreeMap::new();
        for c in p["capabilities"].as_array().unwrap() {
            *by_family.entry(family(&v, c["technology"].as_str().unwrap())).or_default() += c["monthly_capacity"].as_u64().unwrap_or(0);
        }
        let add = |e: &mut Expect, cap: u64| {
            e.platforms += 1;
            e.cross += u64::from(cross);
            e.capacity += cap;
        };
        for (fam, cap) in &by_family {
            add(cells.entry((country.clone(), fam.clone())).or_default(), *cap);
            add(cols.entry(fam.clone()).or_default(), *cap);
        }
        let cap: u64 = by_family.values().sum();
        add(rows.entry(country).or_default(), cap);
        add(&mut total, cap);
    }
    let open: Vec<&Value> = needs.iter().filter(|n| n["status"] == "open" || n["status"] == "in_discussion").collect();
    assert_eq!(open.len(), needs.len() - 1, "one need was matched");
    for n in &open {
        let country = n["country"].as_str().unwrap().to_owned();
        let families: BTreeSet<String> =
            n["technologies"].as_array().unwrap().iter().map(|t| family(&v, t["technology"].as_str().unwrap())).collect();
        let (s, m) = app.get(&format!("/api/v1/needs/{}/matches?limit=1", n["id"].as_str().unwrap()), Some(&admin)).await;
        assert_eq!(s, StatusCode::OK, "{m}");
        let best = m["matches"].as_array().unwrap().first().map(|x| x["score"].as_f64().unwrap());
        let add = |e: &mut Expect| {
            e.open += 1;
            match best {
                None => e.unserved += 1,
                Some(s) => e.scores.push(s),
            }
        };
        for fam in &families {
            add(cells.entry((country.clone(), fam.clone())).or_default());
            add(cols.entry(fam.clone()).or_default());
        }
        add(rows.entry(country).or_default());
        add(&mut total);
    }
    assert!(total.unserved > 0 && !total.scores.is_empty(), "the demo has served and unserved needs: {total:?}");

    let (s, cov) = app.get("/api/v1/analytics/coverage?level=family", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK, "{cov}");
    assert_eq!(cov["level"], "family");
    assert_eq!(cov["countries"].as_array().unwrap().len(), v.countries.terms().len());
    let families: BTreeSet<String> = v.technologies.terms().iter().filter(|t| t.parent.is_none()).map(|t| t.id.clone()).collect();
    let columns: BTreeSet<String> = cov["technologies"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(columns, families);
    let got: BTreeMap<(String, String), &Value> = cov["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| ((c["country"].as_str().unwrap().to_owned(), c["technology"].as_str().unwrap().to_owned()), c))
        .collect();
    assert_eq!(got.keys().collect::<Vec<_>>(), cells.keys().collect::<Vec<_>>(), "the same non-empty cells");
    for (key, e) in &cells {
        e.check(got[key], &format!("cell {key:?}"));
    }
    for row in cov["totals"]["countries"].as_array().unwrap() {
        let e = rows.get(row["country"].as_str().unwrap()).cloned().unwrap_or_default();
        e.check(row, &format!("row {}", row["country"]));
    }
    for col in cov["totals"]["technologies"].as_array().unwrap() {
        let e = cols.get(col["technology"].as_str().unwrap()).cloned().unwrap_or_default();
        e.check(col, &format!("column {}", col["technology"]));
    }
    total.check(&cov["totals"]["all"], "all");

    // A filter: one family, rolled up, at term level; and one country.
    let (_, lt) = app.get("/api/v1/analytics/coverage?country=Lithuania&level=term", Some(&admin)).await;
    assert_eq!(lt["countries"], json!([{"id": "LT", "label": "Lithuania"}]));
    assert!(lt["cells"].as_array().unwrap().iter().all(|c| c["country"] == "LT"), "{lt}");
    rows["LT"].check(&lt["totals"]["all"], "Lithuania at term level");
    let (_, fam) = app.get("/api/v1/analytics/coverage?technology=dna-sequencing", Some(&admin)).await;
    cols["dna-sequencing"].check(&fam["totals"]["all"], "the DNA sequencing family");
    assert_eq!(fam["technologies"].as_array().unwrap().len(), 1, "{fam}");

    // ---- The small-cell rule: what anyone else sees.
    let (_, public) = app.get("/api/v1/analytics/coverage", None).await;
    let (_, researcher_view) = app.get("/api/v1/analytics/coverage", Some(&researcher)).await;
    assert_eq!(public, researcher_view, "a researcher sees what anyone sees");
    let mut hidden = 0;
    for c in public["cells"].as_array().unwrap() {
        let e = &cells[&(c["country"].as_str().unwrap().to_owned(), c["technology"].as_str().unwrap().to_owned())];
        assert_eq!(c["open_needs"], shown(e.open), "{c}");
        assert_eq!(c["unserved_needs"], shown(e.unserved), "{c}");
        assert_eq!(c["platforms"], json!(e.platforms), "platform counts are public: {c}");
        if e.scores.len() < 3 {
            assert!(c["median_best_score"].is_null(), "{c}");
        }
        hidden += usize::from(c["open_needs"] == "<3");
    }
    assert!(hidden > 0, "the demo has small cells");
    assert_eq!(public["totals"]["all"]["open_needs"], json!(total.open));

    // ---- CSV: the same table.
    let res = app.client.get(format!("{}/api/v1/analytics/coverage", app.base)).header("accept", "text/csv").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header,
        [
            "country",
            "technology",
            "platforms",
            "cross_border_platforms",
            "monthly_capacity",
            "open_needs",
            "unserved_needs",
            "median_best_score"
        ]
    );
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut expected: Vec<Vec<String>> = Vec::new();
    let fields = ["platforms", "cross_border_platforms", "monthly_capacity", "open_needs", "unserved_needs", "median_best_score"];
    let mut push = |country: &str, tech: &str, f: &Value| {
        let mut line = vec![country.to_owned(), tech.to_owned()];
        line.extend(fields.iter().map(|k| text(&f[k])));
        expected.push(line);
    };
    for c in public["cells"].as_array().unwrap() {
        push(c["country"].as_str().unwrap(), c["technology"].as_str().unwrap(), c);
    }
    for c in public["totals"]["countries"].as_array().unwrap() {
        push(c["country"].as_str().unwrap(), "ALL", c);
    }
    for c in public["totals"]["technologies"].as_array().unwrap() {
        push("ALL", c["technology"].as_str().unwrap(), c);
    }
    push("ALL", "ALL", &public["totals"]["all"]);
    let parsed: Vec<Vec<String>> = lines.map(|l| l.split(',').map(str::to_owned).collect()).collect();
    assert_eq!(parsed, expected);

    // ---- Gaps, worked out from the records.
    let (s, gaps) = app.get("/api/v1/analytics/gaps?open_days=30&limit=100", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK, "{gaps}");
    assert_eq!(gaps["total"].as_u64().unwrap() as usize, gaps["gaps"].as_array().unwrap().len());
    let published: Vec<&Value> = platforms.iter().filter(|p| p["status"] == "published").collect();
    let offers = |country: &str, want: &str| {
        let near: Vec<String> = v.countries.get(country).unwrap().neighbours.clone();
        published.iter().any(|p| {
            let c = p["country"].as_str().unwrap();
            (c == country || near.iter().any(|n| n == c))
                && p["capabilities"].as_array().unwrap().iter().any(|cap| {
                    let have = cap["technology"].as_str().unwrap();
                    have == want || is_ancestor(&v, want, have) || is_ancestor(&v, have, want)
                })
        })
    };
    let mut unmet: BTreeMap<(String, String), u64> = BTreeMap::new();
    for n in &open {
        let country = n["country"].as_str().unwrap();
        for t in n["technologies"].as_array().unwrap() {
            let want = t["technology"].as_str().unwrap();
            if !offers(country, want) {
                *unmet.entry((country.to_owned(), want.to_owned())).or_default() += 1;
            }
        }
    }
    let of_kind = |kind: &str| -> Vec<&Value> { gaps["gaps"].as_array().unwrap().iter().filter(|g| g["kind"] == kind).collect() };
    let got: BTreeMap<(String, String), u64> = of_kind("no_supply_nearby")
        .iter()
        .map(|g| ((g["country"].as_str().unwrap().to_owned(), g["technology"].as_str().unwrap().to_owned()), g["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, unmet);
    assert!(!unmet.is_empty(), "the demo has technologies with no supply nearby");
    let waiting = of_kind("open_too_long");
    assert_eq!(waiting.len(), 1, "only the need posted 60 days ago: {waiting:?}");
    assert_eq!((waiting[0]["country"].as_str(), waiting[0]["count"].as_u64()), (Some("MT"), Some(1)));
    assert_eq!(waiting[0]["examples"][0]["id"], json!(old.to_string()));
    let (_, later) = app.get("/api/v1/analytics/gaps?open_days=90", Some(&admin)).await;
    assert!(later["gaps"].as_array().unwrap().iter().all(|g| g["kind"] != "open_too_long"), "{later}");
    let mut lacking: BTreeMap<String, u64> = BTreeMap::new();
    for fam in &families {
        let k = v
            .countries
            .terms()
            .iter()
            .filter(|c| {
                !published.iter().any(|p| {
                    p["country"] == json!(c.id)
                        && p["capabilities"].as_array().unwrap().iter().any(|cap| family(&v, cap["technology"].as_str().unwrap()) == *fam)
                })
            })
            .count() as u64;
        if k > 0 {
            lacking.insert(fam.clone(), k);
        }
    }
    let got: BTreeMap<String, u64> = of_kind("no_platform_in_country")
        .iter()
        .map(|g| (g["technology"].as_str().unwrap().to_owned(), g["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, lacking);
    // Ranked: the kinds in order of acuteness, then by the needs concerned.
    let order = |k: &Value| ["no_supply_nearby", "open_too_long", "no_platform_in_country"].iter().position(|x| k == x).unwrap();
    let keys: Vec<(usize, i64)> =
        gaps["gaps"].as_array().unwrap().iter().map(|g| (order(&g["kind"]), -g["needs"].as_i64().unwrap())).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
    // For anyone else: small counts hidden, and their need examples with them; nobody named.
    let (_, public_gaps) = app.get("/api/v1/analytics/gaps?open_days=30&limit=100", None).await;
    for g in public_gaps["gaps"].as_array().unwrap() {
        if g["kind"] != "no_platform_in_country" {
            let n = g["count"].as_u64();
            assert!(n.is_none_or(|n| n >= 3), "{g}");
            if g["count"] == "<3" {
                assert!(g["examples"].as_array().unwrap().is_empty() && g["reason"].as_str().unwrap().starts_with("<3 "), "{g}");
            }
        }
    }
    assert!(!public_gaps.to_string().contains("researcher@example.org"));

    // ---- Activity per month.
    let month = |t: &str| t[..7].to_owned();
    let mut posted: BTreeMap<String, u64> = BTreeMap::new();
    for n in &needs {
        *posted.entry(month(n["created_at"].as_str().unwrap())).or_default() += 1;
    }
    let (_, list) = app.get("/api/v1/introductions?limit=100", Some(&admin)).await;
    let proposed = list["items"].as_array().unwrap().len() as u64;
    assert_eq!(proposed, 3, "{list}");
    let (s, act) = app.get("/api/v1/analytics/activity?interval=month", Some(&admin)).await;
    assert_eq!(s, StatusCode::OK, "{act}");
    let months = act["months"].as_array().unwrap();
    let by_month: BTreeMap<String, &Value> = months.iter().map(|m| (m["month"].as_str().unwrap().to_owned(), m)).collect();
    assert_eq!(by_month.keys().next(), posted.keys().next(), "from the first month with activity");
    assert!(months.len() >= 2, "the old need's month, then every month to this one");
    for (m, n) in &posted {
        assert_eq!(by_month[m]["needs_posted"], json!(n), "{m}");
    }
    let now = month(&chrono::Utc::now().to_rfc3339());
    let this = by_month[&now];
    assert_eq!(
        (&this["introductions_proposed"], &this["introductions_accepted"], &this["needs_matched"]),
        (&json!(3), &json!(2), &json!(1)),
        "{this}"
    );
    assert!(this["median_days_to_first_acceptance"].as_f64().unwrap() < 0.01, "accepted minutes after posting: {this}");
    let quiet: Vec<&&Value> = by_month.iter().filter(|(m, _)| !posted.contains_key(*m)).map(|(_, v)| v).collect();
    assert!(quiet.iter().all(|m| m["needs_posted"] == 0), "months between count 0");
    let (_, public_act) = app.get("/api/v1/analytics/activity", None).await;
    let public_this = public_act["months"].as_array().unwrap().iter().find(|m| m["month"] == json!(now)).unwrap().clone();
    assert_eq!(
        (&public_this["introductions_proposed"], &public_this["introductions_accepted"], &public_this["needs_matched"]),
        (&json!(3), &json!("<3"), &json!("<3")),
        "{public_this}"
    );
    assert!(public_this["median_days_to_first_acceptance"].is_null(), "two acceptances are fewer than 3: {public_this}");
    let old_month = month(&(chrono::Utc::now() - chrono::Duration::days(60)).to_rfc3339());
    let public_old = public_act["months"].as_array().unwrap().iter().find(|m| m["month"] == json!(old_month)).unwrap();
    assert_eq!(public_old["needs_posted"], "<3");
    let (_, range) = app.get(&format!("/api/v1/analytics/activity?from={now}&to={now}"), Some(&admin)).await;
    assert_eq!(range["months"].as_array().unwrap().len(), 1, "{range}");
}

async fn analytics_refuse_bad_parameters(app: TestApp) {
    for (path, field) in [
        ("/api/v1/analytics/coverage?level=country", "level"),
        ("/api/v1/analytics/coverage?technology=spatial%20omicss%20xyz", "technology"),
        ("/api/v1/analytics/coverage?country=Atlantis", "country"),
        ("/api/v1/analytics/coverage?readiness_area=nowhere", "readiness_area"),
        ("/api/v1/analytics/gaps?open_days=0", "open_days"),
        ("/api/v1/analytics/gaps?limit=101", "limit"),
        ("/api/v1/analytics/activity?interval=week", "interval"),
        ("/api/v1/analytics/activity?from=2026-13", "from"),
        ("/api/v1/analytics/activity?from=2026-11&to=2026-01", "from"),
    ] {
        let (s, v) = app.get(path, None).await;
        assert_problem(s, &v, StatusCode::BAD_REQUEST, "invalid_query");
        assert_eq!(v["errors"][0]["field"], field, "{path}: {v}");
    }
    let (s, v) = app.get("/api/v1/analytics/coverage?colour=red", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "an unknown parameter is refused: {v}");
    // A label and a synonym are read as the filter's id.
    let (s, v) = app.get("/api/v1/analytics/coverage?technology=Spatial%20omics&country=Portugal", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["technologies"], json!([{"id": "spatial-omics", "label": "Spatial omics"}]));
}
