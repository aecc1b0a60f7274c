//! `fallback` and junctions: which primitive makes each link is decided before the first write,
//! by trying each once per folder, and shown in the plan and the log.
//!
//! These run everywhere and assert what this system allows: where symlinks work (Linux, macOS,
//! Windows with Developer Mode) the fallback is never used; under Wine, whose symlink call
//! reports success and makes nothing, files fall back to hard links (real there) and folders,
//! whose junctions Wine refuses with error 50, are refused before anything is written.

use std::fs;

use crate::harness::{World, symlinks_work};

const BOTH: &str = "version = 1\n[defaults]\nfallback = [\"junction\", \"hardlink\"]\n";

fn world(links: &str) -> World {
    let w = World::new();
    w.repo_file("a", "a\n");
    w.repo_file("nvim/init.lua", "-- init\n");
    w.manifest(&format!("{BOTH}[links]\n{links}"));
    w
}

fn json(w: &World, args: &[&str]) -> serde_json::Value {
    let r = w.run(args);
    serde_json::from_str(&r.raw_stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"))
}

#[test]
fn a_file_falls_back_to_a_hard_link_only_where_symlinks_cannot_be_made() {
    let w = world("\"~/.a\" = \"a\"\n");
    let before = w.snapshot_all();
    let plan = w.run(&["plan"]);
    let report = json(&w, &["plan", "--json"]);
    // Trying a primitive leaves nothing behind.
    assert_eq!(w.snapshot_all(), before, "plan wrote something");
    let entry = &report["entries"][0];
    if symlinks_work() {
        assert_eq!(entry["link_type"], "symlink");
        assert!(entry.get("fallback").is_none(), "{entry}");
        assert!(!plan.stdout.contains("fallback"), "{plan:?}");
        assert_eq!(w.run(&["apply"]).code, 0);
        assert_eq!(fs::read_link(w.home.join(".a")).unwrap(), w.repo.join("a"));
        return;
    }
    // Never silently: the plan says which primitive and why.
    assert_eq!(entry["link_type"], "hardlink");
    let why = entry["fallback"].as_str().unwrap();
    let start = format!("symlinks cannot be made in {}: ", w.home.display());
    assert!(why.starts_with(&start), "{why}");
    assert!(why.ends_with("; a hard link instead (fallback)"), "{why}");
    assert!(plan.stdout.contains("+ ~/.a -> a (hard link)"), "{plan:?}");
    assert!(
        plan.stdout
            .contains("fallback: symlinks cannot be made in "),
        "{plan:?}"
    );
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(linkfile::observe::same_file(
        &w.home.join(".a"),
        &w.repo.join("a")
    ));
    // The operation records the primitive and why.
    let log = json(&w, &["log", "--json"]);
    let owned = &log[0]["view"][0];
    assert_eq!(owned["hard"], true, "{log}");
    assert!(
        owned["fallback"]
            .as_str()
            .unwrap()
            .contains("hard link instead")
    );
    // Idempotent, and undone like any link.
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 0);
    assert_eq!(w.run(&["undo"]).code, 0);
    let key = format!("home{}.a", std::path::MAIN_SEPARATOR);
    assert!(!w.snapshot().contains_key(&key));
}

#[test]
fn a_folder_no_fallback_fits_is_refused_before_any_write() {
    let w = world("\"~/.a\" = \"a\"\n\"~/.config/nvim\" = \"nvim\"\n");
    let before = w.snapshot();
    let r = w.run(&["apply"]);
    if symlinks_work() {
        assert_eq!(r.code, 0, "{r:?}");
        assert!(fs::read_link(w.home.join(".config/nvim")).is_ok());
        return;
    }
    if cfg!(windows) && junction_works(&w) {
        // A real Windows without the privilege: the folder gets a junction.
        assert_eq!(r.code, 0, "{r:?}");
        assert!(
            r.stdout.contains("~/.config/nvim -> nvim (junction)"),
            "{r:?}"
        );
        return;
    }
    // Wine: no symlinks, no junctions, and a hard link does not fit a folder.
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("! ~/.config/nvim -> nvim  (not-permitted)"),
        "{r:?}"
    );
    assert!(r.stdout.contains("symlinks cannot be made in "), "{r:?}");
    assert!(r.stdout.contains("junction: "), "{r:?}");
    assert!(r.stdout.contains("hard link: only for files"), "{r:?}");
    assert!(r.stderr.contains("nothing was changed"), "{r:?}");
    // All or nothing: the file's hard link, which could be made, was not made either.
    assert_eq!(w.snapshot(), before);
}

/// Whether a junction can be made here (real Windows: yes; Wine: error 50): asked of the
/// junction crate by the harness, not of linkfile's own probe, which is under test.
fn junction_works(_w: &World) -> bool {
    crate::harness::junctions_work()
}

#[cfg(windows)]
#[test]
fn a_junction_is_made_where_it_can_be_and_refused_before_any_write_where_not() {
    let w = World::new();
    w.repo_file("a", "a\n")
        .repo_file("nvim/init.lua", "-- init\n");
    w.manifest(
        "version = 1\n[links]\n\"~/.a\" = \"a\"\n[[link]]\nat = \"~/nvim\"\nto = \"nvim\"\nlink_type = \"junction\"\n",
    );
    let before = w.snapshot();
    if junction_works(&w) {
        let r = w.run(&["apply"]);
        assert_eq!(r.code, 0, "{r:?}");
        // Read back in its plain form, compared with the plain `to`.
        assert_eq!(
            fs::read_link(w.home.join("nvim")).unwrap(),
            w.repo.join("nvim")
        );
        assert_eq!(w.run(&["plan", "--exit-code"]).code, 0);
        assert_eq!(w.run(&["undo"]).code, 0);
        assert_eq!(w.snapshot(), before);
        return;
    }
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("! ~/nvim -> nvim (junction)  (not-permitted)"),
        "{r:?}"
    );
    assert!(r.stdout.contains("junctions cannot be made in "), "{r:?}");
    assert!(r.stdout.contains("(os error 50)"), "{r:?}");
    assert!(r.stdout.contains("network drives or FAT volumes"), "{r:?}");
    assert_eq!(w.snapshot(), before);
}

#[cfg(unix)]
#[test]
fn a_hard_link_across_filesystems_is_refused_before_any_write() {
    use std::os::unix::fs::MetadataExt;
    let w = World::new();
    w.repo_file("a", "a\n").repo_file("b", "b\n");
    let Ok(other) = tempfile::tempdir_in("/dev/shm") else {
        crate::skip!(Setup, "no /dev/shm");
    };
    let dev = |p: &std::path::Path| fs::metadata(p).unwrap().dev();
    if dev(other.path()) == dev(&w.repo) {
        crate::skip!(Setup, "/dev/shm is on the repo's filesystem");
    }
    let far = other.path().join(".b");
    w.manifest(&format!(
        "version = 1\n[defaults]\nlink_type = \"hardlink\"\n[links]\n\"~/.a\" = \"a\"\n{:?} = \"b\"\n",
        far.to_str().unwrap()
    ));
    let before = w.snapshot();
    // The far link is outside the home: allowed only when the home is not given.
    let r = crate::harness::run_without_home(&w, &["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("(cross-volume)"), "{r:?}");
    assert!(
        r.stdout
            .contains("a hard link must be on the same volume as its original"),
        "{r:?}"
    );
    assert!(
        r.stderr.contains("1 conflict; nothing was changed"),
        "{r:?}"
    );
    assert_eq!(w.snapshot(), before);
    assert!(fs::symlink_metadata(&far).is_err());
}
