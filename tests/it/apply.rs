//! Apply: idempotence, dry runs, conflicts, stale plans, relative links, and rollback when a step
//! fails at any point.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::Path;

use crate::harness::World;
use crate::require_symlinks;

fn world() -> World {
    let w = World::new();
    w.repo_file("git/config", "[user]\n");
    w.repo_file("vim/vimrc", "set number\n");
    w.repo_file("nvim/init.lua", "-- init\n");
    w.repo_file("shell/bashrc", "# bash\n");
    w.manifest(
        "version = 1\n[links]\n\"~/.gitconfig\" = \"git/config\"\n\"~/.vimrc\" = \"vim/vimrc\"\n\"~/.config/nvim\" = \"nvim\"\n\"~/.local/share/deep/bashrc\" = \"shell/bashrc\"\n",
    );
    w
}

#[test]
fn apply_twice_changes_nothing_the_second_time() {
    require_symlinks!();
    let w = world();
    let first = w.run(&["apply"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(
        first
            .stdout
            .ends_with("Applied: 4 created, 0 fixed, 0 removed (4 folders made). Operation 1 (undo with `linkfile undo`).\n"),
        "{}",
        first.stdout
    );
    let after_first = w.snapshot();
    let second = w.run(&["apply"]);
    assert_eq!(
        (second.code, second.stdout.as_str()),
        (0, "Nothing to do: 4 links already in place.\n")
    );
    assert_eq!(w.snapshot(), after_first);
    let plan = w.run(&["plan", "--exit-code"]);
    assert_eq!(
        (plan.code, plan.stdout.as_str()),
        (0, "No changes: 4 links already in place.\n")
    );
}

/// Issue 14: an apply with nothing to change writes nothing but its lock. The lock's files are
/// `lock` (opened, never truncated, and locked: the OS's lock writes nothing to it) and
/// `lock.holder` (written under a temporary name, renamed into place, removed before the lock
/// goes), both in the state root; every other entry of the state folder and of the home keeps
/// its path, kind, size, mtime, bytes or link text (and, on Unix, its inode: a file rewritten
/// by a rename is a new one).
#[test]
fn an_apply_with_nothing_to_change_writes_nothing_but_its_lock() {
    require_symlinks!();
    let w = world();
    let first = w.run(&["apply"]);
    assert_eq!(first.code, 0, "{first:?}");
    // File times come from a coarse clock (the kernel's tick on Linux, ~16 ms on Windows): a
    // rewrite right after the first apply could carry the same mtime.
    std::thread::sleep(std::time::Duration::from_millis(50));
    // The state root's own mtime is left out: writing and removing `lock.holder` changes it.
    let lock_files = ["lock", "lock.holder"];
    let (state, home) = (stamps(&w.state, &lock_files), stamps(&w.home, &[]));
    assert!(
        state.keys().any(|k| k.contains("ops")),
        "the first apply recorded no operation: {state:?}"
    );
    let second = w.run(&["apply"]);
    assert_eq!(second.code, 0, "{second:?}");
    assert_eq!(changes(&home, &stamps(&w.home, &[])), Vec::<String>::new());
    assert_eq!(
        changes(&state, &stamps(&w.state, &lock_files)),
        Vec::<String>::new()
    );
    assert_eq!(
        second.stdout, "Nothing to do: 4 links already in place.\n",
        "{second:?}"
    );
    assert!(w.state.join("lock").is_file(), "the lock file is kept");
    assert!(
        !w.state.join("lock.holder").exists(),
        "the holder's name is removed with the lock"
    );
}

/// What a test sees of one entry on disk.
#[derive(Debug, PartialEq)]
struct Stamp {
    kind: &'static str,
    size: u64,
    mtime_ns: u128,
    /// A regular file's bytes, or a link's text (as text when they are UTF-8, to read in a
    /// failure's message).
    content: Result<String, Vec<u8>>,
    /// The inode number (0 off Unix).
    inode: u64,
}

/// Every entry below `dir` (not following links), by path relative to it, except the entries
/// of `dir` itself named in `skip`.
fn stamps(dir: &Path, skip: &[&str]) -> BTreeMap<String, Stamp> {
    let mut map = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(folder) = todo.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if skip.contains(&rel.as_str()) {
                continue;
            }
            let meta = fs::symlink_metadata(&path).unwrap();
            let (kind, content) = if meta.file_type().is_symlink() {
                let text = fs::read_link(&path).unwrap();
                let bytes = text.to_string_lossy().into_owned().into_bytes();
                ("link", bytes)
            } else if meta.is_dir() {
                todo.push(path.clone());
                ("dir", Vec::new())
            } else {
                ("file", fs::read(&path).unwrap())
            };
            let mtime = meta.modified().unwrap();
            #[cfg(unix)]
            let inode = std::os::unix::fs::MetadataExt::ino(&meta);
            #[cfg(not(unix))]
            let inode = 0;
            let stamp = Stamp {
                kind,
                size: meta.len(),
                mtime_ns: mtime
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos(),
                content: String::from_utf8(content).map_err(|e| e.into_bytes()),
                inode,
            };
            map.insert(rel, stamp);
        }
    }
    map
}

/// One line per path that was added, removed or changed between two [`stamps`].
fn changes(before: &BTreeMap<String, Stamp>, after: &BTreeMap<String, Stamp>) -> Vec<String> {
    let paths: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    paths
        .into_iter()
        .filter(|p| before.get(*p) != after.get(*p))
        .map(|p| format!("{p}: {:?} -> {:?}", before.get(p), after.get(p)))
        .collect()
}

#[test]
fn plan_exit_code_is_2_when_changes_are_pending() {
    let w = world();
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 2);
    assert_eq!(w.run(&["plan"]).code, 0);
}

#[test]
fn dry_run_writes_nothing_at_all() {
    let w = world();
    w.home_file(".config/other", "x\n");
    let before = w.snapshot();
    let r = w.run(&["apply", "--dry-run"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("+ ~/.gitconfig -> git/config"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("Plan: 4 to create, 0 to fix, 0 to remove, 0 conflicts.\nDry run: nothing was changed.\n"), "{}", r.stdout);
    assert_eq!(w.snapshot(), before);
    assert!(!w.state.exists(), "a dry run wrote state");
    let r = w.run(&["apply", "--dry-run", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["applied"].as_bool(), v["dry_run"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(w.snapshot(), before);
}

#[test]
fn conflicts_are_all_listed_and_nothing_is_written() {
    let w = world();
    w.home_file(".gitconfig", "[user]\n\tname = me\n");
    w.home_file(".config/nvim/init.lua", "-- mine\n");
    let before = w.snapshot();
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("! ~/.gitconfig -> git/config  (file-in-the-way)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("! ~/.config/nvim -> nvim  (dir-in-the-way)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .starts_with("error: 2 conflicts; nothing was changed\nhint: "),
        "{}",
        r.stderr
    );
    assert_eq!(w.snapshot(), before);
}

#[test]
fn relative_links_hold_relative_text() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("vim/vimrc", "set number\n");
    w.repo_file("nvim/init.lua", "--\n");
    w.manifest(
        "version = 1\n[defaults]\nrelative = true\n[links]\n\"~/.vimrc\" = \"vim/vimrc\"\n[[link]]\nat = \"~/.config/nvim\"\nto = \"nvim\"\n[[link]]\nat = \"~/.abs\"\nto = \"vim/vimrc\"\nrelative = false\n",
    );
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    let sep = std::path::MAIN_SEPARATOR;
    assert_eq!(
        w.link_text(".vimrc").unwrap().to_string_lossy(),
        format!("..{sep}repo{sep}vim{sep}vimrc")
    );
    assert_eq!(
        w.link_text(".config/nvim").unwrap().to_string_lossy(),
        format!("..{sep}..{sep}repo{sep}nvim")
    );
    assert_eq!(w.link_text(".abs").unwrap(), w.repo.join("vim/vimrc"));
    assert_eq!(
        fs::read_to_string(w.home.join(".vimrc")).unwrap(),
        "set number\n"
    );
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 0);
}

fn load(w: &World) -> linkfile::Session {
    match linkfile::load(None, Some(&w.home), &w.system()) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_stale_plan_is_refused_before_any_write() {
    let w = world();
    let session = load(&w);
    // Between plan and apply, the user saves a file where the third link goes.
    w.home_file(".config/nvim", "saved meanwhile\n");
    let before = w.snapshot();
    let err = session
        .apply(linkfile::command::Command::Apply, None, &mut |_| Ok(()))
        .unwrap_err();
    assert!(
        matches!(err, linkfile::error::Error::StalePlan { .. }),
        "{err}"
    );
    assert!(
        w.filter(&err.to_string())
            .starts_with("[HOME]/.config/nvim changed since the plan"),
        "{err}"
    );
    assert_eq!(w.snapshot(), before);
}

#[test]
fn a_failure_at_any_step_leaves_the_tree_as_it_was() {
    require_symlinks!();
    let w = world();
    // One link to fix too, so that rollback restores an old link text.
    w.home_link(".vimrc", Path::new("/old/vimrc"));
    let before = w.snapshot();
    let writes = {
        let mut count = 0;
        let session = load(&w);
        // Count the steps by applying for real; the loop below resets the world first.
        session
            .apply(linkfile::command::Command::Apply, None, &mut |_| {
                count += 1;
                Ok(())
            })
            .unwrap();
        count
    };
    // 4 new folders (.config, .local, .local/share, .local/share/deep), 3 creates and 1 fix.
    assert_eq!(writes, 8);
    for k in 0..writes {
        // Reset the world to its starting state.
        for name in [".gitconfig", ".vimrc"] {
            let _ = fs::remove_file(w.home.join(name));
        }
        let _ = fs::remove_file(w.home.join(".config/nvim"));
        let _ = fs::remove_file(w.home.join(".local/share/deep/bashrc"));
        for d in [".config", ".local/share/deep", ".local/share", ".local"] {
            let _ = fs::remove_dir(w.home.join(d));
        }
        w.home_link(".vimrc", Path::new("/old/vimrc"));
        assert_eq!(w.snapshot(), before, "reset before step {k}");

        let session = load(&w);
        let mut n = 0;
        let err = session
            .apply(linkfile::command::Command::Apply, None, &mut |_| {
                n += 1;
                if n > k {
                    Err(io::Error::other("injected failure"))
                } else {
                    Ok(())
                }
            })
            .unwrap_err();
        assert!(err.to_string().contains("injected failure"), "{err}");
        assert!(err.to_string().contains("nothing was changed"), "{err}");
        assert_eq!(
            w.snapshot(),
            before,
            "tree differs after a failure at step {k}"
        );
    }
}

#[test]
fn the_os_refusing_a_write_is_rolled_back_and_explained() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("a", "a\n");
    w.repo_file("b", "b\n");
    // The second link's name is longer than any filesystem allows: the OS refuses it.
    let long = "x".repeat(300);
    w.manifest(&format!(
        "version = 1\n[links]\n\"~/.a\" = \"a\"\n\"~/sub/{long}\" = \"b\"\n"
    ));
    let before = w.snapshot();
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.starts_with("error: cannot "), "{}", r.stderr);
    assert_eq!(w.snapshot(), before);
}

#[test]
fn where_the_system_fakes_symlinks_apply_fails_clearly_and_rolls_back() {
    // Wine's CreateSymbolicLinkW reports success and creates nothing: apply must not claim
    // success. On systems with real symlinks there is nothing to fake, so nothing to test.
    if crate::harness::symlinks_work() {
        crate::skip!(
            Platform,
            "symlinks are real here; only a system that fakes them (Wine) runs this"
        );
    }
    let w = world();
    let before = w.snapshot();
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains(
            "cannot verify link [HOME]/.gitconfig: the system reported success but no link exists"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("hint: this system does not make symbolic links faithfully"),
        "{}",
        r.stderr
    );
    assert_eq!(w.snapshot(), before);
}
