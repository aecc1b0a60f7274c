//! Containment by real path (issue 9, point 2): `to`, the files `each` finds and adopt's
//! destination lie inside the repo by their real path, and no `at` lies inside the state folder
//! or (through the home itself) inside the repo.

use std::fs;
use std::path::Path;

use std::collections::BTreeMap;

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
    w.manifest("version = 1\n[links]\n\"~/victim\" = \"escape/victim\"\n");
    w.home_file("victim", "mine\n");
    let before = all_but_state(&w);
    let r = w.run(&["apply", "--on-conflict", "adopt"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("`to` escapes the repo by its real path")
            && r.stderr.contains("linkfile.toml:3:14"),
        "{}",
        r.stderr
    );
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
    w.manifest("version = 1\n[[link]]\nat = \"~/e\"\nto = \"escape\"\neach = true\n");
    w.home_file("e/victim", "mine\n");
    let before = all_but_state(&w);
    let r = w.run(&["apply", "--on-conflict", "adopt"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("`to` escapes the repo by its real path")
            && r.stderr.contains("linkfile.toml:4:6"),
        "{}",
        r.stderr
    );
    assert_eq!(all_but_state(&w), before);
}

#[test]
fn a_repo_link_is_still_linked_as_a_file() {
    require_symlinks!();
    let w = world_with_escape();
    symlink(Path::new("../outside/victim"), &w.repo.join("victim-link"));
    w.manifest("version = 1\n[links]\n\"~/e\" = \"escape\"\n\"~/v\" = \"victim-link\"\n");
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
    w.manifest(
        "version = 1\n[links]\n\"~/v\" = \"victim-link\"\n[[link]]\nat = \"~/d\"\nto = \"dir\"\neach = true\n",
    );
    w.home_file("v", "mine\n");
    w.home_file("d/victim-link", "mine too\n");
    let before = all_but_state(&w);
    let r = w.run(&["apply", "--on-conflict", "adopt"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        r.stdout.matches("(adopt-through-link)").count(),
        2,
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("is a link in the repo"), "{}", r.stdout);
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
    w.manifest("version = 1\n[links]\n\"~/.vimrc\" = \"vim/vimrc\"\n");
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
    w.manifest(
        "version = 1\n[links]\n\"~/.gitconfig\" = \"git/config\"\n\"~/.local/state/linkfile/lock\" = \"vim/vimrc\"\n",
    );
    let before = all_but_state(&w);
    let first = w.run(&["apply", "--on-conflict", "backup"]);
    let second = w.run(&["apply"]);
    assert_eq!(
        fs::read_to_string(w.repo.join("vim/vimrc")).unwrap(),
        "set number\n",
        "the lock file was written through the link into the repo"
    );
    assert_eq!((first.code, second.code), (1, 1), "{first:?}\n{second:?}");
    assert!(
        first
            .stderr
            .contains("`at` is inside linkfile's state folder")
            && first.stderr.contains("linkfile.toml:4:1"),
        "{}",
        first.stderr
    );
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
    w.manifest("version = 1\n[links]\n\"~/../s/x\" = \"vim/vimrc\"\n");
    let before = all_but_state(&w);
    // Outside the home: only without --home.
    let r = crate::harness::run_without_home(&w, &["plan"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("`at` is inside linkfile's state folder"),
        "{}",
        r.stderr
    );
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
    w.manifest("version = 1\n[links]\n\"~/.vimrc\" = \"vim/vimrc\"\n");
    let before = all_but_state(&w);
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("is inside the repo by its real path"),
        "{}",
        r.stderr
    );
    assert_eq!(all_but_state(&w), before);
}

#[test]
fn adopt_refuses_an_original_that_became_a_link_after_the_plan() {
    require_symlinks!();
    let w = world_with_escape();
    w.manifest(
        "version = 1\n[defaults]\non_conflict = \"adopt\"\n[links]\n\"~/.vimrc\" = \"vim/vimrc\"\n",
    );
    w.home_file(".vimrc", "mine\n");
    let session = linkfile::load(None, Some(&w.home), &w.system()).unwrap();
    // Between plan and apply, the original is replaced by a link out of the repo.
    fs::remove_file(w.repo.join("vim/vimrc")).unwrap();
    symlink(&w.root.join("outside/victim"), &w.repo.join("vim/vimrc"));
    let before = all_but_state(&w);
    let err = session
        .apply(linkfile::records::Command::Apply, None, &mut |_| Ok(()))
        .unwrap_err();
    assert!(err.to_string().contains("vim/vimrc"), "{err}");
    assert_eq!(all_but_state(&w), before);
}
