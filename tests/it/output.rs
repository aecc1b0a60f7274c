//! What people and programs read: the human plan, colours, quiet and verbose, the JSON report.

use std::process::Stdio;

use crate::harness::World;

fn world() -> World {
    let w = World::new();
    w.repo_file("git/config", "[user]\n");
    w.repo_file("vim/vimrc", "set number\n");
    w.manifest(
        "version = 1\n[links]\n\"~/.gitconfig\" = \"git/config\"\n\"~/.vimrc\" = \"vim/vimrc\"\n",
    );
    w
}

#[test]
fn human_plan_has_a_line_per_change_and_a_summary() {
    let w = world();
    w.home_file(".vimrc", "set number\nset list\n");
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        "  + ~/.gitconfig -> git/config\n  ! ~/.vimrc -> vim/vimrc  (file-in-the-way)\n      hint: move [HOME]/.vimrc out of the way (or into the repo as [REPO]/vim/vimrc), or apply with --on-conflict backup (keeps it in the backup store) or adopt (makes it the repo's version)\n      --- [HOME]/.vimrc\n      +++ [REPO]/vim/vimrc\n      @@ -1,2 +1 @@\n       set number\n      -set list\nPlan: 1 to create, 0 to fix, 0 to remove, 1 conflict.\n"
    );
}

#[test]
fn quiet_and_verbose() {
    let w = world();
    let r = w.run(&["-q", "plan"]);
    assert_eq!(
        r.stdout,
        "Plan: 2 to create, 0 to fix, 0 to remove, 0 conflicts.\n"
    );
    if crate::harness::symlinks_work() {
        assert_eq!(w.run(&["-q", "apply"]).stdout, "");
        let v = w.run(&["-v", "plan"]);
        assert!(v.stdout.contains("  = ~/.gitconfig -> git"), "{}", v.stdout);
        assert!(w.run(&["plan"]).stdout.starts_with("No changes"));
    }
    let both = w.run(&["-q", "-v", "plan"]);
    assert_eq!(both.code, 1);
    assert!(
        both.stderr.contains("cannot be used with"),
        "{}",
        both.stderr
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let mut w = world();
    assert!(!w.run(&["plan"]).stdout.contains('\x1b'));
    assert!(
        w.run(&["--color", "always", "plan"])
            .stdout
            .contains("\x1b[32m+ ~/.gitconfig")
    );
    assert!(!w.run(&["--color", "never", "plan"]).stdout.contains('\x1b'));
    // NO_COLOR turns off `auto`, not an explicit `always`.
    w.set_env("NO_COLOR", "1");
    assert!(
        w.run(&["--color", "always", "plan"])
            .stdout
            .contains('\x1b')
    );
}

#[test]
fn json_report_has_the_contract_keys() {
    let w = world();
    w.home_file(".vimrc", "other\n");
    let r = w.run(&["plan", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.raw_stdout).unwrap();
    assert_eq!(
        (
            v["version"].as_u64(),
            v["changes"].as_u64(),
            v["conflicts"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], "create");
    assert!(std::path::Path::new(entries[0]["at"].as_str().unwrap()).is_absolute());
    assert!(std::path::Path::new(entries[0]["to"].as_str().unwrap()).is_absolute());
    assert_eq!(
        (entries[1]["action"].as_str(), entries[1]["reason"].as_str()),
        (Some("conflict"), Some("file-in-the-way"))
    );
}

#[test]
fn apply_json_reports_whether_it_applied() {
    let w = world();
    w.home_file(".vimrc", "other\n");
    let r = w.run(&["apply", "--json"]);
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["applied"].as_bool(), Some(false));
    assert!(
        r.stderr
            .starts_with("error: 1 conflict; nothing was changed"),
        "{}",
        r.stderr
    );
}

#[test]
fn manifest_is_found_in_a_parent_folder_or_through_the_environment() {
    let mut w = world();
    let sub = w.repo.join("vim");
    assert_eq!(w.run_in(&sub, &["plan"]).code, 0);
    let elsewhere = w.root.clone();
    let r = w.run_in(&elsewhere, &["plan"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("error: no linkfile.toml in [TMP] or any folder above it"),
        "{}",
        r.stderr
    );
    let m = w.repo.join("linkfile.toml").to_string_lossy().into_owned();
    assert_eq!(w.run_in(&elsewhere, &["-m", &m, "plan"]).code, 0);
    w.set_env("LINKFILE_MANIFEST", &m);
    assert_eq!(w.run_in(&elsewhere, &["plan"]).code, 0);
}

#[test]
fn help_and_version_exit_0_and_usage_errors_exit_1() {
    let w = world();
    let h = w.run(&["--help"]);
    assert_eq!(h.code, 0);
    assert!(h.stdout.contains("plan") && h.stdout.contains("apply"));
    assert_eq!(w.run(&["--version"]).code, 0);
    assert_eq!(w.run(&["frobnicate"]).code, 1);
    let r = w.run(&["apply", "--on-conflict", "overwrite"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("possible values: fail, backup, adopt"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_binary_maps_errors_to_exit_codes() {
    let w = world();
    let bin = env!("CARGO_BIN_EXE_linkfile");
    let out = crate::harness::spawn(
        std::process::Command::new(bin)
            .args(["--home"])
            .arg(&w.home)
            .args(["plan", "--exit-code"])
            .current_dir(&w.repo)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .wait_with_output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    w.manifest("version = 2\n");
    let out = crate::harness::spawn(
        std::process::Command::new(bin)
            .arg("--home")
            .arg(&w.home)
            .arg("plan")
            .current_dir(&w.repo)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .wait_with_output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported manifest version 2"));
}
