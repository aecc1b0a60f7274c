//! The corpus of bad manifests: each `tests/bad_manifests/NAME.toml` must be rejected with exit
//! code 1, exactly the message in `NAME.stderr`, and nothing written. Each runs in a fresh world
//! whose repo holds `git/config`, `vim/vimrc` and the folder `nvim/`; the environment has only
//! `EDITOR=vim`. `LINKFILE_BLESS=1 cargo test manifest_errors` rewrites the `.stderr` files.

use std::fs;
use std::path::Path;

use crate::harness::World;

#[test]
fn every_bad_manifest_is_rejected_with_its_message() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_manifests");
    let mut cases: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    cases.sort();
    let bless = std::env::var_os("LINKFILE_BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let mut w = World::new();
        w.set_env("EDITOR", "vim");
        w.repo_file("git/config", "[user]\n")
            .repo_file("vim/vimrc", "set number\n");
        w.repo_file("nvim/init.lua", "-- init\n");
        let text = fs::read_to_string(case).unwrap().replace("\r\n", "\n");
        w.manifest(&text);
        let before = w.snapshot();
        let r = w.run(&["plan"]);
        // Windows may differ where paths do (`/x` has no drive letter): NAME.windows.stderr.
        let unix_path = case.with_extension("stderr");
        let windows_path = case.with_extension("windows.stderr");
        let expected_path = if cfg!(windows) && windows_path.exists() {
            windows_path.clone()
        } else {
            unix_path.clone()
        };
        let read = |p: &Path| {
            fs::read_to_string(p)
                .unwrap_or_default()
                .replace("\r\n", "\n")
        };
        // The harness shows Windows separators as `/`; compare the expectation the same way.
        let same = |a: &str, b: &str| {
            if cfg!(windows) {
                a.replace('\\', "/") == b.replace('\\', "/")
            } else {
                a == b
            }
        };
        if bless && !same(&read(&expected_path), &r.stderr) {
            let target = if cfg!(windows) {
                &windows_path
            } else {
                &unix_path
            };
            fs::write(target, &r.stderr).unwrap();
        }
        let expected = read(&expected_path);
        let name = case.file_name().unwrap().to_string_lossy();
        if r.code != 1 || !same(&r.stderr, &expected) || !r.stdout.is_empty() {
            failures.push(format!(
                "{name}: exit {}\n--- expected\n{expected}--- got\n{}{}",
                r.code, r.stderr, r.stdout
            ));
        }
        assert_eq!(w.snapshot(), before, "{name} changed the filesystem");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        cases.len() >= 30,
        "the corpus has only {} manifests",
        cases.len()
    );
}
