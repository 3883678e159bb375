//! The binary's commands, run as a user would: import (idempotent), export, reindex,
//! create-admin, openapi. The synthetic sets imported here come from omics-datagen.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_omics-match"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = run(data, args);
    let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{args:?} failed: {text}");
    text
}

/// 300 platforms and 200 needs of seed 7 from omics-datagen, written to `dir` as the tool writes
/// them (`platforms.json`, `needs.json`).
fn generate(dir: &Path, free_text: bool) {
    let vocabs = omics_domain::Vocabularies::builtin().unwrap();
    let (p, n) =
        if free_text { omics_datagen::generate_free_text(&vocabs, 300, 200, 7) } else { omics_datagen::generate(&vocabs, 300, 200, 7) };
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("platforms.json"), serde_json::to_vec(&p).unwrap()).unwrap();
    std::fs::write(dir.join("needs.json"), serde_json::to_vec(&n).unwrap()).unwrap();
}

fn fixture(name: &str) -> String {
    format!("{}/../../fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn demo_data_imports_cleanly_and_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let platforms: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixture("demo/platforms.json")).unwrap()).unwrap();
    let needs: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(fixture("demo/needs.json")).unwrap()).unwrap();
    assert!(platforms.len() >= 40 && needs.len() >= 25);
    let countries: std::collections::HashSet<_> = platforms.iter().map(|p| p["country"].as_str().unwrap().to_owned()).collect();
    assert!(countries.len() >= 20, "{} countries", countries.len());

    let out = ok(data, &["import", &fixture("demo/platforms.json")]);
    assert!(out.contains(&format!("created {}, updated 0, unchanged 0, refused 0", platforms.len())), "{out}");
    let out = ok(data, &["import", &fixture("demo/needs.json")]);
    assert!(out.contains(&format!("created {}", needs.len())), "{out}");
    // Again: nothing changes.
    let out = ok(data, &["import", &fixture("demo/platforms.json")]);
    assert!(out.contains(&format!("created 0, updated 0, unchanged {}", platforms.len())), "{out}");

    // Export gives the import format back, with canonical ids.
    let exported = run(data, &["export", "platforms"]);
    assert!(exported.status.success());
    let exported: Vec<serde_json::Value> = serde_json::from_slice(&exported.stdout).unwrap();
    assert_eq!(exported.len(), platforms.len());
    assert!(exported.iter().all(|p| p["country"].as_str().unwrap().len() == 2));
    let file = data.join("exported.json");
    std::fs::write(&file, serde_json::to_vec(&exported).unwrap()).unwrap();
    let out = ok(data, &["import", file.to_str().unwrap()]);
    assert!(out.contains(&format!("unchanged {}", platforms.len())), "re-importing an export changes nothing: {out}");

    let out = ok(data, &["reindex"]);
    assert!(out.contains(&format!("indexed {}", platforms.len() + needs.len())), "{out}");
}

#[test]
fn invalid_items_are_reported_and_valid_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.json");
    std::fs::write(
        &file,
        r#"[{"name": "Good", "organisation": {"name": "O"}, "country": "BE", "city": "Gent", "maturity_level": 2, "external_key": "g"},
            {"name": "Bad", "organisation": {"name": "O"}, "country": "Narnia", "city": "X", "maturity_level": 2},
            {"neither": true}]"#,
    )
    .unwrap();
    let out = run(dir.path(), &["import", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains("item 2 refused: country"), "{text}");
    assert!(text.contains("item 3 refused"), "{text}");
    assert!(text.contains("created 1"), "{text}");
}

#[test]
fn generated_sets_import() {
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("gen");
    generate(&generated, false);
    let out = ok(dir.path(), &["import", generated.join("platforms.json").to_str().unwrap()]);
    assert!(out.contains("created 300"), "{out}");
    let out = ok(dir.path(), &["import", generated.join("needs.json").to_str().unwrap()]);
    assert!(out.contains("created 200"), "{out}");
}

/// `created A, updated B, unchanged C, refused D` from an import's output.
fn counts(out: &str) -> (usize, usize) {
    let line = out.lines().find(|l| l.starts_with("created ")).unwrap_or_else(|| panic!("no counts in {out}"));
    let n = |word: &str| -> usize {
        let rest = &line[line.find(word).unwrap_or_else(|| panic!("{line}")) + word.len()..];
        rest.trim_start().split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
    };
    (n("created"), n("refused"))
}

#[test]
fn free_text_sets_import_partly_with_the_typed_technology_kept() {
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("gen");
    generate(&generated, true);
    let platforms: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(generated.join("platforms.json")).unwrap()).unwrap();
    assert!(platforms.iter().any(|p| p["country"].as_str().unwrap().len() > 2), "countries are typed as names");
    for (file, total) in [("platforms.json", 300), ("needs.json", 200)] {
        // Refusals make the import exit with an error; the accepted records are kept.
        let out = run(dir.path(), &["import", generated.join(file).to_str().unwrap()]);
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        let (created, refused) = counts(&text);
        assert_eq!(created + refused, total, "{text}");
        if file == "platforms.json" {
            // A platform keeps what it cannot read aside, as typed: none is refused.
            assert_eq!((created, refused), (total, 0), "{text}");
        } else {
            assert!(created >= total / 2 && refused >= total / 20, "{file}: created {created}, refused {refused}");
            assert!(text.contains("unknown_term") || text.contains("is not a known"), "{text}");
        }
    }
    let exported = run(dir.path(), &["export", "platforms"]);
    assert!(exported.status.success());
    let exported: Vec<serde_json::Value> = serde_json::from_slice(&exported.stdout).unwrap();
    assert!(!exported.is_empty());
    for p in &exported {
        assert_eq!(p["country"].as_str().unwrap().len(), 2, "stored as the canonical id");
        for c in p["capabilities"].as_array().unwrap() {
            let typed = c["technology_text"].as_str().unwrap_or_else(|| panic!("no technology_text: {c:#}"));
            assert_ne!(typed, c["technology"].as_str().unwrap());
        }
    }
    let needs = run(dir.path(), &["export", "needs"]);
    let needs: Vec<serde_json::Value> = serde_json::from_slice(&needs.stdout).unwrap();
    assert!(needs.iter().all(|n| n["technologies"].as_array().unwrap().iter().all(|t| t["technology_text"].is_string())));
}

#[test]
fn admins_come_from_the_command_line_and_openapi_prints() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_omics-match"))
        .args(["create-admin", "--email", "sec@example.org", "--data-dir"])
        .arg(dir.path())
        .env("OMICS_ADMIN_PASSWORD", "an admin password")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_omics-match"))
        .args(["create-admin", "--email", "sec2@example.org", "--data-dir"])
        .arg(dir.path())
        .env("OMICS_ADMIN_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = ok(dir.path(), &["openapi"]);
    assert!(out.contains("\"openapi\": \"3.1.0\""));
}
