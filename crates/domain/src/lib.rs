//! omics-match domain: the records, the vocabularies, validation and the error-code table.
//!
//! Nothing in this crate performs I/O: vocabularies are parsed from strings handed in by the
//! caller (the default set is compiled in from `fixtures/vocabularies/`).
//!
//! Where things are:
//! - [`model`]: platforms and needs as written, checked and stored (`PlatformFields`,
//!   `NeedFields`, their `check`), statuses and the need's `is_open_for_matching`.
//! - [`vocab`]: the vocabularies and `Vocabulary::read`, where a typed value becomes a term id
//!   or a 422 `unknown_term` field error with suggestions; [`linker`]: how free wording
//!   ("germline WES (Twist Exome 2.0)") is read, with its confidence and warnings.
//! - [`introduction`]: the states of an introduction and who may move it (the transition table).
//! - [`error`]: the table of problem codes (`Code`: status, title) and of field codes
//!   (`FieldCode`); [`limits`]: every size bound; [`body`]: reading a JSON body into a type,
//!   with field paths in its errors.

pub mod body;
pub mod error;
pub mod introduction;
pub mod limits;
pub mod linker;
pub mod model;
pub mod vocab;

pub use error::{Code, FieldCode, FieldError, ValidationErrors};
pub use introduction::{EmailDigest, EventKind, IntroductionState, Side};
pub use linker::{Confidence, Suggestion};
pub use model::*;
pub use vocab::{Read, Term, Vocabularies, Vocabulary, normalize};
