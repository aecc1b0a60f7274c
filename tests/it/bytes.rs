//! Paths are bytes, not strings (issue 10 point 5): a file name that is not UTF-8 is linked,
//! recorded, undone and unlinked byte-exact; a home that is not UTF-8 is `~` exactly; control
//! characters in a path are escaped when shown to a person.

use std::ffi::{OsStr, OsString};
use std::path::Path;

use crate::harness::{self, Run, World};
use crate::require_symlinks;

/// `linkfile ARGS...` in-process in the repo, with arguments that need not be UTF-8 and without
/// the harness's `--home` (the caller passes its own).
fn run_os(w: &World, args: &[&OsStr]) -> Run {
    let env = w.env.clone();
    let system = linkfile::System {
        env: Box::new(move |k| env.get(k).cloned()),
        cwd: w.repo.clone(),
        stdout_is_terminal: false,
        stderr_is_terminal: false,
        host: "linkfile-test".into(),
        stdout_palette: linkfile::color::Palette::PLAIN,
        stderr_palette: linkfile::color::Palette::PLAIN,
        exits_after_run: false,
    };
    let mut argv: Vec<OsString> = vec!["linkfile".into()];
    argv.extend(args.iter().map(|a| a.to_os_string()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = {
        let _gate = harness::no_spawning();
        linkfile::run(argv, &system, &mut out, &mut err)
    };
    let raw_stdout = String::from_utf8(out).unwrap();
    Run {
        code,
        stdout: w.filter(&raw_stdout),
        raw_stdout,
        stderr: w.filter(&String::from_utf8(err).unwrap()),
    }
}

fn os(bytes: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStrExt;
    OsStr::from_bytes(bytes).to_os_string()
}

#[test]
fn a_file_name_that_is_not_utf8_is_linked_undone_and_unlinked_byte_exact() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("dir/plain", "plain\n");
    std::fs::write(w.repo.join("dir").join(os(b"caf\xe9")), "latin-1\n").unwrap();
    // Another name that a lossy conversion would make the same.
    std::fs::write(w.repo.join("dir").join(os(b"caf\xe8")), "other\n").unwrap();
    let other = w.home.join("d").join(os(b"caf\xe8"));
    w.manifest("version = 1\n[[link]]\nat = \"~/d\"\nto = \"dir\"\neach = true\n");
    let at = w.home.join("d").join(os(b"caf\xe9"));
    let text = w.repo.join("dir").join(os(b"caf\xe9"));

    let plan = w.run(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("caf\\xE9"), "{}", plan.stdout);

    let apply = w.run(&["apply"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert_eq!(std::fs::read_link(&at).unwrap(), text);
    assert_eq!(
        std::fs::read_link(&other).unwrap(),
        w.repo.join("dir").join(os(b"caf\xe8"))
    );
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 0);
    let log = w.run(&["log", "--json"]);
    assert_eq!(log.code, 0, "{log:?}");

    let undo = w.run(&["undo"]);
    assert_eq!(undo.code, 0, "{undo:?}");
    assert!(
        std::fs::symlink_metadata(&at).is_err(),
        "undo left the link"
    );

    assert_eq!(w.run(&["apply"]).code, 0);
    assert_eq!(std::fs::read_link(&at).unwrap(), text);
    let unlink = w.run(&["unlink"]);
    assert_eq!(unlink.code, 0, "{unlink:?}");
    assert!(
        std::fs::symlink_metadata(&at).is_err(),
        "unlink left the link"
    );
    assert_eq!(
        std::fs::read(&text).unwrap(),
        b"latin-1\n",
        "the original changed"
    );
}

#[test]
fn a_home_that_is_not_utf8_is_where_tilde_and_home_lead() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("x", "x\n").repo_file("y", "y\n");
    w.manifest("version = 1\n[links]\n\"~/.x\" = \"x\"\n\"${HOME}/.y\" = \"y\"\n");
    let home = w.root.join(os(b"h\xffme"));
    std::fs::create_dir(&home).unwrap();
    let r = run_os(&w, &["--home".as_ref(), home.as_os_str(), "apply".as_ref()]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        std::fs::read_link(home.join(".x")).unwrap(),
        w.repo.join("x")
    );
    assert_eq!(
        std::fs::read_link(home.join(".y")).unwrap(),
        w.repo.join("y")
    );
    let mut siblings: Vec<OsString> = std::fs::read_dir(&w.root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    siblings.sort();
    let mut expected = vec![os(b"h\xffme"), "home".into(), "repo".into(), "state".into()];
    expected.sort();
    assert_eq!(siblings, expected, "a sibling of the home was made");
}

#[test]
fn control_characters_in_paths_are_escaped_on_one_line() {
    let w = World::new();
    w.repo_file("dir/a\nb", "1\n")
        .repo_file("dir/\x1b[31mred", "2\n");
    w.manifest("version = 1\n[[link]]\nat = \"~/d\"\nto = \"dir\"\neach = true\n");
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        !r.stdout.contains('\x1b'),
        "an escape was printed: {:?}",
        r.stdout
    );
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("~/d/a\\nb") && l.contains("dir/a\\nb")),
        "{:?}",
        r.stdout
    );
    assert!(
        lines.iter().any(|l| l.contains("~/d/\\x1b[31mred")),
        "{:?}",
        r.stdout
    );
}

#[test]
fn control_characters_are_escaped_in_conflicts_and_errors() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("dir/a\nb", "1\n");
    w.home_file("d/a\nb", "in the way\n");
    w.manifest("version = 1\n[[link]]\nat = \"~/d\"\nto = \"dir\"\neach = true\n");
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("~/d/a\\nb"), "{:?}", r.stdout);
    assert!(!r.stdout.contains("a\nb"), "{:?}", r.stdout);
    let missing = Path::new("/nonexistent\x1b[2J/linkfile.toml");
    let r = run_os(
        &w,
        &[
            "--home".as_ref(),
            w.home.as_os_str(),
            "-m".as_ref(),
            missing.as_os_str(),
            "plan".as_ref(),
        ],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(!r.stderr.contains('\x1b'), "{:?}", r.stderr);
    assert!(r.stderr.contains("\\x1b[2J"), "{:?}", r.stderr);
}
