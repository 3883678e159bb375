//! The controlled vocabularies, read-only: lookups by name and resolving what a user typed.

use omics_domain::{Code, FieldCode, FieldError, Term, Vocabularies, Vocabulary, limits};

use crate::params::check_param_length;
use crate::{Error, Result, Service};

impl Service {
    /// A vocabulary by name, or 404 naming the ones there are.
    pub fn vocabulary(&self, name: &str) -> Result<&Vocabulary> {
        self.vocabs
            .by_name(name)
            .ok_or_else(|| Error::new(Code::NotFound, format!("no vocabulary '{name}'; there are {}", Vocabularies::NAMES.join(", "))))
    }

    /// Resolve what a user typed to a term of vocabulary `name`, as every vocabulary field
    /// does; 422 `unknown_term` with the closest terms when it is unknown.
    pub fn resolve(&self, name: &str, value: &str) -> Result<&Term> {
        let v = self.vocabulary(name)?;
        if value.is_empty() {
            return Err(Error::field(
                Code::InvalidQuery,
                FieldError::new("value", FieldCode::Required, "value is what to resolve, e.g. value=WES"),
            ));
        }
        check_param_length("value", Some(value), limits::SHORT_TEXT)?;
        let id = v.resolve("value", value).map_err(|e| Error::field(Code::UnknownTerm, e))?;
        v.get(&id).ok_or_else(|| Error::internal("resolved term missing"))
    }
}
