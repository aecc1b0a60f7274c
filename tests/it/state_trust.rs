//! The state folder is trusted only when it is the user's own, nothing in it is opened through a
//! link, and it never lies inside the repo (issue 10, points 1 and 9).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use indoc::indoc;
use insta::assert_snapshot;

use crate::harness::{World, symlink};

/// A world with one link applied (`~/f`), and its manifest's state folder.
fn applied() -> (World, PathBuf) {
    let w = World::new();
    w.repo_file("f", "x\n");
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/f" = "f"
    "#});
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    let dir = w.manifest_state().unwrap();
    (w, dir)
}

/// A file another user could own: linkfile must never write it.
fn victim(w: &World) -> PathBuf {
    let v = w.root.join("victim");
    fs::write(&v, "precious\n").unwrap();
    v
}

fn chmod(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

// --- point 1: whose folder it is -------------------------------------------------------------

#[test]
fn a_group_writable_state_folder_is_refused_naming_it() {
    let (w, _) = applied();
    chmod(&w.state, 0o770);
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/g" = "f"
    "#});
    let before = w.snapshot_all();
    // The same whatever the command.
    for cmd in ["apply", "plan", "undo", "unlink", "recover"] {
        insta::allow_duplicates! {
            assert_snapshot!(w.snapshot_run(&[cmd]), @r"
                exit: 1
                --- stdout
                --- stderr
                error: refusing to use linkfile's state: [STATE]/ is not safe: it is writable by its group (mode 770), who could plant records or links that linkfile would act on; nothing was changed
                hint: run `chmod go-w [STATE]/`
                ");
        }
    }
    assert!(w.snapshot_all() == before);
}

#[test]
fn a_world_writable_folder_above_the_state_folder_is_refused() {
    let w = World::new();
    w.repo_file("f", "x\n");
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/f" = "f"
    "#});
    let shared = w.root.join("shared");
    fs::create_dir(&shared).unwrap();
    chmod(&shared, 0o777);
    let mut w = w;
    let state = shared.join("state");
    w.set_env("LINKFILE_STATE_DIR", &state.to_string_lossy());
    assert_snapshot!(w.snapshot_run(&["apply"]), @r"
        exit: 1
        --- stdout
        --- stderr
        error: refusing to use linkfile's state: [TMP]/shared is not safe: it is writable by anyone (mode 777), who could plant records or links that linkfile would act on; nothing was changed
        hint: run `chmod go-w [TMP]/shared`
        ");
    assert!(!state.exists());
    assert!(w.link_text("f").is_none());
}

#[test]
fn a_sticky_world_writable_folder_above_is_accepted_as_tmp_is() {
    let w = World::new();
    w.repo_file("f", "x\n");
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/f" = "f"
    "#});
    let shared = w.root.join("shared");
    fs::create_dir(&shared).unwrap();
    chmod(&shared, 0o1777);
    let mut w = w;
    w.set_env(
        "LINKFILE_STATE_DIR",
        &shared.join("state").to_string_lossy(),
    );
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    // The state folder itself is made for the user alone.
    let mode = fs::metadata(shared.join("state"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
}

#[test]
fn a_sticky_world_writable_state_folder_itself_is_refused() {
    let (w, _) = applied();
    chmod(&w.state, 0o1777);
    assert_snapshot!(w.snapshot_run(&["apply"]), @r"
        exit: 1
        --- stdout
        --- stderr
        error: refusing to use linkfile's state: [STATE]/ is not safe: it is writable by anyone (mode 1777), who could plant records or links that linkfile would act on; nothing was changed
        hint: run `chmod go-w [STATE]/`
        ");
}

#[test]
fn a_group_writable_manifest_folder_in_the_state_is_refused() {
    let (w, dir) = applied();
    chmod(&dir, 0o775);
    assert_snapshot!(w.snapshot_run(&["apply"]), @r"
        exit: 1
        --- stdout
        --- stderr
        error: refusing to use linkfile's state: [STATE]/m-[HASH] is not safe: it is writable by its group (mode 775), who could plant records or links that linkfile would act on; nothing was changed
        hint: run `chmod go-w [STATE]/m-[HASH]`
        ");
}

#[test]
fn a_group_writable_home_above_the_default_state_is_refused() {
    let mut w = World::new();
    w.env.remove("LINKFILE_STATE_DIR");
    w.repo_file("f", "x\n");
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/f" = "f"
    "#});
    assert_eq!(w.run(&["apply"]).code, 0);
    chmod(&w.home, 0o775);
    let r = w.run(&["plan"]);
    chmod(&w.home, 0o755);
    assert_snapshot!(r.shown(), @r"
        exit: 1
        --- stdout
        --- stderr
        error: refusing to use linkfile's state: [HOME] is not safe: it is writable by its group (mode 775), who could plant records or links that linkfile would act on; nothing was changed
        hint: run `chmod go-w [HOME]`
        ");
}

// --- point 1: no link in the state folder is followed ---------------------------------------

#[test]
fn a_link_planted_at_the_lock_never_truncates_what_it_points_to() {
    let (w, _) = applied();
    let v = victim(&w);
    fs::remove_file(w.state.join("lock")).unwrap();
    symlink(&v, &w.state.join("lock"));
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/g" = "f"
    "#});
    let r = w.run(&["apply"]);
    assert_eq!(fs::read_to_string(&v).unwrap(), "precious\n");
    assert_snapshot!(r.shown(), @r"
        exit: 1
        --- stdout
        --- stderr
        error: refusing to use linkfile's state: [STATE]/lock is not safe: it is a link, and linkfile never follows a link in its state folder; nothing was changed
        hint: remove the link [STATE]/lock (nothing of linkfile's is a link there), then run linkfile again
        ");
    assert!(w.link_text("g").is_none());
}

#[test]
fn a_link_planted_at_a_temporary_name_is_never_written_through() {
    let (w, dir) = applied();
    let v = victim(&w);
    // The names the state's files were written through, for this process (the runs are
    // in-process).
    let pid = std::process::id();
    for name in ["head", "intent.json", "manifest"] {
        symlink(&v, &dir.join(format!(".{name}.{pid}.tmp")));
    }
    symlink(
        &v,
        &dir.join("ops").join(format!(".00000002.json.{pid}.tmp")),
    );
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/g" = "f"
    "#});
    let r = w.run(&["apply"]);
    assert_eq!(fs::read_to_string(&v).unwrap(), "precious\n");
    assert_eq!(r.code, 0, "{r:?}");
    assert!(w.link_text("g").is_some());
}

#[test]
fn a_link_planted_at_the_manifests_state_folder_is_refused() {
    let (w, dir) = applied();
    // The attacker's folder, holding the history it took over.
    let theirs = w.root.join("attacker");
    fs::rename(&dir, &theirs).unwrap();
    symlink(&theirs, &dir);
    w.home_file("g", "mine\n");
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/g" = "f"
    "#});
    let before = crate::harness::snapshot_of(&theirs);
    let home = w.snapshot();
    assert_snapshot!(w.snapshot_run(&["apply", "--on-conflict", "backup"]), @r"
        exit: 1
        --- stdout
        --- stderr
        error: refusing to use linkfile's state: [STATE]/m-[HASH] is not safe: it is a link, and linkfile never follows a link in its state folder; nothing was changed
        hint: remove the link [STATE]/m-[HASH] (nothing of linkfile's is a link there), then run linkfile again
        ");
    assert!(crate::harness::snapshot_of(&theirs) == before);
    assert!(w.snapshot() == home);
}

#[test]
fn a_link_planted_at_the_head_is_not_followed() {
    let (w, dir) = applied();
    let v = victim(&w);
    fs::write(&v, "1\n").unwrap();
    fs::remove_file(dir.join("head")).unwrap();
    symlink(&v, &dir.join("head"));
    assert_snapshot!(w.snapshot_run(&["plan"]), @r"
        exit: 1
        --- stdout
        --- stderr
        error: refusing to use linkfile's state: [STATE]/m-[HASH]/head is not safe: it is a link, and linkfile never follows a link in its state folder; nothing was changed
        hint: remove the link [STATE]/m-[HASH]/head (nothing of linkfile's is a link there), then run linkfile again
        ");
    assert_eq!(fs::read_to_string(&v).unwrap(), "1\n");
}

// --- point 9: the state folder inside the repo ----------------------------------------------

#[test]
fn a_state_folder_inside_the_repo_is_refused_and_nothing_is_written() {
    let mut w = World::new();
    w.repo_file("f", "x\n");
    w.repo_file("state/keep", "k\n");
    w.manifest(indoc! {r#"
        version = 1
        [[link]]
        at = "~/s"
        to = "state"
        each = true
        [links]
        "~/f" = "f"
    "#});
    let state = w.repo.join("state");
    w.set_env("LINKFILE_STATE_DIR", &state.to_string_lossy());
    let before = w.snapshot_all();
    for cmd in ["apply", "plan"] {
        insta::allow_duplicates! {
            assert_snapshot!(w.snapshot_run(&[cmd]), @r"
                exit: 1
                --- stdout
                --- stderr
                error: linkfile's state folder [REPO]/state is inside the repo [REPO] by its real path ([REPO]/state/): its records, backups and lock would become part of your dotfiles, and links to them would never settle; nothing was changed
                hint: set LINKFILE_STATE_DIR to a folder outside the repo (unset, the state is kept in $XDG_STATE_HOME/linkfile, else ~/.local/state/linkfile)
                ");
        }
    }
    assert!(w.snapshot_all() == before);
}

#[test]
fn a_state_folder_reached_through_a_link_into_the_repo_is_refused() {
    let mut w = World::new();
    w.repo_file("f", "x\n");
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/f" = "f"
    "#});
    let door = w.root.join("door");
    symlink(&w.repo, &door);
    w.set_env("LINKFILE_STATE_DIR", &door.join("st").to_string_lossy());
    let before = w.snapshot_all();
    assert_snapshot!(w.snapshot_run(&["apply"]), @r"
        exit: 1
        --- stdout
        --- stderr
        error: linkfile's state folder [TMP]/door/st is inside the repo [REPO] by its real path ([REPO]/st): its records, backups and lock would become part of your dotfiles, and links to them would never settle; nothing was changed
        hint: set LINKFILE_STATE_DIR to a folder outside the repo (unset, the state is kept in $XDG_STATE_HOME/linkfile, else ~/.local/state/linkfile)
        ");
    assert!(w.snapshot_all() == before);
}
