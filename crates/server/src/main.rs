//! The omics-match binary: `serve`, `migrate`, `import`, `export`, `reindex`, `create-admin`,
//! `openapi` and `evaluate`. Synthetic data sets come from the separate `omics-datagen` tool.

use omics_match::{config, evaluate, import};

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use omics_api::Application;
use omics_domain::limits::MIN_PASSWORD;
use omics_domain::{Kind, Role};
use omics_store::NewUser;

/// mimalloc rather than glibc's malloc: the blocking pool's threads each took a glibc arena
/// that kept growing under load (benches/soak/FINDINGS.md), and matching and import allocate
/// a lot of small strings.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "omics-match", version, about = "Matchmaking engine of the JANE-2 Network of Expertise on omics technologies in cancer")]
struct Cli {
    #[command(flatten)]
    overrides: config::Overrides,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the REST API.
    Serve {
        /// Port to listen on (default 8080).
        #[arg(long)]
        port: Option<u16>,
        /// Address to listen on (default 127.0.0.1; 0.0.0.0 in containers).
        #[arg(long)]
        host: Option<String>,
        /// Load the demo platforms and needs if the database has none.
        #[arg(long)]
        demo: bool,
    },
    /// Run pending database migrations and exit.
    Migrate,
    /// Import a JSON array of platforms and/or needs, idempotent by `external_key`.
    Import {
        file: PathBuf,
        /// Email of the account that will own new records.
        #[arg(long, default_value = "import@omics-match.invalid")]
        owner: String,
    },
    /// Write all platforms or needs as a JSON array (the import format) to stdout.
    Export {
        #[arg(value_parser = ["platforms", "needs"])]
        kind: String,
    },
    /// Rebuild the search index from the database.
    Reindex,
    /// Create an administrator; the password is read from OMICS_ADMIN_PASSWORD or stdin.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        display_name: String,
    },
    /// Print the OpenAPI document (or write it to a file).
    Openapi {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print reading and ranking quality on the judged sets (vocabulary and outsider: nDCG@5/@10,
    /// P@5, constraint breaches, phrasings read) against BM25 only, and the linking set's
    /// precision and recall per confidence level.
    Evaluate {
        /// Folder with needs.json and judgments.json (and outsider/, linking/).
        #[arg(long, default_value = "fixtures/evaluation")]
        dir: PathBuf,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
}

/// Log to stderr as `log_format` says: text for people, or one JSON object per line (with the
/// request's span: `request_id`, `client`, `method`, `path`) for collectors. `RUST_LOG`
/// filters (default `info,tantivy=warn`; `omics_api=debug` adds a line per request).
fn init_logging(format: omics_api::settings::LogFormat) {
    let filter = || tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tantivy=warn".into());
    match format {
        omics_api::settings::LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter()).with_writer(std::io::stderr).init(),
        omics_api::settings::LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init(),
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The log format is a setting; a configuration that does not load is reported by the
    // command itself, below.
    init_logging(config::load(&cli.overrides, None, None).map(|s| s.log_format).unwrap_or_default());
    match cli.command {
        Command::Serve { port, host, demo } => serve(config::load(&cli.overrides, port, host)?, demo),
        Command::Migrate => {
            let s = config::load(&cli.overrides, None, None)?;
            std::fs::create_dir_all(&s.data_dir)?;
            let store = omics_store::Store::open(&s.effective_database_url(), 1)?;
            eprintln!("database is up to date ({})", store.backend().as_str());
            Ok(())
        }
        Command::Import { file, owner } => {
            let s = config::load(&cli.overrides, None, None)?;
            let opened = omics_service::Service::open_for_batch(s.service_config())?;
            let owner = import::owner_account(&opened, &owner)?;
            let f = std::fs::File::open(&file).with_context(|| format!("reading {}", file.display()))?;
            let bar = indicatif::ProgressBar::new(f.metadata().map(|m| m.len()).unwrap_or(0));
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} eta {eta}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let started = std::time::Instant::now();
            let report = import::import_reader(&opened, bar.wrap_read(f), owner, |n| {
                bar.set_message(format!("{n} records, {:.0}/s", n as f64 / started.elapsed().as_secs_f64().max(1e-3)));
            })
            .with_context(|| format!("importing {}", file.display()))?;
            bar.finish();
            for (i, e) in &report.refused {
                eprintln!("item {i} refused: {e}");
            }
            eprintln!(
                "created {}, updated {}, unchanged {}, refused {} in {:.1}s",
                report.created,
                report.updated,
                report.unchanged,
                report.refused.len(),
                started.elapsed().as_secs_f64()
            );
            anyhow::ensure!(report.refused.is_empty(), "{} item(s) were refused", report.refused.len());
            Ok(())
        }
        Command::Export { kind } => {
            let s = config::load(&cli.overrides, None, None)?;
            let opened = omics_service::Service::open_for_batch(s.service_config())?;
            let kind = if kind == "platforms" { Kind::Platform } else { Kind::Need };
            let items = import::export(&opened, kind)?;
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &items)?;
            writeln!(out)?;
            Ok(())
        }
        Command::Reindex => {
            let s = config::load(&cli.overrides, None, None)?;
            let opened = omics_service::Service::open_for_batch(s.service_config())?;
            let n = opened.index.rebuild(&opened.store)?;
            opened.index.catch_up(&opened.store)?;
            eprintln!("indexed {n} records");
            Ok(())
        }
        Command::CreateAdmin { email, display_name } => {
            let s = config::load(&cli.overrides, None, None)?;
            let password = match std::env::var("OMICS_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprint!("password for {email} (at least {MIN_PASSWORD} characters): ");
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            anyhow::ensure!(password.chars().count() >= MIN_PASSWORD, "the password must have at least {MIN_PASSWORD} characters");
            anyhow::ensure!(omics_domain::valid_email(&email), "{email} is not an email address");
            std::fs::create_dir_all(&s.data_dir)?;
            let store = omics_store::Store::open(&s.effective_database_url(), 1)?;
            let hash = omics_service::accounts::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
            let user = store.create_user(NewUser { email, display_name, role: Role::Admin, password_hash: hash })?;
            eprintln!("created admin {} ({})", user.email, user.id);
            Ok(())
        }
        Command::Openapi { out } => {
            let json = omics_api::openapi::json();
            match out {
                Some(path) => std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?,
                None => std::io::stdout().write_all(json.as_bytes())?,
            }
            Ok(())
        }
        Command::Evaluate { dir, json } => {
            let s = config::load(&cli.overrides, None, None)?;
            // Always on fresh embedded databases, one per judged set.
            let scratch = tempfile::tempdir()?;
            let report = evaluate::run_all(&s, &dir, scratch.path())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                evaluate::print(&report);
            }
            Ok(())
        }
    }
}

fn serve(settings: omics_api::Settings, demo: bool) -> anyhow::Result<()> {
    let opened = std::sync::Arc::new(omics_service::Service::open(settings.service_config())?);
    if demo && opened.store.count(Kind::Platform)? == 0 && opened.store.count(Kind::Need)? == 0 {
        let owner = import::owner_account(&opened, "demo@omics-match.invalid")?;
        let report = import::import(&opened, import::demo_items()?, owner, |_| {})?;
        anyhow::ensure!(report.refused.is_empty(), "demo data refused: {:?}", report.refused);
        tracing::info!(records = report.created, "loaded the demo data");
    }
    let backend = opened.store.backend().as_str();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::with_service(settings.clone(), opened)?;
        tracing::info!(
            port = app.port(),
            backend,
            data_dir = %settings.data_dir.display(),
            "omics-match listening on http://{}:{}/ (API docs at /docs/)",
            settings.host,
            app.port()
        );
        app.run().await?;
        anyhow::Ok(())
    })
}
