//! A long stretch of new links (an apply into an empty home) is made by several threads at
//! once (`src/apply/batch.rs`, from 512 links on): what lands on disk, what a failure at any
//! step leaves, and something appearing in the way meanwhile, as for one thread.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::harness::{Node, World};
use crate::require_symlinks;

/// Folders of a hundred links each in the wide world.
const FOLDERS: usize = 6;
/// Folders of one link each (each a chunk too small alone: they are taken together).
const SINGLES: usize = 40;

/// A world whose manifest links `~/.w/dNN/fNNN` to `w/dNN/fNNN` ([`FOLDERS`] folders of 100)
/// and `~/.s/sNNN/x` to `s/sNNN/x` ([`SINGLES`] folders of one): 640 new links, in 48 new
/// folders, below `~/.w`, which holds a file of the user's.
fn wide_world() -> World {
    wide_world_with("")
}

/// [`wide_world`] with `defaults` (TOML lines) in the manifest's `[defaults]` table.
fn wide_world_with(defaults: &str) -> World {
    let w = World::new_in(Path::new("/dev/shm"));
    let mut manifest = format!("version = 1\n[defaults]\n{defaults}[links]\n");
    for (rel, i) in places() {
        w.repo_file(&rel, &format!("{i}\n"));
        manifest.push_str(&format!("\"~/.{rel}\" = \"{rel}\"\n"));
    }
    w.manifest(&manifest);
    w.home_file(".w/mine", "the user's own file\n");
    w
}

/// Each link's place relative to the repo (the home's is the same with a dot), and a number.
fn places() -> Vec<(String, usize)> {
    let wide = (0..FOLDERS * 100).map(|i| format!("w/d{:02}/f{:03}", i / 100, i % 100));
    let singles = (0..SINGLES).map(|i| format!("s/s{i:03}/x"));
    wide.chain(singles)
        .enumerate()
        .map(|(i, r)| (r, i))
        .collect()
}

fn apply(
    w: &World,
    hook: &mut (dyn FnMut(&linkfile::apply::Step) -> io::Result<()> + Send),
) -> Result<(), linkfile::error::Error> {
    let session =
        linkfile::load(None, Some(&w.home), &w.system()).unwrap_or_else(|e| panic!("{e}"));
    session
        .apply(linkfile::command::Command::Apply, None, hook)
        .map(|_| ())
}

/// Whether the intent record is gone (or was never written).
fn no_intent(w: &World) -> bool {
    w.manifest_state()
        .is_none_or(|d| !d.join("intent.json").exists())
}

/// Applies `w`'s manifest with a failure injected before the step at `target` (relative to the
/// home): the apply says so and that nothing was changed, and the tree is as it was.
fn failing_at(w: &World, target: &str) {
    let before = w.snapshot();
    let at = w.home.join(target);
    let err = apply(w, &mut |step| match step.place() == at {
        true => Err(io::Error::other("injected failure")),
        false => Ok(()),
    })
    .expect_err(target);
    let msg = err.to_string();
    assert!(msg.contains("injected failure"), "{target}: {msg}");
    assert!(msg.contains("nothing was changed"), "{target}: {msg}");
    // Named as the platform writes paths.
    assert!(msg.replace('\\', "/").contains(target), "{target}: {msg}");
    let now = w.snapshot();
    assert!(
        now == before,
        "{target}: the tree changed:\n{}\n{msg}",
        crate::harness::snapshot_diff(&before, &now, 20)
    );
    assert!(no_intent(w), "{target}: the intent stayed");
}

#[test]
fn a_long_apply_over_threads_makes_every_link_once_and_undo_takes_them_back() {
    require_symlinks!();
    let w = wide_world();
    let before = w.snapshot();
    let seen = Mutex::new(Vec::new());
    apply(&w, &mut |step| {
        seen.lock().unwrap().push(step.place().to_path_buf());
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    // The hook saw every step once: 640 links and 47 folders (`.w` was there).
    let mut seen = seen.into_inner().unwrap();
    let steps = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!((steps, seen.len()), (687, 687));
    for (rel, _) in places() {
        let at = w.home.join(format!(".{rel}"));
        assert_eq!(
            fs::read_link(&at).unwrap_or_else(|e| panic!("{}: {e}", at.display())),
            w.repo.join(&rel),
            "{}",
            at.display()
        );
    }
    let plan = w.run(&["plan", "--exit-code"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let undo = w.run(&["undo"]);
    assert_eq!(undo.code, 0, "{undo:?}");
    assert_eq!(w.snapshot(), before);
}

#[test]
fn a_failure_at_any_point_of_a_long_apply_leaves_the_tree_as_it_was() {
    require_symlinks!();
    // Folders made before the links, the first link, links in the middle of a folder and of
    // the singles, the last link.
    for target in [
        ".w/d00",
        ".s/s039",
        ".w/d00/f000",
        ".w/d03/f050",
        ".s/s020/x",
        ".s/s039/x",
    ] {
        failing_at(&wide_world(), target);
    }
}

#[test]
fn a_file_saved_where_a_link_goes_mid_apply_is_kept_and_the_rest_rolled_back() {
    require_symlinks!();
    let w = wide_world();
    let at: PathBuf = w.home.join(".w/d04/f010");
    let err = apply(&w, &mut |step| {
        if step.place() == at {
            fs::write(&at, "saved meanwhile\n")?;
        }
        Ok(())
    })
    .expect_err("the place was taken");
    let msg = err.to_string();
    assert!(msg.contains("nothing was changed"), "{msg}");
    assert!(
        msg.contains("cannot create link") && msg.contains(".w/d04/f010"),
        "{msg}"
    );
    // The saved file, alone in the folder the apply made for it (left: it is not empty), and
    // the user's own file; nothing else.
    let left: Vec<(String, Node)> = w
        .snapshot()
        .into_iter()
        .filter(|(k, _)| k.starts_with("home/"))
        .collect();
    let names: Vec<&str> = left.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["home/.w", "home/.w/d04", "home/.w/d04/f010", "home/.w/mine"],
        "{msg}"
    );
    for (k, node) in &left {
        let text = match k.as_str() {
            "home/.w/d04/f010" => "saved meanwhile\n",
            "home/.w/mine" => "the user's own file\n",
            _ => {
                assert!(matches!(node, Node::Dir { .. }), "{k}: {node:?}");
                continue;
            }
        };
        assert!(
            matches!(node, Node::File { bytes, .. } if bytes == text.as_bytes()),
            "{k}: {node:?}"
        );
    }
    assert!(no_intent(&w), "the intent stayed");
}

/// 1,200 links with a file of the user's in the way half way (backed up): the steps are two
/// long stretches of new links with the backup between them, each spread over threads (the
/// second through the first's places again).
fn two_stretch_world() -> World {
    let w = World::new_in(Path::new("/dev/shm"));
    let mut manifest = String::from("version = 1\n[defaults]\non_conflict = \"backup\"\n[links]\n");
    for i in 0..1200 {
        let rel = format!("w/d{:02}/f{:03}", i / 100, i % 100);
        w.repo_file(&rel, &format!("{i}\n"));
        manifest.push_str(&format!("\"~/.{rel}\" = \"{rel}\"\n"));
    }
    w.manifest(&manifest);
    w.home_file(".w/d06/f000", "the user's file in the way\n");
    w
}

#[test]
fn two_long_stretches_around_a_backup_are_made_and_rolled_back_whole() {
    require_symlinks!();
    // Made: every link, the user's file in the backup store.
    let w = two_stretch_world();
    // The kinds of step, in the order the hook saw them (one call at a time).
    let seen = Mutex::new(Vec::new());
    apply(&w, &mut |step| {
        let kind = match step {
            linkfile::apply::Step::Make { .. } => 'l',
            linkfile::apply::Step::Move { .. } => 'm',
            _ => '.',
        };
        seen.lock().unwrap().push(kind);
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let seen: String = seen.into_inner().unwrap().into_iter().collect();
    let (first, second) = seen.split_once('m').expect("one backup");
    let links = |s: &str| s.matches('l').count();
    assert!(links(first) >= 512 && links(second) >= 512, "{seen}");
    assert_eq!(links(first) + links(second), 1200);
    for i in 0..1200 {
        let rel = format!("w/d{:02}/f{:03}", i / 100, i % 100);
        assert_eq!(
            fs::read_link(w.home.join(format!(".{rel}"))).unwrap(),
            w.repo.join(&rel)
        );
    }
    let plan = w.run(&["plan", "--exit-code"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    // A failure in the first stretch, at the backup, and in the second stretch.
    for target in [".w/d02/f050", ".w/d06/f000", ".w/d09/f050", ".w/d11/f099"] {
        failing_at(&two_stretch_world(), target);
    }
}

/// Hard links are real under Wine too: this runs the threads on every platform.
#[test]
fn a_long_stretch_of_hard_links_is_made_over_threads_and_rolled_back_whole() {
    let w = wide_world_with("link_type = \"hardlink\"\n");
    apply(&w, &mut |_| Ok(())).unwrap_or_else(|e| panic!("{e}"));
    for (rel, _) in places() {
        let at = w.home.join(format!(".{rel}"));
        assert!(
            linkfile::observe::same_file(&at, &w.repo.join(&rel)),
            "{}",
            at.display()
        );
    }
    let plan = w.run(&["plan", "--exit-code"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    for target in [".w/d00/f000", ".w/d03/f050", ".s/s039/x"] {
        failing_at(&wide_world_with("link_type = \"hardlink\"\n"), target);
    }
}
