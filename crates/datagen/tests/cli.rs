//! The `omics-datagen` tool as benches/run.sh runs it: files in the import format, the same bytes
//! for the same seed, other records for another seed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

fn datagen(out: &Path, seed: &str, extra: &[&str]) {
    let status = Command::new(env!("CARGO_BIN_EXE_omics-datagen"))
        .args(["--platforms", "120", "--needs", "80", "--seed", seed, "--out-dir"])
        .arg(out)
        .args(extra)
        .status()
        .unwrap();
    assert!(status.success());
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap()
}

#[test]
fn same_seed_writes_the_same_files_and_another_seed_other_records() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("c"));
    datagen(&a, "42", &[]);
    datagen(&b, "42", &[]);
    datagen(&c, "43", &[]);
    for file in ["platforms.json", "needs.json"] {
        assert_eq!(read(&a, file), read(&b, file), "{file} differs for the same seed");
        assert_ne!(read(&a, file), read(&c, file), "{file} is the same for another seed");
    }
    let platforms: Vec<serde_json::Value> = serde_json::from_slice(&read(&a, "platforms.json")).unwrap();
    let needs: Vec<serde_json::Value> = serde_json::from_slice(&read(&a, "needs.json")).unwrap();
    assert_eq!((platforms.len(), needs.len()), (120, 80));
    assert_eq!(platforms[0]["external_key"], "synthetic-platform-42-0");
    // What the tool writes is what the library returns.
    let vocabs = omics_domain::Vocabularies::builtin().unwrap();
    let (p, n) = omics_datagen::generate(&vocabs, 120, 80, 42);
    assert_eq!((platforms, needs), (p, n));
}

#[test]
fn free_text_writes_typed_values() {
    let tmp = tempfile::tempdir().unwrap();
    datagen(tmp.path(), "7", &["--free-text"]);
    let platforms: Vec<serde_json::Value> = serde_json::from_slice(&read(tmp.path(), "platforms.json")).unwrap();
    assert!(platforms.iter().any(|p| p["country"].as_str().unwrap().len() > 2), "countries are typed as names");
}

#[test]
fn a_bad_argument_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_omics-datagen")).args(["--platforms", "many"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'many'"));
}
