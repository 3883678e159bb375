//! Introductions and their message threads. A change of state, its message and the need's own
//! change (accepting the first introduction puts the need in discussion) are one transaction.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use omics_domain::introduction::told;
use omics_domain::{EventKind, IntroductionState, Kind, NeedStatus, Record, Side};
use uuid::Uuid;

use crate::conn::{DbConn, Store};
use crate::events::{notify, owner_of};
use crate::records::{Row, parse_uuid, update_in};
use crate::schema::{introduction_messages, introductions, records};
use crate::{Result, StoreError};

/// A stored introduction.
#[derive(Debug, Clone, PartialEq)]
pub struct Introduction {
    pub id: Uuid,
    pub need_id: Uuid,
    pub platform_id: Uuid,
    pub proposed_by: Side,
    pub proposer_id: Uuid,
    pub state: IntroductionState,
    /// The match score when it was proposed.
    pub score: f64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A proposal not answered by then expires.
    pub expires_at: DateTime<Utc>,
}

/// One message of an introduction's thread.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: Uuid,
    pub introduction_id: Uuid,
    /// The account that wrote it; `None` for the service's own notes ("closed because ...").
    pub author_id: Option<Uuid>,
    /// The author's side; `None` for the service's own notes.
    pub side: Option<Side>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// What a change does: the introduction's new state, a message for its thread, and the need's
/// new record when the change moves the need too.
#[derive(Debug, Clone, PartialEq)]
pub struct IntroductionChange {
    pub state: IntroductionState,
    pub message: Option<Message>,
    pub need: Option<Record>,
}

/// Which introductions to list.
#[derive(Debug, Clone, PartialEq)]
pub enum Party {
    /// Every introduction (admins).
    Anyone,
    /// Those proposed to the account: it owns the side that did not propose.
    ReceivedBy(Uuid),
    /// Those the account proposed.
    SentBy(Uuid),
    /// Either.
    PartyTo(Uuid),
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = introductions)]
struct IntroRow {
    id: String,
    need_id: String,
    platform_id: String,
    proposed_by: String,
    proposer_id: String,
    state: String,
    score: f64,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = introduction_messages)]
struct MessageRow {
    id: String,
    introduction_id: String,
    author_id: Option<String>,
    side: Option<String>,
    body: String,
    created_at: NaiveDateTime,
}

impl IntroRow {
    fn of(i: &Introduction) -> Self {
        IntroRow {
            id: i.id.to_string(),
            need_id: i.need_id.to_string(),
            platform_id: i.platform_id.to_string(),
            proposed_by: i.proposed_by.as_str().to_owned(),
            proposer_id: i.proposer_id.to_string(),
            state: i.state.as_str().to_owned(),
            score: i.score,
            version: i.version,
            created_at: i.created_at.naive_utc(),
            updated_at: i.updated_at.naive_utc(),
            expires_at: i.expires_at.naive_utc(),
        }
    }

    fn into_introduction(self) -> Result<Introduction> {
        let corrupt = |what: &str, v: &str| StoreError::Corrupt(self.id.clone(), format!("{what} {v}"));
        Ok(Introduction {
            id: parse_uuid(&self.id)?,
            need_id: parse_uuid(&self.need_id)?,
            platform_id: parse_uuid(&self.platform_id)?,
            proposed_by: Side::parse(&self.proposed_by).ok_or_else(|| corrupt("side", &self.proposed_by))?,
            proposer_id: parse_uuid(&self.proposer_id)?,
            state: IntroductionState::parse(&self.state).ok_or_else(|| corrupt("state", &self.state))?,
            score: self.score,
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
            expires_at: self.expires_at.and_utc(),
        })
    }
}

impl MessageRow {
    fn of(m: &Message) -> Self {
        MessageRow {
            id: m.id.to_string(),
            introduction_id: m.introduction_id.to_string(),
            author_id: m.author_id.map(|a| a.to_string()),
            side: m.side.map(|s| s.as_str().to_owned()),
            body: m.body.clone(),
            created_at: m.created_at.naive_utc(),
        }
    }

    fn into_message(self) -> Result<Message> {
        let side = match self.side.as_deref() {
            None => None,
            Some(s) => Some(Side::parse(s).ok_or_else(|| StoreError::Corrupt(self.id.clone(), format!("side {s}")))?),
        };
        Ok(Message {
            id: parse_uuid(&self.id)?,
            introduction_id: parse_uuid(&self.introduction_id)?,
            author_id: self.author_id.as_deref().map(parse_uuid).transpose()?,
            side,
            body: self.body,
            created_at: self.created_at.and_utc(),
        })
    }
}

fn one_open(e: DieselError) -> StoreError {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => StoreError::Duplicate("introduction"),
        other => StoreError::Db(other),
    }
}

fn read_intro(c: &mut DbConn, id: Uuid) -> Result<Option<Introduction>> {
    introductions::table
        .find(id.to_string())
        .select(IntroRow::as_select())
        .first::<IntroRow>(c)
        .optional()?
        .map(IntroRow::into_introduction)
        .transpose()
}

fn read_need(c: &mut DbConn, id: Uuid) -> Result<Record> {
    records::table
        .filter(records::id.eq(id.to_string()))
        .filter(records::kind.eq(Kind::Need.as_str()))
        .select(Row::as_select())
        .first::<Row>(c)
        .optional()?
        .ok_or(StoreError::NotFound)?
        .into_record()
}

/// Tell the introduction's parties but `actor` that `kind` happened to it (the outbox).
fn tell(c: &mut DbConn, intro: &Introduction, kind: EventKind, actor: Option<Uuid>, extra: serde_json::Value) -> Result<()> {
    let (requester, platform) = (owner_of(c, intro.need_id)?, owner_of(c, intro.platform_id)?);
    let by = match actor {
        Some(a) if Some(a) == requester => "requester",
        Some(a) if Some(a) == platform => "platform",
        _ => "service",
    };
    let mut payload = serde_json::json!({
        "introduction_id": intro.id, "need_id": intro.need_id, "platform_id": intro.platform_id,
        "state": intro.state.as_str(), "by": by,
    });
    if let (Some(p), serde_json::Value::Object(more)) = (payload.as_object_mut(), extra) {
        p.extend(more);
    }
    notify(c, kind, &told(requester, platform, actor), intro.id, &payload)
}

fn insert_message(c: &mut DbConn, m: &Message) -> Result<()> {
    diesel::insert_into(introduction_messages::table).values(MessageRow::of(m)).execute(c)?;
    Ok(())
}

/// Write `change` to `intro` (read in this transaction) and the need it moves.
fn apply(
    c: &mut DbConn,
    intro: &Introduction,
    change: &IntroductionChange,
    actor: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Introduction> {
    let next = Introduction { state: change.state, version: intro.version + 1, updated_at: now, ..intro.clone() };
    diesel::update(introductions::table.find(intro.id.to_string()))
        .set((
            introductions::state.eq(next.state.as_str()),
            introductions::version.eq(next.version),
            introductions::updated_at.eq(now.naive_utc()),
        ))
        .execute(c)
        .map_err(one_open)?;
    if let Some(m) = &change.message {
        insert_message(c, m)?;
    }
    tell(c, &next, EventKind::of_state(next.state), actor, serde_json::json!({}))?;
    if let Some(need) = &change.need {
        update_in(c, need, need.meta().version - 1, actor)?;
    }
    Ok(next)
}

/// The service's note in the thread of an introduction closed because its need moved on.
fn closing_note(status: NeedStatus) -> &'static str {
    match status {
        NeedStatus::Matched => "Closed: the requester chose another platform for this need.",
        NeedStatus::Withdrawn => "Closed: the requester withdrew the need.",
        NeedStatus::Expired => "Closed: the need's deadline passed.",
        NeedStatus::Suspended => "Closed: the need was taken down by the network's secretariat.",
        NeedStatus::Open | NeedStatus::InDiscussion | NeedStatus::Closed => "Closed.",
    }
}

/// Close the need's introductions that are not closed (but `except`), each with the service's
/// note saying why, because the need moved to `status`; returns them as they are now.
pub(crate) fn close_introductions_of(
    c: &mut DbConn,
    need_id: Uuid,
    except: Option<Uuid>,
    status: NeedStatus,
    actor: Option<Uuid>,
) -> Result<Vec<Introduction>> {
    let open: Vec<Introduction> = introductions::table
        .filter(introductions::need_id.eq(need_id.to_string()))
        .filter(introductions::state.eq_any(IntroductionState::ALL.iter().filter(|s| !s.is_closed()).map(|s| s.as_str())))
        .select(IntroRow::as_select())
        .load::<IntroRow>(c)?
        .into_iter()
        .map(IntroRow::into_introduction)
        .collect::<Result<_>>()?;
    let now = Utc::now();
    open.iter()
        .filter(|i| Some(i.id) != except)
        .map(|i| {
            let note = Message {
                id: Uuid::now_v7(),
                introduction_id: i.id,
                author_id: None,
                side: None,
                body: closing_note(status).to_owned(),
                created_at: now,
            };
            apply(c, i, &IntroductionChange { state: IntroductionState::Closed, message: Some(note), need: None }, actor, now)
        })
        .collect()
}

impl Store {
    /// Mark `introduction_id` as the match of its need: `f` gets the need and the introduction
    /// as they are in this transaction and returns the need's new record (or refuses); the
    /// need's other introductions that are not closed are closed with a note.
    pub fn match_need<E>(
        &self,
        introduction_id: Uuid,
        actor: Option<Uuid>,
        f: impl FnOnce(&Record, &Introduction) -> Result<Record, E>,
    ) -> Result<Result<Record, E>> {
        self.write_or_refuse(|c| {
            let intro = read_intro(c, introduction_id)?.ok_or(StoreError::NotFound)?;
            let need = read_need(c, intro.need_id)?;
            let new = match f(&need, &intro) {
                Ok(new) => new,
                Err(e) => return Ok(Err(e)),
            };
            update_in(c, &new, need.meta().version, actor)?;
            close_introductions_of(c, intro.need_id, Some(intro.id), NeedStatus::Matched, actor)?;
            Ok(Ok(new))
        })
    }

    /// Store a new introduction with its first message. A second introduction that is not
    /// closed for the same need and platform is refused (`Duplicate("introduction")`).
    pub fn insert_introduction(&self, intro: &Introduction, message: Option<&Message>) -> Result<()> {
        self.write(|c| {
            diesel::insert_into(introductions::table).values(IntroRow::of(intro)).execute(c).map_err(one_open)?;
            if let Some(m) = message {
                insert_message(c, m)?;
            }
            tell(c, intro, EventKind::IntroductionProposed, Some(intro.proposer_id), serde_json::json!({}))
        })
    }

    /// An introduction and its thread, oldest message first.
    pub fn introduction(&self, id: Uuid) -> Result<Option<(Introduction, Vec<Message>)>> {
        let mut c = self.conn()?;
        let Some(intro) = read_intro(&mut c, id)? else { return Ok(None) };
        let messages = introduction_messages::table
            .filter(introduction_messages::introduction_id.eq(id.to_string()))
            .order((introduction_messages::created_at.asc(), introduction_messages::id.asc()))
            .select(MessageRow::as_select())
            .load::<MessageRow>(&mut *c)?
            .into_iter()
            .map(MessageRow::into_message)
            .collect::<Result<Vec<_>>>()?;
        Ok(Some((intro, messages)))
    }

    /// Read, change and write one introduction atomically: `f` gets it and its need as they
    /// are in this transaction, and says what to do (or refuses with its own error).
    pub fn change_introduction<E>(
        &self,
        id: Uuid,
        actor: Option<Uuid>,
        f: impl FnOnce(&Introduction, &Record) -> Result<IntroductionChange, E>,
    ) -> Result<Result<Introduction, E>> {
        self.write_or_refuse(|c| {
            let intro = read_intro(c, id)?.ok_or(StoreError::NotFound)?;
            let need = read_need(c, intro.need_id)?;
            match f(&intro, &need) {
                Ok(change) => Ok(Ok(apply(c, &intro, &change, actor, Utc::now())?)),
                Err(e) => Ok(Err(e)),
            }
        })
    }

    /// Add a message to a thread, if `check` allows it given the introduction as it is now.
    pub fn add_message<E>(&self, message: &Message, check: impl FnOnce(&Introduction) -> Result<(), E>) -> Result<Result<(), E>> {
        self.write_or_refuse(|c| {
            let intro = read_intro(c, message.introduction_id)?.ok_or(StoreError::NotFound)?;
            if let Err(e) = check(&intro) {
                return Ok(Err(e));
            }
            insert_message(c, message)?;
            tell(c, &intro, EventKind::MessageReceived, message.author_id, serde_json::json!({"message_id": message.id}))?;
            diesel::update(introductions::table.find(intro.id.to_string()))
                .set(introductions::updated_at.eq(message.created_at.naive_utc()))
                .execute(c)?;
            Ok(Ok(()))
        })
    }

    /// Proposals not answered by `now` become `expired`; returns them as they are now.
    pub fn expire_introductions(&self, now: DateTime<Utc>) -> Result<Vec<Introduction>> {
        // Most calls find nothing due: ask with a read first, and take the write turn only then.
        let due = |c: &mut DbConn| -> Result<bool> {
            let n: i64 = introductions::table
                .filter(introductions::state.eq(IntroductionState::Proposed.as_str()))
                .filter(introductions::expires_at.le(now.naive_utc()))
                .count()
                .get_result(c)?;
            Ok(n > 0)
        };
        if !due(&mut *self.conn()?)? {
            return Ok(Vec::new());
        }
        self.write(|c| {
            let due: Vec<Introduction> = introductions::table
                .filter(introductions::state.eq(IntroductionState::Proposed.as_str()))
                .filter(introductions::expires_at.le(now.naive_utc()))
                .select(IntroRow::as_select())
                .load::<IntroRow>(c)?
                .into_iter()
                .map(IntroRow::into_introduction)
                .collect::<Result<_>>()?;
            let change = IntroductionChange { state: IntroductionState::Expired, message: None, need: None };
            due.iter().map(|i| apply(c, i, &change, None, now)).collect()
        })
    }

    /// Introductions of `party`, optionally in `state`, most recently changed first, with the
    /// total before paging.
    pub fn introductions(
        &self,
        party: &Party,
        state: Option<IntroductionState>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Introduction>, i64)> {
        let (need, platform) = diesel::alias!(records as need_rec, records as platform_rec);
        let mut c = self.conn()?;
        let query = || {
            let mut q = introductions::table
                .inner_join(need.on(need.field(records::id).eq(introductions::need_id)))
                .inner_join(platform.on(platform.field(records::id).eq(introductions::platform_id)))
                .into_boxed();
            if let Some(s) = state {
                q = q.filter(introductions::state.eq(s.as_str()));
            }
            let requester = introductions::proposed_by.eq(Side::Requester.as_str());
            let platform_side = introductions::proposed_by.eq(Side::Platform.as_str());
            match party {
                Party::Anyone => q,
                Party::SentBy(id) => q.filter(introductions::proposer_id.eq(id.to_string())),
                Party::ReceivedBy(id) => q.filter(
                    requester
                        .and(platform.field(records::owner_id).eq(id.to_string()))
                        .or(platform_side.and(need.field(records::owner_id).eq(id.to_string()))),
                ),
                Party::PartyTo(id) => {
                    q.filter(need.field(records::owner_id).eq(id.to_string()).or(platform.field(records::owner_id).eq(id.to_string())))
                }
            }
        };
        let total: i64 = query().count().get_result(&mut *c)?;
        let rows = query()
            .order((introductions::updated_at.desc(), introductions::id.desc()))
            .offset(offset)
            .limit(limit)
            .select(IntroRow::as_select())
            .load::<IntroRow>(&mut *c)?;
        Ok((rows.into_iter().map(IntroRow::into_introduction).collect::<Result<_>>()?, total))
    }
}
