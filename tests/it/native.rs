//! Issue 13 points 2–4: state under XDG, colour by the conventions, JSON everywhere, long work
//! and big diffs.

use std::path::Path;

use crate::harness::{Run, World};

fn world() -> World {
    let w = World::new();
    w.repo_file("git/config", "[user]\n");
    w.manifest("version = 1\n[links]\n\"~/.gitconfig\" = \"git/config\"\n");
    w
}

/// Runs like `World::run`, with the given terminals.
fn run_on(w: &World, stdout_tty: bool, stderr_tty: bool, args: &[&str]) -> Run {
    let env = w.env.clone();
    let system = linkfile::System {
        env: Box::new(move |k| env.get(k).cloned()),
        cwd: w.repo.clone(),
        stdout_is_terminal: stdout_tty,
        stderr_is_terminal: stderr_tty,
        host: "linkfile-test".into(),
        stdout_palette: linkfile::color::Palette::PLAIN,
        stderr_palette: linkfile::color::Palette::PLAIN,
        exits_after_run: false,
    };
    let mut argv = vec!["linkfile".to_string(), "--home".into()];
    argv.push(w.home.to_string_lossy().into_owned());
    argv.extend(args.iter().map(|s| s.to_string()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = linkfile::run(argv, &system, &mut out, &mut err);
    let raw_stdout = String::from_utf8(out).unwrap();
    Run {
        code,
        stdout: w.filter(&raw_stdout),
        raw_stdout,
        stderr: w.filter(&String::from_utf8(err).unwrap()),
    }
}

/// The variable naming the per-user state folder here.
const STATE_HOME_VAR: &str = if cfg!(windows) {
    "LOCALAPPDATA"
} else {
    "XDG_STATE_HOME"
};

fn has_state(dir: &Path) -> bool {
    dir.join("lock").exists()
}

#[test]
fn state_goes_under_the_state_home_variable_inside_the_home() {
    // These apply a link to see where the state goes.
    crate::require_symlinks!();
    let mut w = world();
    w.env.remove("LINKFILE_STATE_DIR");
    let xdg = w.home.join("xdg-state");
    w.set_env(STATE_HOME_VAR, &xdg.to_string_lossy());
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        has_state(&xdg.join("linkfile")),
        "{:?}",
        w.snapshot_all().keys()
    );
    assert!(!w.home.join(".local").exists());
    assert!(!w.home.join("AppData").exists());
}

#[test]
fn a_state_home_variable_outside_a_given_home_is_ignored() {
    // These apply a link to see where the state goes.
    crate::require_symlinks!();
    let mut w = world();
    w.env.remove("LINKFILE_STATE_DIR");
    let outside = w.root.join("elsewhere");
    w.set_env(STATE_HOME_VAR, &outside.to_string_lossy());
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!outside.exists());
    let fallback = if cfg!(windows) {
        w.home.join("AppData").join("Local").join("linkfile")
    } else {
        w.home.join(".local").join("state").join("linkfile")
    };
    assert!(has_state(&fallback), "{:?}", w.snapshot_all().keys());
}

#[test]
fn linkfile_state_dir_wins_over_xdg_state_home() {
    // These apply a link to see where the state goes.
    crate::require_symlinks!();
    let mut w = world();
    let xdg = w.home.join("xdg-state");
    w.set_env(STATE_HOME_VAR, &xdg.to_string_lossy());
    assert_eq!(w.run(&["apply"]).code, 0);
    assert!(has_state(&w.state));
    assert!(!xdg.exists());
}

#[test]
fn a_refused_apply_creates_no_state() {
    let w = world();
    w.home_file(".gitconfig", "mine\n");
    let before = w.snapshot_all();
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(w.run(&["unlink"]).code, 0);
    assert_eq!(w.snapshot_all(), before);
    w.manifest("version = 1\n[links]\n\"~/.gitconfig\" = 3\n");
    let before = w.snapshot_all();
    assert_eq!(w.run(&["apply"]).code, 1);
    assert_eq!(w.snapshot_all(), before);
}

fn big_file_in_the_way() -> World {
    let w = world();
    let theirs: String = (0..5000).map(|i| format!("line {i}\n")).collect();
    w.home_file(".gitconfig", &theirs);
    w
}

/// The diff's lines under the conflict: those after the `---`/`+++` header.
fn diff_body(stdout: &str) -> Vec<&str> {
    let lines: Vec<&str> = stdout.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_start().starts_with("+++"))
        .unwrap()
        + 1;
    lines[start..]
        .iter()
        .copied()
        .take_while(|l| !l.starts_with("Plan:"))
        .collect()
}

#[test]
fn a_long_diff_is_cut_at_40_lines_by_default() {
    let w = big_file_in_the_way();
    for cmd in ["plan", "apply"] {
        let r = w.run(&[cmd]);
        let body = diff_body(&r.stdout);
        assert_eq!(body.len(), 41, "{cmd}: {}", r.stdout);
        assert_eq!(body[40], "      ... 4962 more lines");
        assert!(r.stdout.lines().count() < 50, "{}", r.stdout);
    }
}

#[test]
fn diff_lines_and_no_diff() {
    let w = big_file_in_the_way();
    let r = w.run(&["plan", "--diff-lines", "5"]);
    let body = diff_body(&r.stdout);
    assert_eq!(body.len(), 6, "{}", r.stdout);
    assert_eq!(body[5], "      ... 4997 more lines");
    let r = w.run(&["apply", "--no-diff"]);
    assert_eq!(r.code, 1);
    assert!(!r.stdout.contains("+++"), "{}", r.stdout);
    assert!(!r.stdout.contains("more lines"), "{}", r.stdout);
    // A short diff is shown whole.
    let w = world();
    w.home_file(".gitconfig", "[user]\nname = x\n");
    let r = w.run(&["plan"]);
    assert_eq!(diff_body(&r.stdout).len(), 3, "{}", r.stdout);
    assert!(!r.stdout.contains("more lines"));
}

#[test]
fn a_binary_file_in_the_way_says_so_with_both_sizes() {
    let w = world();
    std::fs::write(w.home.join(".gitconfig"), b"\x00\x01\x02binary").unwrap();
    let r = w.run(&["plan"]);
    assert!(
        r.stdout.contains(
            "      binary files differ: ~/.gitconfig is 9 bytes, git/config is 7 bytes\n"
        ),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("+++"));
}

#[test]
fn a_text_too_large_to_diff_says_so_with_both_sizes() {
    let w = world();
    let big = "x".repeat(300 * 1024);
    w.home_file(".gitconfig", &big);
    let r = w.run(&["plan"]);
    assert!(
        r.stdout.contains(
            "      files too large to diff: ~/.gitconfig is 307200 bytes, git/config is 7 bytes\n"
        ),
        "{}",
        r.stdout
    );
    std::fs::write(w.home.join(".gitconfig"), b"caf\xe9\n").unwrap();
    let r = w.run(&["plan"]);
    assert!(r.stdout.contains("binary files differ"), "{}", r.stdout);
}

/// The one JSON object on stdout, validated against its schema.
#[cfg(unix)]
fn json_of(r: &Run, schema: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(&r.raw_stdout)
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {}", r.raw_stdout));
    crate::schema::validate(schema, &v).unwrap_or_else(|e| panic!("{e}\n{v:#}"));
    v
}

#[cfg(unix)]
#[test]
fn undo_unlink_doctor_recover_print_json_that_validates() {
    let w = world();
    let r = w.run(&["apply", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    json_of(&r, "schemas/plan.schema.json");
    let r = w.run(&["undo", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json_of(&r, "schemas/plan.schema.json");
    assert_eq!(
        (v["applied"].as_bool(), v["changes"].as_u64()),
        (Some(true), Some(1))
    );
    assert!(!w.home.join(".gitconfig").exists());
    assert_eq!(w.run(&["apply"]).code, 0);
    let r = w.run(&["unlink", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json_of(&r, "schemas/plan.schema.json");
    assert_eq!(v["entries"][0]["action"], "remove");
    let r = w.run(&["doctor", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json_of(&r, "schemas/doctor.schema.json");
    assert_eq!(
        (v["ok"].as_bool(), v["links"].as_u64()),
        (Some(true), Some(1))
    );
    let r = w.run(&["recover", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json_of(&r, "schemas/recover.schema.json");
    assert_eq!(v["recovered"], false);
    let r = w.run(&["log", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json_of(&r, "schemas/log.schema.json");
    assert_eq!(v.as_array().map(Vec::len), Some(4), "{v:#}");
    assert_eq!(v[0]["command"], "unlink");
    // The schema is not a rubber stamp.
    let bad = serde_json::json!([{"id": 1}]);
    assert!(crate::schema::validate("schemas/log.schema.json", &bad).is_err());
}

#[cfg(unix)]
#[test]
fn a_manifest_error_under_json_is_one_object_with_its_place() {
    let w = world();
    w.manifest("version = 1\n[links]\n\"~/.gitconfig\" = 3\n");
    // (undo, unlink, log and recover work from the history, not the manifest's links.)
    for cmd in ["plan", "apply", "doctor"] {
        let r = w.run(&[cmd, "--json"]);
        assert_eq!(r.code, 1, "{cmd}: {}", r.stdout);
        let v = json_of(&r, "schemas/error.schema.json");
        let e = &v["error"];
        assert_eq!(e["file"], "linkfile.toml", "{cmd}: {v:#}");
        assert_eq!(
            (e["line"].as_u64(), e["column"].as_u64()),
            (Some(3), Some(18)),
            "{cmd}: {v:#}"
        );
        assert!(e["message"].as_str().unwrap().contains("string"), "{v:#}");
        assert_eq!(v["errors"][0], v["error"], "{cmd}: {v:#}");
    }
}

#[cfg(unix)]
#[test]
fn other_errors_under_json_carry_message_and_hint() {
    let w = world();
    // Nothing to undo.
    let r = w.run(&["undo", "--json"]);
    assert_eq!(r.code, 1);
    let v = json_of(&r, "schemas/error.schema.json");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("nothing to undo"),
        "{v:#}"
    );
    assert!(v["error"]["file"].is_null());
    // No manifest.
    std::fs::remove_file(w.repo.join("linkfile.toml")).unwrap();
    for cmd in ["plan", "apply", "unlink", "log", "doctor", "recover"] {
        let r = w.run(&[cmd, "--json"]);
        assert_eq!(r.code, 1, "{cmd}");
        let v = json_of(&r, "schemas/error.schema.json");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no linkfile.toml"),
            "{v:#}"
        );
        assert!(v["error"]["hint"].as_str().is_some(), "{v:#}");
    }
}

#[cfg(unix)]
#[test]
fn a_refused_apply_under_json_is_its_report_with_the_error_in_it() {
    let w = world();
    w.home_file(".gitconfig", "mine\n");
    let r = w.run(&["apply", "--json"]);
    assert_eq!(r.code, 1);
    let v = json_of(&r, "schemas/plan.schema.json");
    assert_eq!(v["applied"], false);
    assert_eq!(v["error"]["message"], "1 conflict; nothing was changed");
    assert!(
        v["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("--on-conflict backup")
    );
    // stderr still says it, for a person watching.
    assert!(r.stderr.starts_with("error: 1 conflict"), "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn a_locked_state_under_json_exits_3_with_an_error_object() {
    let w = world();
    assert_eq!(w.run(&["apply"]).code, 0);
    let lock = std::fs::File::open(w.state.join("lock")).unwrap();
    lock.lock().unwrap();
    std::fs::write(w.state.join("lock.holder"), "process 1 (linkfile apply)").unwrap();
    let r = w.run(&["unlink", "--json"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let v = json_of(&r, "schemas/error.schema.json");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("another linkfile is running")
    );
}

fn many_links(n: usize) -> World {
    let w = World::new();
    let mut manifest = String::from("version = 1\n[links]\n");
    for i in 0..n {
        w.repo_file(&format!("f/{i}"), "x\n");
        manifest.push_str(&format!("\"~/l/{i}\" = \"f/{i}\"\n"));
    }
    w.manifest(&manifest);
    w
}

#[test]
#[ignore = "slow: .ci/run runs it"]
fn a_long_apply_shows_progress_on_a_terminal_only() {
    crate::require_symlinks!();
    let w = many_links(500);
    // Not a terminal: nothing on stderr.
    let r = run_on(&w, false, false, &["apply"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let r = run_on(&w, false, true, &["unlink"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("/"), "no progress: {:?}", r.stderr);
    assert!(r.stderr.contains("unlink"), "{:?}", r.stderr);
    // Never under -q or --json, even on a terminal.
    let r = run_on(&w, false, true, &["-q", "apply"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let r = run_on(&w, false, true, &["undo", "--json"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    // A short one shows none.
    let w = world();
    let r = run_on(&w, false, true, &["apply"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
}
