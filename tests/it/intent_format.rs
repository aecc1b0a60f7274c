//! The intent record's format version: an intent an older linkfile left (no version, the old
//! step names) is still rolled back after upgrading; one a newer linkfile left is refused, kept,
//! and named.

use std::fs;
use std::io;
use std::path::Path;

use crate::harness::*;
use crate::require_symlinks;

/// Writes `intent` as the interrupted run's intent record of `w`'s manifest.
fn leave_intent(w: &World, intent: &serde_json::Value) -> std::path::PathBuf {
    let path = w.manifest_state().unwrap().join("intent.json");
    fs::write(&path, intent.to_string()).unwrap();
    path
}

/// An apply by an older linkfile, killed after it made a folder and a link in it, replaced a
/// link and made a hard link: after upgrading, recovery reads its old step names and puts
/// everything back as it was.
#[test]
fn an_interrupted_apply_of_an_older_linkfile_is_rolled_back_after_upgrading() {
    require_symlinks!();
    let w = World::new();
    for f in ["a", "a2", "b", "h"] {
        w.repo_file(f, f);
    }
    w.manifest("version = 1\n[links]\n\"~/.a\" = \"a\"\n");
    assert_eq!(w.run(&["apply"]).code, 0);
    w.manifest(
        "version = 1\n[links]\n\"~/.a\" = \"a2\"\n\"~/.n/b\" = \"b\"\n\
         [[link]]\nat = \"~/.h\"\nto = \"h\"\nlink_type = \"hardlink\"\n",
    );
    let before = w.snapshot();
    let (a, n, b, h) = (
        w.home.join(".a"),
        w.home.join(".n"),
        w.home.join(".n/b"),
        w.home.join(".h"),
    );
    leave_intent(
        &w,
        &serde_json::json!({
            "op": 2,
            "pid": 999_999_999u32,
            "command": "apply",
            "steps": [
                {"step": "replace-link", "at": a, "old": w.repo.join("a"), "new": w.repo.join("a2"), "kind": "file"},
                {"step": "make-folder", "dir": n},
                {"step": "make-link", "at": b, "text": w.repo.join("b"), "kind": "file"},
                {"step": "make-hard-link", "at": h, "original": w.repo.join("h")},
            ],
        }),
    );
    // What those steps did before the kill.
    fs::remove_file(&a).unwrap();
    symlink(&w.repo.join("a2"), &a);
    fs::create_dir(&n).unwrap();
    symlink(&w.repo.join("b"), &b);
    fs::hard_link(w.repo.join("h"), &h).unwrap();
    assert!(w.snapshot() != before);

    let r = w.run(&["recover"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.starts_with("Recovered: "), "{}", r.stdout);
    assert!(!r.stdout.contains("left in place"), "{}", r.stdout);
    assert!(
        w.snapshot() == before,
        "{}",
        snapshot_diff(&before, &w.snapshot(), 20)
    );
}

/// An intent a newer linkfile wrote is not guessed at, nor thrown away as torn: every command
/// that would recover refuses, naming the record and what to do, and leaves it and the links
/// as they are.
#[test]
fn an_intent_of_a_newer_linkfile_is_refused_and_kept() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("a", "a");
    w.manifest("version = 1\n[links]\n\"~/.a\" = \"a\"\n");
    assert_eq!(w.run(&["apply"]).code, 0);
    let intent = serde_json::json!({
        "version": 99,
        "op": 2,
        "pid": 999_999_999u32,
        "command": "apply",
        "steps": [{"step": "teleport", "at": w.home.join(".a")}],
    });
    let path = leave_intent(&w, &intent);
    assert!(path.exists());
    let before = w.snapshot_all();
    for args in [&["apply"][..], &["recover"], &["unlink"], &["plan"]] {
        let r = w.run(args);
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        assert!(r.stderr.contains("intent.json"), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("newer linkfile"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(
            r.stderr
                .contains("`linkfile recover` with the newer linkfile"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(w.snapshot_all() == before, "{args:?}");
    }
}

/// The intent written today says its format, and its steps are the new ones.
#[test]
fn the_intent_written_carries_its_format_version() {
    let w = World::new();
    w.repo_file("a", "a");
    w.manifest("version = 1\n[links]\n\"~/.d/a\" = \"a\"\n");
    let session = linkfile::load(None, Some(&w.home), &w.system()).unwrap();
    let intent_path = session.state.intent_path();
    let mut saved = None;
    let err = session
        .apply(linkfile::command::Command::Apply, None, &mut |_| {
            saved = Some(fs::read(&intent_path)?);
            Err(io::Error::other("stopped"))
        })
        .unwrap_err();
    assert!(err.to_string().contains("stopped"), "{err}");
    let intent: serde_json::Value = serde_json::from_slice(&saved.unwrap()).unwrap();
    assert_eq!(intent["version"], 2, "{intent}");
    let steps: Vec<&str> = intent["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["make-folder", "make"], "{intent}");
    assert_eq!(intent["steps"][1]["link"]["shape"], "symlink", "{intent}");
    assert!(!Path::new(&w.home.join(".d")).exists());
}
