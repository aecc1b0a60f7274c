//! Output that never lies about the outcome (issue 9, point 8) and one history per repo
//! (point 6): a closed stdout, `-q`, hints that name only what the command accepts, read-only
//! commands that stay read-only with an interrupted operation pending, and a repo reached
//! through a link or moved.

use std::fs;
use std::process::Stdio;

use indoc::indoc;

use crate::harness::{World, spawn};
use crate::require_symlinks;

const LINKS: usize = 400;

/// A repo of `LINKS` files, each linked from the home: enough plan lines to fill a pipe.
fn many_links() -> World {
    let w = World::new();
    let mut manifest = String::from(indoc! {r#"
        version = 1
        [links]
    "#});
    for i in 0..LINKS {
        w.repo_file(&format!("f{i}"), "x\n");
        manifest.push_str(&format!("\"~/.f{i}\" = \"f{i}\"\n"));
    }
    w.manifest(&manifest);
    w
}

/// Runs the real binary with its stdout closed before it writes anything (as `| head -0`
/// would): its exit code and stderr.
fn run_with_closed_stdout(w: &World, args: &[&str]) -> (Option<i32>, String) {
    let mut child = spawn(
        w.command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_output_quietly_and_apply_still_makes_every_link() {
    require_symlinks!();
    let w = many_links();
    let (code, stderr) = run_with_closed_stdout(&w, &["apply"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "");
    for i in 0..LINKS {
        assert_eq!(
            w.link_text(&format!(".f{i}")),
            Some(w.repo.join(format!("f{i}"))),
            ".f{i}"
        );
    }
    let r = w.run(&["plan"]);
    assert!(r.stdout.starts_with("No changes"), "{}", r.stdout);
}

#[test]
fn a_closed_stdout_does_not_change_plans_exit_code() {
    let w = many_links();
    let (code, stderr) = run_with_closed_stdout(&w, &["plan"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "");
    let (code, stderr) = run_with_closed_stdout(&w, &["plan", "--exit-code"]);
    assert_eq!(code, Some(2), "{stderr}");
    let (code, _) = run_with_closed_stdout(&w, &["plan", "--json"]);
    assert_eq!(code, Some(0));
}

/// In-process: a writer that refuses every write as a closed pipe does.
struct ClosedPipe;

impl std::io::Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
}

#[test]
fn a_closed_stdout_is_quiet_in_process_too() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("a", "a\n").manifest(indoc! {r#"
        version = 1
        [links]
        "~/.a" = "a"
    "#});
    let argv = ["linkfile", "--home", w.home.to_str().unwrap(), "apply"];
    let mut err = Vec::new();
    let code = {
        let _gate = crate::harness::no_spawning();
        linkfile::run(argv, &w.system(), &mut ClosedPipe, &mut err)
    };
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    assert!(err.is_empty(), "{}", String::from_utf8_lossy(&err));
    assert_eq!(w.link_text(".a"), Some(w.repo.join("a")));
}

#[test]
fn quiet_still_shows_each_conflict_it_refuses_on_with_its_hint() {
    let w = World::new();
    w.repo_file("a", "a\n")
        .repo_file("b", "b\n")
        .manifest(indoc! {r#"
            version = 1
            [links]
            "~/.a" = "a"
            "~/.b" = "b"
        "#});
    w.home_file(".a", "mine\n");
    // Quiet: not the links that would have been made, nor the diff.
    insta::assert_snapshot!(w.snapshot_run(&["-q", "apply"]), @r"
        exit: 1
        --- stdout
          ! ~/.a -> a  (file-in-the-way)
              hint: move [HOME]/.a out of the way (or into the repo as [REPO]/a), or apply with --on-conflict backup (keeps it in the backup store) or adopt (makes it the repo's version)
        --- stderr
        error: 1 conflict; nothing was changed
        hint: deal with each conflict as its hint says (apply --on-conflict backup moves what is in the way to the backup store), then run linkfile again
        ");
}

fn assert_names_only(r: &crate::harness::Run, command: &str) {
    let all = format!("{}{}", r.stdout, r.stderr);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(!all.contains("--on-conflict"), "{command}: {all}");
    assert!(!all.contains("adopt"), "{command}: {all}");
    assert!(
        all.contains(&format!("then run `linkfile {command}` again")),
        "{command}: {all}"
    );
}

#[test]
fn undo_and_unlink_hints_name_only_what_they_accept() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("a", "a\n").manifest(indoc! {r#"
        version = 1
        [links]
        "~/.a" = "a"
    "#});
    assert_eq!(w.run(&["apply"]).code, 0);
    // The user replaces linkfile's link with a file of theirs.
    fs::remove_file(w.home.join(".a")).unwrap();
    w.home_file(".a", "mine\n");
    let r = w.run(&["undo"]);
    assert_names_only(&r, "undo");
    insta::assert_snapshot!(r.shown(), @r"
        exit: 1
        --- stdout
          ! ~/.a -> a  (changed-since-applied)
              hint: [HOME]/.a was changed since linkfile made it; move it away yourself, then run `linkfile undo` again
        --- stderr
        error: 1 conflict; nothing was changed
        hint: deal with each conflict as its hint says, then run `linkfile undo` again
        ");
    let r = w.run(&["unlink"]);
    assert_names_only(&r, "unlink");
    insta::assert_snapshot!(r.shown(), @r"
        exit: 1
        --- stdout
          ! ~/.a -> a  (changed-since-applied)
              hint: [HOME]/.a was changed since linkfile made it; move it away yourself, then run `linkfile unlink` again
        --- stderr
        error: 1 conflict; nothing was changed
        hint: deal with each conflict as its hint says, then run `linkfile unlink` again
        ");
    // Apply's own hints still offer its flag.
    insta::assert_snapshot!(w.snapshot_run(&["apply"]), @r"
        exit: 1
        --- stdout
          ! ~/.a -> a  (file-in-the-way)
              hint: move [HOME]/.a out of the way (or into the repo as [REPO]/a), or apply with --on-conflict backup (keeps it in the backup store) or adopt (makes it the repo's version)
              --- [HOME]/.a
              +++ [REPO]/a
              @@ -1 +1 @@
              -mine
              +a
        --- stderr
        error: 1 conflict; nothing was changed
        hint: deal with each conflict as its hint says (apply --on-conflict backup moves what is in the way to the backup store), then run linkfile again
        ");
}

#[test]
fn undoing_an_unlink_over_a_file_names_only_what_undo_accepts() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("a", "a\n").manifest(indoc! {r#"
        version = 1
        [links]
        "~/.a" = "a"
    "#});
    assert_eq!(w.run(&["apply"]).code, 0);
    assert_eq!(w.run(&["unlink"]).code, 0);
    w.home_file(".a", "mine\n");
    let r = w.run(&["undo"]);
    assert_names_only(&r, "undo");
    insta::assert_snapshot!(r.shown(), @r"
        exit: 1
        --- stdout
          ! ~/.a -> a  (file-in-the-way)
              hint: move [HOME]/.a out of the way (linkfile does not own it), then run `linkfile undo` again
              --- [HOME]/.a
              +++ [REPO]/a
              @@ -1 +1 @@
              -mine
              +a
        --- stderr
        error: 1 conflict; nothing was changed
        hint: deal with each conflict as its hint says, then run `linkfile undo` again
        ");
    assert_eq!(fs::read_to_string(w.home.join(".a")).unwrap(), "mine\n");
}

/// The `m-*` folders in the state root: one per manifest with a history.
fn state_folders(w: &World) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = fs::read_dir(&w.state)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("m-"))
        .collect();
    out.sort();
    out
}

fn three_links(w: &World) {
    w.repo_file("a", "a\n")
        .repo_file("b", "b\n")
        .repo_file("c/d", "d\n")
        .manifest(indoc! {r#"
            version = 1
            [links]
            "~/.a" = "a"
            "~/.b" = "b"
            "~/.config/d" = "c/d"
        "#});
}

#[test]
#[cfg(unix)]
fn a_repo_reached_through_a_link_is_one_repo_with_one_history() {
    require_symlinks!();
    let w = World::new();
    three_links(&w);
    let via = w.root.join("link-to-repo");
    crate::harness::symlink(&w.repo, &via);
    let through_link = via.join("linkfile.toml");
    let direct = w.repo.join("linkfile.toml");
    let r = w.run(&["-m", through_link.to_str().unwrap(), "apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    // The links point at the repo's real path.
    assert_eq!(w.link_text(".a"), Some(w.repo.join("a")));
    let r = w.run(&["-m", direct.to_str().unwrap(), "plan"]);
    assert!(r.stdout.starts_with("No changes: 3 links"), "{r:?}");
    let r = w.run(&["-m", direct.to_str().unwrap(), "apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(state_folders(&w).len(), 1, "{:?}", state_folders(&w));
    // Undo through either path undoes the one history.
    let r = w.run(&["-m", direct.to_str().unwrap(), "undo"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(w.link_text(".a"), None);
    let r = w.run(&["-m", through_link.to_str().unwrap(), "log"]);
    assert!(r.stdout.contains("undo"), "{r:?}");
}

#[test]
fn a_moved_repo_carries_its_history_over() {
    require_symlinks!();
    let w = World::new();
    three_links(&w);
    w.home_file(".b", "my own b\n");
    let r = w.run(&["apply", "--on-conflict", "backup"]);
    assert_eq!(r.code, 0, "{r:?}");
    let moved = w.root.join("repo2");
    fs::rename(&w.repo, &moved).unwrap();
    let before = w.snapshot_all();
    let r = w.run_in(&moved, &["plan"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(w.snapshot_all(), before, "plan wrote something");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("History carried over from [REPO]/linkfile.toml"),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stdout.matches("(dangling: now -> [REPO]/").count(),
        3,
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .ends_with("Plan: 0 to create, 3 to fix, 0 to remove, 0 conflicts.\n"),
        "{}",
        r.stdout
    );
    let r = w.run_in(&moved, &["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.starts_with("History carried over"), "{}", r.stdout);
    assert_eq!(w.link_text(".a"), Some(moved.join("a")));
    assert_eq!(w.link_text(".config/d"), Some(moved.join("c/d")));
    // One history, under the new key; the old one is not left to fight.
    assert_eq!(state_folders(&w).len(), 1, "{:?}", state_folders(&w));
    let log = w.run_in(&moved, &["log"]);
    assert_eq!(log.stdout.matches("apply").count(), 2, "{}", log.stdout);
    let r = w.run_in(&moved, &["plan"]);
    assert!(r.stdout.starts_with("No changes: 3 links"), "{r:?}");
    // Unlink removes the links and puts back the user's file, and nothing into the old place.
    let r = w.run_in(&moved, &["unlink"]);
    assert_eq!(r.code, 0, "{r:?}");
    for rel in [".a", ".config/d"] {
        assert!(fs::symlink_metadata(w.home.join(rel)).is_err(), "{rel}");
    }
    assert_eq!(fs::read_to_string(w.home.join(".b")).unwrap(), "my own b\n");
    assert!(!w.repo.exists());
}

#[test]
fn a_new_repo_does_not_take_the_history_of_a_repo_that_still_exists() {
    require_symlinks!();
    let w = World::new();
    three_links(&w);
    assert_eq!(w.run(&["apply"]).code, 0);
    let other = w.root.join("other");
    crate::harness::write(&other.join("a"), "a\n");
    crate::harness::write(
        &other.join("linkfile.toml"),
        indoc! {r#"
            version = 1
            [links]
            "~/.x" = "a"
        "#},
    );
    // No "History carried over".
    insta::assert_snapshot!(w.run_in(&other, &["plan"]).shown(), @r"
        exit: 0
        --- stdout
          + ~/.x -> a
        Plan: 1 to create, 0 to fix, 0 to remove, 0 conflicts.
        --- stderr
        ");
}

/// A home where an apply has links to make (in a folder to make), a user's link to fix, a
/// user's file to move to the backup store, and a link it owns to prune.
fn interrupted_world() -> World {
    let w = World::new();
    w.repo_file("a", "a\n")
        .repo_file("b", "b\n")
        .repo_file("c", "c\n")
        .repo_file("n/x", "x\n")
        .repo_file("gone", "gone\n");
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/.a" = "a"
        "~/.gone" = "gone"
    "#});
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    w.manifest(
        "version = 1\n[defaults]\non_conflict = \"backup\"\n[links]\n\"~/.a\" = \"a\"\n\
         \"~/.b\" = \"b\"\n\"~/.c\" = \"c\"\n\"~/.new/deep/x\" = \"n/x\"\n",
    );
    w.home_file(".b", "the user's b\n");
    w.home_link(".c", &w.root.join("elsewhere"));
    w
}

/// Runs an in-process apply of `w`'s manifest that stops dead before its step `k` (a panic:
/// no rollback, as a kill), leaving its intent record behind. Returns how many steps it has.
fn interrupt_apply_at(w: &World, k: usize) -> usize {
    let session = linkfile::load(None, Some(&w.home), &w.system()).unwrap();
    let mut n = 0;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        session.apply(linkfile::command::Command::Apply, None, &mut |_| {
            if n == k {
                panic!("killed before step {k}");
            }
            n += 1;
            Ok(())
        })
    }));
    if result.is_ok() {
        return n;
    }
    assert!(
        w.manifest_state().unwrap().join("intent.json").exists(),
        "no intent left at step {k}"
    );
    n
}

#[test]
fn read_only_commands_write_nothing_with_an_interrupted_operation_pending() {
    require_symlinks!();
    let steps = interrupt_apply_at(&interrupted_world(), usize::MAX);
    assert!(steps >= 6, "{steps} steps");
    for k in 0..steps {
        let w = interrupted_world();
        interrupt_apply_at(&w, k);
        let before = w.snapshot_all();
        let plan = w.run(&["plan"]);
        assert_eq!(plan.code, 0, "step {k}: {plan:?}");
        let dry = w.run(&["apply", "--dry-run"]);
        assert_eq!(dry.code, 0, "step {k}: {dry:?}");
        let log = w.run(&["log"]);
        assert_eq!(log.code, 0, "step {k}: {log:?}");
        let json = w.run(&["plan", "--json"]);
        assert_eq!(json.code, 0, "step {k}: {json:?}");
        let after = w.snapshot_all();
        assert!(
            after == before,
            "step {k}: a read-only command wrote:\n{}",
            crate::harness::snapshot_diff(&before, &after, 20)
        );
        let notice = "An interrupted `linkfile apply` (process ";
        for (what, out) in [("plan", &plan), ("dry run", &dry), ("log", &log)] {
            assert!(
                out.stdout.starts_with(notice),
                "step {k}: {what}: {}",
                out.stdout
            );
            assert!(
                out.stdout.lines().next().unwrap().contains(
                    "is pending: the next apply, undo or unlink (or `linkfile recover`) rolls it back first"
                ),
                "step {k}: {what}: {}",
                out.stdout
            );
        }
        let pending_plan: String = plan
            .stdout
            .lines()
            .skip(1)
            .map(|l| format!("{l}\n"))
            .collect();
        let pending_json = json.stdout.clone();
        assert!(
            pending_json.contains(",\n  \"interrupted\": true"),
            "step {k}: {pending_json}"
        );
        let recovered = w.run(&["recover"]);
        assert!(
            recovered.stdout.starts_with("Recovered"),
            "step {k}: {recovered:?}"
        );
        let plan = w.run(&["plan"]);
        assert_eq!(pending_plan, plan.stdout, "step {k}");
        let json = w.run(&["plan", "--json"]);
        assert_eq!(
            pending_json.replace(",\n  \"interrupted\": true", ""),
            json.stdout,
            "step {k}"
        );
    }
}
