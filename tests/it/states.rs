//! Each state of a link's place, on a real temp filesystem, as plan reports it and apply handles it.

use std::fs;

use crate::harness::World;
use crate::require_symlinks;

fn world() -> World {
    let w = World::new();
    w.repo_file("vim/vimrc", "set number\nsyntax on\n");
    w.repo_file("nvim/init.lua", "-- init\n");
    w.manifest(
        "version = 1\n[links]\n\"~/.vimrc\" = \"vim/vimrc\"\n\"~/.config/nvim\" = \"nvim\"\n",
    );
    w
}

fn json_entry(w: &World, at: &str) -> serde_json::Value {
    let r = w.run(&["plan", "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let at = format!("[HOME]/{at}");
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| w.filter(e["at"].as_str().unwrap()) == at)
        .cloned()
        .unwrap_or_else(|| panic!("no entry for {at} in {v}"))
}

#[test]
fn missing_is_create_and_apply_makes_parents() {
    let w = world();
    let e = json_entry(&w, ".config/nvim");
    assert_eq!(e["action"], "create");
    assert_eq!(json_entry(&w, ".vimrc")["action"], "create");
    require_symlinks!();
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(w.link_text(".vimrc").unwrap(), w.repo.join("vim/vimrc"));
    assert_eq!(w.link_text(".config/nvim").unwrap(), w.repo.join("nvim"));
    assert!(
        fs::symlink_metadata(w.home.join(".config"))
            .unwrap()
            .is_dir()
    );
    // Through the link, the repo's bytes.
    assert_eq!(
        fs::read_to_string(w.home.join(".config/nvim/init.lua")).unwrap(),
        "-- init\n"
    );
}

#[test]
fn correct_link_is_ok() {
    require_symlinks!();
    let w = world();
    w.home_link(".vimrc", &w.repo.join("vim/vimrc"));
    let e = json_entry(&w, ".vimrc");
    assert_eq!(e["action"], "ok");
    assert!(e.get("reason").is_none());
}

#[test]
fn link_to_elsewhere_is_fixed_in_place() {
    require_symlinks!();
    let w = world();
    w.home_file("old/vimrc", "old\n");
    w.home_link(".vimrc", &w.home.join("old/vimrc"));
    let e = json_entry(&w, ".vimrc");
    assert_eq!(
        (e["action"].as_str(), e["reason"].as_str()),
        (Some("fix"), Some("wrong-target"))
    );
    assert_eq!(
        w.filter(e["current_text"].as_str().unwrap()),
        "[HOME]/old/vimrc"
    );
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("~ ~/.vimrc -> vim/vimrc  (wrong-target: now -> [HOME]/old/vimrc)"),
        "{}",
        r.stdout
    );
    assert_eq!(w.link_text(".vimrc").unwrap(), w.repo.join("vim/vimrc"));
    // The old original is untouched, and no temporary link is left beside the new one.
    assert_eq!(
        fs::read_to_string(w.home.join("old/vimrc")).unwrap(),
        "old\n"
    );
    let names: Vec<_> = fs::read_dir(&w.home)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}"); // .vimrc, old, and .config made for nvim
}

#[test]
fn dangling_link_is_fixed() {
    require_symlinks!();
    let w = world();
    w.home_link(".vimrc", &w.home.join("gone"));
    let e = json_entry(&w, ".vimrc");
    assert_eq!(
        (e["action"].as_str(), e["reason"].as_str()),
        (Some("fix"), Some("dangling"))
    );
    assert_eq!(w.run(&["apply"]).code, 0);
    assert_eq!(w.link_text(".vimrc").unwrap(), w.repo.join("vim/vimrc"));
}

#[test]
fn real_file_in_the_way_is_a_conflict_with_a_diff() {
    let w = world();
    w.home_file(".vimrc", "set number\n");
    let e = json_entry(&w, ".vimrc");
    assert_eq!(
        (e["action"].as_str(), e["reason"].as_str()),
        (Some("conflict"), Some("file-in-the-way"))
    );
    assert!(e["diff"].as_str().unwrap().contains("+syntax on"), "{e}");
    let r = w.run(&["plan"]);
    assert!(
        r.stdout
            .contains("! ~/.vimrc -> vim/vimrc  (file-in-the-way)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("      +syntax on"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("Plan: 1 to create, 0 to fix, 0 to remove, 1 conflict."),
        "{}",
        r.stdout
    );
}

#[test]
fn binary_file_in_the_way_has_no_diff() {
    let w = world();
    fs::write(w.home.join(".vimrc"), b"\x00\x01binary").unwrap();
    let e = json_entry(&w, ".vimrc");
    assert_eq!(e["reason"], "file-in-the-way");
    assert!(e.get("diff").is_none());
}

#[test]
fn real_folder_in_the_way_is_a_conflict() {
    let w = world();
    w.home_file(".config/nvim/init.lua", "-- mine\n");
    let e = json_entry(&w, ".config/nvim");
    assert_eq!(
        (e["action"].as_str(), e["reason"].as_str()),
        (Some("conflict"), Some("dir-in-the-way"))
    );
}

#[test]
fn missing_original_is_a_conflict() {
    let w = world();
    fs::remove_file(w.repo.join("vim/vimrc")).unwrap();
    let e = json_entry(&w, ".vimrc");
    assert_eq!(
        (e["action"].as_str(), e["reason"].as_str()),
        (Some("conflict"), Some("original-missing"))
    );
    assert!(!e["hint"].as_str().unwrap().contains("swap"));
}

#[test]
fn missing_original_with_a_file_at_at_suggests_a_swap() {
    let w = world();
    fs::remove_file(w.repo.join("vim/vimrc")).unwrap();
    w.home_file(".vimrc", "mine\n");
    let e = json_entry(&w, ".vimrc");
    assert_eq!(e["reason"], "original-missing");
    assert!(
        e["hint"]
            .as_str()
            .unwrap()
            .contains("did you swap at and to?"),
        "{e}"
    );
}

#[test]
fn parent_that_is_a_file_is_a_conflict() {
    let w = world();
    w.home_file(".config", "not a folder\n");
    let e = json_entry(&w, ".config/nvim");
    assert_eq!(
        (e["action"].as_str(), e["reason"].as_str()),
        (Some("conflict"), Some("parent-is-file"))
    );
    assert!(
        w.filter(e["hint"].as_str().unwrap())
            .contains("[HOME]/.config is a file"),
        "{e}"
    );
}

#[cfg(unix)]
#[test]
fn link_in_the_way_of_a_folder_is_not_followed() {
    // A link at `at` pointing to a real folder full of user files: fixing replaces the link only.
    let w = world();
    w.home_file("elsewhere/keep.txt", "keep\n");
    w.home_link(".config/nvim", &w.home.join("elsewhere"));
    let e = json_entry(&w, ".config/nvim");
    assert_eq!(e["reason"], "wrong-target");
    assert_eq!(w.run(&["apply"]).code, 0);
    assert_eq!(w.link_text(".config/nvim").unwrap(), w.repo.join("nvim"));
    assert_eq!(
        fs::read_to_string(w.home.join("elsewhere/keep.txt")).unwrap(),
        "keep\n"
    );
}

#[cfg(unix)]
#[test]
fn fifo_in_the_way_is_a_conflict() {
    let w = world();
    let at = w.home.join(".vimrc");
    let status = crate::harness::spawn(std::process::Command::new("mkfifo").arg(&at))
        .wait()
        .unwrap();
    assert!(status.success());
    let e = json_entry(&w, ".vimrc");
    assert_eq!(e["reason"], "other-in-the-way");
}

#[test]
fn symlinked_original_in_the_repo_is_linked_to_not_through() {
    require_symlinks!();
    let w = world();
    w.repo_file("real/bashrc", "# bash\n");
    crate::harness::symlink(&w.repo.join("real/bashrc"), &w.repo.join("bashrc"));
    w.manifest("version = 1\n[links]\n\"~/.bashrc\" = \"bashrc\"\n");
    let e = json_entry(&w, ".bashrc");
    assert_eq!(
        (e["action"].as_str(), e["kind"].as_str()),
        (Some("create"), Some("file"))
    );
    assert_eq!(w.run(&["apply"]).code, 0);
    assert_eq!(w.link_text(".bashrc").unwrap(), w.repo.join("bashrc"));
}
