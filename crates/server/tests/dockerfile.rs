//! The Dockerfile's build stage copies a workspace cargo can load. There is no Docker engine
//! here, so the test does what the build stage does: it copies what the stage's `COPY` lines
//! name (less what `.dockerignore` leaves out of the context) into an empty folder, and runs
//! `cargo metadata` there with the lock file, as `cargo build --locked` would start. Cargo may
//! fetch from crates.io the manifests of packages this machine has not built (those of other
//! targets), as the image build does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Sources of the `COPY` lines of the first stage (`COPY a b dest/`: a and b), without
/// `--from` copies.
fn build_stage_copies(dockerfile: &str) -> Vec<String> {
    let mut stages = 0;
    let mut out = Vec::new();
    for line in dockerfile.lines().map(str::trim) {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("FROM ") {
            stages += 1;
            continue;
        }
        if stages == 1 && upper.starts_with("COPY ") {
            let args: Vec<&str> = line.split_whitespace().skip(1).filter(|a| !a.starts_with("--")).collect();
            assert!(!line.contains("--from"), "a build-stage copy from another stage: {line}");
            if let Some((_, sources)) = args.split_last() {
                out.extend(sources.iter().map(|s| s.to_string()));
            }
        }
    }
    out
}

fn copy(from: &Path, to: &Path, ignored: &[String]) {
    let name = from.file_name().unwrap().to_string_lossy().into_owned();
    if ignored.contains(&name) {
        return;
    }
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            copy(&e.path(), &to.join(e.file_name()), ignored);
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}

#[test]
fn the_build_stage_copies_a_loadable_workspace() {
    let root = root();
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    let ignored: Vec<String> = std::fs::read_to_string(root.join(".dockerignore"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().trim_matches('/').to_owned())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let sources = build_stage_copies(&dockerfile);
    assert!(sources.iter().any(|s| s == "Cargo.toml"), "{sources:?}");
    let dir = tempfile::tempdir().unwrap();
    for s in &sources {
        let from = root.join(s);
        assert!(from.exists(), "the Dockerfile copies {s}, which does not exist");
        copy(&from, &dir.path().join(s), &ignored);
    }
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(dir.path())
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo cannot load the workspace the Dockerfile copies: {}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let members = meta["workspace_members"].as_array().unwrap();
    assert!(members.iter().any(|m| m.as_str().unwrap().contains("omics-match")), "{members:?}");
}

#[test]
fn copies_of_the_build_stage_are_read_from_the_dockerfile() {
    let d = "FROM rust AS build\nCOPY Cargo.toml Cargo.lock ./\nCOPY --chown=1 crates crates\nFROM debian\nCOPY --from=build /x /y\n";
    assert_eq!(build_stage_copies(d), ["Cargo.toml", "Cargo.lock", "crates"]);
}
