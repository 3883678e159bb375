//! Importing JSON arrays of platforms and needs, idempotent by `external_key`, in batched
//! transactions with batched index commits.

use omics_domain::{Kind, Meta, NeedFields, PlatformFields, Record, Role, body};
use omics_service::Service;
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
            Ok(Record::Need(omics_domain::Need { meta, fields: f.validate(vocabs, None).map_err(describe)?, requester: None }))
        }
        None => Err("neither a platform (has `name`) nor a need (has `title`)".into()),
    }
}

/// The account that owns imported records: found by email, or created without a usable
/// password (it cannot sign in until an admin sets one).
pub fn owner_account(opened: &Service, email: &str) -> anyhow::Result<Uuid> {
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

/// Import `items` (see [`import_with`]).
pub fn import(opened: &Service, items: Vec<serde_json::Value>, owner: Uuid, progress: impl FnMut(usize)) -> anyhow::Result<Report> {
    import_with(opened, owner, progress, |sink| items.into_iter().try_for_each(sink))
}

/// Import the JSON array in `reader`, read element by element (a file of any size takes the
/// memory of a few batches, not of the whole array).
pub fn import_reader(
    opened: &Service,
    reader: impl std::io::Read + Send,
    owner: Uuid,
    progress: impl FnMut(usize),
) -> anyhow::Result<Report> {
    import_with(opened, owner, progress, |sink| {
        let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 20, reader));
        serde::Deserializer::deserialize_seq(&mut de, Elements(sink)).map_err(|e| anyhow::anyhow!("not a JSON array of records: {e}"))?;
        de.end().map_err(|e| anyhow::anyhow!("after the array: {e}"))?;
        Ok(())
    })
}

/// Index commits come every this many batches (and at the end): an interrupted import loses
/// no record, and the index catches up from the change log at the next start.
const BATCHES_PER_INDEX_COMMIT: usize = 20;

struct Batch {
    records: Vec<Record>,
    refused: Vec<(usize, String)>,
    items: usize,
}

/// The import pipeline: `feed` hands items to its sink on one thread, which checks them and
/// makes batches of [`BATCH`]; this thread writes each batch in one transaction (idempotent
/// by `external_key`, so a rerun after an interruption resumes: what was written is
/// `unchanged`) and catches the index up every [`BATCHES_PER_INDEX_COMMIT`] batches.
/// `progress` is told how many items are done after each batch.
pub fn import_with(
    opened: &Service,
    owner: Uuid,
    mut progress: impl FnMut(usize),
    feed: impl FnOnce(&mut dyn FnMut(serde_json::Value) -> anyhow::Result<()>) -> anyhow::Result<()> + Send,
) -> anyhow::Result<Report> {
    let vocabs = &opened.vocabs;
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(4);
        let reader = scope.spawn(move || -> anyhow::Result<()> {
            let mut n = 0;
            let mut batch = Batch { records: Vec::with_capacity(BATCH), refused: Vec::new(), items: 0 };
            feed(&mut |v| {
                n += 1;
                match to_record(v, vocabs, owner) {
                    Ok(r) => batch.records.push(r),
                    Err(e) => batch.refused.push((n, e)),
                }
                batch.items += 1;
                if batch.items == BATCH {
                    let full = std::mem::replace(&mut batch, Batch { records: Vec::with_capacity(BATCH), refused: Vec::new(), items: 0 });
                    tx.send(full).map_err(|_| anyhow::anyhow!("the import stopped"))?;
                }
                Ok(())
            })?;
            if batch.items > 0 {
                tx.send(batch).map_err(|_| anyhow::anyhow!("the import stopped"))?;
            }
            Ok(())
        });
        let mut report = Report::default();
        let mut done = 0;
        let mut written = 0;
        for batch in rx {
            let (outcomes, _) = opened.store.import(&batch.records, None)?;
            for o in outcomes {
                match o {
                    ImportOutcome::Created => report.created += 1,
                    ImportOutcome::Updated => report.updated += 1,
                    ImportOutcome::Unchanged => report.unchanged += 1,
                }
            }
            report.refused.extend(batch.refused);
            done += batch.items;
            written += 1;
            if written % BATCHES_PER_INDEX_COMMIT == 0 {
                opened.index.catch_up(&opened.store)?;
            }
            progress(done);
        }
        reader.join().map_err(|_| anyhow::anyhow!("the import's reader thread panicked"))??;
        opened.index.catch_up(&opened.store)?;
        Ok(report)
    })
}

/// Hands each element of a JSON array to a sink as it is parsed.
struct Elements<'a>(&'a mut dyn FnMut(serde_json::Value) -> anyhow::Result<()>);

impl<'de> serde::de::Visitor<'de> for Elements<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of platforms and needs")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            (self.0)(v).map_err(serde::de::Error::custom)?;
        }
        Ok(())
    }
}

/// The demo data set shipped with the binary.
pub fn demo_items() -> anyhow::Result<Vec<serde_json::Value>> {
    let mut items: Vec<serde_json::Value> = serde_json::from_str(include_str!("../../../fixtures/demo/platforms.json"))?;
    items.extend(serde_json::from_str::<Vec<serde_json::Value>>(include_str!("../../../fixtures/demo/needs.json"))?);
    Ok(items)
}

/// Records of `kind` as import items (their writable fields), in id order.
pub fn export(opened: &Service, kind: Kind) -> anyhow::Result<Vec<serde_json::Value>> {
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
