//! The harness's way of showing a run for a snapshot (`Run::shown`) and the `Expect` builder:
//! what they show and what they refuse, so that a snapshot cannot pass over a difference.

use indoc::indoc;

use crate::harness::{Run, World};

fn run(code: u8, stdout: &str, stderr: &str) -> Run {
    Run {
        code,
        stdout: stdout.into(),
        raw_stdout: stdout.into(),
        stderr: stderr.into(),
    }
}

#[test]
fn a_run_is_shown_whole_with_its_endings_and_the_state_hash_hidden() {
    let shown = run(
        2,
        "no newline",
        "kept in [TMP]/state/m-0123456789abcdef/backups/1\n\n",
    )
    .shown();
    assert_eq!(
        shown,
        indoc! {"
            exit: 2
            --- stdout
            no newline
            [no newline at the end]
            --- stderr
            kept in [STATE]/m-[HASH]/backups/1

            [blank line at the end]
        "}
    );
    assert_eq!(run(0, "", "").shown(), "exit: 0\n--- stdout\n--- stderr\n");
}

#[test]
fn expect_passes_on_exactly_what_was_asked() {
    let w = World::new();
    w.expect(&["plan"])
        .code(1)
        .stderr(indoc! {"
            error: no linkfile.toml in [REPO] or any folder above it
            hint: run linkfile inside your dotfiles repo, or pass -m path/to/linkfile.toml (or set LINKFILE_MANIFEST)
        "})
        .run();
}

#[test]
#[should_panic(expected = "=== did")]
fn expect_fails_on_output_it_was_not_told_of() {
    let w = World::new();
    // Exit code 1 is asked for; stderr is left unset, so it must be empty, and is not.
    w.expect(&["plan"]).code(1).run();
}
