//! History users can rely on: prune releases what the user changed and tidies the folders it
//! made; undo and unlink put back exactly what was there, from wherever it is kept now, and
//! never make a dangling link or move a repo file that is no longer the one adopted.

use std::fs;
use std::path::Path;

use indoc::indoc;
use insta::assert_snapshot;

use crate::harness::{Node, World};
use crate::require_symlinks;

const ONE: &str = indoc! {r#"
    version = 1
    [links]
    "~/.a" = "a"
"#};
const TWO: &str = indoc! {r#"
    version = 1
    [links]
    "~/.a" = "a"
    "~/.b" = "b"
"#};
const THREE: &str = indoc! {r#"
    version = 1
    [links]
    "~/.a" = "a"
    "~/.b" = "b"
    "~/.c" = "c"
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

/// Every file and link in the backup stores.
fn stored(w: &World) -> Vec<(String, Node)> {
    w.snapshot_all()
        .into_iter()
        .filter(|(rel, n)| rel.contains("backups") && !matches!(n, Node::Dir { .. }))
        .collect()
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
fn prune_releases_what_the_user_changed_under_every_policy() {
    require_symlinks!();
    for policy in ["fail", "backup", "adopt"] {
        let w = world(THREE);
        ok(&w, &["apply"]);
        // An application saved a real file over one link; someone re-pointed another.
        fs::remove_file(w.home.join(".b")).unwrap();
        w.home_file(".b", "saved by an app\n");
        fs::remove_file(w.home.join(".c")).unwrap();
        w.home_link(".c", Path::new("/somewhere/else"));
        // Both entries leave the manifest; a new one comes in.
        w.manifest(indoc! {r#"
            version = 1
            [links]
            "~/.a" = "a"
            "~/.n" = "c"
        "#});
        // The same whatever the policy.
        insta::allow_duplicates! {
            assert_snapshot!(w.snapshot_run(&["plan"]), @r"
                exit: 0
                --- stdout
                  + ~/.n -> c
                  = ~/.b -> b  (released: changed since linkfile made it; left as it is)
                  = ~/.c -> c  (released: changed since linkfile made it; left as it is)
                Plan: 1 to create, 0 to fix, 0 to remove, 2 to release, 0 conflicts.
                --- stderr
                ");
        }
        let e = json_entry(&w, ".b");
        assert_eq!(e["action"], "release", "{e}");
        assert_eq!(e["reason"], "changed-since-applied", "{e}");
        assert!(
            e.get("hint").is_none() && e.get("resolution").is_none(),
            "{e}"
        );

        insta::allow_duplicates! {
            assert_snapshot!(w.snapshot_run(&["apply", "--on-conflict", policy]), @r"
                exit: 0
                --- stdout
                  + ~/.n -> c
                  = ~/.b -> b  (released: changed since linkfile made it; left as it is)
                  = ~/.c -> c  (released: changed since linkfile made it; left as it is)
                Applied: 1 created, 0 fixed, 0 removed, 2 released. Operation 2 (undo with `linkfile undo`).
                --- stderr
                ");
        }
        // Left exactly as they are, never backed up.
        assert_eq!(fs::read(w.home.join(".b")).unwrap(), b"saved by an app\n");
        assert_eq!(w.link_text(".c").unwrap(), Path::new("/somewhere/else"));
        assert_eq!(stored(&w), vec![], "{policy}");
        // No longer owned: nothing more to do, and unlink leaves them.
        insta::allow_duplicates! {
            assert_snapshot!(w.snapshot_run(&["plan"]), @r"
                exit: 0
                --- stdout
                No changes: 2 links already in place.
                --- stderr
                ");
        }
        ok(&w, &["unlink"]);
        assert!(fs::symlink_metadata(w.home.join(".a")).is_err());
        assert_eq!(fs::read(w.home.join(".b")).unwrap(), b"saved by an app\n");
        assert_eq!(w.link_text(".c").unwrap(), Path::new("/somewhere/else"));
    }
}

#[test]
fn a_release_alone_is_pending_and_undoing_it_writes_nothing_there() {
    require_symlinks!();
    let w = world(TWO);
    ok(&w, &["apply"]);
    fs::remove_file(w.home.join(".b")).unwrap();
    w.home_file(".b", "mine\n");
    w.manifest(ONE);
    // Only the ownership changes, but that is a change apply makes.
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 2);
    assert_snapshot!(w.snapshot_run(&["apply"]), @r"
        exit: 0
        --- stdout
          = ~/.b -> b  (released: changed since linkfile made it; left as it is)
        Applied: 0 created, 0 fixed, 0 removed, 1 released. Operation 2 (undo with `linkfile undo`).
        --- stderr
        ");
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 0);
    // Undoing the release touches nothing at the released place, and does not own it again.
    let before = w.snapshot();
    assert_snapshot!(w.snapshot_run(&["undo"]), @r"
        exit: 0
        --- stdout
        Nothing to change on disk. Operation 3 undid operation 2.
        --- stderr
        ");
    assert_eq!(w.snapshot(), before);
    let log: serde_json::Value =
        serde_json::from_str(&w.run(&["log", "--json"]).raw_stdout).unwrap();
    assert_eq!(log[0]["view"].as_array().unwrap().len(), 1, "{log}");
}

#[test]
fn prune_removes_the_empty_folders_it_made_and_only_those() {
    require_symlinks!();
    let w = world(indoc! {r#"
        version = 1
        [links]
        "~/deep/er/.x" = "a"
        "~/made/.y" = "b"
        "~/pre/.z" = "c"
        "~/shared/one" = "a"
        "~/shared/two" = "b"
    "#});
    fs::create_dir(w.home.join("pre")).unwrap();
    ok(&w, &["apply"]);
    w.home_file("made/notes", "mine\n");
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/shared/one" = "a"
    "#});
    assert_snapshot!(w.snapshot_run(&["apply"]), @r"
        exit: 0
        --- stdout
          - ~/deep/er/.x -> a
          - ~/made/.y -> b
          - ~/pre/.z -> c
          - ~/shared/two -> b
        Applied: 0 created, 0 fixed, 4 removed. Operation 2 (undo with `linkfile undo`).
        --- stderr
        ");
    // Made by linkfile and emptied: gone, deepest first.
    assert!(fs::symlink_metadata(w.home.join("deep")).is_err());
    // Not empty, not made by linkfile, or still holding a wanted link: kept.
    assert_eq!(fs::read(w.home.join("made/notes")).unwrap(), b"mine\n");
    assert!(fs::symlink_metadata(w.home.join("made/.y")).is_err());
    assert!(w.home.join("pre").is_dir());
    assert_eq!(w.link_text("shared/one").unwrap(), w.repo.join("a"));
    assert!(fs::symlink_metadata(w.home.join("shared/two")).is_err());
    // And undo makes them again, links and all.
    ok(&w, &["undo"]);
    assert_eq!(w.link_text("deep/er/.x").unwrap(), w.repo.join("a"));
    assert_eq!(w.link_text("made/.y").unwrap(), w.repo.join("b"));
}

#[cfg(unix)]
#[test]
fn prune_never_removes_a_folder_through_a_link() {
    let w = world(indoc! {r#"
        version = 1
        [links]
        "~/d/e/f/.x" = "a"
    "#});
    ok(&w, &["apply"]);
    // The user moved the folder linkfile made elsewhere and left a link in its place; an
    // empty folder of the same name is there.
    fs::remove_file(w.home.join("d/e/f/.x")).unwrap();
    fs::remove_dir(w.home.join("d/e/f")).unwrap();
    fs::remove_dir(w.home.join("d/e")).unwrap();
    let outside = w.root.join("outside");
    fs::create_dir_all(outside.join("f")).unwrap();
    std::os::unix::fs::symlink(&outside, w.home.join("d/e")).unwrap();
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/.a" = "a"
    "#});
    ok(&w, &["apply"]);
    assert!(outside.join("f").is_dir(), "removed through the link");
    assert_eq!(w.link_text("d/e").unwrap(), outside);
}

#[test]
fn apply_undo_apply_unlink_puts_back_the_users_own_link() {
    require_symlinks!();
    let w = world(ONE);
    w.home_link(".a", Path::new("/my/own/a"));
    let start = w.snapshot();
    ok(&w, &["apply"]);
    ok(&w, &["undo"]);
    assert_eq!(w.snapshot(), start);
    ok(&w, &["apply"]);
    assert_eq!(w.link_text(".a").unwrap(), w.repo.join("a"));
    assert_snapshot!(w.snapshot_run(&["unlink"]), @r"
        exit: 0
        --- stdout
          - ~/.a -> a  (restore the link to /my/own/a)
        Applied: 0 created, 0 fixed, 1 removed, 1 restored. Operation 4 (undo with `linkfile undo`).
        --- stderr
        ");
    assert_eq!(w.snapshot(), start);
}

#[test]
fn apply_unlink_undo_undo_restores_the_newest_backup() {
    require_symlinks!();
    let w = world(indoc! {r#"
        version = 1
        [defaults]
        on_conflict = "backup"
        [links]
        "~/.a" = "a"
    "#});
    w.home_file(".a", "mine\n");
    let start = w.snapshot();
    ok(&w, &["apply"]);
    ok(&w, &["unlink"]);
    assert_eq!(w.snapshot(), start);
    // Undoing the unlink moves the file to the store again, under a new folder.
    ok(&w, &["undo"]);
    assert_eq!(w.link_text(".a").unwrap(), w.repo.join("a"));
    // Undoing the apply takes it from there.
    assert_snapshot!(w.snapshot_run(&["undo"]), @r"
        exit: 0
        --- stdout
          - ~/.a -> a  (restore [STATE]/m-[HASH]/backups/00000003-1/.a)
        Applied: 0 created, 0 fixed, 1 removed, 1 restored. Operation 4 undid operation 1.
        --- stderr
        ");
    assert_eq!(w.snapshot(), start);
    assert_eq!(stored(&w), vec![]);
    assert_snapshot!(w.snapshot_run(&["unlink"]), @r"
        exit: 0
        --- stdout
        Nothing to do: 0 links already in place.
        --- stderr
        ");
}

#[test]
fn undo_never_makes_a_dangling_link() {
    require_symlinks!();
    // Undoing a prune whose original has gone from the repo since.
    let w = world(TWO);
    ok(&w, &["apply"]);
    w.manifest(ONE);
    ok(&w, &["apply"]);
    fs::remove_file(w.repo.join("b")).unwrap();
    let before = w.snapshot();
    assert_snapshot!(w.snapshot_run(&["undo", "--dry-run"]), @r"
        exit: 1
        --- stdout
          ! ~/.b -> b  (original-missing)
              hint: create [REPO]/b in the repo, or fix `to`
        --- stderr
        error: 1 conflict; nothing was changed
        hint: deal with each conflict as its hint says, then run `linkfile undo` again
        ");
    assert_eq!(w.snapshot(), before);
    assert_snapshot!(w.snapshot_run(&["undo"]), @r"
        exit: 1
        --- stdout
          ! ~/.b -> b  (original-missing)
              hint: create [REPO]/b in the repo, or fix `to`
        --- stderr
        error: 1 conflict; nothing was changed
        hint: deal with each conflict as its hint says, then run `linkfile undo` again
        ");
    assert_eq!(w.snapshot(), before);
    w.repo_file("b", "b\n");
    ok(&w, &["undo"]);
    assert_eq!(w.link_text(".b").unwrap(), w.repo.join("b"));

    // Undoing an unlink likewise; a right link whose original has gone needs no step.
    let w = world(TWO);
    ok(&w, &["apply"]);
    ok(&w, &["unlink"]);
    fs::remove_file(w.repo.join("b")).unwrap();
    let before = w.snapshot();
    assert_snapshot!(w.snapshot_run(&["undo"]), @r"
        exit: 1
        --- stdout
          + ~/.a -> a
          ! ~/.b -> b  (original-missing)
              hint: create [REPO]/b in the repo, or fix `to`
        --- stderr
        error: 1 conflict; nothing was changed
        hint: deal with each conflict as its hint says, then run `linkfile undo` again
        ");
    assert_eq!(w.snapshot(), before);
}

#[test]
fn undo_leaves_alone_a_link_it_need_not_write_whose_original_is_gone() {
    require_symlinks!();
    let w = world(ONE);
    ok(&w, &["apply"]);
    w.manifest(TWO);
    ok(&w, &["apply"]);
    fs::remove_file(w.repo.join("a")).unwrap();
    // Undoing operation 2 removes .b; .a stays as it is (dangling, as the user made it).
    ok(&w, &["undo"]);
    assert!(fs::symlink_metadata(w.home.join(".b")).is_err());
    assert_eq!(w.link_text(".a").unwrap(), w.repo.join("a"));
}

#[test]
fn undo_of_adopt_refuses_when_the_repo_file_is_no_longer_the_adopted_one() {
    require_symlinks!();
    let w = world(ONE);
    w.home_file(".a", "mine\n");
    let start = w.snapshot();
    ok(&w, &["apply", "--on-conflict", "adopt"]);
    // Edited since (through the link, or by a checkout): undo would move the edit out of the
    // repo and put an old version in its place.
    fs::write(w.repo.join("a"), "edited later\n").unwrap();
    let before = w.snapshot();
    assert_snapshot!(w.snapshot_run(&["undo"]), @r"
        exit: 1
        --- stdout
          ! ~/.a -> a  (changed-since-applied)
              hint: [REPO]/a is no longer the file adopted from [HOME]/.a (it changed since), and undo moves only what it adopted out of the repo; put the adopted content back there first (e.g. from version control), or keep things as they are
          - [REPO]/a -> a  (restore [STATE]/m-[HASH]/backups/00000001-1/a)  (outside ~)
        --- stderr
        error: 1 conflict; nothing was changed
        hint: deal with each conflict as its hint says, then run `linkfile undo` again
        ");
    assert_eq!(w.snapshot(), before);
    // The adopted bytes again, even as a new file (as a checkout writes it): undo goes ahead.
    fs::remove_file(w.repo.join("a")).unwrap();
    fs::write(w.repo.join("a"), "mine\n").unwrap();
    ok(&w, &["undo"]);
    assert_eq!(w.snapshot(), start);
}

#[test]
fn below_a_released_place_things_are_seen_as_they_are() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("nvim/init.lua", "-- init\n");
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/.config/nvim" = "nvim"
    "#});
    ok(&w, &["apply"]);
    // The user made the folder their own, with their own init.lua in it.
    fs::remove_file(w.home.join(".config/nvim")).unwrap();
    w.home_file(".config/nvim/init.lua", "-- mine\n");
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/.config/nvim/init.lua" = "nvim/init.lua"
    "#});
    let before = w.snapshot();
    assert_snapshot!(w.snapshot_run(&["apply"]), @r"
        exit: 1
        --- stdout
          ! ~/.config/nvim/init.lua -> nvim/init.lua  (file-in-the-way)
              hint: move [HOME]/.config/nvim/init.lua out of the way (or into the repo as [REPO]/nvim/init.lua), or apply with --on-conflict backup (keeps it in the backup store) or adopt (makes it the repo's version)
              --- [HOME]/.config/nvim/init.lua
              +++ [REPO]/nvim/init.lua
              @@ -1 +1 @@
              --- mine
              +-- init
          = ~/.config/nvim -> nvim  (released: changed since linkfile made it; left as it is)
        --- stderr
        error: 1 conflict; nothing was changed
        hint: deal with each conflict as its hint says (apply --on-conflict backup moves what is in the way to the backup store), then run linkfile again
        ");
    assert_eq!(w.snapshot(), before);
}

#[test]
fn a_folder_holding_a_released_place_does_not_give_way() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("nvim/init.lua", "-- init\n")
        .repo_file("nvim/lua/a.lua", "a\n");
    w.manifest(indoc! {r#"
        version = 1
        [[link]]
        at = "~/.config/nvim"
        to = "nvim"
        each = true
    "#});
    ok(&w, &["apply"]);
    // One of the links is the user's file now; the manifest wants one link to the folder.
    fs::remove_file(w.home.join(".config/nvim/lua/a.lua")).unwrap();
    w.home_file(".config/nvim/lua/a.lua", "mine\n");
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/.config/nvim" = "nvim"
    "#});
    let before = w.snapshot();
    assert_snapshot!(w.snapshot_run(&["apply"]), @r"
        exit: 1
        --- stdout
          ! ~/.config/nvim -> nvim  (dir-in-the-way)
              hint: move [HOME]/.config/nvim out of the way (or into the repo as [REPO]/nvim), or apply with --on-conflict backup (keeps it in the backup store) or adopt (makes it the repo's version)
          - ~/.config/nvim/init.lua -> nvim/init.lua
          = ~/.config/nvim/lua/a.lua -> nvim/lua/a.lua  (released: changed since linkfile made it; left as it is)
        --- stderr
        error: 1 conflict; nothing was changed
        hint: deal with each conflict as its hint says (apply --on-conflict backup moves what is in the way to the backup store), then run linkfile again
        ");
    assert_eq!(w.snapshot(), before);
}
