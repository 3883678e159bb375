//! Writes changes to the database of a data directory *without* touching the search index
//! (benches/run.sh, figure 5 (ii)): the server, restarted afterwards, must catch its index up
//! from the change log before it is ready.
//!
//! Each change is an update of an imported platform (then need, cycling if there are fewer
//! records than changes) through `Store::import` by external key, in transactions of 1,000:
//! the same store path as `omics-match import`, minus the index catch-up. Run it only while no
//! server uses the data directory. Prints `key value` lines.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use omics_api::Settings;
use omics_domain::{Kind, Record};
use omics_store::{ImportOutcome, Store};

#[derive(Parser)]
#[command(about = "Write changes to the database of a data directory, leaving the index behind")]
struct Args {
    #[arg(long)]
    data_dir: PathBuf,
    /// Changes to write.
    #[arg(long, default_value_t = 10_000)]
    count: usize,
}

const BATCH: usize = 1_000;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = Settings { data_dir: args.data_dir, ..Settings::default() };
    let store = Store::open(&settings.effective_database_url(), 2)?;
    let before = store.last_seq()?;
    let started = Instant::now();
    let mut written = 0usize;
    let mut pass = 0usize;
    while written < args.count {
        pass += 1;
        let mut wrote_this_pass = false;
        for kind in [Kind::Platform, Kind::Need] {
            let mut after = None;
            while written < args.count {
                let page = store.scan(Some(kind), after, BATCH.min(args.count - written) as i64)?;
                let Some(last) = page.last() else { break };
                after = Some(last.meta().id);
                let batch: Vec<Record> = page.into_iter().filter(|r| r.external_key().is_some()).map(|r| changed(r, pass)).collect();
                let (outcomes, _) = store.import(&batch, None)?;
                written += outcomes.iter().filter(|o| matches!(o, ImportOutcome::Updated)).count();
                wrote_this_pass |= !outcomes.is_empty();
            }
        }
        anyhow::ensure!(wrote_this_pass, "no records with an external key to change");
    }
    let after = store.last_seq()?;
    println!("changes_written {written}");
    println!("changes_logged {}", after - before);
    println!("changes_s {:.2}", started.elapsed().as_secs_f64());
    Ok(())
}

/// The record with a visible edit: a sentence added to its description and, for platforms,
/// one more sample a month on its first capability.
fn changed(mut rec: Record, pass: usize) -> Record {
    let note = format!(" Details revised (benchmark change, pass {pass}).");
    match &mut rec {
        Record::Platform(p) => {
            p.fields.description.push_str(&note);
            if let Some(c) = p.fields.capabilities.first_mut() {
                c.monthly_capacity = Some(c.monthly_capacity.unwrap_or(0) + 1);
            }
        }
        Record::Need(n) => n.fields.description.push_str(&note),
    }
    rec
}
