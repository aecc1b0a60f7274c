//! The pipeline observes each place once, before the probe chooses its primitive: a place reads
//! the same whichever primitive is chosen.

use std::fs;

use crate::harness::World;

fn plan_entry(w: &World) -> serde_json::Value {
    let r = w.run(&["plan", "--json"]);
    let report: serde_json::Value =
        serde_json::from_str(&r.raw_stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    report["entries"][0].clone()
}

/// A hard link to the original where a symlink is asked for, with a hard link as its
/// fallback: where symlinks can be made it is the original itself in the way (as without the
/// fallback); where they cannot, it is the hard link the fallback makes.
#[test]
fn a_hard_link_to_the_original_is_seen_as_the_chosen_primitive_sees_it() {
    let w = World::new();
    w.repo_file("a", "a\n");
    fs::hard_link(w.repo.join("a"), w.home.join(".a")).unwrap();
    w.manifest("version = 1\n[links]\n\"~/.a\" = \"a\"\n");
    let without = plan_entry(&w);
    w.manifest("version = 1\n[defaults]\nfallback = [\"hardlink\"]\n[links]\n\"~/.a\" = \"a\"\n");
    let with = plan_entry(&w);
    if with["link_type"] == "hardlink" {
        assert_eq!(with["action"], "ok", "{with}");
        return;
    }
    assert_eq!(with["link_type"], "symlink", "{with}");
    for key in ["action", "reason", "at", "to"] {
        assert_eq!(with[key], without[key], "{key}: {with} vs {without}");
    }
    assert_ne!(with["action"], "ok", "{with}");
}

/// A link that is right needs no probe: planning a home as the manifest wants it, with a
/// `fallback`, writes nothing (not even a probe's temporary link) and is all `ok`.
#[test]
fn a_right_link_is_not_probed() {
    // Where symlinks cannot be made, the hard link that stands in is probed again each time.
    crate::require_symlinks!();
    let w = World::new();
    w.repo_file("a", "a\n");
    w.manifest(
        "version = 1\n[defaults]\nfallback = [\"junction\", \"hardlink\"]\n[links]\n\"~/.a\" = \"a\"\n",
    );
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    let before = w.snapshot_all();
    // A probe's temporary link, made and removed, would still change the folder's time.
    let touched = || fs::metadata(&w.home).unwrap().modified().unwrap();
    let home_time = touched();
    let r = w.run(&["plan", "--exit-code"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(w.snapshot_all(), before);
    assert_eq!(touched(), home_time, "plan probed the home");
}

/// With enough links (1,200; the repo's folders are read ahead from 1,024 on, where the machine
/// has two cores), each original's kind still comes from its own folder: two folders hold the
/// same names, a file in one being a folder or missing in the other, and one `to` is not a
/// plain path (resolved first, its folder read when asked).
#[test]
fn the_originals_of_many_links_have_the_kinds_of_their_own_folders() {
    let w = World::new();
    let mut manifest = String::from("version = 1\n[links]\n");
    let mut want = Vec::new();
    for (folder, dir, missing) in [("a", 3, 4), ("b", 4, 3)] {
        fs::create_dir_all(w.repo.join(folder)).unwrap();
        for i in 0..600 {
            let rel = format!("{folder}/n{i:04}");
            let kind = if i == dir {
                fs::create_dir(w.repo.join(&rel)).unwrap();
                "dir"
            } else if i == missing {
                "missing"
            } else {
                fs::write(w.repo.join(&rel), "").unwrap();
                "file"
            };
            manifest.push_str(&format!("\"~/{rel}\" = \"{rel}\"\n"));
            want.push(kind);
        }
    }
    manifest.push_str("\"~/odd\" = \"b/../a/n0003\"\n");
    want.push("dir");
    w.manifest(&manifest);
    let r = w.run(&["plan", "--json"]);
    let report: serde_json::Value =
        serde_json::from_str(&r.raw_stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    let entries = report["entries"].as_array().unwrap();
    assert_eq!(entries.len(), want.len());
    for (e, want) in entries.iter().zip(want) {
        match want {
            "missing" => assert_eq!(e["reason"], "original-missing", "{e}"),
            kind => assert_eq!(
                (&e["kind"], &e["action"]),
                (&kind.into(), &"create".into()),
                "{e}"
            ),
        }
    }
}
