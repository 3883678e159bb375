//! Listing and searching platforms and needs: the search parameters, turned into an index
//! request (vocabulary values resolved as in bodies), and a page of what the viewer may see,
//! with facet counts.

use std::collections::BTreeMap;

use omics_domain::{Code, FieldCode, FieldError, Kind, ValidationErrors, Vocabularies, limits};
use omics_index::{Audience, Filter, SearchRequest, Sort};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::access::visible;

use super::entity::Entity;
use crate::params::{DEFAULT_LIMIT, MAX_OFFSET, bad_param, check_param_length, out_of_range, page_limit, values};
use crate::{Actor, Error, Result, Service};

/// Search and filter parameters. Filters take one value or several separated by commas (any
/// of them matches); vocabulary values may be ids, labels or synonyms.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Full text; every word must match, one typo per word of five letters or more is forgiven;
    /// the last word (two characters or more) also matches as a prefix, for search as you type.
    #[param(example = "single cell")]
    pub q: Option<String>,
    /// Technologies; a family includes its narrower terms.
    #[param(example = "scRNA-seq")]
    pub technology: Option<String>,
    /// Countries (ISO alpha-2 or name).
    #[param(example = "BE")]
    pub country: Option<String>,
    #[param(example = "translational-research")]
    pub readiness_area: Option<String>,
    /// Sample types; a broader type includes its narrower ones.
    pub sample_type: Option<String>,
    pub accreditation: Option<String>,
    /// OncoTree codes or names (needs only; includes narrower codes).
    pub cancer_type: Option<String>,
    /// Statuses; without it, what you may see (published platforms, or needs not withdrawn, plus your own).
    pub status: Option<String>,
    /// Only records you own (needs a token).
    pub mine: Option<bool>,
    /// `relevance` (default with `q`), `-updated_at` (default without), `updated_at`, `-created_at`, `name`, `-name`.
    pub sort: Option<String>,
    /// Page size (default 20).
    pub limit: Option<u32>,
    /// Items to skip; deeper pages are not served (narrow the search instead).
    pub offset: Option<u32>,
}

/// One value of a facet with the number of matching records.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetValue {
    pub id: String,
    pub label: String,
    pub count: u64,
}

/// Counts over all matching records (not only this page).
#[derive(Debug, Serialize, ToSchema)]
pub struct Facets {
    /// Counts include broader terms: a record with WES counts for DNA sequencing too.
    pub technology: Vec<FacetValue>,
    pub country: Vec<FacetValue>,
    pub readiness_area: Vec<FacetValue>,
}

/// A page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// All matching records.
    pub total: usize,
    pub limit: u32,
    pub offset: u32,
    /// Offset of the next page, absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u32>,
    pub facets: Facets,
}

fn parse_sort(s: Option<&str>) -> Result<Sort> {
    Ok(match s.unwrap_or("relevance") {
        "relevance" => Sort::Relevance,
        "-updated_at" => Sort::UpdatedDesc,
        "updated_at" => Sort::UpdatedAsc,
        "-created_at" => Sort::CreatedDesc,
        "name" => Sort::NameAsc,
        "-name" => Sort::NameDesc,
        other => {
            return Err(bad_param(
                "sort",
                format!("'{other}' is not a sort; use relevance, -updated_at, updated_at, -created_at, name or -name"),
            ));
        }
    })
}

/// Turn list parameters into an index request; vocabulary values are resolved as in bodies.
pub(crate) fn search_request<E: Entity>(p: &ListParams, v: &Vocabularies, viewer: Option<&Actor>) -> Result<SearchRequest> {
    let limit = page_limit(p.limit)?;
    let offset = p.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(out_of_range("offset", format!("offset is 0 to {MAX_OFFSET}; narrow the search instead of paging further")));
    }
    check_param_length("q", p.q.as_deref(), limits::QUERY_TEXT)?;
    check_param_length("sort", p.sort.as_deref(), limits::SHORT_TEXT)?;
    check_param_length("status", p.status.as_deref(), limits::FILTER_TEXT)?;
    if E::KIND == Kind::Platform && p.cancer_type.is_some() {
        return Err(bad_param("cancer_type", "platforms have no cancer type; filter needs by cancer_type".into()));
    }
    let mut errors = ValidationErrors::default();
    let mut filters = Vec::new();
    let specs: [(&str, &Option<String>, Filter, &omics_domain::Vocabulary); 6] = [
        ("technology", &p.technology, Filter::Technology, &v.technologies),
        ("country", &p.country, Filter::Country, &v.countries),
        ("readiness_area", &p.readiness_area, Filter::ReadinessArea, &v.readiness_areas),
        ("sample_type", &p.sample_type, Filter::SampleType, &v.sample_types),
        ("accreditation", &p.accreditation, Filter::Accreditation, &v.accreditations),
        ("cancer_type", &p.cancer_type, Filter::CancerType, &v.cancer_types),
    ];
    for (name, raw, filter, vocab) in specs {
        check_param_length(name, raw.as_deref(), limits::FILTER_TEXT)?;
        let vals = values(raw);
        if vals.len() > limits::LIST {
            errors.push(FieldError::new(name, FieldCode::TooMany, format!("at most {} values", limits::LIST)));
            continue;
        }
        let mut ids = Vec::new();
        for val in vals {
            match vocab.resolve(name, val) {
                Ok(id) => ids.push(id),
                Err(e) => errors.push(e),
            }
        }
        if !ids.is_empty() {
            filters.push((filter, ids));
        }
    }
    let statuses = values(&p.status);
    if !statuses.is_empty() {
        let known = E::statuses();
        for s in &statuses {
            if !known.contains(s) {
                errors.push(FieldError::new(
                    "status",
                    FieldCode::InvalidValue,
                    format!("'{s}' is not a {} status; use {}", E::NAME, known.join(", ")),
                ));
            }
        }
        filters.push((Filter::Status, statuses.iter().map(|s| s.to_string()).collect()));
    }
    if !errors.is_empty() {
        let mut e = Error::from(errors);
        if e.code == Code::ValidationFailed {
            e.code = Code::InvalidQuery;
        }
        return Err(e);
    }
    let audience = match viewer {
        None => Audience::Anonymous,
        Some(u) if u.is_admin() => Audience::Admin,
        Some(u) => Audience::User(u.id),
    };
    if p.mine == Some(true) {
        let u = viewer.ok_or_else(|| Error::new(Code::MissingToken, "mine=true needs 'Authorization: Bearer <token>'"))?;
        filters.push((Filter::Owner, vec![u.id.to_string()]));
    }
    Ok(SearchRequest {
        kind: E::KIND,
        text: p.q.clone(),
        filters,
        audience,
        sort: parse_sort(p.sort.as_deref())?,
        offset: offset as usize,
        limit: limit as usize,
    })
}

fn facet_values(counts: Option<&BTreeMap<String, u64>>, vocab: &omics_domain::Vocabulary) -> Vec<FacetValue> {
    let mut out: Vec<FacetValue> =
        counts.into_iter().flatten().map(|(id, &count)| FacetValue { label: vocab.label(id).to_owned(), id: id.clone(), count }).collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
    out
}

impl Service {
    /// A page of the records of one kind that match `params` and `viewer` may see.
    pub fn list<E: Entity>(&self, params: &ListParams, viewer: Option<&Actor>) -> Result<Page<E::Stored>>
    where
        E::Stored: ToSchema,
    {
        let req = search_request::<E>(params, &self.vocabs, viewer)?;
        let result = self.index.search(&req)?;
        let ids: Vec<Uuid> = result.ids.iter().map(|(id, _)| *id).collect();
        let records = self.store.get_many(&ids)?;
        let records: Vec<omics_domain::Record> = records.into_iter().filter(|r| visible(r, viewer)).collect();
        let items = self
            .show_all(records, viewer)?
            .into_iter()
            .map(|r| E::stored(r).ok_or_else(|| crate::Error::internal("record of the wrong kind")))
            .collect::<Result<Vec<_>>>()?;
        let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
        let offset = params.offset.unwrap_or(0);
        let next = offset as usize + limit as usize;
        let v = &self.vocabs;
        Ok(Page {
            items,
            total: result.total,
            limit,
            offset,
            next_offset: (next < result.total).then_some(next as u32),
            facets: Facets {
                technology: facet_values(result.facets.get("technology"), &v.technologies),
                country: facet_values(result.facets.get("country"), &v.countries),
                readiness_area: facet_values(result.facets.get("readiness_area"), &v.readiness_areas),
            },
        })
    }
}
