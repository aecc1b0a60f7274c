//! Operations you can trust: ownership and prune, backup and adopt, the operation log, undo,
//! unlink, the writer's lock, and rollback at every step of a mixed operation.

use std::fs;
use std::path::{Path, PathBuf};

use indoc::indoc;

use crate::harness::{Node, World};
use crate::require_symlinks;

const TWO: &str = indoc! {r#"
    version = 1
    [links]
    "~/.a" = "a"
    "~/.b" = "b"
"#};
const ONE: &str = indoc! {r#"
    version = 1
    [links]
    "~/.a" = "a"
"#};

fn world(manifest: &str) -> World {
    let w = World::new();
    w.repo_file("a", "a\n")
        .repo_file("b", "b\n")
        .repo_file("c", "c\n");
    w.manifest(manifest);
    w
}

fn ok(w: &World, args: &[&str]) -> String {
    let r = w.run(args);
    assert_eq!(r.code, 0, "{args:?}: {r:?}");
    r.stdout
}

/// The bytes of every file under a state folder's backup stores.
#[cfg(target_os = "linux")]
fn backups_in(state: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![state.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() && e.path().to_string_lossy().contains("/backups/") {
                out.push(fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

/// Every file under the backup store, with its bytes.
fn backups(w: &World) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for (rel, node) in w.snapshot_all() {
        if let (true, Node::File { bytes, .. }) = (rel.contains("backups"), node) {
            out.push((PathBuf::from(rel), bytes));
        }
    }
    out
}

#[test]
fn an_entry_dropped_from_the_manifest_is_removed() {
    require_symlinks!();
    let w = world(TWO);
    ok(&w, &["apply"]);
    w.manifest(ONE);
    insta::assert_snapshot!(w.snapshot_run(&["plan"]), @r"
        exit: 0
        --- stdout
          - ~/.b -> b
        Plan: 0 to create, 0 to fix, 1 to remove, 0 conflicts.
        --- stderr
        ");
    ok(&w, &["apply"]);
    assert!(fs::symlink_metadata(w.home.join(".b")).is_err());
    assert_eq!(w.link_text(".a").unwrap(), w.repo.join("a"));
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 0);
}

#[test]
fn backup_moves_the_file_and_never_overwrites_an_earlier_backup() {
    require_symlinks!();
    let w = world(ONE);
    w.home_file(".a", "first\n");
    ok(&w, &["apply", "--on-conflict", "backup"]);
    assert_eq!(w.link_text(".a").unwrap(), w.repo.join("a"));
    // The app writes a real file over the link again; a second backup is made beside the first.
    fs::remove_file(w.home.join(".a")).unwrap();
    w.home_file(".a", "second\n");
    insta::assert_snapshot!(w.snapshot_run(&["apply", "--on-conflict", "backup"]), @r"
        exit: 0
        --- stdout
          + ~/.a -> a  (file-in-the-way; moved to the backup store first)
              --- [HOME]/.a
              +++ [REPO]/a
              @@ -1 +1 @@
              -second
              +a
        Applied: 1 created, 0 fixed, 0 removed, 1 moved to the backup store. Operation 2 (undo with `linkfile undo`).
        --- stderr
        ");
    let mut kept: Vec<Vec<u8>> = backups(&w).into_iter().map(|(_, b)| b).collect();
    kept.sort();
    assert_eq!(kept, vec![b"first\n".to_vec(), b"second\n".to_vec()]);
}

#[cfg(unix)]
#[test]
fn backup_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let w = world(ONE);
    w.home_file(".a", "secret\n");
    fs::set_permissions(w.home.join(".a"), fs::Permissions::from_mode(0o600)).unwrap();
    let before = w.snapshot();
    ok(&w, &["apply", "--on-conflict", "backup"]);
    ok(&w, &["undo"]);
    assert_eq!(w.snapshot(), before);
}

#[test]
fn policy_comes_from_the_manifest_or_the_command_line() {
    require_symlinks!();
    let w = world(indoc! {r#"
        version = 1
        [defaults]
        on_conflict = "backup"
        [links]
        "~/.a" = "a"
        [[link]]
        at = "~/.b"
        to = "b"
        on_conflict = "fail"
    "#});
    w.home_file(".a", "mine a\n").home_file(".b", "mine b\n");
    insta::assert_snapshot!(w.snapshot_run(&["apply"]), @r"
        exit: 1
        --- stdout
          + ~/.a -> a  (file-in-the-way; moved to the backup store first)
              --- [HOME]/.a
              +++ [REPO]/a
              @@ -1 +1 @@
              -mine a
              +a
          ! ~/.b -> b  (file-in-the-way)
              hint: move [HOME]/.b out of the way (or into the repo as [REPO]/b), or apply with --on-conflict backup (keeps it in the backup store) or adopt (makes it the repo's version)
              --- [HOME]/.b
              +++ [REPO]/b
              @@ -1 +1 @@
              -mine b
              +b
        --- stderr
        error: 1 conflict; nothing was changed
        hint: deal with each conflict as its hint says (apply --on-conflict backup moves what is in the way to the backup store), then run linkfile again
        ");
    ok(&w, &["apply", "--on-conflict", "backup"]);
    assert_eq!(backups(&w).len(), 2);
}

#[test]
fn a_file_with_the_original_bytes_is_replaced_under_every_policy() {
    require_symlinks!();
    let w = world(ONE);
    w.home_file(".a", "a\n");
    insta::assert_snapshot!(w.snapshot_run(&["apply"]), @r"
        exit: 0
        --- stdout
          + ~/.a -> a  (file-in-the-way; same bytes as the original; moved to the backup store first)
        Applied: 1 created, 0 fixed, 0 removed, 1 moved to the backup store. Operation 1 (undo with `linkfile undo`).
        --- stderr
        ");
    assert_eq!(w.link_text(".a").unwrap(), w.repo.join("a"));
    assert_eq!(backups(&w).len(), 1);
}

#[cfg(unix)]
#[test]
fn a_link_planted_at_the_backup_path_is_not_followed() {
    let w = world(ONE);
    w.home_file(".a", "mine\n");
    // Where the first backup of operation 1 would go: plant a link there.
    let store = linkfile::oplog::State::new(
        &w.state,
        &w.repo.join("linkfile.toml"),
        linkfile::platform::Os::HOST,
    )
    .dir
    .join("backups");
    let trap = w.root.join("trap");
    fs::create_dir_all(&trap).unwrap();
    fs::create_dir_all(&store).unwrap();
    std::os::unix::fs::symlink(&trap, store.join("00000001-1")).unwrap();
    let before = w.snapshot();
    // The backup's folder is made by a step that refuses anything already there: the apply
    // stops and rolls back, with the planted name in the message.
    insta::assert_snapshot!(w.snapshot_run(&["apply", "--on-conflict", "backup"]), @r"
        exit: 1
        --- stdout
          + ~/.a -> a  (file-in-the-way; moved to the backup store first)
              --- [HOME]/.a
              +++ [REPO]/a
              @@ -1 +1 @@
              -mine
              +a
        --- stderr
        error: cannot create folder [STATE]/m-[HASH]/backups/00000001-1: File exists (os error 17)
        nothing was changed
        ");
    assert_eq!(
        fs::read_dir(&trap).unwrap().count(),
        0,
        "the backup followed the planted link"
    );
    assert_eq!(w.snapshot(), before);
    assert!(
        fs::symlink_metadata(store.join("00000001-1"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn adopt_shows_the_diff_and_keeps_both_versions() {
    require_symlinks!();
    let w = world(ONE);
    w.home_file(".a", "mine\n");
    insta::assert_snapshot!(w.snapshot_run(&["apply", "--dry-run", "--on-conflict", "adopt"]), @r"
        exit: 0
        --- stdout
          + ~/.a -> a  (file-in-the-way; adopted as the repo's version; the repo's version goes to the backup store)
              --- [HOME]/.a
              +++ [REPO]/a
              @@ -1 +1 @@
              -mine
              +a
        Plan: 1 to create, 0 to fix, 0 to remove, 0 conflicts.
        Dry run: nothing was changed.
        --- stderr
        ");
    ok(&w, &["apply", "--on-conflict", "adopt"]);
    assert_eq!(fs::read(w.repo.join("a")).unwrap(), b"mine\n");
    assert_eq!(w.link_text(".a").unwrap(), w.repo.join("a"));
    let kept = backups(&w);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].1, b"a\n");
}

#[test]
fn undo_of_adopt_puts_both_versions_back() {
    require_symlinks!();
    let w = world(TWO);
    w.home_file(".a", "mine\n");
    let before = w.snapshot();
    ok(&w, &["apply", "--on-conflict", "adopt"]);
    assert_eq!(fs::read(w.repo.join("a")).unwrap(), b"mine\n");
    insta::assert_snapshot!(w.snapshot_run(&["undo"]), @r"
        exit: 0
        --- stdout
          - ~/.a -> a  (restore [REPO]/a)
          - ~/.b -> b
          - [REPO]/a -> a  (restore [STATE]/m-[HASH]/backups/00000001-1/a)  (outside ~)
        Applied: 0 created, 0 fixed, 2 removed, 2 restored. Operation 2 undid operation 1.
        --- stderr
        ");
    // The user's file is back at its place, the repo's version in the repo, byte for byte.
    assert_eq!(w.snapshot(), before);
    assert_eq!(backups(&w), vec![]);
    assert_eq!(w.run(&["undo"]).code, 1);
}

#[test]
fn undo_restores_the_tree_after_create_fix_backup_and_prune() {
    require_symlinks!();
    let w = world(TWO);
    w.home_link(".b", Path::new("/old/b"));
    w.home_file(".config/x", "keep\n");
    let start = w.snapshot();
    // Operation 1: create .a, fix .b.
    ok(&w, &["apply"]);
    let after_1 = w.snapshot();
    // Operation 2: drop .b (prune), add .c over a real file (backup), add a nested new folder.
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/.a" = "a"
        "~/.c" = "c"
        "~/deep/er/.c" = "c"
    "#});
    w.home_file(".c", "my c\n");
    let before_2 = w.snapshot();
    ok(&w, &["apply", "--on-conflict", "backup"]);
    assert!(fs::symlink_metadata(w.home.join(".b")).is_err());
    // Undo 2: back to before operation 2, the backed-up file included, the new folders gone.
    insta::assert_snapshot!(w.snapshot_run(&["undo"]), @r"
        exit: 0
        --- stdout
          + ~/.b -> b
          - ~/.c -> c  (restore [STATE]/m-[HASH]/backups/00000002-1/.c)
          - ~/deep/er/.c -> c
        Applied: 1 created, 0 fixed, 2 removed, 1 restored. Operation 3 undid operation 2.
        --- stderr
        ");
    let mut expected = before_2.clone();
    expected.insert(
        "repo/linkfile.toml".into(),
        w.snapshot()["repo/linkfile.toml"].clone(),
    );
    assert_eq!(w.snapshot(), expected);
    // Undo again walks back one more: before operation 1.
    insta::assert_snapshot!(w.snapshot_run(&["undo"]), @r"
        exit: 0
        --- stdout
          - ~/.a -> a
          - ~/.b -> b  (restore the link to /old/b)
        Applied: 0 created, 0 fixed, 2 removed, 1 restored. Operation 4 undid operation 1.
        --- stderr
        ");
    // The start, plus the file the user made between the operations (put back by the first undo).
    let mut expected = start.clone();
    expected.insert(
        "repo/linkfile.toml".into(),
        w.snapshot()["repo/linkfile.toml"].clone(),
    );
    expected.insert("home/.c".into(), before_2["home/.c"].clone());
    assert_eq!(w.snapshot(), expected);
    insta::assert_snapshot!(w.snapshot_run(&["undo"]), @r"
        exit: 1
        --- stdout
        --- stderr
        error: nothing to undo: every operation is already undone
        ");
    assert_ne!(after_1, start);
}

#[test]
fn undo_dry_run_changes_nothing_and_undo_refuses_to_clobber() {
    require_symlinks!();
    let w = world(ONE);
    ok(&w, &["apply"]);
    let before = w.snapshot_all();
    insta::assert_snapshot!(w.snapshot_run(&["undo", "--dry-run"]), @r"
        exit: 0
        --- stdout
          - ~/.a -> a
        Plan: 0 to create, 0 to fix, 1 to remove, 0 conflicts.
        Dry run: nothing was changed.
        --- stderr
        ");
    assert_eq!(w.snapshot_all(), before);
    // The user replaced the link with a file of their own: undo must not delete it.
    fs::remove_file(w.home.join(".a")).unwrap();
    w.home_file(".a", "mine now\n");
    insta::assert_snapshot!(w.snapshot_run(&["undo"]), @r"
        exit: 1
        --- stdout
          ! ~/.a -> a  (changed-since-applied)
              hint: [HOME]/.a was changed since linkfile made it; move it away yourself, then run `linkfile undo` again
        --- stderr
        error: 1 conflict; nothing was changed
        hint: deal with each conflict as its hint says, then run `linkfile undo` again
        ");
    assert_eq!(fs::read(w.home.join(".a")).unwrap(), b"mine now\n");
}

#[test]
fn unlink_removes_every_owned_link_and_puts_backups_back() {
    require_symlinks!();
    let w = world(TWO);
    w.home_file(".b", "my b\n");
    w.home_file("keep", "untouched\n");
    let start = w.snapshot();
    ok(&w, &["apply", "--on-conflict", "backup"]);
    insta::assert_snapshot!(w.snapshot_run(&["unlink"]), @r"
        exit: 0
        --- stdout
          - ~/.a -> a
          - ~/.b -> b  (restore [STATE]/m-[HASH]/backups/00000001-1/.b)
        Applied: 0 created, 0 fixed, 2 removed, 1 restored. Operation 2 (undo with `linkfile undo`).
        --- stderr
        ");
    assert_eq!(w.snapshot(), start);
    // And unlink is an operation: undo brings the links back (the file goes to the store again).
    ok(&w, &["undo"]);
    assert_eq!(w.link_text(".a").unwrap(), w.repo.join("a"));
    assert_eq!(w.link_text(".b").unwrap(), w.repo.join("b"));
}

#[test]
fn log_lists_operations_human_and_json() {
    require_symlinks!();
    let w = world(TWO);
    assert_eq!(ok(&w, &["log"]), "No operations yet.\n");
    w.home_file(".b", "mine\n");
    ok(&w, &["apply", "--on-conflict", "backup"]);
    ok(&w, &["undo"]);
    let human = ok(&w, &["log"]);
    let lines: Vec<&str> = human.lines().collect();
    assert!(lines[0].starts_with("   2  "), "{human}");
    assert!(lines[0].contains("undo of 1    0 links owned"), "{human}");
    assert!(
        lines[1].contains("apply        2 links owned, 1 backup"),
        "{human}"
    );
    assert!(
        lines[2].contains("backup: ~/.b -> [TMP]/state/m-"),
        "{human}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&w.run(&["log", "--json"]).raw_stdout).unwrap();
    let ops = json.as_array().unwrap();
    assert_eq!(ops.len(), 2);
    assert_eq!(
        (
            ops[0]["id"].as_u64(),
            ops[0]["parent"].as_u64(),
            ops[0]["undoes"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(ops[1]["command"], "apply");
    assert_eq!(ops[1]["view"].as_array().unwrap().len(), 2);
    assert_eq!(ops[1]["manifest_hash"].as_str().unwrap().len(), 16);
    assert!(ops[1]["time"].as_u64().unwrap() > 1_700_000_000);
}

#[test]
fn a_second_writer_exits_3_naming_the_holder() {
    // This test holds linkfile's lock itself: no child may start meanwhile (see the harness).
    let _gate = crate::harness::no_spawning();
    let w = world(ONE);
    let state = linkfile::oplog::State::new(
        &w.state,
        &w.repo.join("linkfile.toml"),
        linkfile::platform::Os::HOST,
    );
    let lock = state.lock(linkfile::command::Command::Apply).unwrap();
    let before = w.snapshot();
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr.starts_with(&format!(
            "error: another linkfile is running (process {} (linkfile apply))",
            std::process::id()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(w.snapshot(), before);
    drop(lock);
    // A lock file left behind (holder's name and all) does not block: the OS lock went with it.
    fs::write(
        w.state.join("lock.holder"),
        "process 999999 (linkfile apply)",
    )
    .unwrap();
    assert_eq!(w.run(&["apply", "--dry-run"]).code, 0);
    if crate::harness::symlinks_for("the apply past a stale lock file") {
        assert_eq!(w.run(&["apply"]).code, 0);
    }
}

#[test]
fn a_failure_at_any_step_of_a_mixed_operation_leaves_the_tree_as_it_was() {
    require_symlinks!();
    // Create, fix, backup, prune, and new folders in one operation.
    let make = || {
        let w = world(TWO);
        w.manifest(TWO);
        let r = w.run(&["apply"]);
        assert_eq!(r.code, 0, "{r:?}");
        w.manifest(indoc! {r#"
            version = 1
            [defaults]
            on_conflict = "backup"
            [links]
            "~/.a" = "x"
            "~/.c" = "c"
            "~/n/e/w" = "b"
        "#});
        w.repo_file("x", "x\n");
        w.home_file(".c", "my c\n");
        w
    };
    let count = crate::harness::fail_at_every_step(make, |w, k| {
        assert_eq!(backups(w), vec![], "backup store not emptied at step {k}");
    });
    assert!(count >= 6, "only {count} steps");
}

/// With the backup store on another filesystem (tmpfs), a file in the way is copied (bytes and
/// mode), fsynced and only then removed; a folder is refused, since moving it would mean a
/// recursive delete, and nothing changes.
#[cfg(target_os = "linux")]
#[test]
fn a_backup_across_filesystems_copies_files_and_refuses_folders() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Ok(store) = tempfile::tempdir_in("/dev/shm") else {
        crate::skip!(Setup, "no /dev/shm");
    };
    let mut w = world(TWO);
    if fs::metadata(store.path()).unwrap().dev() == fs::metadata(&w.home).unwrap().dev() {
        crate::skip!(Setup, "/dev/shm is on the home's filesystem");
    }
    w.set_env("LINKFILE_STATE_DIR", &store.path().to_string_lossy());
    w.manifest(ONE);
    w.home_file(".a", "mine\n");
    fs::set_permissions(w.home.join(".a"), fs::Permissions::from_mode(0o640)).unwrap();
    let before = w.snapshot();
    ok(&w, &["apply", "--on-conflict", "backup"]);
    assert_eq!(w.link_text(".a").unwrap(), w.repo.join("a"));
    assert_eq!(backups_in(store.path()), vec![b"mine\n".to_vec()]);
    ok(&w, &["undo"]);
    assert_eq!(w.snapshot(), before);
    // A folder in the way cannot be moved there: refused, with what to do.
    w.manifest(TWO);
    w.home_file(".b/inside", "x\n");
    let before = w.snapshot();
    let r = w.run(&["apply", "--on-conflict", "backup"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("set LINKFILE_STATE_DIR"), "{}", r.stderr);
    assert_eq!(w.snapshot(), before);
}

/// A folder step that finds its folder already there made nothing: the rollback leaves that
/// folder alone (it removed it, empty as it was, before).
#[test]
fn a_folder_already_at_a_backups_place_is_left_by_the_rollback() {
    let w = world(ONE);
    w.home_file(".a", "mine\n");
    let store = linkfile::oplog::State::new(
        &w.state,
        &fs::canonicalize(w.repo.join("linkfile.toml")).unwrap(),
        linkfile::platform::Os::HOST,
    )
    .dir
    .join("backups");
    fs::create_dir_all(store.join("00000001-1")).unwrap();
    let before = w.snapshot();
    let r = w.run(&["apply", "--on-conflict", "backup"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("nothing was changed"), "{r:?}");
    assert_eq!(w.snapshot(), before);
    assert!(
        store.join("00000001-1").is_dir(),
        "the folder that was there is still there"
    );
}
