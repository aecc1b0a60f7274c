//! Folder links on the way to a link's place, as GNU Stow's folding, dotbot and hand-written
//! scripts leave them: linkfile never writes, moves or replaces anything through one, and never
//! touches the repo's files. Under `backup` a folder link is unfolded (moved to the backup store
//! as the link it is, a real folder made in its place) and undo folds it back.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::harness::{Node, World, symlink};

/// Everything in the repo (bytes, modes, link texts).
fn repo_snapshot(w: &World) -> BTreeMap<String, Node> {
    w.snapshot()
        .into_iter()
        .filter(|(k, _)| k.starts_with("repo"))
        .collect()
}

fn entries(w: &World, args: &[&str]) -> Vec<serde_json::Value> {
    let r = w.run(args);
    let v: serde_json::Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    v["entries"].as_array().unwrap().clone()
}

/// The repro: `~/d` is a link to the repo itself, and `~/d/f` wants a link to `f`.
fn repo_linked_as_folder() -> World {
    let w = World::new();
    w.repo_file("f", "x\n");
    w.manifest("version = 1\n[links]\n\"~/d/f\" = \"f\"\n");
    symlink(&w.repo, &w.home.join("d"));
    w
}

#[test]
fn a_folder_link_into_the_repo_is_a_conflict_and_the_repo_is_untouched() {
    let w = repo_linked_as_folder();
    let before = w.snapshot();
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("~/d/f -> f  (parent-is-link)"), "{r:?}");
    assert!(
        r.stdout
            .contains("[HOME]/d is a link to [REPO], a folder inside this repo"),
        "{r:?}"
    );
    assert!(r.stdout.contains("--on-conflict backup"), "{r:?}");
    assert_eq!(w.snapshot(), before);
    assert_eq!(fs::read(w.repo.join("f")).unwrap(), b"x\n");

    let e = &entries(&w, &["plan", "--json"])[0];
    assert_eq!(e["action"], "conflict");
    assert_eq!(e["reason"], "parent-is-link");
    assert_eq!(
        w.filter(e["folder_link"]["at"].as_str().unwrap()),
        "[HOME]/d"
    );
    assert_eq!(
        w.filter(e["folder_link"]["text"].as_str().unwrap()),
        "[REPO]"
    );
}

#[test]
fn backup_unfolds_a_folder_link_and_undo_folds_it_back() {
    let w = repo_linked_as_folder();
    let before = w.snapshot();
    let repo = repo_snapshot(&w);
    let r = w.run(&["apply", "--on-conflict", "backup"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("unfold ~/d"), "{r:?}");
    assert!(fs::symlink_metadata(w.home.join("d")).unwrap().is_dir());
    assert_eq!(w.link_text("d/f").unwrap(), w.repo.join("f"));
    assert_eq!(repo_snapshot(&w), repo);
    // The folder link is in the backup store, as the link it was.
    let log = w.run(&["log"]);
    assert!(log.stdout.contains("backup: ~/d"), "{log:?}");

    let r = w.run(&["undo"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(w.snapshot(), before);
    // Nothing is owned any more, and a second apply under `fail` refuses again.
    assert_eq!(w.run(&["apply"]).code, 1);
    assert_eq!(w.snapshot(), before);
}

#[test]
fn a_folder_link_elsewhere_is_never_written_through() {
    let w = World::new();
    w.repo_file("x", "repo x\n");
    w.manifest("version = 1\n[links]\n\"~/ext/sub/x\" = \"x\"\n");
    let outside = w.root.join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("keep"), "theirs\n").unwrap();
    symlink(&outside, &w.home.join("ext"));
    let before = w.snapshot();
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("(parent-is-link)"), "{r:?}");
    assert!(
        r.stdout.contains("[HOME]/ext is a link to [TMP]/outside"),
        "{r:?}"
    );
    assert!(!r.stdout.contains("inside this repo"), "{r:?}");
    assert_eq!(w.snapshot(), before, "nothing written");
    let names: Vec<_> = fs::read_dir(&outside)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["keep"]);

    let r = w.run(&["apply", "--on-conflict", "backup"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(w.link_text("ext/sub/x").unwrap(), w.repo.join("x"));
    // The other tree is as it was: one file, no folder made in it.
    let names: Vec<_> = fs::read_dir(&outside)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["keep"]);
    assert_eq!(w.run(&["undo"]).code, 0);
    assert_eq!(fs::read_link(w.home.join("ext")).unwrap(), outside);
}

#[test]
fn the_original_itself_in_the_way_is_never_moved() {
    // A hard link to the original where a symlink is wanted: the same file, by another name.
    let w = World::new();
    w.repo_file("f", "same\n");
    w.manifest("version = 1\n[links]\n\"~/f\" = \"f\"\n");
    fs::hard_link(w.repo.join("f"), w.home.join("f")).unwrap();
    let before = w.snapshot();
    for policy in ["fail", "backup", "adopt"] {
        let r = w.run(&["apply", "--on-conflict", policy]);
        assert_eq!(r.code, 1, "{policy}: {r:?}");
        assert!(r.stdout.contains("(same-file)"), "{policy}: {r:?}");
        assert_eq!(w.snapshot(), before, "{policy}");
        assert!(!w.state.join("backups").exists() && w.manifest_state().is_none());
    }
}

/// A stow package `nvim` whose `.config/nvim` folder stow folded into one link, beside a
/// package `git` linked file by file (relative links, as stow writes them).
fn stow_home() -> World {
    let w = World::new();
    w.repo_file("nvim/.config/nvim/init.lua", "-- init\n");
    w.repo_file("nvim/.config/nvim/lua/plugins.lua", "return {}\n");
    w.repo_file("git/.gitconfig", "[user]\n");
    w.manifest(
        "version = 1\n[links]\n\"~/.gitconfig\" = \"git/.gitconfig\"\n\
         [[link]]\nat = \"~\"\nto = \"nvim\"\neach = true\n",
    );
    fs::create_dir(w.home.join(".config")).unwrap();
    symlink(
        Path::new("../../repo/nvim/.config/nvim"),
        &w.home.join(".config/nvim"),
    );
    symlink(
        Path::new("../repo/git/.gitconfig"),
        &w.home.join(".gitconfig"),
    );
    w
}

#[test]
fn each_over_a_stow_folded_folder_conflicts_without_touching_the_repo() {
    let w = stow_home();
    let before = w.snapshot();
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("~/.config/nvim/init.lua -> nvim/.config/nvim/init.lua  (parent-is-link)"),
        "{r:?}"
    );
    assert!(r.stdout.contains("inside this repo"), "{r:?}");
    assert_eq!(w.snapshot(), before);
}

#[test]
fn migrating_a_stow_home_unfolds_and_undo_restores_the_stow_layout() {
    let w = stow_home();
    let before = w.snapshot();
    let repo = repo_snapshot(&w);
    let r = w.run(&["apply", "--on-conflict", "backup"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        repo_snapshot(&w),
        repo,
        "the repo's files are byte-identical"
    );
    assert!(
        fs::symlink_metadata(w.home.join(".config/nvim"))
            .unwrap()
            .is_dir()
    );
    for f in ["init.lua", "lua/plugins.lua"] {
        assert_eq!(
            w.link_text(&format!(".config/nvim/{f}")).unwrap(),
            w.repo.join("nvim/.config/nvim").join(f)
        );
    }
    // Stow's own link to the original is right as it is: claimed, not rewritten.
    assert_eq!(
        w.link_text(".gitconfig").unwrap(),
        Path::new("../repo/git/.gitconfig")
    );
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 0);

    let r = w.run(&["undo"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(w.snapshot(), before, "the stow layout, exactly");
}

/// The same migration from a home made by the real GNU Stow (with folding), where it is
/// installed (`.ci/run` installs it; without it this test says so and is skipped, except on CI).
#[test]
fn migrating_from_real_stow() {
    let stow = std::process::Command::new("stow").arg("--version").output();
    if stow.is_err() {
        crate::skip!(Setup, "stow is not installed");
    }
    let w = World::new();
    w.repo_file("nvim/.config/nvim/init.lua", "-- init\n");
    w.repo_file("nvim/.config/nvim/lua/plugins.lua", "return {}\n");
    w.repo_file("zsh/.zshrc", "setopt autocd\n");
    w.repo_file("zsh/.config/zsh/aliases.zsh", "alias l=ls\n");
    w.manifest(
        "version = 1\n[links]\n\"~/.zshrc\" = \"zsh/.zshrc\"\n\
         [[link]]\nat = \"~\"\nto = \"nvim\"\neach = true\n\
         [[link]]\nat = \"~/.config/zsh\"\nto = \"zsh/.config/zsh\"\neach = true\n",
    );
    let out = std::process::Command::new("stow")
        .arg("-d")
        .arg(&w.repo)
        .arg("-t")
        .arg(&w.home)
        .args(["nvim", "zsh"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // Stow folded what it could: ~/.config is a real folder (two packages share it), the
    // package folders below it are links into the repo.
    assert!(
        fs::symlink_metadata(w.home.join(".config/nvim"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let before = w.snapshot();
    let repo = repo_snapshot(&w);

    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("parent-is-link"), "{r:?}");
    assert_eq!(w.snapshot(), before);

    let r = w.run(&["apply", "--on-conflict", "backup"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        repo_snapshot(&w),
        repo,
        "the repo's files are byte-identical"
    );
    for (at, to) in [
        (".config/nvim/init.lua", "nvim/.config/nvim/init.lua"),
        (
            ".config/nvim/lua/plugins.lua",
            "nvim/.config/nvim/lua/plugins.lua",
        ),
        (".config/zsh/aliases.zsh", "zsh/.config/zsh/aliases.zsh"),
    ] {
        assert_eq!(w.link_text(at).unwrap(), w.repo.join(to), "{at}");
    }
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 0);
    let r = w.run(&["undo"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(w.snapshot(), before, "the stow layout, exactly");
}

/// With `fallback`, plan tries a link once per folder (made and removed at once); `doctor` too.
/// Never through a folder link: the repo folder is not even touched (its mtime would change).
#[test]
fn probes_are_never_made_through_a_folder_link() {
    let w = World::new();
    w.repo_file("sub/f", "x\n");
    w.manifest(
        "version = 1\n[defaults]\nfallback = [\"hardlink\"]\n[links]\n\"~/d/sub/f\" = \"sub/f\"\n",
    );
    symlink(&w.repo, &w.home.join("d"));
    let mtime = |p: &Path| fs::metadata(p).unwrap().modified().unwrap();
    let before = (mtime(&w.repo), mtime(&w.repo.join("sub")));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let r = w.run(&["plan"]);
    assert!(r.stdout.contains("(parent-is-link)"), "{r:?}");
    w.run(&["doctor"]);
    assert_eq!((mtime(&w.repo), mtime(&w.repo.join("sub"))), before);
}

mod property {
    //! Random repos linked file by file (`each`) into a home where random folders on the way
    //! are links — into the repo (stow's folding: the matching folder, or another one) or
    //! outside it, with absolute or relative text. Under `fail` nothing is written; under
    //! `backup` apply converges, the repo is byte-identical, and undo restores the home exactly.

    use std::path::{Path, PathBuf};

    use proptest::prelude::*;
    use proptest::sample::Index;
    use proptest::test_runner::Config;

    use super::repo_snapshot;
    use crate::harness::{World, snapshot_diff, symlink};

    const NAMES: [&str; 3] = ["a", "b", "c"];

    #[derive(Debug, Clone)]
    enum Target {
        /// The repo folder that mirrors it (stow's folding), by a relative text.
        Mirror,
        /// Another folder of the repo, by its absolute path.
        Other(Index),
        /// A folder outside home and repo.
        Outside,
    }

    #[derive(Debug, Clone)]
    struct Case {
        /// Files below `pkg/` in the repo.
        files: Vec<String>,
        /// Folders below `~/cfg` (or `cfg` itself: "") that are links, and where to.
        links: Vec<(String, Target)>,
    }

    fn case() -> impl Strategy<Value = Case> {
        let path = prop::collection::vec(0..3usize, 1..=3)
            .prop_map(|p| p.iter().map(|&i| NAMES[i]).collect::<Vec<_>>().join("/"));
        let target = prop_oneof![
            Just(Target::Mirror),
            any::<Index>().prop_map(Target::Other),
            Just(Target::Outside)
        ];
        (
            prop::collection::vec(path, 1..=6),
            prop::collection::vec((any::<Index>(), target), 1..=3),
        )
            .prop_map(|(paths, picks)| {
                // Files only where no other file is a folder.
                let mut files: Vec<String> = Vec::new();
                for p in paths {
                    let clash = |q: &String| {
                        *q == p
                            || q.starts_with(&format!("{p}/"))
                            || p.starts_with(&format!("{q}/"))
                    };
                    if !files.iter().any(clash) {
                        files.push(p);
                    }
                }
                let mut folders: Vec<String> = vec![String::new()];
                for f in &files {
                    let parts: Vec<&str> = f.split('/').collect();
                    for n in 1..parts.len() {
                        folders.push(parts[..n].join("/"));
                    }
                }
                folders.sort();
                folders.dedup();
                let mut links: Vec<(String, Target)> = Vec::new();
                for (pick, target) in picks {
                    let f = pick.get(&folders).clone();
                    // One link per chain: none inside another.
                    let nested = |(g, _): &(String, Target)| {
                        g.is_empty()
                            || f.is_empty()
                            || *g == f
                            || g.starts_with(&format!("{f}/"))
                            || f.starts_with(&format!("{g}/"))
                    };
                    if !links.iter().any(nested) {
                        links.push((f, target));
                    }
                }
                Case { files, links }
            })
    }

    fn world(case: &Case) -> World {
        let w = World::new();
        for f in &case.files {
            w.repo_file(&format!("pkg/{f}"), &format!("repo's {f}\n"));
        }
        w.repo_file("elsewhere/x", "repo's elsewhere\n");
        w.manifest("version = 1\n[[link]]\nat = \"~/cfg\"\nto = \"pkg\"\neach = true\n");
        let outside = w.root.join("outside");
        std::fs::create_dir_all(outside.join("a")).unwrap();
        std::fs::write(outside.join("a/theirs"), "not linkfile's\n").unwrap();
        let repo_folders: Vec<PathBuf> =
            vec![w.repo.join("pkg"), w.repo.join("elsewhere"), w.repo.clone()];
        for (f, target) in &case.links {
            let rel = Path::new("cfg").join(f).components().collect::<PathBuf>();
            let at = w.home.join(&rel);
            std::fs::create_dir_all(at.parent().unwrap()).unwrap();
            let text = match target {
                // From the link's folder up to the temp root, then down into the repo.
                Target::Mirror => {
                    let up = "../".repeat(rel.components().count());
                    PathBuf::from(format!("{up}repo/pkg"))
                        .join(f)
                        .components()
                        .collect()
                }
                Target::Other(i) => i.get(&repo_folders).clone(),
                Target::Outside => outside.clone(),
            };
            symlink(&text, &at);
        }
        w
    }

    fn config() -> Config {
        Config {
            cases: 32,
            failure_persistence: None,
            ..Config::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        #[ignore = "slow: .ci/run runs it"]
        fn folder_links_on_the_way_are_never_written_through(case in case()) {
            let w = world(&case);
            let home = w.snapshot();
            let outside = crate::harness::snapshot_of(&w.root.join("outside"));
            let repo = repo_snapshot(&w);
            let r = w.run(&["apply"]);
            prop_assert_eq!(r.code, 1, "{:?}\n{:?}", case, r);
            prop_assert!(r.stdout.contains("parent-is-link"), "{:?}\n{:?}", case, r);
            prop_assert!(w.snapshot() == home, "{:?}: fail wrote", case);

            let r = w.run(&["apply", "--on-conflict", "backup"]);
            prop_assert_eq!(r.code, 0, "{:?}\n{:?}", case, r);
            prop_assert!(repo_snapshot(&w) == repo, "{:?}: the repo changed", case);
            prop_assert!(
                crate::harness::snapshot_of(&w.root.join("outside")) == outside,
                "{:?}: the outside tree changed", case
            );
            for f in &case.files {
                let text = std::fs::read_link(w.home.join("cfg").join(f));
                prop_assert_eq!(text.ok(), Some(w.repo.join("pkg").join(f)), "{:?}", case);
            }
            let p = w.run(&["plan", "--exit-code"]);
            prop_assert_eq!(p.code, 0, "{:?}\n{:?}", case, p);
            let u = w.run(&["undo"]);
            prop_assert_eq!(u.code, 0, "{:?}\n{:?}", case, u);
            let after = w.snapshot();
            prop_assert!(after == home, "{:?}: undo did not restore:\n{}", case, snapshot_diff(&home, &after, 20));
        }
    }
}

#[test]
fn unlink_folds_an_unfolded_link_back() {
    let w = stow_home();
    let before = w.snapshot();
    assert_eq!(w.run(&["apply", "--on-conflict", "backup"]).code, 0);
    let r = w.run(&["unlink"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(w.snapshot(), before, "the stow layout, exactly");
    // Apply, undo, apply, unlink: the same.
    assert_eq!(w.run(&["apply", "--on-conflict", "backup"]).code, 0);
    assert_eq!(w.run(&["undo"]).code, 0);
    assert_eq!(w.run(&["apply", "--on-conflict", "backup"]).code, 0);
    let r = w.run(&["unlink"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(w.snapshot(), before);
}

#[test]
fn a_user_file_added_in_the_unfolded_folder_stops_undo_cleanly() {
    let w = repo_linked_as_folder();
    assert_eq!(w.run(&["apply", "--on-conflict", "backup"]).code, 0);
    w.home_file("d/mine", "the user's\n");
    let before = w.snapshot();
    let r = w.run(&["undo"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("~/d"), "{r:?}");
    assert_eq!(w.snapshot(), before, "nothing changed");
}
