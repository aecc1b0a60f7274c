//! The corpus of bad manifests: each `tests/bad_manifests/NAME.toml` must be rejected with exit
//! code 1, nothing on stdout, exactly the message in its snapshot
//! `tests/bad_manifests/snapshots/stderr@NAME.toml.snap`, and nothing written. Each runs in a
//! fresh world whose repo holds `git/config`, `vim/vimrc` and the folder `nvim/`; the environment
//! has only `EDITOR=vim`. Where Windows says something else (`/x` has no drive letter, the
//! harness shows `\` as `/`), `stderr-windows@NAME.toml.snap` is the expectation there.
//! `INSTA_UPDATE=always cargo test manifest_errors` (or `cargo insta test` then
//! `cargo insta review`) writes new and changed snapshots.

use std::path::Path;

use crate::harness::World;

/// Where the snapshots are, relative to this file.
const SNAPSHOTS: &str = "../bad_manifests/snapshots";

#[test]
fn every_bad_manifest_is_rejected_with_its_message() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(SNAPSHOTS);
    settings.set_prepend_module_to_snapshot(false);
    let _bound = settings.bind_to_scope();
    let mut cases = 0;
    let mut failures = Vec::new();
    insta::glob!("../bad_manifests", "*.toml", |case| {
        cases += 1;
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let w = world();
        let text = std::fs::read_to_string(case).unwrap().replace("\r\n", "\n");
        w.manifest(&text);
        let before = w.snapshot();
        let r = w.run(&["plan"]);
        if r.code != 1 || !r.stdout.is_empty() || !ends_in_one_newline(&r.stderr) {
            failures.push(format!(
                "{name}: exit {}, stdout {:?}, stderr {:?}",
                r.code, r.stdout, r.stderr
            ));
        }
        insta::assert_snapshot!(snapshot_name(&name), r.stderr);
        assert_eq!(w.snapshot(), before, "{name} changed the filesystem");
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(cases >= 30, "the corpus has only {cases} manifests");
}

fn world() -> World {
    let mut w = World::new();
    w.set_env("EDITOR", "vim");
    w.repo_file("git/config", "[user]\n")
        .repo_file("vim/vimrc", "set number\n")
        .repo_file("nvim/init.lua", "-- init\n");
    w
}

/// `stderr`, or `stderr-windows` on Windows for a case that has a Windows snapshot.
fn snapshot_name(case: &str) -> &'static str {
    let windows = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it")
        .join(SNAPSHOTS)
        .join(format!("stderr-windows@{case}.snap"));
    if cfg!(windows) && windows.exists() {
        "stderr-windows"
    } else {
        "stderr"
    }
}

/// Snapshots ignore trailing whitespace and `\r\n` versus `\n`; the message must end in exactly
/// one newline and use `\n` alone, so that it equals the snapshot byte for byte.
fn ends_in_one_newline(s: &str) -> bool {
    s.strip_suffix('\n')
        .is_some_and(|body| body.trim_end() == body && !s.contains("\r\n"))
}
