//! omics-match scoring engine: pure and synchronous. Given a need, candidate platforms (or a
//! platform and candidate needs) and what the index knows (text relevance, how many platforms
//! offer a technology in each country), it excludes by hard constraints and scores the rest
//! in [0, 1] as a weighted mean of components, each with a sentence a person can check.
//!
//! Where things are:
//! - [`prepare`]: what is worked out once per need (how every technology term relates to each
//!   one asked for, the sample types and accreditations that satisfy it, country tables).
//! - [`constraints`]: the hard constraints ([`Constraint`]) and why a platform breaks them.
//! - [`components`]: one function per score component ([`ComponentName`]) with its reason; the
//!   country score is `components::country_value`, its sentence `components::country`.
//! - [`rank`]: a pair's evaluation, the score as the weighted sum, the upper bound and the
//!   rankings both ways ([`rank_platforms`], [`rank_needs`]).
//! - `features`: the same constraints and score read from a platform's compact features.
//! - `weights`: the weights per component, their defaults and the `name:value` overrides.

/// `format!` only when the reason will be shown: ranking scores every candidate without
/// building a sentence, then explains the few it returns.
macro_rules! why {
    ($explain:expr, $($arg:tt)*) => {
        if $explain { format!($($arg)*) } else { String::new() }
    };
}

pub mod components;
pub mod constraints;
pub mod eval;
mod features;
pub mod prepare;
pub mod rank;
mod weights;

use std::collections::HashMap;

use chrono::NaiveDate;
use omics_domain::Vocabularies;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

pub use components::{ComponentName, hops};
pub use constraints::{Constraint, exclusions};
pub use features::{Candidate, Features};
pub use prepare::{Relation, relation};
pub use rank::{Ranked, Ranking, Want, evaluate, rank_needs, rank_platforms};
pub use weights::Weights;

/// Months assumed when a need has no deadline.
pub const HORIZON_MONTHS_WITHOUT_DEADLINE: f64 = 6.0;
const DAYS_PER_MONTH: f64 = 30.44;

/// One part of a score.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Component {
    /// Which component.
    pub name: ComponentName,
    /// The component's value in [0, 1].
    pub value: f64,
    /// Its weight in this request.
    pub weight: f64,
    /// `value * weight / sum of weights`: what it adds to the score.
    pub contribution: f64,
    /// What the value means, true of the data.
    pub reason: String,
}

/// A hard constraint that excludes a candidate.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Exclusion {
    /// Which constraint is broken.
    pub constraint: Constraint,
    /// What is broken, for a person (empty when ranking without reasons).
    pub reason: String,
}

/// The outcome for one need-platform pair.
#[derive(Debug, Clone, PartialEq)]
pub enum Evaluation {
    Match { score: f64, components: Vec<Component> },
    Excluded(Vec<Exclusion>),
}

impl Evaluation {
    pub fn score(&self) -> f64 {
        match self {
            Evaluation::Match { score, .. } => *score,
            Evaluation::Excluded(_) => 0.0,
        }
    }
}

/// How a technology typed as free text was read (for the reason of the technology component).
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub typed: String,
    pub technology: String,
    pub similarity: f64,
}

/// Published platforms offering a technology (or a narrower one), per country.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Supply(pub HashMap<String, HashMap<String, u64>>);

impl Supply {
    pub fn count(&self, technology: &str, country: &str) -> u64 {
        self.0.get(technology).and_then(|m| m.get(country)).copied().unwrap_or(0)
    }
}

/// Text relevance by candidate id, in [0, 1] (an Fx hash: ids are random already).
pub type TextScores = HashMap<Uuid, f64, rustc_hash::FxBuildHasher>;

/// Everything besides the pair itself that scoring reads.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub vocabs: &'a Vocabularies,
    pub weights: Weights,
    pub today: NaiveDate,
    /// Text relevance of each candidate, normalised to [0, 1] (best candidate 1).
    pub text: &'a TextScores,
    pub supply: &'a Supply,
    pub readings: &'a [Reading],
}

#[cfg(test)]
mod tests;
