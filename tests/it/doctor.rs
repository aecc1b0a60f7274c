//! `linkfile doctor`: a table of what can be made in each folder the manifest links into, the
//! verdict, and nothing left behind.

use crate::harness::World;

fn world() -> World {
    let w = World::new();
    w.repo_file("a", "a\n").repo_file("d/x", "x\n");
    w.manifest("version = 1\n[links]\n\"~/.a\" = \"a\"\n\"~/.config/d\" = \"d\"\n\"~/new/deep/.a\" = \"a\"\n");
    std::fs::create_dir(w.home.join(".config")).unwrap();
    w
}

#[test]
fn doctor_tries_every_folder_and_leaves_nothing_behind() {
    let w = world();
    let before = w.snapshot_all();
    let r = w.run(&["doctor"]);
    // The links in ~/new/deep go where ~ is, the nearest folder that exists.
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("  folder     links  symlink  hard link  junction"),
        "{}",
        r.stdout
    );
    assert!(lines[1].starts_with("  ~              2  "), "{}", r.stdout);
    assert!(lines[2].starts_with("  ~/.config      1  "), "{}", r.stdout);
    assert_eq!(w.snapshot_all(), before, "doctor left something behind");
    if crate::harness::symlinks_work() {
        assert_eq!(r.code, 0, "{r:?}");
        assert!(lines[1].contains("yes      yes"), "{}", r.stdout);
        assert!(
            r.stdout.ends_with(
                "apply can make each of the 3 links as the manifest asks (3 symlinks).\n"
            ),
            "{}",
            r.stdout
        );
    } else {
        // Wine: the symlink call reports success and makes nothing; hard links are real.
        assert_eq!(r.code, 1, "{r:?}");
        assert!(
            r.stdout
                .contains("symlink: the system reported success but made no link"),
            "{}",
            r.stdout
        );
        assert!(lines[1].contains("NO       yes"), "{}", r.stdout);
        assert!(
            r.stdout.ends_with(
                "apply would fail: the links asked for cannot be made in 2 folders (see above).\n"
            ),
            "{}",
            r.stdout
        );
    }
    if cfg!(windows) {
        // One line concludes, instead of raw facts for the reader to combine.
        let conclusion = lines
            .iter()
            .find(|l| l.starts_with("symlinks "))
            .unwrap_or_else(|| panic!("no conclusion about symlinks:\n{}", r.stdout));
        let expected = if crate::harness::symlinks_work() {
            "symlinks can be made: "
        } else {
            "symlinks cannot be made: the system reports success and makes nothing (Wine does this)"
        };
        assert!(conclusion.starts_with(expected), "{}", r.stdout);
        assert!(!r.stdout.contains("Developer Mode: "), "{}", r.stdout);
    } else {
        assert!(!r.stdout.contains("symlinks can"), "{}", r.stdout);
        assert!(lines[1].contains("n/a"), "{}", r.stdout);
    }
}

#[test]
fn doctor_says_which_primitive_apply_would_use_with_a_fallback() {
    let w = World::new();
    w.repo_file("a", "a\n").repo_file("d/x", "x\n");
    w.manifest(
        "version = 1\n[defaults]\nfallback = [\"junction\", \"hardlink\"]\n[links]\n\"~/.a\" = \"a\"\n\"~/.config/d\" = \"d\"\n",
    );
    std::fs::create_dir(w.home.join(".config")).unwrap();
    let before = w.snapshot_all();
    let r = w.run(&["doctor"]);
    assert_eq!(w.snapshot_all(), before, "doctor left something behind");
    let lines: Vec<&str> = r.stdout.lines().collect();
    if crate::harness::symlinks_work() {
        assert_eq!(r.code, 0, "{r:?}");
        assert!(lines[1].ends_with("  symlink"), "{}", r.stdout);
        assert!(
            r.stdout.ends_with(
                "apply can make each of the 2 links as the manifest asks (2 symlinks).\n"
            ),
            "{}",
            r.stdout
        );
    } else if lines[2].ends_with("junction (fallback)") {
        // A real Windows without the privilege to make symlinks.
        assert_eq!(r.code, 0, "{r:?}");
        assert!(lines[1].ends_with("hard link (fallback)"), "{}", r.stdout);
    } else {
        // Wine: the file gets a hard link instead; for the folder nothing fits.
        assert_eq!(r.code, 1, "{r:?}");
        assert!(lines[1].ends_with("  hard link (fallback)"), "{}", r.stdout);
        assert!(lines[2].ends_with("  NOTHING for 1 link"), "{}", r.stdout);
        assert!(r.stdout.contains("~/.config: cannot link "), "{}", r.stdout);
        assert!(
            r.stdout.contains("hard link: only for files"),
            "{}",
            r.stdout
        );
    }
}
