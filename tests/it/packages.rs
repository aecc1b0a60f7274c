//! Packages that share a target (stow's layout: one package per program, all into the home):
//! `each` entries may share an `at` and the folders below it; only a file place linked twice is
//! an error, naming both entries and both originals.

use crate::harness::World;
use crate::require_symlinks;

fn packages(w: &World, names: &[&str]) {
    let mut m = String::from("version = 1\n");
    for n in names {
        m.push_str(&format!(
            "\n[[link]]\nat = \"~\"\nto = \"{n}\"\neach = true\n"
        ));
    }
    w.manifest(&m);
}

#[test]
fn each_entries_may_share_the_home_and_its_folders() {
    let w = World::new();
    w.repo_file("nvim/.config/nvim/init.lua", "-- init\n");
    w.repo_file("kitty/.config/kitty/kitty.conf", "font_size 12\n");
    w.repo_file("zsh/.zshrc", "setopt autocd\n");
    packages(&w, &["nvim", "kitty", "zsh"]);
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("Plan: 3 to create"), "{r:?}");
    require_symlinks!();
    assert_eq!(w.run(&["apply"]).code, 0);
    for (at, to) in [
        (".config/nvim/init.lua", "nvim/.config/nvim/init.lua"),
        (".config/kitty/kitty.conf", "kitty/.config/kitty/kitty.conf"),
        (".zshrc", "zsh/.zshrc"),
    ] {
        assert_eq!(w.link_text(at).unwrap(), w.repo.join(to), "{at}");
    }
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 0);
    assert_eq!(w.run(&["undo"]).code, 0);
    assert!(
        !w.home.join(".config").exists(),
        "the folders made are gone"
    );
}

#[test]
fn one_file_place_from_two_packages_names_both() {
    let w = World::new();
    w.repo_file("work/.gitconfig", "[user]\n  email = me@work\n");
    w.repo_file("home/.gitconfig", "[user]\n  email = me@home\n");
    packages(&w, &["work", "home"]);
    let before = w.snapshot();
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains(
            "[HOME]/.gitconfig is linked twice: to [REPO]/home/.gitconfig by this entry and to [REPO]/work/.gitconfig by line 4"
        ),
        "{r:?}"
    );
    assert!(r.stderr.contains("linkfile.toml:9:6"), "{r:?}");
    assert_eq!(w.snapshot(), before);
}

/// Links other tools made (stow's relative ones, dotbot's absolute ones through another
/// spelling of the path) that resolve to the wanted original are right: `ok`, claimed as owned
/// at the next apply without being rewritten, and given back as they were by undo and unlink.
#[test]
fn links_that_resolve_to_the_original_are_claimed_without_rewriting() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("zsh/.zshrc", "setopt autocd\n");
    w.repo_file("git/.gitconfig", "[user]\n");
    packages(&w, &["zsh", "git"]);
    // As stow writes them, and as a script with an unnormalised absolute path would.
    crate::harness::symlink(
        std::path::Path::new("../repo/zsh/.zshrc"),
        &w.home.join(".zshrc"),
    );
    let odd = w.root.join("home/../repo/./git/.gitconfig");
    crate::harness::symlink(&odd, &w.home.join(".gitconfig"));
    let before = w.snapshot();

    let r = w.run(&["plan"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("No changes: 2 links already in place."),
        "{r:?}"
    );
    let r = w.run(&["plan", "-v"]);
    assert!(
        r.stdout
            .contains("= ~/.zshrc -> zsh/.zshrc  (its text differs: ../repo/zsh/.zshrc)"),
        "{r:?}"
    );
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("recorded operation 1 (2 links owned)"),
        "{r:?}"
    );
    assert_eq!(w.snapshot(), before, "nothing rewritten");

    // Owned now: an entry dropped from the manifest takes its link with it ...
    w.manifest("version = 1\n\n[[link]]\nat = \"~\"\nto = \"git\"\neach = true\n");
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(w.link_text(".zshrc").is_none(), "pruned: {r:?}");
    // ... and undo gives it back as stow made it.
    assert_eq!(w.run(&["undo"]).code, 0);
    packages(&w, &["zsh", "git"]);
    assert_eq!(w.snapshot(), before);
    // unlink puts back what was there before linkfile: the same links.
    let r = w.run(&["unlink"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(w.snapshot(), before);
}

#[test]
fn a_link_into_another_copy_of_the_file_is_not_claimed() {
    require_symlinks!();
    let w = World::new();
    w.repo_file("zsh/.zshrc", "setopt autocd\n");
    packages(&w, &["zsh"]);
    // Same bytes, elsewhere: not the original.
    std::fs::write(w.root.join("copy"), "setopt autocd\n").unwrap();
    crate::harness::symlink(&w.root.join("copy"), &w.home.join(".zshrc"));
    let r = w.run(&["plan"]);
    assert!(
        r.stdout.contains("~ ~/.zshrc -> zsh/.zshrc  (wrong-target"),
        "{r:?}"
    );
}
