//! `omics-datagen`: write synthetic `platforms.json` and `needs.json` (the import format) for
//! benchmarks and load tests.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

#[derive(Parser)]
#[command(name = "omics-datagen", version, about = "Synthetic platforms and needs in the omics-match import format")]
struct Cli {
    #[arg(long, default_value_t = 1000)]
    platforms: usize,
    #[arg(long, default_value_t = 1000)]
    needs: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value = ".")]
    out_dir: PathBuf,
    /// Write vocabulary values as people type them (labels, synonyms, qualifiers, modifiers,
    /// typos) instead of canonical ids, with a fifth of the records holding a value the term
    /// linker refuses.
    #[arg(long)]
    free_text: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let vocabs = omics_domain::Vocabularies::builtin()?;
    let (p, n) = if cli.free_text {
        omics_datagen::generate_free_text(&vocabs, cli.platforms, cli.needs, cli.seed)
    } else {
        omics_datagen::generate(&vocabs, cli.platforms, cli.needs, cli.seed)
    };
    let dir = &cli.out_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (file, items) in [("platforms.json", &p), ("needs.json", &n)] {
        let path = dir.join(file);
        std::fs::write(&path, serde_json::to_vec(items)?).with_context(|| format!("writing {}", path.display()))?;
    }
    eprintln!("wrote {} platforms and {} needs to {}", p.len(), n.len(), dir.display());
    Ok(())
}
