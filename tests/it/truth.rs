//! Output that never lies about the outcome (issue 9, point 8) and one history per repo
//! (point 6): a closed stdout, `-q`, hints that name only what the command accepts, read-only
//! commands that stay read-only with an interrupted operation pending, and a repo reached
//! through a link or moved.

use std::fs;
use std::process::Stdio;

use crate::harness::{World, spawn};
use crate::require_symlinks;

const LINKS: usize = 400;

/// A repo of `LINKS` files, each linked from the home: enough plan lines to fill a pipe.
fn many_links() -> World {
    let w = World::new();
    let mut manifest = String::from("version = 1\n[links]\n");
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
    w.repo_file("a", "a\n")
        .manifest("version = 1\n[links]\n\"~/.a\" = \"a\"\n");
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
        .manifest("version = 1\n[links]\n\"~/.a\" = \"a\"\n\"~/.b\" = \"b\"\n");
    w.home_file(".a", "mine\n");
    let r = w.run(&["-q", "apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains(
            "  ! ~/.a -> a  (file-in-the-way)\n      hint: move [HOME]/.a out of the way"
        ),
        "{r:?}"
    );
    // Quiet: not the links that would have been made, nor the diff.
    assert!(!r.stdout.contains("~/.b"), "{}", r.stdout);
    assert!(!r.stdout.contains("+++"), "{}", r.stdout);
    assert!(
        r.stderr.contains("1 conflict; nothing was changed"),
        "{r:?}"
    );
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
    w.repo_file("a", "a\n")
        .manifest("version = 1\n[links]\n\"~/.a\" = \"a\"\n");
    assert_eq!(w.run(&["apply"]).code, 0);
    // The user replaces linkfile's link with a file of theirs.
    fs::remove_file(w.home.join(".a")).unwrap();
    w.home_file(".a", "mine\n");
    for command in ["undo", "unlink"] {
        let r = w.run(&[command]);
        assert!(r.stdout.contains("changed-since-applied"), "{r:?}");
        assert_names_only(&r, command);
    }
    // Apply's own hints still offer its flag.
    let r = w.run(&["apply"]);
    assert!(r.stderr.contains("--on-conflict"), "{r:?}");
}

#[test]
fn undoing_an_unlink_over_a_file_names_only_what_undo_accepts() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("a", "a\n")
        .manifest("version = 1\n[links]\n\"~/.a\" = \"a\"\n");
    assert_eq!(w.run(&["apply"]).code, 0);
    assert_eq!(w.run(&["unlink"]).code, 0);
    w.home_file(".a", "mine\n");
    let r = w.run(&["undo"]);
    assert!(r.stdout.contains("file-in-the-way"), "{r:?}");
    assert_names_only(&r, "undo");
    assert_eq!(fs::read_to_string(w.home.join(".a")).unwrap(), "mine\n");
}
