//! Saved searches: a stored query over platforms or needs (the list routes' `q` and filters),
//! or "platforms that match my need above `min_score`". What a search finds when it is saved
//! is not news; from then on, each record that enters its results (created, or changed into
//! them) gives its owner one `saved_search.hit` event, exactly once per record and saved
//! search: the follower runs after each index catch-up, over the change log after the search's
//! cursor (kept in the database), and records the hits and moves the cursor in one transaction.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use omics_domain::{Code, FieldCode, FieldError, Kind, NeedFields, PlatformFields, Record, limits};
use omics_index::{Audience, Filter, SearchRequest, Sort};
use omics_store::SavedSearch;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::params::{next_offset, page_bounds};
use crate::records::list::search_request;
use crate::records::{ListParams, visible};
use crate::{Actor, Error, Result, Service};

/// A saved search follows at most this many records that its query finds when saved.
pub const MAX_FOUND: usize = 5_000;
/// Saved searches an account may keep.
pub const MAX_PER_ACCOUNT: usize = 50;
/// The score a platform must reach for a need's saved search when none is given.
pub const DEFAULT_MIN_SCORE: f64 = 0.5;
/// Changes of the change log read at a time.
const BATCH: i64 = 2_000;

/// The list routes' `q` and filters: each filter one value or several separated by commas
/// (any of them matches), vocabulary values as ids, labels or synonyms.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[schema(example = json!({"q": "spatial", "technology": "spatial-transcriptomics", "country": "PT,ES"}))]
pub struct SavedQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technology: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_area: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accreditation: Option<String>,
    /// Needs only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancer_type: Option<String>,
    /// Statuses; without it, what you may see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl SavedQuery {
    fn params(&self) -> ListParams {
        ListParams {
            q: self.q.clone(),
            technology: self.technology.clone(),
            country: self.country.clone(),
            readiness_area: self.readiness_area.clone(),
            sample_type: self.sample_type.clone(),
            accreditation: self.accreditation.clone(),
            cancer_type: self.cancer_type.clone(),
            status: self.status.clone(),
            mine: None,
            sort: None,
            limit: None,
            offset: None,
        }
    }
}

/// `POST /saved-searches`: a `query` over `platform`s or `need`s, or, with `need_id`, the
/// platforms that match one of your needs with at least `min_score`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Spatial transcriptomics in Iberia", "kind": "platform",
    "query": {"technology": "spatial-transcriptomics", "country": "PT,ES"}}))]
pub struct NewSavedSearch {
    /// A name for you (in the notifications too).
    #[serde(default)]
    pub name: String,
    /// `platform` or `need` (with `need_id`: `platform`, the default).
    #[schema(value_type = Option<Kind>)]
    pub kind: Option<String>,
    /// The search; none finds every record of the kind you may see.
    pub query: Option<SavedQuery>,
    /// One of your needs: its new matching platforms.
    pub need_id: Option<Uuid>,
    /// With `need_id`: the score a platform must reach, 0 to 1 (default 0.5); a platform a
    /// hard constraint excludes never does.
    pub min_score: Option<f64>,
}

/// A saved search.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01936f1e-5b7a-7cc1-9d2e-3f4a5b6c7d8e", "name": "Spatial transcriptomics in Iberia",
    "kind": "platform", "query": {"technology": "spatial-transcriptomics", "country": "PT,ES"}, "hits": 2,
    "created_at": "2026-12-06T10:00:00Z"}))]
pub struct SavedSearchView {
    pub id: Uuid,
    pub name: String,
    pub kind: Kind,
    /// The search, as given (absent for a need's matches).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<SavedQuery>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_score: Option<f64>,
    /// Records that entered its results since it was saved.
    pub hits: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HitParams {
    /// Page size (default 20, at most 100).
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// A record that entered a saved search's results.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitView {
    /// The platform or need (read it at `/platforms/{id}` or `/needs/{id}`).
    pub record_id: Uuid,
    pub kind: Kind,
    /// When the follower found it.
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HitPage {
    pub items: Vec<HitView>,
    pub total: usize,
    pub limit: u32,
    pub offset: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u32>,
}

fn invalid(field: &str, code: FieldCode, message: String) -> Error {
    Error::field(Code::ValidationFailed, FieldError::new(field, code, message))
}

/// A query's errors as a body's: 422, each field under `query.`.
fn in_body(mut e: Error) -> Error {
    if e.code == Code::InvalidQuery {
        e.code = Code::ValidationFailed;
    }
    for f in &mut e.errors {
        f.field = format!("query.{}", f.field);
    }
    if let [one] = e.errors.as_slice() {
        e.detail = format!("{}: {}", one.field, one.message);
    }
    e
}

fn audience(owner: &Actor) -> Audience {
    if owner.is_admin() { Audience::Admin } else { Audience::User(owner.id) }
}

impl Service {
    /// The index request of a saved query over `kind`, as `owner` would list it.
    fn saved_request(&self, kind: Kind, query: &SavedQuery, owner: &Actor) -> Result<SearchRequest> {
        let params = query.params();
        let mut req = match kind {
            Kind::Platform => search_request::<PlatformFields>(&params, &self.vocabs, Some(owner)),
            Kind::Need => search_request::<NeedFields>(&params, &self.vocabs, Some(owner)),
        }
        .map_err(in_body)?;
        req.audience = audience(owner);
        req.sort = Sort::UpdatedDesc;
        Ok(req)
    }

    /// A need the caller owns (admins: any), for its matches.
    fn own_need(&self, actor: &Actor, id: Uuid) -> Result<omics_domain::Need> {
        match self.store.get(Kind::Need, id)? {
            Some(Record::Need(n)) if actor.may_change(n.meta.owner_id) => Ok(n),
            _ => Err(invalid("need_id", FieldCode::InvalidValue, format!("{id} is not one of your needs"))),
        }
    }

    /// Save a search; what it finds now is not notified, what enters its results later is.
    pub fn create_saved_search(&self, actor: &Actor, body: serde_json::Value) -> Result<SavedSearchView> {
        let b: NewSavedSearch = omics_domain::body::from_value(body)?;
        let name = b.name.trim().to_owned();
        let n = name.chars().count();
        if n == 0 {
            return Err(invalid("name", FieldCode::Required, "give the saved search a name".into()));
        }
        if n > limits::SHORT_TEXT {
            return Err(invalid("name", FieldCode::TooLong, format!("name has {n} characters; at most {}", limits::SHORT_TEXT)));
        }
        let kind = match b.kind.as_deref() {
            None if b.need_id.is_some() => Kind::Platform,
            None => return Err(invalid("kind", FieldCode::Required, "kind is platform or need".into())),
            Some(k) => Kind::parse(k.trim_end_matches('s')).ok_or_else(|| {
                invalid(
                    "kind",
                    FieldCode::InvalidValue,
                    format!("'{}' is not a kind; use platform or need", k.chars().take(40).collect::<String>()),
                )
            })?,
        };
        if b.min_score.is_some() && b.need_id.is_none() {
            return Err(invalid("min_score", FieldCode::InvalidValue, "min_score goes with need_id (a need's matching platforms)".into()));
        }
        if let Some(s) = b.min_score.filter(|s| !(0.0..=1.0).contains(s)) {
            return Err(invalid("min_score", FieldCode::OutOfRange, format!("min_score is 0 to 1; got {s}")));
        }
        if b.need_id.is_some() && (b.query.is_some() || kind != Kind::Platform) {
            let field = if b.query.is_some() { "query" } else { "kind" };
            return Err(invalid(
                field,
                FieldCode::InvalidValue,
                "a need's saved search finds platforms by its match, with no query".into(),
            ));
        }
        if self.store.saved_searches(Some(actor.id))?.len() >= MAX_PER_ACCOUNT {
            return Err(Error::new(
                Code::SavedSearchLimit,
                format!("an account keeps at most {MAX_PER_ACCOUNT} saved searches; delete one first"),
            ));
        }
        // Read before the results: the follower replays whatever the index applies after it.
        let cursor_seq = self.index.applied_seq();
        let (query, found, min_score) = match b.need_id {
            Some(need_id) => {
                let need = self.own_need(actor, need_id)?;
                let min = b.min_score.unwrap_or(DEFAULT_MIN_SCORE);
                (serde_json::json!({}), self.need_matches(&need.fields, min, None)?, Some(min))
            }
            None => {
                let query = b.query.unwrap_or_default();
                let mut req = self.saved_request(kind, &query, actor)?;
                (req.offset, req.limit) = (0, MAX_FOUND);
                let result = self.index.search(&req)?;
                if result.total > MAX_FOUND {
                    return Err(invalid(
                        "query",
                        FieldCode::TooMany,
                        format!(
                            "this search finds {} records now; a saved search follows at most {MAX_FOUND}: narrow it with q or filters",
                            result.total
                        ),
                    ));
                }
                (serde_json::to_value(&query).map_err(Error::internal)?, result.ids.into_iter().map(|(id, _)| id).collect(), None)
            }
        };
        let s = SavedSearch {
            id: Uuid::now_v7(),
            owner_id: actor.id,
            name,
            kind,
            query,
            need_id: b.need_id,
            min_score,
            cursor_seq,
            created_at: Utc::now(),
        };
        self.store.create_saved_search(&s, &found)?;
        Ok(self.saved_view(s, 0))
    }

    fn saved_view(&self, s: SavedSearch, hits: i64) -> SavedSearchView {
        let query = s.need_id.is_none().then(|| serde_json::from_value(s.query).unwrap_or_default());
        SavedSearchView {
            id: s.id,
            name: s.name,
            kind: s.kind,
            query,
            need_id: s.need_id,
            min_score: s.min_score,
            hits,
            created_at: s.created_at,
        }
    }

    fn own_saved_search(&self, actor: &Actor, id: Uuid) -> Result<SavedSearch> {
        self.store.saved_search(id)?.filter(|s| actor.may_change(Some(s.owner_id))).ok_or_else(|| Error::not_found("saved search"))
    }

    /// The caller's saved searches (admins: all).
    pub fn list_saved_searches(&self, actor: &Actor) -> Result<Vec<SavedSearchView>> {
        let owner = if actor.is_admin() { None } else { Some(actor.id) };
        self.store
            .saved_searches(owner)?
            .into_iter()
            .map(|s| {
                let (_, hits) = self.store.saved_search_hits(s.id, 0, 0)?;
                Ok(self.saved_view(s, hits))
            })
            .collect()
    }

    /// One of the caller's saved searches.
    pub fn saved_search(&self, actor: &Actor, id: Uuid) -> Result<SavedSearchView> {
        let s = self.own_saved_search(actor, id)?;
        let (_, hits) = self.store.saved_search_hits(s.id, 0, 0)?;
        Ok(self.saved_view(s, hits))
    }

    /// Delete one of the caller's saved searches with its hits.
    pub fn delete_saved_search(&self, actor: &Actor, id: Uuid) -> Result<()> {
        self.own_saved_search(actor, id)?;
        self.store.delete_saved_search(id)?;
        Ok(())
    }

    /// The records that entered a saved search's results, newest first.
    pub fn saved_search_hits(&self, actor: &Actor, id: Uuid, params: &HitParams) -> Result<HitPage> {
        let (limit, offset) = page_bounds(params.limit, params.offset)?;
        let s = self.own_saved_search(actor, id)?;
        let (hits, total) = self.store.saved_search_hits(id, i64::from(offset), i64::from(limit))?;
        let items: Vec<HitView> = hits.into_iter().map(|h| HitView { record_id: h.record_id, kind: s.kind, at: h.at }).collect();
        let total = usize::try_from(total).unwrap_or(0);
        let next = next_offset(offset, items.len(), total);
        Ok(HitPage { items, total, limit, offset, next_offset: next })
    }

    /// The published platforms (of `among`, or of the need's candidates) that match `need` with
    /// at least `min_score`, a hard constraint passed.
    fn need_matches(&self, need: &NeedFields, min_score: f64, among: Option<&[Uuid]>) -> Result<Vec<Uuid>> {
        let score = self.need_scorer(need)?;
        let ids = match among {
            Some(ids) => ids.to_vec(),
            None => self.index.platform_candidates(need, false, self.matching.max_candidates)?.ids,
        };
        Ok(self
            .store
            .get_many(&ids)?
            .into_iter()
            .filter(Record::is_public)
            .filter_map(|r| match r {
                Record::Platform(p) => Some(p),
                Record::Need(_) => None,
            })
            .filter(|p| {
                let s = score(p);
                s > 0.0 && s >= min_score
            })
            .map(|p| p.meta.id)
            .collect())
    }

    /// Which of `ids` (changed records of the search's kind) are in the results of `s` now.
    fn members(&self, s: &SavedSearch, ids: &[Uuid]) -> Result<Vec<Uuid>> {
        let Some(owner) = self.store.user_by_id(s.owner_id)? else { return Ok(Vec::new()) };
        let owner = Actor { id: owner.id, role: owner.role };
        if let Some(need_id) = s.need_id {
            return match self.store.get(Kind::Need, need_id)? {
                Some(Record::Need(n)) if n.fields.status.is_open_for_matching() => {
                    self.need_matches(&n.fields, s.min_score.unwrap_or(DEFAULT_MIN_SCORE), Some(ids))
                }
                _ => Ok(Vec::new()),
            };
        }
        let query: SavedQuery = serde_json::from_value(s.query.clone()).unwrap_or_default();
        let Ok(mut req) = self.saved_request(s.kind, &query, &owner) else {
            // A term the vocabularies no longer hold: the search finds nothing until edited.
            return Ok(Vec::new());
        };
        req.filters.push((Filter::Id, ids.iter().map(Uuid::to_string).collect()));
        (req.offset, req.limit) = (0, ids.len());
        let found = self.index.search(&req)?.ids;
        let records = self.store.get_many(&found.iter().map(|(id, _)| *id).collect::<Vec<_>>())?;
        Ok(records.iter().filter(|r| visible(r, Some(&owner))).map(|r| r.meta().id).collect())
    }

    /// Follow the change log, up to what the index has applied, for every saved search behind
    /// it: the records that entered its results become hits, each notified once. Returns how
    /// many hits were new.
    pub fn follow_saved_searches(&self) -> Result<usize> {
        let upto = self.index.applied_seq();
        let behind = self.store.saved_searches_behind(upto)?;
        let Some(from) = behind.iter().map(|s| s.cursor_seq).min() else { return Ok(0) };
        let mut new = 0;
        let mut after = from;
        while after < upto {
            let changes: Vec<_> = self.store.changes_after(after, BATCH)?.into_iter().filter(|c| c.seq <= upto).collect();
            let Some(last) = changes.last().map(|c| c.seq) else { break };
            for s in behind.iter().filter(|s| s.cursor_seq < last) {
                // The newest change of each record of the search's kind, after its cursor.
                let mut newest: HashMap<Uuid, i64> = HashMap::new();
                for c in changes.iter().filter(|c| c.seq > s.cursor_seq && c.kind == s.kind) {
                    newest.insert(c.entity_id, c.seq);
                }
                let ids: Vec<Uuid> = newest.keys().copied().collect();
                let members: HashSet<Uuid> = if ids.is_empty() { HashSet::new() } else { self.members(s, &ids)?.into_iter().collect() };
                let mut entered: Vec<(Uuid, i64)> = newest.into_iter().filter(|(id, _)| members.contains(id)).collect();
                entered.sort_by_key(|&(_, seq)| seq);
                new += self.store.record_hits(s, &entered, last)?.len();
            }
            after = last;
        }
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_errors_name_the_body_field() {
        let e = in_body(Error::field(Code::InvalidQuery, FieldError::new("technology", FieldCode::InvalidValue, "no")));
        assert_eq!(e.code, Code::ValidationFailed);
        assert_eq!(e.errors[0].field, "query.technology");
        assert_eq!(e.detail, "query.technology: no");
    }
}
