//! Read values the way the service does and print each reading: `vocabulary<TAB>typed` per line
//! on standard input (`technologies` when no tab). A tool for curators checking phrasings.

use std::io::BufRead;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let v = omics_domain::Vocabularies::builtin()?;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let (name, typed) = line.split_once('\t').unwrap_or(("technologies", line.as_str()));
        let Some(voc) = v.by_name(name) else {
            println!("{line}\t(unknown vocabulary {name})");
            continue;
        };
        let linked = voc.link(typed);
        let best = linked
            .best
            .as_ref()
            .map_or("-".to_owned(), |b| format!("{} {} {:.2} {:?}", voc.terms()[b.term].id, b.confidence.as_str(), b.score, b.qualifiers));
        let alts: Vec<String> = linked.ranked.iter().take(4).map(|&(t, s)| format!("{}:{s:.2}", voc.terms()[t].id)).collect();
        println!("{typed}\t{best}\t{}", alts.join(" "));
    }
    Ok(())
}
