//! Containment by real path (issue 9, point 2): `to`, the files `each` finds and adopt's
//! destination lie inside the repo by their real path, and no `at` lies inside the state folder
//! or (through the home itself) inside the repo.

use std::fs;
use std::path::Path;

use std::collections::BTreeMap;

use indoc::indoc;
use insta::assert_snapshot;

use crate::harness::{Node, World, symlink};
use crate::require_symlinks;

/// Everything in the temp folder but linkfile's state (where apply takes its lock), whether
/// beside the home or in it.
fn all_but_state(w: &World) -> BTreeMap<String, Node> {
    let mut all = w.snapshot_all();
    all.retain(|k, _| {
        !Path::new(k).starts_with("state") && !Path::new(k).starts_with("home/.local")
    });
    all
}

/// A world whose repo holds `escape`, a link to the folder `outside/` beside it, which holds
/// `victim`.
fn world_with_escape() -> World {
    let w = World::new();
    w.repo_file("vim/vimrc", "set number\n");
    fs::create_dir(w.root.join("outside")).unwrap();
    fs::write(w.root.join("outside/victim"), "outside\n").unwrap();
    symlink(Path::new("../outside"), &w.repo.join("escape"));
    w
}

#[test]
fn to_through_a_repo_link_to_outside_is_a_manifest_error() {
    require_symlinks!();
    let w = world_with_escape();
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/victim" = "escape/victim"
    "#});
    w.home_file("victim", "mine\n");
    let before = all_but_state(&w);
    assert_snapshot!(w.snapshot_run(&["apply", "--on-conflict", "adopt"]), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: `to` escapes the repo by its real path: [REPO]/escape/victim is [TMP]/outside/victim, outside [REPO]
         --> linkfile.toml:3:14
          |
        3 | "~/victim" = "escape/victim"
          |              ^^^^^^^^^^^^^^^
        hint: a link in the repo leads out of it on the way; point `to` at something inside the repo (a link in the repo may itself be `to`: it is linked as it is)
        "#);
    assert_eq!(
        fs::read_to_string(w.root.join("outside/victim")).unwrap(),
        "outside\n"
    );
    assert_eq!(all_but_state(&w), before);
}

#[test]
fn each_over_a_repo_link_to_outside_is_a_manifest_error() {
    require_symlinks!();
    let w = world_with_escape();
    w.manifest(indoc! {r#"
        version = 1
        [[link]]
        at = "~/e"
        to = "escape"
        each = true
    "#});
    w.home_file("e/victim", "mine\n");
    let before = all_but_state(&w);
    assert_snapshot!(w.snapshot_run(&["apply", "--on-conflict", "adopt"]), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: `to` escapes the repo by its real path: [REPO]/escape is [TMP]/outside/, outside [REPO]
         --> linkfile.toml:4:6
          |
        4 | to = "escape"
          |      ^^^^^^^^
        hint: a link in the repo leads out of it on the way; point `to` at something inside the repo (a link in the repo may itself be `to`: it is linked as it is)
        "#);
    assert_eq!(all_but_state(&w), before);
}

#[test]
fn a_repo_link_is_still_linked_as_a_file() {
    require_symlinks!();
    let w = world_with_escape();
    symlink(Path::new("../outside/victim"), &w.repo.join("victim-link"));
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/e" = "escape"
        "~/v" = "victim-link"
    "#});
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(w.link_text("e").unwrap(), w.repo.join("escape"));
    assert_eq!(w.link_text("v").unwrap(), w.repo.join("victim-link"));
}

#[test]
fn adopt_never_replaces_a_repo_link() {
    require_symlinks!();
    let w = world_with_escape();
    symlink(Path::new("../outside/victim"), &w.repo.join("victim-link"));
    w.repo_file("dir/plain", "plain\n");
    symlink(
        Path::new("../../outside/victim"),
        &w.repo.join("dir/victim-link"),
    );
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/v" = "victim-link"
        [[link]]
        at = "~/d"
        to = "dir"
        each = true
    "#});
    w.home_file("v", "mine\n");
    w.home_file("d/victim-link", "mine too\n");
    let before = all_but_state(&w);
    assert_snapshot!(w.snapshot_run(&["apply", "--on-conflict", "adopt"]), @r"
        exit: 1
        --- stdout
          ! ~/v -> victim-link  (adopt-through-link)
              hint: [REPO]/victim-link is a link in the repo (to ../outside/victim), and adopt never replaces a link nor writes through one; move the file in the way yourself, or apply with --on-conflict backup
          + ~/d/plain -> dir/plain
          ! ~/d/victim-link -> dir/victim-link  (adopt-through-link)
              hint: [REPO]/dir/victim-link is a link in the repo (to ../../outside/victim), and adopt never replaces a link nor writes through one; move the file in the way yourself, or apply with --on-conflict backup
        --- stderr
        error: 2 conflicts; nothing was changed
        hint: deal with each conflict as its hint says (apply --on-conflict backup moves what is in the way to the backup store), then run linkfile again
        ");
    assert_eq!(all_but_state(&w), before);
    // Under backup, the same places are fine: the repo is not written.
    let r = w.run(&["apply", "--on-conflict", "backup"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(w.link_text("v").unwrap(), w.repo.join("victim-link"));
    assert_eq!(
        fs::read_link(w.repo.join("victim-link")).unwrap(),
        Path::new("../outside/victim")
    );
    assert_eq!(
        fs::read_to_string(w.root.join("outside/victim")).unwrap(),
        "outside\n"
    );
}

#[test]
fn adopt_still_adopts_into_a_real_repo_file() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("vim/vimrc", "set number\n");
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/.vimrc" = "vim/vimrc"
    "#});
    w.home_file(".vimrc", "mine\n");
    let r = w.run(&["apply", "--on-conflict", "adopt"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        fs::read_to_string(w.repo.join("vim/vimrc")).unwrap(),
        "mine\n"
    );
}

/// The default state folder, under the home.
fn world_with_state_in_home() -> World {
    let mut w = World::new();
    w.env.remove("LINKFILE_STATE_DIR");
    w.repo_file("vim/vimrc", "set number\n");
    w.repo_file("git/config", "[user]\n");
    w
}

#[test]
fn at_in_the_state_folder_is_a_manifest_error() {
    require_symlinks!();
    let w = world_with_state_in_home();
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/.gitconfig" = "git/config"
        "~/.local/state/linkfile/lock" = "vim/vimrc"
    "#});
    let before = all_but_state(&w);
    let first = w.run(&["apply", "--on-conflict", "backup"]);
    let second = w.run(&["apply"]);
    assert_eq!(
        fs::read_to_string(w.repo.join("vim/vimrc")).unwrap(),
        "set number\n",
        "the lock file was written through the link into the repo"
    );
    assert_eq!(second.code, 1, "{second:?}");
    assert_snapshot!(first.shown(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: `at` is inside linkfile's state folder [HOME]/.local/state/linkfile: linkfile keeps its log, backups and lock there
         --> linkfile.toml:4:1
          |
        4 | "~/.local/state/linkfile/lock" = "vim/vimrc"
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        hint: put the link elsewhere (LINKFILE_STATE_DIR moves the state folder)
        "#);
    assert_eq!(all_but_state(&w), before);
}

#[test]
fn at_in_the_state_folder_by_real_path_is_a_manifest_error() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("vim/vimrc", "set number\n");
    fs::create_dir_all(&w.state).unwrap();
    // A folder above the home that leads into the state folder.
    symlink(&w.state, &w.root.join("s"));
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/../s/x" = "vim/vimrc"
    "#});
    let before = all_but_state(&w);
    // Outside the home: only without --home.
    let r = crate::harness::run_without_home(&w, &["plan"]);
    assert_snapshot!(r.shown(), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: `at` is inside linkfile's state folder [STATE] (by its real path, [STATE]/x): linkfile keeps its log, backups and lock there
         --> linkfile.toml:3:1
          |
        3 | "~/../s/x" = "vim/vimrc"
          | ^^^^^^^^^^
        hint: put the link elsewhere (LINKFILE_STATE_DIR moves the state folder)
        "#);
    assert_eq!(all_but_state(&w), before);
}

#[test]
fn at_in_the_repo_through_the_home_itself_is_a_manifest_error() {
    require_symlinks!();
    let mut w = World::new();
    w.repo_file("vim/vimrc", "set number\n");
    fs::create_dir(w.repo.join("home")).unwrap();
    // The home given is a link to a folder of the repo: every `at` is in the repo.
    let home = w.root.join("home-link");
    symlink(&w.repo.join("home"), &home);
    w.home = home;
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/.vimrc" = "vim/vimrc"
    "#});
    let before = all_but_state(&w);
    assert_snapshot!(w.snapshot_run(&["apply"]), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: [HOME]/.vimrc is inside the repo by its real path ([REPO]/home/.vimrc): the home folder [HOME] leads into the repo, so the link would be written into your dotfiles
         --> linkfile.toml:3:1
          |
        3 | "~/.vimrc" = "vim/vimrc"
          | ^^^^^^^^^^
        hint: use a home folder outside the repo (--home, LINKFILE_HOME)
        "#);
    assert_eq!(all_but_state(&w), before);
}

#[test]
fn adopt_refuses_an_original_that_became_a_link_after_the_plan() {
    require_symlinks!();
    let w = world_with_escape();
    w.manifest(indoc! {r#"
        version = 1
        [defaults]
        on_conflict = "adopt"
        [links]
        "~/.vimrc" = "vim/vimrc"
    "#});
    w.home_file(".vimrc", "mine\n");
    let session = linkfile::load(None, Some(&w.home), &w.system()).unwrap();
    // Between plan and apply, the original is replaced by a link out of the repo.
    fs::remove_file(w.repo.join("vim/vimrc")).unwrap();
    symlink(&w.root.join("outside/victim"), &w.repo.join("vim/vimrc"));
    let before = all_but_state(&w);
    let err = session
        .apply(linkfile::command::Command::Apply, None, &mut |_| Ok(()))
        .unwrap_err();
    assert!(err.to_string().contains("vim/vimrc"), "{err}");
    assert_eq!(all_but_state(&w), before);
}
