//! Records are data, not commands: a forged intent or operation record names places linkfile
//! neither owns nor wants, or keeps "backups" outside its store, and is refused before any of its
//! steps runs (issue 10, point 2).

use std::fs;
use std::path::{Path, PathBuf};

use crate::harness::World;

/// A world with one link applied (`~/f`), and its manifest's state folder.
fn applied() -> (World, PathBuf) {
    let w = World::new();
    w.repo_file("f", "x\n");
    w.manifest("version = 1\n[links]\n\"~/f\" = \"f\"\n");
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    let dir = w.manifest_state().unwrap();
    (w, dir)
}

/// A home with `~/.ssh/config`, and an attacker's file meant to become `authorized_keys`.
fn ssh(w: &World) -> (PathBuf, PathBuf, PathBuf) {
    w.home_file(".ssh/config", "Host *\n");
    let keys = w.root.join("attacker-keys");
    fs::write(&keys, "ssh-ed25519 AAAA attacker\n").unwrap();
    (
        w.home.join(".ssh/authorized_keys"),
        w.home.join(".ssh/config"),
        keys,
    )
}

/// The intent a forger writes: rolling it back would link `authorized_keys` to their file and
/// move `config` to where they can read it.
fn forge_intent(w: &World, dir: &Path) {
    let (authorized, config, keys) = ssh(w);
    let intent = serde_json::json!({
        "op": 2,
        "pid": 999_999_999u32,
        "command": "apply",
        "steps": [
            {"step": "move", "from": w.root.join("loot"), "to": config},
            {"step": "remove-link", "at": authorized, "text": keys, "kind": "file"},
        ],
    });
    fs::write(dir.join("intent.json"), intent.to_string()).unwrap();
}

#[test]
fn a_forged_intent_is_refused_before_any_of_its_steps_runs() {
    for cmd in ["apply", "recover", "plan"] {
        let (w, dir) = applied();
        forge_intent(&w, &dir);
        let before = w.snapshot();
        let r = w.run(&[cmd]);
        assert_eq!(r.code, 1, "{cmd}: {r:?}");
        assert!(
            r.stderr.contains("[HOME]/.ssh/config")
                || r.stderr.contains("[HOME]/.ssh/authorized_keys"),
            "{cmd}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("intent.json"), "{cmd}: {}", r.stderr);
        assert!(w.snapshot() == before, "{cmd}");
        assert!(!w.root.join("loot").exists(), "{cmd}");
        assert_eq!(
            fs::read_to_string(w.home.join(".ssh/config")).unwrap(),
            "Host *\n"
        );
    }
}

/// Rewrites operation `id`'s record with `edit` applied to its JSON.
fn edit_op(dir: &Path, id: u64, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("ops").join(format!("{id:08}.json"));
    let mut v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut v);
    fs::write(&path, v.to_string()).unwrap();
}

#[test]
fn a_forged_backup_in_an_operation_record_is_refused_by_undo_and_unlink() {
    for cmd in ["undo", "unlink"] {
        let (w, dir) = applied();
        let (authorized, _, keys) = ssh(&w);
        edit_op(&dir, 1, |v| {
            let view = v["view"].as_array_mut().unwrap();
            view.push(
                serde_json::json!({"at": authorized, "text": w.repo.join("f"), "kind": "file"}),
            );
            v["backups"] = serde_json::json!([{"at": authorized, "what": "file", "stored": keys}]);
        });
        let before = w.snapshot();
        let r = w.run(&[cmd]);
        assert_eq!(r.code, 1, "{cmd}: {r:?}");
        assert!(!authorized.exists(), "{cmd}");
        assert!(keys.exists(), "{cmd}");
        assert!(
            r.stderr.contains("[TMP]/attacker-keys"),
            "{cmd}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("00000001.json"), "{cmd}: {}", r.stderr);
        assert!(w.snapshot() == before, "{cmd}");
    }
}

#[test]
fn a_forged_view_linking_outside_the_repo_is_refused_by_undo() {
    let (w, dir) = applied();
    let (authorized, _, keys) = ssh(&w);
    w.manifest("version = 1\n[links]\n\"~/g\" = \"f\"\n");
    assert_eq!(w.run(&["apply"]).code, 0);
    // Undo goes back to operation 1's view.
    edit_op(&dir, 1, |v| {
        let view = v["view"].as_array_mut().unwrap();
        view.push(serde_json::json!({"at": authorized, "text": keys, "kind": "file"}));
    });
    let before = w.snapshot();
    let r = w.run(&["undo"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(fs::symlink_metadata(&authorized).is_err());
    assert!(
        r.stderr.contains("[HOME]/.ssh/authorized_keys"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("00000001.json"), "{}", r.stderr);
    assert!(w.snapshot() == before);
}

#[test]
fn legit_histories_still_undo_and_unlink() {
    let (w, _) = applied();
    w.home_file("g", "mine\n");
    w.manifest("version = 1\n[links]\n\"~/g\" = \"f\"\n\"~/d/e/h\" = \"f\"\n");
    assert_eq!(w.run(&["apply", "--on-conflict", "backup"]).code, 0);
    let r = w.run(&["undo"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(fs::read_to_string(w.home.join("g")).unwrap(), "mine\n");
    let r = w.run(&["unlink"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(w.link_text("f").is_none());
}
