//! Issue 15, "Windows for real": what runs here of the Windows fixes. The decisions themselves
//! (reparse tags, case, elevation, volumes, drives) are pure functions unit-tested beside the
//! code on every platform; these tests run linkfile on the disk where this system allows it.

use std::fs;

use crate::harness::{World, symlink};
use crate::require_symlinks;

fn json(w: &World, args: &[&str]) -> serde_json::Value {
    let r = w.run(args);
    serde_json::from_str(&r.raw_stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"))
}

/// A link inside an `each` folder is linked as what it points to: a folder's link for a
/// folder (a directory symlink on Windows, not the file symlink that never opens).
#[test]
fn each_links_a_folder_link_in_the_repo_as_a_folder() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("cfg/a.conf", "a\n").repo_file("real/x", "x\n");
    symlink(std::path::Path::new("../real"), &w.repo.join("cfg/themes"));
    symlink(
        std::path::Path::new("a.conf"),
        &w.repo.join("cfg/alias.conf"),
    );
    w.manifest("version = 1\n[[link]]\nat = \"~/.cfg\"\nto = \"cfg\"\neach = true\n");
    let report = json(&w, &["plan", "--json"]);
    let kind = |name: &str| {
        report["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["at"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no {name}: {report}"))["kind"]
            .clone()
    };
    assert_eq!(kind("themes"), "dir", "{report}");
    assert_eq!(kind("alias.conf"), "file", "{report}");
    assert_eq!(kind("a.conf"), "file", "{report}");
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    let at = w.home.join(".cfg/themes");
    assert_eq!(fs::read_link(&at).unwrap(), w.repo.join("cfg/themes"));
    // It opens: through it, the folder's file.
    assert_eq!(fs::read_to_string(at.join("x")).unwrap(), "x\n");
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileTypeExt;
        assert!(
            fs::symlink_metadata(&at)
                .unwrap()
                .file_type()
                .is_symlink_dir()
        );
    }
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 0);
}

/// A test that cannot run says so and is counted; under CI=true only a platform that cannot
/// run it excuses it.
#[test]
fn a_skip_is_counted_and_only_the_platform_excuses_it_on_ci() {
    use crate::harness::{Skip, fails_under, skip, skipped};
    let before = skipped();
    skip(Skip::Platform, "(the harness's own test of skip counting)");
    assert!(skipped() > before);
    assert!(fails_under(Skip::Setup, true));
    assert!(!fails_under(Skip::Platform, true));
    assert!(!fails_under(Skip::Setup, false));
}

/// The holder's name is kept beside the lock file, never in the locked bytes: a Windows lock
/// (LockFileEx) is mandatory, so a waiting process could not read them and said "unknown".
#[test]
fn the_lock_holders_name_is_where_the_lock_does_not_cover_it() {
    let _gate = crate::harness::no_spawning();
    let w = World::new();
    w.repo_file("a", "a\n");
    w.manifest("version = 1\n[links]\n\"~/.a\" = \"a\"\n");
    let state = linkfile::oplog::State::new(
        &w.state,
        &w.repo.join("linkfile.toml"),
        linkfile::platform::Os::HOST,
    );
    let lock = state.lock(linkfile::command::Command::Apply).unwrap();
    let name = format!("process {} (linkfile apply)", std::process::id());
    assert_eq!(fs::read(w.state.join("lock")).unwrap(), b"");
    assert_eq!(
        fs::read_to_string(w.state.join("lock.holder")).unwrap(),
        name
    );
    // A second writer names it (exit 3), and so do the read-only commands' notes.
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains(&name), "{r:?}");
    drop(lock);
    assert!(!w.state.join("lock.holder").exists());
    assert_eq!(w.run(&["apply", "--dry-run"]).code, 0);
}

/// File identity (Windows: FILE_ID_INFO), the volume's hard-link support (Windows:
/// GetVolumeInformationW) and the reparse tag of a plain file, read on this system: under Wine
/// these run the Win32 calls for real.
#[test]
fn identity_volume_and_reparse_tag_are_read_here() {
    use linkfile::platform;
    let w = World::new();
    w.repo_file("a", "a\n").repo_file("b", "a\n");
    let (a, b) = (w.repo.join("a"), w.repo.join("b"));
    let other_name = w.home.join("a-again");
    fs::hard_link(&a, &other_name).unwrap();
    assert!(platform::same_file(&a, &other_name));
    assert!(!platform::same_file(&a, &b), "same bytes, another file");
    assert!(!platform::same_file(&a, &w.repo.join("missing")));
    assert_eq!(
        platform::file_id(&a).unwrap(),
        platform::file_id(&other_name).unwrap()
    );
    // A temp folder on this system's own disk holds hard links.
    assert_eq!(platform::hard_link_refusal(&w.home), None);
    // A plain file and a folder are no links, and reading them says so (no observe error).
    assert_eq!(platform::link_flavour(&a).unwrap(), None);
    assert!(matches!(
        platform::read_link(&a),
        platform::ReadLink::NotALink
    ));
    assert!(matches!(
        platform::read_link(&w.home),
        platform::ReadLink::NotALink
    ));
    assert!(matches!(
        platform::read_link(&w.home.join("missing")),
        platform::ReadLink::Missing
    ));
}
