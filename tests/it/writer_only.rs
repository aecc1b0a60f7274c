//! Only the writer writes: the backup store is made by a step of the operation that first
//! stores something, so a failed apply rolls it back with the rest.

use std::fs;
use std::io;

use crate::harness::*;

#[test]
fn a_failed_apply_leaves_no_backup_store_behind() {
    let w = World::new();
    w.repo_file("a", "repo's\n");
    w.manifest("version = 1\n[defaults]\non_conflict = \"backup\"\n[links]\n\"~/.a\" = \"a\"\n");
    w.home_file(".a", "mine\n");
    let before = w.snapshot();
    let session = linkfile::load(None, Some(&w.home), &w.system()).unwrap();
    let store = session.state.dir.join("backups");
    let mut seen = Vec::new();
    let err = session
        .apply(linkfile::command::Command::Apply, None, &mut |step| {
            seen.push(format!("{step:?}"));
            // Fails at the link, after the store and the backup were made.
            match seen.len() {
                4 => Err(io::Error::other("stopped")),
                _ => Ok(()),
            }
        })
        .unwrap_err();
    assert!(err.to_string().contains("stopped"), "{err}");
    assert!(
        seen[0].contains("MakeFolder") && seen[0].ends_with("backups\", mode: None }"),
        "{seen:?}"
    );
    assert!(!store.exists(), "the store stayed: {seen:?}");
    assert!(w.snapshot() == before);
    assert!(
        fs::read_dir(&session.state.dir)
            .unwrap()
            .all(|e| e.unwrap().file_name() != "backups")
    );
}
