//! omics-match domain: the records, the vocabularies, validation and the error-code table.
//!
//! Nothing in this crate performs I/O: vocabularies are parsed from strings handed in by the
//! caller (the default set is compiled in from `fixtures/vocabularies/`).

pub mod body;
pub mod error;
pub mod limits;
pub mod linker;
pub mod model;
pub mod vocab;

pub use error::{Code, FieldError, ValidationErrors};
pub use linker::{Confidence, Suggestion};
pub use model::*;
pub use vocab::{Read, Term, Vocabularies, Vocabulary, normalize};
