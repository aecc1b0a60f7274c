//! `linkfile check` reads the manifest and nothing else (issue 13): not linkfile's state folder,
//! not the home, not the repo's real path. Whatever `plan` would refuse about them, `check` of a
//! valid manifest still exits 0.

use std::fs;

use crate::harness::World;

const MANIFEST: &str = "version = 1\n[links]\n\"~/f\" = \"f\"\n";

/// A world whose manifest is valid and applied once, so that its state folder has a history
/// (callers need symlinks).
fn applied() -> World {
    let w = World::new();
    w.repo_file("f", "x\n");
    w.manifest(MANIFEST);
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    w
}

/// `plan` refuses (exit 1, with `plan_says` in its message) and `check` passes, writing nothing.
fn only_check_passes(w: &World, plan_says: &str) {
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1, "plan: {r:?}");
    assert!(r.stderr.contains(plan_says), "plan: {}", r.stderr);
    let before = w.snapshot_all();
    let r = w.run(&["check"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "ok: 1 entry\n", "")
    );
    assert!(w.snapshot_all() == before, "check wrote something");
}

#[cfg(unix)]
#[test]
fn check_does_not_look_at_a_state_folder_others_can_write() {
    use std::os::unix::fs::PermissionsExt;
    crate::require_symlinks!();
    let w = applied();
    fs::set_permissions(&w.state, fs::Permissions::from_mode(0o770)).unwrap();
    only_check_passes(&w, "chmod go-w");
}

#[test]
fn check_does_not_read_the_operation_log() {
    crate::require_symlinks!();
    let w = applied();
    let dir = w.manifest_state().expect("a state folder after apply");
    fs::write(dir.join("head"), "forged\n").unwrap();
    only_check_passes(&w, "head");
}

#[test]
fn check_does_not_need_the_home_to_exist() {
    let w = World::new();
    w.manifest(MANIFEST);
    fs::remove_dir(&w.home).unwrap();
    only_check_passes(&w, "does not exist");
}

#[test]
fn check_does_not_resolve_where_the_state_folder_really_is() {
    let mut w = World::new();
    w.repo_file("f", "x\n");
    w.manifest(MANIFEST);
    let state = w.repo.join("state");
    w.set_env("LINKFILE_STATE_DIR", &state.to_string_lossy());
    only_check_passes(&w, "inside the repo");
}
