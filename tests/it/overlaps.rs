//! Overlaps caught while parsing (issue 9, point 7): a link where another entry makes a folder,
//! or at or above another entry's link, is a manifest error naming both lines; several `each`
//! entries may still share their folders.

use crate::harness::World;
use crate::require_symlinks;

fn world() -> World {
    let w = World::new();
    w.repo_file("config/nvim/init.lua", "-- init\n");
    w.repo_file("nvim/init.lua", "-- nvim\n");
    w.repo_file("vim/vimrc", "set number\n");
    w
}

#[test]
fn a_link_where_an_each_entry_makes_a_folder_is_a_manifest_error() {
    let w = world();
    w.manifest(
        "version = 1\n[[link]]\nat = \"~/.config\"\nto = \"config\"\neach = true\n\n[links]\n\"~/.config/nvim\" = \"vim/vimrc\"\n",
    );
    let before = w.snapshot();
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("linkfile.toml:8:1") && r.stderr.contains("line 3 makes a folder there"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert_eq!(w.snapshot(), before);
}

#[test]
fn a_folder_link_above_an_each_entrys_links_is_a_manifest_error() {
    let w = world();
    w.manifest(
        "version = 1\n[[link]]\nat = \"~/.config\"\nto = \"config\"\neach = true\n\n[links]\n\"~/.config/nvim\" = \"nvim\"\n",
    );
    let before = w.snapshot();
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("linkfile.toml:"), "{}", r.stderr);
    assert_eq!(w.snapshot(), before);
}

#[test]
fn a_link_at_a_folder_below_an_each_entry_is_one_manifest_error() {
    let w = world();
    w.repo_file("config/nvim/lua/a.lua", "-- a\n");
    w.repo_file("config/nvim/lua/b.lua", "-- b\n");
    w.manifest(
        "version = 1\n[links]\n\"~/.config/nvim/lua\" = \"vim/vimrc\"\n[[link]]\nat = \"~/.config\"\nto = \"config\"\neach = true\n",
    );
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stderr.matches("error:").count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("linkfile.toml:3:1") && r.stderr.contains("line 5 makes a folder there"),
        "{}",
        r.stderr
    );
}

#[test]
fn each_entries_may_share_their_folders() {
    require_symlinks!();
    let w = world();
    w.repo_file("more/lua/b.lua", "-- b\n");
    // The second entry's folder is one the first makes.
    w.manifest(
        "version = 1\n[[link]]\nat = \"~/.config\"\nto = \"config\"\neach = true\n[[link]]\nat = \"~/.config/nvim\"\nto = \"more\"\neach = true\n[links]\n\"~/.config/other\" = \"vim/vimrc\"\n",
    );
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        w.link_text(".config/nvim/lua/b.lua").unwrap(),
        w.repo.join("more/lua/b.lua")
    );
}
