//! Introductions: either side of a match proposes contact (the need's owner asks a platform, or
//! the platform's owner offers to serve a need), the other side accepts or declines, the
//! proposer may withdraw, and an unanswered proposal expires. A thread of messages goes with
//! each. The requester of an anonymous need stays "the requester" to the platform's owner until
//! they accept an introduction; then both sides see each other's contact.
//!
//! The rules of the states are `omics_domain::introduction`; what is stored is
//! `omics_store::Introduction`.

use chrono::{Duration, Utc};
use omics_domain::introduction::{IntroductionAction, TransitionError, next_states, transition};
use omics_domain::{
    Code, FieldCode, FieldError, IntroductionState, Need, NeedFields, NeedStatus, Platform, PlatformStatus, Record, Side, limits,
};
use omics_store::{Introduction, IntroductionChange, Message, Party, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::matches::must_haves;
use crate::params::{next_offset, page_bounds};
use crate::{Actor, Error, Result, Service};

/// A proposed introduction: the need, the platform, and an optional first message.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "need_id": "01936f1e-5b7a-7cc1-9d2e-3f4a5b6c7d8e",
    "platform_id": "01936f1e-5b7a-7cc1-9d2e-3f4a5b6c7d8f",
    "message": "We have 120 FFPE resections and would like tumour-normal exomes by September."
}))]
pub struct Proposal {
    pub need_id: Uuid,
    pub platform_id: Uuid,
    /// The first message of the thread (optional).
    #[serde(default)]
    pub message: Option<String>,
}

/// The optional message of `accept`, `decline` and `withdraw`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({"message": "Happy to help: we can start in two weeks."}))]
pub struct Answer {
    #[serde(default)]
    pub message: Option<String>,
}

/// A message for an introduction's thread.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"message": "Could you send the sample manifest template?"}))]
pub struct NewMessage {
    pub message: String,
}

/// Which introductions to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mailbox {
    /// Proposed to you: you own the side that did not propose.
    Received,
    /// Proposed by you.
    Sent,
}

/// The inbox's parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxParams {
    /// `received` or `sent`; both when absent (admins: every introduction).
    #[param(inline)]
    pub r#box: Option<Mailbox>,
    /// Only introductions in this state.
    #[param(inline)]
    pub state: Option<IntroductionState>,
    /// Page size (default 20, at most 100).
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// Who wrote a message: a side, or the service itself. Never an account: the requester of an
/// anonymous need is "the requester".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Requester,
    Platform,
    Service,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: Uuid,
    pub from: Author,
    pub body: String,
    pub created_at: chrono::DateTime<Utc>,
}

/// How to reach one side.
#[derive(Debug, Serialize, ToSchema)]
pub struct Contact {
    pub display_name: String,
    pub email: String,
    /// The organisation, where known (a platform's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
}

/// Both sides' contacts, shown to the two parties once the introduction is accepted.
#[derive(Debug, Serialize, ToSchema)]
pub struct Contacts {
    pub requester: Contact,
    pub platform: Contact,
}

/// An introduction as a party (or an admin) sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntroductionView {
    pub id: Uuid,
    pub need_id: Uuid,
    pub platform_id: Uuid,
    pub proposed_by: Side,
    pub state: IntroductionState,
    /// The match score when it was proposed.
    pub score: f64,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
    /// A proposal not answered by then expires.
    pub expires_at: chrono::DateTime<Utc>,
    /// The states a party can move it to from here (by accept, decline or withdraw).
    pub next_states: Vec<IntroductionState>,
    /// With an accepted introduction, to its two parties and admins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contacts>,
    /// The thread, oldest first (empty in lists).
    pub messages: Vec<MessageView>,
}

/// A page of introductions.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntroductionPage {
    pub items: Vec<IntroductionView>,
    pub total: usize,
    pub limit: u32,
    pub offset: u32,
    /// Offset of the next page, absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u32>,
}

/// 422 unless the message is empty or at most [`limits::LONG_TEXT`] characters.
fn message_text(field: &str, m: Option<&str>) -> Result<Option<String>> {
    let Some(m) = m.map(str::trim).filter(|m| !m.is_empty()) else { return Ok(None) };
    let n = m.chars().count();
    if n > limits::LONG_TEXT {
        return Err(Error::field(
            Code::ValidationFailed,
            FieldError::new(field, FieldCode::TooLong, format!("{field} has {n} characters; at most {}", limits::LONG_TEXT)),
        ));
    }
    Ok(Some(m.to_owned()))
}

fn new_message(intro: Uuid, actor: Option<(&Actor, Side)>, body: String) -> Message {
    Message {
        id: Uuid::now_v7(),
        introduction_id: intro,
        author_id: actor.map(|(a, _)| a.id),
        side: actor.map(|(_, s)| s),
        body,
        created_at: Utc::now(),
    }
}

fn refused(e: TransitionError) -> Error {
    match e {
        TransitionError::WrongSide { .. } => Error::new(Code::WrongSide, e.to_string()),
        TransitionError::InvalidTransition { .. } => Error::new(Code::InvalidTransition, e.to_string()),
    }
}

/// The two records an introduction joins.
struct Parties {
    need: Need,
    platform: Platform,
}

impl Parties {
    /// The side `actor` owns, if any (the need's side first).
    fn side_of(&self, actor: &Actor) -> Option<Side> {
        if self.need.meta.owner_id == Some(actor.id) {
            Some(Side::Requester)
        } else if self.platform.meta.owner_id == Some(actor.id) {
            Some(Side::Platform)
        } else {
            None
        }
    }
}

impl Service {
    fn parties(&self, need_id: Uuid, platform_id: Uuid) -> Result<Parties> {
        let need = match self.store.get(omics_domain::Kind::Need, need_id)? {
            Some(Record::Need(n)) => n,
            _ => return Err(Error::not_found("need")),
        };
        let platform = match self.store.get(omics_domain::Kind::Platform, platform_id)? {
            Some(Record::Platform(p)) => p,
            _ => return Err(Error::not_found("platform")),
        };
        Ok(Parties { need, platform })
    }

    /// The match score of a need and a platform now (0 when a hard constraint excludes it),
    /// as a ranking of the need's candidates would give it.
    fn pair_score(&self, need: &NeedFields, platform: &Platform) -> Result<f64> {
        Ok(self.need_scorer(need)?(platform))
    }

    /// The match score of `need` with any platform (0 when a hard constraint excludes it), as
    /// a ranking of the need's candidates would give it: the candidates' text scores and the
    /// supply are read once.
    pub(crate) fn need_scorer<'a>(&'a self, need: &'a NeedFields) -> Result<impl Fn(&Platform) -> f64 + 'a> {
        let found = self.index.platform_candidates(need, true, self.matching.max_candidates)?;
        let supply = self.index.supply(&must_haves(need))?;
        Ok(move |platform: &Platform| {
            let ctx = self.context(self.matching.weights, &found.text, &supply, &[]);
            omics_matching::evaluate(need, platform, &ctx, platform.meta.id).score()
        })
    }

    /// Propose an introduction between a need and a platform, as the owner of either.
    pub fn propose(&self, actor: &Actor, body: serde_json::Value) -> Result<IntroductionView> {
        let proposal: Proposal = omics_domain::body::from_value(body)?;
        let message = message_text("message", proposal.message.as_deref())?;
        let parties = self.parties(proposal.need_id, proposal.platform_id)?;
        // A record the actor may not see is not found, as everywhere else.
        if !crate::records::visible(&Record::Need(parties.need.clone()), Some(actor)) {
            return Err(Error::not_found("need"));
        }
        if !crate::records::visible(&Record::Platform(parties.platform.clone()), Some(actor)) {
            return Err(Error::not_found("platform"));
        }
        let Some(side) = parties.side_of(actor) else {
            return Err(Error::forbidden(
                "only the need's owner (asking the platform) or the platform's owner (offering to serve the need) may propose an introduction",
            ));
        };
        if !parties.need.fields.status.is_open_for_matching() {
            return Err(Error::new(
                Code::NeedNotOpen,
                format!("the need is {}; introductions are proposed on open needs only", parties.need.fields.status.as_str()),
            ));
        }
        if parties.platform.fields.status != PlatformStatus::Published {
            return Err(Error::new(
                Code::PlatformNotPublished,
                format!(
                    "the platform is {}; introductions are proposed to published platforms only",
                    parties.platform.fields.status.as_str()
                ),
            ));
        }
        let score = self.pair_score(&parties.need.fields, &parties.platform)?;
        let now = Utc::now();
        let intro = Introduction {
            id: Uuid::now_v7(),
            need_id: parties.need.meta.id,
            platform_id: parties.platform.meta.id,
            proposed_by: side,
            proposer_id: actor.id,
            state: IntroductionState::Proposed,
            score: (score * 1e4).round() / 1e4,
            version: 1,
            created_at: now,
            updated_at: now,
            expires_at: now + Duration::days(i64::from(self.introduction_ttl_days)),
        };
        let first = message.map(|m| new_message(intro.id, Some((actor, side)), m));
        self.store.insert_introduction(&intro, first.as_ref()).map_err(|e| match e {
            StoreError::Duplicate(_) => Error::new(
                Code::IntroductionExists,
                "an introduction between this need and this platform is already proposed or accepted; answer or withdraw it first",
            ),
            other => other.into(),
        })?;
        self.introduction(actor, intro.id)
    }

    /// Proposals past their TTL become `expired`.
    pub fn expire_introductions(&self) -> Result<usize> {
        Ok(self.store.expire_introductions(Utc::now())?.len())
    }

    /// An introduction, to its parties and admins (404 to anyone else).
    pub fn introduction(&self, actor: &Actor, id: Uuid) -> Result<IntroductionView> {
        self.expire_introductions()?;
        let (intro, messages) = self.store.introduction(id)?.ok_or_else(|| Error::not_found("introduction"))?;
        let parties = self.parties(intro.need_id, intro.platform_id)?;
        if parties.side_of(actor).is_none() && !actor.is_admin() {
            return Err(Error::not_found("introduction"));
        }
        self.view(intro, messages, Some(&parties))
    }

    /// The introduction as its parties see it; the records it joins are read (when not given)
    /// only for the contacts of an accepted one.
    fn view(&self, intro: Introduction, messages: Vec<Message>, parties: Option<&Parties>) -> Result<IntroductionView> {
        let contact = match (intro.state, parties) {
            (IntroductionState::Accepted, Some(p)) => Some(self.contacts(p)?),
            (IntroductionState::Accepted, None) => Some(self.contacts(&self.parties(intro.need_id, intro.platform_id)?)?),
            _ => None,
        };
        Ok(IntroductionView {
            id: intro.id,
            need_id: intro.need_id,
            platform_id: intro.platform_id,
            proposed_by: intro.proposed_by,
            state: intro.state,
            score: intro.score,
            created_at: intro.created_at,
            updated_at: intro.updated_at,
            expires_at: intro.expires_at,
            next_states: next_states(intro.state),
            contact,
            messages: messages
                .into_iter()
                .map(|m| MessageView {
                    id: m.id,
                    from: match m.side {
                        Some(Side::Requester) => Author::Requester,
                        Some(Side::Platform) => Author::Platform,
                        None => Author::Service,
                    },
                    body: m.body,
                    created_at: m.created_at,
                })
                .collect(),
        })
    }

    fn contacts(&self, parties: &Parties) -> Result<Contacts> {
        let account = |owner: Option<Uuid>| -> Result<omics_store::User> {
            let id = owner.ok_or_else(|| Error::internal("a record without an owner"))?;
            self.store.user_by_id(id)?.ok_or_else(|| Error::internal("the owner's account is gone"))
        };
        let requester = account(parties.need.meta.owner_id)?;
        let manager = account(parties.platform.meta.owner_id)?;
        let p = &parties.platform.fields;
        Ok(Contacts {
            requester: Contact { display_name: requester.display_name, email: requester.email, organisation: None },
            platform: Contact {
                display_name: manager.display_name,
                email: p.contact_email.clone().unwrap_or(manager.email),
                organisation: Some(p.organisation.name.clone()),
            },
        })
    }

    /// The side `actor` acts on introduction `id` as: 404 to anyone who is no party (they may
    /// not learn it exists), 403 to admins (they read introductions but do not `what`).
    fn acting_side(&self, actor: &Actor, id: Uuid, what: &str) -> Result<Side> {
        self.expire_introductions()?;
        let (intro, _) = self.store.introduction(id)?.ok_or_else(|| Error::not_found("introduction"))?;
        match self.parties(intro.need_id, intro.platform_id)?.side_of(actor) {
            Some(side) => Ok(side),
            None if actor.is_admin() => Err(Error::forbidden(format!("only the two parties {what}; admins read it"))),
            None => Err(Error::not_found("introduction")),
        }
    }

    /// Accept, decline or withdraw, as the side whose move it is. Accepting the first
    /// introduction of an open need puts the need in discussion, in the same transaction.
    pub fn answer(&self, actor: &Actor, id: Uuid, action: IntroductionAction, body: serde_json::Value) -> Result<IntroductionView> {
        let answer: Answer = omics_domain::body::from_value(body)?;
        let message = message_text("message", answer.message.as_deref())?;
        let side = self.acting_side(actor, id, "answer an introduction")?;
        self.store.change_introduction(id, Some(actor.id), |current, need| -> Result<IntroductionChange> {
            let state = transition(current.state, current.proposed_by, side, action).map_err(refused)?;
            let need = match need {
                Record::Need(n) if state == IntroductionState::Accepted && n.fields.status == NeedStatus::Open => {
                    Some(crate::need_life::moved(n, NeedStatus::InDiscussion))
                }
                _ => None,
            };
            Ok(IntroductionChange { state, message: message.map(|m| new_message(id, Some((actor, side)), m)), need })
        })??;
        self.catch_up();
        self.introduction(actor, id)
    }

    /// Add a message to the thread of an introduction that is not closed, as either party.
    pub fn post_message(&self, actor: &Actor, id: Uuid, body: serde_json::Value) -> Result<IntroductionView> {
        let body: NewMessage = omics_domain::body::from_value(body)?;
        let Some(text) = message_text("message", Some(&body.message))? else {
            return Err(Error::field(
                Code::ValidationFailed,
                FieldError::new("message", FieldCode::Required, "a message has text".to_owned()),
            ));
        };
        let side = self.acting_side(actor, id, "write in an introduction's thread")?;
        self.store.add_message(&new_message(id, Some((actor, side)), text), |current| {
            if current.state.is_closed() {
                Err(Error::new(
                    Code::IntroductionClosed,
                    format!("the introduction is {}; its thread takes no more messages", current.state.as_str()),
                ))
            } else {
                Ok(())
            }
        })??;
        self.introduction(actor, id)
    }

    /// The introductions `actor` is a party to (admins: all), most recently changed first.
    pub fn inbox(&self, actor: &Actor, params: &InboxParams) -> Result<IntroductionPage> {
        let (limit, offset) = page_bounds(params.limit, params.offset)?;
        let party = match (params.r#box, actor.is_admin()) {
            (Some(Mailbox::Received), _) => Party::ReceivedBy(actor.id),
            (Some(Mailbox::Sent), _) => Party::SentBy(actor.id),
            (None, true) => Party::Anyone,
            (None, false) => Party::PartyTo(actor.id),
        };
        self.expire_introductions()?;
        let (rows, total) = self.store.introductions(&party, params.state, i64::from(offset), i64::from(limit))?;
        let mut items = Vec::with_capacity(rows.len());
        for intro in rows {
            items.push(self.view(intro, Vec::new(), None)?);
        }
        let total = usize::try_from(total).unwrap_or(0);
        let next = next_offset(offset, items.len(), total);
        Ok(IntroductionPage { items, total, limit, offset, next_offset: next })
    }
}
