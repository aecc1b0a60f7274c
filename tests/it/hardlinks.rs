//! `link_type = "hardlink"`: the original under a second name. Hard links are real under Wine
//! too, so these run on every platform.

use std::fs;
use std::path::Path;

use crate::harness::World;

const HARD: &str = "version = 1\n[defaults]\nlink_type = \"hardlink\"\n[links]\n\"~/.a\" = \"a\"\n\"~/sub/.b\" = \"b\"\n";

fn world() -> World {
    let w = World::new();
    w.repo_file("a", "a\n").repo_file("b", "b\n");
    w.manifest(HARD);
    w
}

fn ok(w: &World, args: &[&str]) -> String {
    let r = w.run(args);
    assert_eq!(r.code, 0, "{args:?}: {r:?}");
    r.stdout
}

fn same(a: &Path, b: &Path) -> bool {
    linkfile::observe::same_file(a, b)
}

#[test]
fn hard_links_are_made_recognised_and_pruned() {
    let w = world();
    let before = w.snapshot();
    let out = ok(&w, &["apply"]);
    assert!(out.contains("+ ~/.a -> a (hard link)"), "{out}");
    assert!(same(&w.home.join(".a"), &w.repo.join("a")));
    assert!(same(&w.home.join("sub/.b"), &w.repo.join("b")));
    assert!(
        fs::read_link(w.home.join(".a")).is_err(),
        "a symlink was made"
    );
    // Editing through one name edits the original.
    fs::write(w.home.join(".a"), "edited\n").unwrap();
    assert_eq!(fs::read_to_string(w.repo.join("a")).unwrap(), "edited\n");
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 0);
    let json: serde_json::Value =
        serde_json::from_str(&w.run(&["plan", "--json"]).raw_stdout).unwrap();
    assert_eq!(json["entries"][0]["link_type"], "hardlink");
    assert_eq!(json["entries"][0]["action"], "ok");
    // Dropped from the manifest: the name goes, the original stays.
    w.manifest("version = 1\n[defaults]\nlink_type = \"hardlink\"\n[links]\n\"~/.a\" = \"a\"\n");
    ok(&w, &["apply"]);
    assert!(fs::symlink_metadata(w.home.join("sub/.b")).is_err());
    assert_eq!(fs::read_to_string(w.repo.join("b")).unwrap(), "b\n");
    // Undo twice: the pruned hard link comes back, then everything goes.
    ok(&w, &["undo"]);
    assert!(same(&w.home.join("sub/.b"), &w.repo.join("b")));
    ok(&w, &["undo"]);
    // Back to the start, but for the edit made through the link and the manifest's change.
    let mut expected = before.clone();
    let now = w.snapshot();
    for name in ["a", "linkfile.toml"] {
        let key = format!("repo{}{name}", std::path::MAIN_SEPARATOR);
        expected.insert(key.clone(), now[&key].clone());
    }
    assert_eq!(now, expected);
}

#[test]
fn a_symlink_where_a_hard_link_is_wanted_is_fixed_and_undo_puts_it_back() {
    crate::require_symlinks!();
    let w = world();
    w.home_link(".a", &w.repo.join("a"));
    let before = w.snapshot();
    let out = ok(&w, &["apply"]);
    assert!(
        out.contains("~ ~/.a -> a (hard link)  (wrong-type"),
        "{out}"
    );
    assert!(same(&w.home.join(".a"), &w.repo.join("a")));
    ok(&w, &["undo"]);
    assert_eq!(w.snapshot(), before);
}

#[test]
fn another_file_in_the_way_is_a_conflict_or_backed_up() {
    let w = world();
    w.home_file(".a", "mine\n");
    let before = w.snapshot();
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("! ~/.a -> a (hard link)  (file-in-the-way)"),
        "{}",
        r.stdout
    );
    assert_eq!(w.snapshot(), before);
    ok(&w, &["apply", "--on-conflict", "backup"]);
    assert!(same(&w.home.join(".a"), &w.repo.join("a")));
    ok(&w, &["undo"]);
    assert_eq!(w.snapshot(), before);
}

#[test]
fn a_hard_link_an_editor_broke_is_never_removed_silently() {
    let w = world();
    ok(&w, &["apply"]);
    // Editors that save by writing a new file and renaming it break the hard link.
    fs::remove_file(w.home.join(".a")).unwrap();
    w.home_file(".a", "saved anew\n");
    let r = w.run(&["plan"]);
    assert!(
        r.stdout
            .contains("! ~/.a -> a (hard link)  (file-in-the-way)"),
        "{}",
        r.stdout
    );
    w.manifest(
        "version = 1\n[defaults]\nlink_type = \"hardlink\"\n[links]\n\"~/sub/.b\" = \"b\"\n",
    );
    // Dropped from the manifest, it is the user's file now: released, said so, left as it is.
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains(
            "= ~/.a -> a (hard link)  (released: changed since linkfile made it; left as it is)"
        ),
        "{}",
        r.stdout
    );
    assert_eq!(
        fs::read_to_string(w.home.join(".a")).unwrap(),
        "saved anew\n"
    );
}

#[test]
fn a_failure_at_any_step_with_hard_links_leaves_the_tree_as_it_was() {
    let make = || {
        let w = world();
        let r = w.run(&["apply"]);
        assert_eq!(r.code, 0, "{r:?}");
        w.manifest("version = 1\n[defaults]\nlink_type = \"hardlink\"\non_conflict = \"backup\"\n[links]\n\"~/.a\" = \"a\"\n\"~/.c\" = \"b\"\n\"~/new/.d\" = \"a\"\n");
        w.home_file(".c", "mine\n");
        w
    };
    let count = crate::harness::fail_at_every_step(make, |_, _| {});
    assert!(count >= 5, "only {count} steps");
}

#[test]
fn a_hard_link_moved_to_another_original_or_to_a_symlink_is_fixed_in_place_and_undone() {
    let w = world();
    ok(&w, &["apply"]);
    let after_first = w.snapshot();
    // Same place, another original: linkfile's own hard link is swapped, nothing backed up.
    w.manifest("version = 1\n[defaults]\nlink_type = \"hardlink\"\n[links]\n\"~/.a\" = \"b\"\n\"~/sub/.b\" = \"b\"\n");
    let out = ok(&w, &["apply"]);
    assert!(
        out.contains("~ ~/.a -> b (hard link)  (wrong-target)"),
        "{out}"
    );
    assert!(same(&w.home.join(".a"), &w.repo.join("b")));
    assert_eq!(
        w.snapshot_all()
            .keys()
            .filter(|k| k.contains("backups"))
            .count(),
        0
    );
    ok(&w, &["undo"]);
    let mut expected = after_first.clone();
    let now = w.snapshot();
    let key = format!("repo{}linkfile.toml", std::path::MAIN_SEPARATOR);
    expected.insert(key.clone(), now[&key].clone());
    assert_eq!(now, expected);
    assert!(same(&w.home.join(".a"), &w.repo.join("a")));
    if crate::harness::symlinks_for("the change from a hard link to a symlink") {
        // And from a hard link to a symlink.
        w.manifest("version = 1\n[links]\n\"~/.a\" = \"a\"\n");
        let out = ok(&w, &["apply"]);
        assert!(out.contains("~ ~/.a -> a  (wrong-type)"), "{out}");
        assert_eq!(fs::read_link(w.home.join(".a")).unwrap(), w.repo.join("a"));
    }
}
