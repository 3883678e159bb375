//! Coverage and demand: for each country and technology, the published platforms there (and
//! those taking samples from abroad), their monthly capacity, the open needs of requesters
//! there, those no platform can serve, and the median best match of the rest.

use omics_domain::{Code, FieldCode, FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Count, Disclosure, Fold, Tables, TermRef, median, pos};
use crate::params::{bad_param, check_param_length};
use crate::{Actor, Error, Result, Service};

/// Which coverage to count.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageParams {
    /// `family` (default): a column per technology family, each counting its narrower terms;
    /// `term`: a column per technology term.
    #[param(example = "family")]
    pub level: Option<String>,
    /// Only this technology and its narrower terms (a family rolls up its members). An id, a
    /// label or a synonym.
    #[param(example = "spatial-omics")]
    pub technology: Option<String>,
    /// Only this country (platforms located there, needs of requesters there).
    #[param(example = "LT")]
    pub country: Option<String>,
    /// Only platforms serving this readiness area, and needs in it.
    #[param(example = "translational-research")]
    pub readiness_area: Option<String>,
}

/// The columns of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Family,
    Term,
}

/// What a cell, a row, a column or the whole matrix counts.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    /// Published platforms located in the country offering the technology.
    pub platforms: u64,
    /// Of those, the ones that take samples from abroad.
    pub cross_border_platforms: u64,
    /// Samples a month their capabilities for the technology take, summed (capabilities that
    /// state no capacity count 0).
    pub monthly_capacity: u64,
    /// Open needs (open or in discussion) of requesters in the country asking for the technology.
    pub open_needs: Count,
    /// Of those, the needs no published platform can serve: every one breaks a hard constraint.
    pub unserved_needs: Count,
    /// The median of the best match score of the served open needs; null with none, or when
    /// fewer than `min_cell` needs are served and the viewer is not an admin.
    pub median_best_score: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Cell {
    #[schema(example = "PT")]
    pub country: String,
    #[schema(example = "dna-sequencing")]
    pub technology: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountryTotal {
    pub country: String,
    /// Each platform and need counted once, however many technologies it has.
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TechnologyTotal {
    pub technology: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// Totals per row, per column and in all; each platform and need counted once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Totals {
    pub countries: Vec<CountryTotal>,
    pub technologies: Vec<TechnologyTotal>,
    pub all: Figures,
}

/// The country × technology matrix.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Coverage {
    pub level: Level,
    /// The change-log sequence number the figures reflect.
    pub as_of_seq: i64,
    /// Open needs whose best match is pending (new or changed, or a platform of their
    /// families changed): they count in `open_needs` but in neither `unserved_needs` nor the
    /// median yet.
    pub stale_needs: usize,
    /// Every other open need's best match was ranked on the records as of this change-log
    /// sequence number or later (the oldest ranking; other writes move scores a little and
    /// the oldest rankings are redone first).
    pub ranked_as_of_seq: i64,
    /// Counts of needs below this show as "<N" to everyone but admins.
    pub min_cell: u32,
    /// The rows: every country of the vocabulary (or the one asked for).
    pub countries: Vec<TermRef>,
    /// The columns: every family (level `family`) or every term with a cell (level `term`).
    pub technologies: Vec<TermRef>,
    /// The cells with a platform or a need; the others count 0.
    pub cells: Vec<Cell>,
    pub totals: Totals,
}

/// Counts being summed.
#[derive(Debug, Clone, Default)]
struct Acc {
    platforms: u64,
    cross: u64,
    capacity: u64,
    open: u64,
    unserved: u64,
    scores: Vec<f64>,
}

impl Acc {
    fn is_empty(&self) -> bool {
        self.platforms == 0 && self.open == 0
    }
    fn platform(&mut self, cross_border: bool, capacity: u64) {
        self.platforms += 1;
        self.cross += u64::from(cross_border);
        self.capacity += capacity;
    }
    fn need(&mut self, best: Option<Option<f64>>) {
        self.open += 1;
        match best {
            Some(None) => self.unserved += 1,
            Some(Some(s)) => self.scores.push(s),
            None => {}
        }
    }
    fn figures(mut self, d: Disclosure) -> Figures {
        let served = self.scores.len() as u64;
        Figures {
            platforms: self.platforms,
            cross_border_platforms: self.cross,
            monthly_capacity: self.capacity,
            open_needs: d.needs(self.open),
            unserved_needs: d.needs(self.unserved),
            median_best_score: if d.shows(served) { median(&mut self.scores) } else { None },
        }
    }
}

/// Checked coverage parameters, as vocabulary positions.
struct Query {
    level: Level,
    /// Per technology position: whether the filter keeps it.
    keep: Vec<bool>,
    country: Option<u16>,
    readiness: Option<u16>,
}

impl Service {
    fn coverage_query(&self, p: &CoverageParams) -> Result<Query> {
        let v = &self.vocabs;
        let level = match p.level.as_deref() {
            None | Some("family") => Level::Family,
            Some("term") => Level::Term,
            Some(other) => {
                check_param_length("level", Some(other), 20)?;
                return Err(bad_param("level", format!("level is family or term; got '{other}'")));
            }
        };
        let mut errors = ValidationErrors::default();
        let mut resolve = |name: &str, raw: &Option<String>, vocab: &omics_domain::Vocabulary| -> Result<Option<u16>> {
            check_param_length(name, raw.as_deref(), omics_domain::limits::FILTER_TEXT)?;
            let Some(raw) = raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
            match vocab.resolve(name, raw) {
                Ok(id) => Ok(pos(vocab, &id)),
                Err(e) => {
                    errors.push(e);
                    Ok(None)
                }
            }
        };
        let technology = resolve("technology", &p.technology, &v.technologies)?;
        let country = resolve("country", &p.country, &v.countries)?;
        let readiness = resolve("readiness_area", &p.readiness_area, &v.readiness_areas)?;
        if !errors.is_empty() {
            let mut e = Error::from(errors);
            e.code = Code::InvalidQuery;
            return Err(e);
        }
        let terms = v.technologies.terms();
        let keep = match technology {
            None => vec![true; terms.len()],
            Some(x) => {
                let x = &terms[usize::from(x)].id;
                terms.iter().map(|t| v.technologies.self_and_ancestors(&t.id).any(|a| a == x)).collect()
            }
        };
        if readiness.is_some_and(|r| r >= 64) {
            return Err(Error::field(
                Code::InvalidQuery,
                FieldError::new("readiness_area", FieldCode::InvalidValue, "this readiness area cannot be counted"),
            ));
        }
        Ok(Query { level, keep, country, readiness })
    }

    /// The coverage matrix as `viewer` may see it (see [`Coverage`]).
    pub fn coverage(&self, params: &CoverageParams, viewer: Option<&Actor>) -> Result<Coverage> {
        let q = self.coverage_query(params)?;
        let d = Disclosure::for_viewer(self.analytics.min_cell, viewer);
        let t = &self.analytics.tables;
        let f = self.analytics.read();
        Ok(count(&f, t, &q, &self.vocabs, d, self.analytics.min_cell))
    }
}

/// The column a technology counts in at `level`.
fn column(t: &Tables, level: Level, tech: u16) -> u16 {
    match level {
        Level::Term => tech,
        Level::Family => t.family.get(usize::from(tech)).copied().unwrap_or(u16::MAX),
    }
}

fn count(f: &Fold, t: &Tables, q: &Query, v: &omics_domain::Vocabularies, d: Disclosure, min_cell: u32) -> Coverage {
    let (nc, nt) = (v.countries.terms().len(), v.technologies.terms().len());
    let mut cells = vec![Acc::default(); nc * nt];
    let mut rows = vec![Acc::default(); nc];
    let mut cols = vec![Acc::default(); nt];
    let mut all = Acc::default();
    let in_scope = |country: u16| q.country.is_none_or(|c| c == country) && usize::from(country) < nc;
    // Columns one record counts in, with what it brings to each; reused between records.
    let mut seen: Vec<(u16, u64)> = Vec::new();
    for p in f.platforms.values() {
        if !p.published || !in_scope(p.country) || q.readiness.is_some_and(|r| p.readiness & (1 << r) == 0) {
            continue;
        }
        seen.clear();
        for c in &p.caps {
            if !q.keep.get(usize::from(c.technology)).copied().unwrap_or(false) {
                continue;
            }
            let col = column(t, q.level, c.technology);
            match seen.iter_mut().find(|(k, _)| *k == col) {
                Some((_, cap)) => *cap += u64::from(c.capacity),
                None => seen.push((col, u64::from(c.capacity))),
            }
        }
        if seen.is_empty() {
            continue;
        }
        let row = usize::from(p.country);
        let mut capacity = 0;
        for &(col, cap) in &seen {
            if usize::from(col) < nt {
                cells[row * nt + usize::from(col)].platform(p.cross_border, cap);
                cols[usize::from(col)].platform(p.cross_border, cap);
            }
            capacity += cap;
        }
        rows[row].platform(p.cross_border, capacity);
        all.platform(p.cross_border, capacity);
    }
    let mut stale = 0;
    let mut ranked_as_of = f.seq;
    for n in f.needs.values() {
        if !n.is_open() || !in_scope(n.country) || q.readiness.is_some_and(|r| r != n.readiness) {
            continue;
        }
        seen.clear();
        for &tech in &n.technologies {
            if q.keep.get(usize::from(tech)).copied().unwrap_or(false) {
                let col = column(t, q.level, tech);
                if !seen.iter().any(|(k, _)| *k == col) {
                    seen.push((col, 0));
                }
            }
        }
        if seen.is_empty() {
            continue;
        }
        let best = if f.stale(n, t) { None } else { n.best.map(|b| b.score) };
        if let Some(b) = n.best.filter(|_| best.is_some()) {
            ranked_as_of = ranked_as_of.min(b.computed);
        }
        stale += usize::from(best.is_none());
        let row = usize::from(n.country);
        for &(col, _) in &seen {
            if usize::from(col) < nt {
                cells[row * nt + usize::from(col)].need(best);
                cols[usize::from(col)].need(best);
            }
        }
        rows[row].need(best);
        all.need(best);
    }
    let countries: Vec<TermRef> = v
        .countries
        .terms()
        .iter()
        .enumerate()
        .filter(|(i, _)| q.country.is_none_or(|c| usize::from(c) == *i))
        .map(|(_, term)| TermRef { id: term.id.clone(), label: term.label.clone() })
        .collect();
    let tech_terms = v.technologies.terms();
    let shown_col = |i: usize| match q.level {
        Level::Family => t.family.get(i).is_some_and(|&fam| usize::from(fam) == i) && q.keep[i],
        Level::Term => !cols[i].is_empty(),
    };
    let technologies: Vec<TermRef> =
        (0..nt).filter(|&i| shown_col(i)).map(|i| TermRef { id: tech_terms[i].id.clone(), label: tech_terms[i].label.clone() }).collect();
    let country_id = |i: usize| v.countries.terms()[i].id.clone();
    let mut out_cells = Vec::new();
    for (i, acc) in cells.into_iter().enumerate() {
        if !acc.is_empty() {
            let (row, col) = (i / nt, i % nt);
            out_cells.push(Cell { country: country_id(row), technology: tech_terms[col].id.clone(), figures: acc.figures(d) });
        }
    }
    let totals = Totals {
        countries: rows
            .into_iter()
            .enumerate()
            .filter(|(i, _)| q.country.is_none_or(|c| usize::from(c) == *i))
            .map(|(i, acc)| CountryTotal { country: country_id(i), figures: acc.figures(d) })
            .collect(),
        technologies: cols
            .into_iter()
            .enumerate()
            .filter(|(i, _)| technologies.iter().any(|x| x.id == tech_terms[*i].id))
            .map(|(i, acc)| TechnologyTotal { technology: tech_terms[i].id.clone(), figures: acc.figures(d) })
            .collect(),
        all: all.figures(d),
    };
    Coverage {
        level: q.level,
        as_of_seq: f.seq,
        stale_needs: stale,
        ranked_as_of_seq: ranked_as_of,
        min_cell,
        countries,
        technologies,
        cells: out_cells,
        totals,
    }
}

/// The CSV header of [`Coverage::to_csv`].
pub const CSV_HEADER: &str =
    "country,technology,platforms,cross_border_platforms,monthly_capacity,open_needs,unserved_needs,median_best_score";

impl Coverage {
    /// The same table as CSV: one line per cell, then the totals: per country with technology
    /// `ALL`, per technology with country `ALL`, and `ALL,ALL`. The values are vocabulary ids,
    /// numbers and "<N", none with a comma or a quote, so no field needs quoting.
    pub fn to_csv(&self) -> String {
        let mut out = String::with_capacity(64 * (self.cells.len() + 64));
        out.push_str(CSV_HEADER);
        out.push_str("\r\n");
        let mut line = |country: &str, technology: &str, f: &Figures| {
            let median = f.median_best_score.map(|m| m.to_string()).unwrap_or_default();
            out.push_str(&format!(
                "{country},{technology},{},{},{},{},{},{median}\r\n",
                f.platforms,
                f.cross_border_platforms,
                f.monthly_capacity,
                f.open_needs.text(),
                f.unserved_needs.text()
            ));
        };
        for c in &self.cells {
            line(&c.country, &c.technology, &c.figures);
        }
        for c in &self.totals.countries {
            line(&c.country, "ALL", &c.figures);
        }
        for c in &self.totals.technologies {
            line("ALL", &c.technology, &c.figures);
        }
        line("ALL", "ALL", &self.totals.all);
        out
    }
}
