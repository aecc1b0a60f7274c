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
