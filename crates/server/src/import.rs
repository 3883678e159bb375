//! Importing JSON arrays of platforms and needs, idempotent by `external_key`, in batched
//! transactions with batched index commits.

use omics_api::state::Opened;
use omics_domain::{Kind, Meta, NeedFields, PlatformFields, Record, Role, body};
use omics_store::{ImportOutcome, NewUser};
use uuid::Uuid;

/// Records per transaction and index commit.
pub const BATCH: usize = 1_000;

#[derive(Debug, Default)]
pub struct Report {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// (item number, problem) for items refused by validation.
    pub refused: Vec<(usize, String)>,
}

/// Which kind an item is: needs have a `title`, platforms a `name`.
fn kind_of(v: &serde_json::Value) -> Option<Kind> {
    if v.get("title").is_some() {
        Some(Kind::Need)
    } else if v.get("name").is_some() {
        Some(Kind::Platform)
    } else {
        None
    }
}

fn to_record(v: serde_json::Value, vocabs: &omics_domain::Vocabularies, owner: Uuid) -> Result<Record, String> {
    let describe =
        |e: omics_domain::ValidationErrors| e.0.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ");
    let now = omics_domain::now();
    let meta = Meta { id: Uuid::now_v7(), owner_id: Some(owner), created_at: now, updated_at: now, version: 1 };
    match kind_of(&v) {
        Some(Kind::Platform) => {
            let f: PlatformFields = body::from_value(v).map_err(describe)?;
            Ok(Record::Platform(omics_domain::Platform { meta, fields: f.validate(vocabs).map_err(describe)? }))
        }
        Some(Kind::Need) => {
            let f: NeedFields = body::from_value(v).map_err(describe)?;
            Ok(Record::Need(omics_domain::Need { meta, fields: f.validate(vocabs, None).map_err(describe)? }))
        }
        None => Err("neither a platform (has `name`) nor a need (has `title`)".into()),
    }
}

/// The account that owns imported records: found by email, or created without a usable
/// password (it cannot sign in until an admin sets one).
pub fn owner_account(opened: &Opened, email: &str) -> anyhow::Result<Uuid> {
    if let Some(u) = opened.store.user_by_email(email)? {
        return Ok(u.id);
    }
    let u = opened.store.create_user(NewUser {
        email: email.to_owned(),
        display_name: "Imported records".into(),
        role: Role::PlatformManager,
        password_hash: "!disabled".into(),
    })?;
    Ok(u.id)
}

/// Import `items`; `progress` is told how many items are done after each batch.
pub fn import(opened: &Opened, items: Vec<serde_json::Value>, owner: Uuid, mut progress: impl FnMut(usize)) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let mut done = 0;
    let mut items = items.into_iter().enumerate().peekable();
    while items.peek().is_some() {
        let mut batch = Vec::with_capacity(BATCH);
        for (i, v) in items.by_ref().take(BATCH) {
            match to_record(v, &opened.vocabs, owner) {
                Ok(r) => batch.push(r),
                Err(e) => report.refused.push((i + 1, e)),
            }
            done += 1;
        }
        let (outcomes, _) = opened.store.import(&batch, None)?;
        for o in outcomes {
            match o {
                ImportOutcome::Created => report.created += 1,
                ImportOutcome::Updated => report.updated += 1,
                ImportOutcome::Unchanged => report.unchanged += 1,
            }
        }
        opened.index.catch_up(&opened.store)?;
        progress(done);
    }
    Ok(report)
}

/// The demo data set shipped with the binary.
pub fn demo_items() -> anyhow::Result<Vec<serde_json::Value>> {
    let mut items: Vec<serde_json::Value> = serde_json::from_str(include_str!("../../../fixtures/demo/platforms.json"))?;
    items.extend(serde_json::from_str::<Vec<serde_json::Value>>(include_str!("../../../fixtures/demo/needs.json"))?);
    Ok(items)
}

/// Records of `kind` as import items (their writable fields), in id order.
pub fn export(opened: &Opened, kind: Kind) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let batch = opened.store.scan(Some(kind), after, 5_000)?;
        let Some(last) = batch.last() else { break };
        after = Some(last.meta().id);
        out.extend(batch.iter().map(Record::body_json));
    }
    Ok(out)
}
