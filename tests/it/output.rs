//! What people and programs read: the human plan, colours, quiet and verbose, the JSON report.
//! Each run is shown whole (exit code, stdout, stderr) in an inline snapshot.

use std::process::Stdio;

use indoc::indoc;
use insta::assert_snapshot;

use crate::harness::{Run, World};
use crate::require_symlinks;

fn world() -> World {
    let w = World::new();
    w.repo_file("git/config", "[user]\n");
    w.repo_file("vim/vimrc", "set number\n");
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/.gitconfig" = "git/config"
        "~/.vimrc" = "vim/vimrc"
    "#});
    w
}

#[test]
fn human_plan_has_a_line_per_change_and_a_summary() {
    let w = world();
    w.home_file(".vimrc", "set number\nset list\n");
    assert_snapshot!(w.snapshot_run(&["plan"]), @r"
        exit: 0
        --- stdout
          + ~/.gitconfig -> git/config
          ! ~/.vimrc -> vim/vimrc  (file-in-the-way)
              hint: move [HOME]/.vimrc out of the way (or into the repo as [REPO]/vim/vimrc), or apply with --on-conflict backup (keeps it in the backup store) or adopt (makes it the repo's version)
              --- [HOME]/.vimrc
              +++ [REPO]/vim/vimrc
              @@ -1,2 +1 @@
               set number
              -set list
        Plan: 1 to create, 0 to fix, 0 to remove, 1 conflict.
        --- stderr
        ");
}

#[test]
fn quiet_plan_is_the_summary_alone() {
    let w = world();
    assert_snapshot!(w.snapshot_run(&["-q", "plan"]), @r"
        exit: 0
        --- stdout
        Plan: 2 to create, 0 to fix, 0 to remove, 0 conflicts.
        --- stderr
        ");
}

#[test]
fn quiet_apply_says_nothing_and_verbose_plan_lists_what_is_right() {
    require_symlinks!();
    let w = world();
    assert_snapshot!(w.snapshot_run(&["-q", "apply"]), @r"
        exit: 0
        --- stdout
        --- stderr
        ");
    assert_snapshot!(w.snapshot_run(&["-v", "plan"]), @r"
        exit: 0
        --- stdout
          = ~/.gitconfig -> git/config
          = ~/.vimrc -> vim/vimrc
        No changes: 2 links already in place.
        --- stderr
        ");
    assert_snapshot!(w.snapshot_run(&["plan"]), @r"
        exit: 0
        --- stdout
        No changes: 2 links already in place.
        --- stderr
        ");
}

#[test]
fn quiet_and_verbose_together_are_a_usage_error() {
    let w = world();
    assert_snapshot!(w.snapshot_run(&["-q", "-v", "plan"]), @r"
        exit: 1
        --- stdout
        --- stderr
        error: the argument '--quiet' cannot be used with '--verbose'

        Usage: linkfile --home <DIR> --quiet <COMMAND>

        For more information, try '--help'.
        ");
}

/// Escape codes shown as `[ESC]`, for readable snapshots.
fn escapes_shown(args: &[&str], w: &World) -> String {
    w.snapshot_run(args).replace('\x1b', "[ESC]")
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let mut w = world();
    assert_snapshot!(escapes_shown(&["plan"], &w), @r"
        exit: 0
        --- stdout
          + ~/.gitconfig -> git/config
          + ~/.vimrc -> vim/vimrc
        Plan: 2 to create, 0 to fix, 0 to remove, 0 conflicts.
        --- stderr
        ");
    assert_snapshot!(escapes_shown(&["--color", "always", "plan"], &w), @r"
        exit: 0
        --- stdout
          [ESC][32m+ ~/.gitconfig -> git/config[ESC][0m
          [ESC][32m+ ~/.vimrc -> vim/vimrc[ESC][0m
        Plan: 2 to create, 0 to fix, 0 to remove, 0 conflicts.
        --- stderr
        ");
    assert_snapshot!(escapes_shown(&["--color", "never", "plan"], &w), @r"
        exit: 0
        --- stdout
          + ~/.gitconfig -> git/config
          + ~/.vimrc -> vim/vimrc
        Plan: 2 to create, 0 to fix, 0 to remove, 0 conflicts.
        --- stderr
        ");
    // NO_COLOR turns off `auto`, not an explicit `always`.
    w.set_env("NO_COLOR", "1");
    assert_snapshot!(escapes_shown(&["--color", "always", "plan"], &w), @r"
        exit: 0
        --- stdout
          [ESC][32m+ ~/.gitconfig -> git/config[ESC][0m
          [ESC][32m+ ~/.vimrc -> vim/vimrc[ESC][0m
        Plan: 2 to create, 0 to fix, 0 to remove, 0 conflicts.
        --- stderr
        ");
}

#[test]
fn json_report_has_the_contract_keys() {
    let w = world();
    w.home_file(".vimrc", "other\n");
    let r = w.run(&["plan", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.raw_stdout).unwrap();
    let entries = v["entries"].as_array().unwrap();
    assert!(std::path::Path::new(entries[0]["at"].as_str().unwrap()).is_absolute());
    assert!(std::path::Path::new(entries[0]["to"].as_str().unwrap()).is_absolute());
    assert_snapshot!(r.shown(), @r#"
        exit: 0
        --- stdout
        {
          "version": 1,
          "changes": 1,
          "conflicts": 1,
          "entries": [
            {
              "at": "[HOME]/.gitconfig",
              "to": "[REPO]/git/config",
              "link_text": "[REPO]/git/config",
              "link_type": "symlink",
              "kind": "file",
              "action": "create"
            },
            {
              "at": "[HOME]/.vimrc",
              "to": "[REPO]/vim/vimrc",
              "link_text": "[REPO]/vim/vimrc",
              "link_type": "symlink",
              "kind": "file",
              "action": "conflict",
              "reason": "file-in-the-way",
              "diff": "--- [HOME]/.vimrc\n+++ [REPO]/vim/vimrc\n@@ -1 +1 @@\n-other\n+set number\n",
              "hint": "move [HOME]/.vimrc out of the way (or into the repo as [REPO]/vim/vimrc), or apply with --on-conflict backup (keeps it in the backup store) or adopt (makes it the repo's version)"
            }
          ]
        }
        --- stderr
        "#);
}

#[test]
fn apply_json_reports_whether_it_applied() {
    let w = world();
    w.home_file(".vimrc", "other\n");
    assert_snapshot!(w.snapshot_run(&["apply", "--json"]), @r#"
        exit: 1
        --- stdout
        {
          "version": 1,
          "changes": 1,
          "conflicts": 1,
          "applied": false,
          "dry_run": false,
          "entries": [
            {
              "at": "[HOME]/.gitconfig",
              "to": "[REPO]/git/config",
              "link_text": "[REPO]/git/config",
              "link_type": "symlink",
              "kind": "file",
              "action": "create"
            },
            {
              "at": "[HOME]/.vimrc",
              "to": "[REPO]/vim/vimrc",
              "link_text": "[REPO]/vim/vimrc",
              "link_type": "symlink",
              "kind": "file",
              "action": "conflict",
              "reason": "file-in-the-way",
              "diff": "--- [HOME]/.vimrc\n+++ [REPO]/vim/vimrc\n@@ -1 +1 @@\n-other\n+set number\n",
              "hint": "move [HOME]/.vimrc out of the way (or into the repo as [REPO]/vim/vimrc), or apply with --on-conflict backup (keeps it in the backup store) or adopt (makes it the repo's version)"
            }
          ],
          "error": {
            "message": "1 conflict; nothing was changed",
            "hint": "deal with each conflict as its hint says (apply --on-conflict backup moves what is in the way to the backup store), then run linkfile again",
            "file": null,
            "line": null,
            "column": null
          }
        }
        --- stderr
        error: 1 conflict; nothing was changed
        hint: deal with each conflict as its hint says (apply --on-conflict backup moves what is in the way to the backup store), then run linkfile again
        "#);
}

#[test]
fn manifest_is_found_in_a_parent_folder_or_through_the_environment() {
    let mut w = world();
    let found = w.run_in(&w.repo.join("vim"), &["plan"]).shown();
    assert_snapshot!(found, @r"
        exit: 0
        --- stdout
          + ~/.gitconfig -> git/config
          + ~/.vimrc -> vim/vimrc
        Plan: 2 to create, 0 to fix, 0 to remove, 0 conflicts.
        --- stderr
        ");
    let elsewhere = w.root.clone();
    assert_snapshot!(w.run_in(&elsewhere, &["plan"]).shown(), @r"
        exit: 1
        --- stdout
        --- stderr
        error: no linkfile.toml in [TMP] or any folder above it
        hint: run linkfile inside your dotfiles repo, or pass -m path/to/linkfile.toml (or set LINKFILE_MANIFEST)
        ");
    let m = w.repo.join("linkfile.toml").to_string_lossy().into_owned();
    assert_eq!(w.run_in(&elsewhere, &["-m", &m, "plan"]).shown(), found);
    w.set_env("LINKFILE_MANIFEST", &m);
    assert_eq!(w.run_in(&elsewhere, &["plan"]).shown(), found);
}

#[test]
fn help_exits_0_and_names_the_commands() {
    let w = world();
    assert_snapshot!(w.snapshot_run(&["--help"]), @r#"
        exit: 0
        --- stdout
        Keep the links of your dotfiles repo in place: plan shows what differs, apply makes it so.

        The manifest (linkfile.toml) lists links: `at` is where a link goes, `to` the original in the repo. linkfile never overwrites anything that is not a link: what is in the way is a conflict, or, with on_conflict = "backup", is moved to the backup store first; a link it made that the manifest dropped and the user changed is released, left as it is. Every apply, undo and unlink is recorded (linkfile log) and can be undone (linkfile undo).

        Usage: linkfile [OPTIONS] <COMMAND>

        Commands:
          plan         Show what apply would do, without touching anything
          apply        Make the filesystem match the manifest, all or nothing
          undo         Revert the last operation not yet undone (itself a new operation; undo twice walks back two)
          log          List past operations, newest first
          unlink       Remove every link this manifest owns and put back what was backed up
          recover      Roll back an interrupted operation, leaving in place what cannot be decided
          doctor       Try, in each folder the manifest links into, which kinds of link can be made there
          add          Move files or folders from the home into the repo and link them back, as one operation
          init         Write a starter linkfile.toml in the current folder, or translate a stow or dotbot setup
          check        Check the manifest without looking at the filesystem: exit 0 when it is valid, 1 if not
          completions  Print a completion script for a shell
          man          Print the manual page (roff), to install or read with man
          help         Print this message or the help of the given subcommand(s)

        Options:
          -m, --manifest <MANIFEST>
                  The manifest [default: $LINKFILE_MANIFEST, else linkfile.toml here or in the nearest folder above]

              --home <DIR>
                  What `~` means [default: $LINKFILE_HOME, else your home folder]; a home given here or by $LINKFILE_HOME isolates: ${HOME} is it, and no link goes outside it

              --color <WHEN>
                  When to colour the output (`auto`: on a terminal whose TERM is not dumb; NO_COLOR and CLICOLOR=0 turn it off, CLICOLOR_FORCE on)

                  Possible values:
                  - auto:   On a terminal (TERM not `dumb`), unless NO_COLOR or CLICOLOR=0; also in a pipe with CLICOLOR_FORCE
                  - always: Always
                  - never:  Never
                  
                  [default: auto]

          -q, --quiet
                  Print less: only errors, the conflicts an operation refuses on (with their hints), and plan's summary line

          -v, --verbose
                  Print more: also the links that are already right, the vars' values, and the entries whose `when` does not hold here

          -h, --help
                  Print help (see a summary with '-h')

          -V, --version
                  Print version
        --- stderr
        "#);
}

#[test]
fn version_exits_0_and_usage_errors_exit_1() {
    let w = world();
    w.expect(&["--version"])
        .stdout(&format!("linkfile {}\n", env!("CARGO_PKG_VERSION")))
        .run();
    assert_snapshot!(w.snapshot_run(&["frobnicate"]), @r"
        exit: 1
        --- stdout
        --- stderr
        error: unrecognized subcommand 'frobnicate'

        Usage: linkfile [OPTIONS] <COMMAND>

        For more information, try '--help'.
        ");
    assert_snapshot!(w.snapshot_run(&["apply", "--on-conflict", "overwrite"]), @r"
        exit: 1
        --- stdout
        --- stderr
        error: invalid value 'overwrite' for '--on-conflict <POLICY>'
          [possible values: fail, backup, adopt]

        For more information, try '--help'.
        ");
}

/// Runs the real binary in the repo and shows the run like [`World::snapshot_run`].
fn binary_run(w: &World, args: &[&str]) -> String {
    let out = crate::harness::spawn(
        w.command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .wait_with_output()
    .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    Run {
        code: u8::try_from(out.status.code().unwrap()).unwrap(),
        stdout: w.filter(&stdout),
        raw_stdout: stdout,
        stderr: w.filter(&String::from_utf8(out.stderr).unwrap()),
    }
    .shown()
}

#[test]
fn the_binary_maps_errors_to_exit_codes() {
    let w = world();
    assert_snapshot!(binary_run(&w, &["plan", "--exit-code"]), @r"
        exit: 2
        --- stdout
          + ~/.gitconfig -> git/config
          + ~/.vimrc -> vim/vimrc
        Plan: 2 to create, 0 to fix, 0 to remove, 0 conflicts.
        --- stderr
        ");
    w.manifest("version = 2\n");
    assert_snapshot!(binary_run(&w, &["plan"]), @r"
        exit: 1
        --- stdout
        --- stderr
        error: unsupported manifest version 2
         --> linkfile.toml:1:11
          |
        1 | version = 2
          |           ^
        hint: this linkfile reads version 1; write `version = 1`
        ");
}
