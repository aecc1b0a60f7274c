//! Choosing what applies: `when.cmd` (a program on PATH), `optional` (a missing original skips
//! the entry), `tags` with `--only` and `--except` (entries not selected are neither applied nor
//! pruned).

#[cfg(unix)]
use std::fs;

use indoc::indoc;
use insta::assert_snapshot;

use crate::harness::World;

#[cfg(unix)]
#[test]
fn when_cmd_holds_when_the_program_is_on_path() {
    use std::os::unix::fs::PermissionsExt;
    let mut w = World::new();
    w.repo_file("nvim/init.lua", "-- init\n");
    w.manifest(indoc! {r#"
        version = 1
        [[link]]
        at = "~/.config/nvim"
        to = "nvim"
        when = { cmd = "nvim" }
    "#});
    let bin = w.root.join("bin");
    fs::create_dir(&bin).unwrap();
    w.set_env("PATH", &bin.to_string_lossy());
    let not_on_path = w.snapshot_run(&["plan", "-v"]);
    assert_snapshot!(not_on_path, @r"
        exit: 0
        --- stdout
          . ~/.config/nvim -> nvim  (skipped: nvim is not on PATH)
        No changes: 0 links already in place.
        --- stderr
        ");
    // A file that is not executable is no program.
    fs::write(bin.join("nvim"), "#!/bin/sh\n").unwrap();
    assert_eq!(w.snapshot_run(&["plan", "-v"]), not_on_path);
    fs::set_permissions(bin.join("nvim"), fs::Permissions::from_mode(0o755)).unwrap();
    assert_snapshot!(w.snapshot_run(&["plan"]), @r"
        exit: 0
        --- stdout
          + ~/.config/nvim -> nvim
        Plan: 1 to create, 0 to fix, 0 to remove, 0 conflicts.
        --- stderr
        ");
}

#[test]
fn an_optional_entry_whose_original_is_missing_is_skipped() {
    let w = World::new();
    w.repo_file("vimrc", "set number\n");
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/.vimrc" = "vimrc"
        [[link]]
        at = "~/.local.zsh"
        to = "generated/local.zsh"
        optional = true
    "#});
    assert_snapshot!(w.snapshot_run(&["plan"]), @r"
        exit: 0
        --- stdout
          + ~/.vimrc -> vimrc
        Plan: 1 to create, 0 to fix, 0 to remove, 0 conflicts. 1 entry skipped by `when` (-v says why).
        --- stderr
        ");
    assert_snapshot!(w.snapshot_run(&["plan", "-v"]), @r"
        exit: 0
        --- stdout
          + ~/.vimrc -> vimrc
          . ~/.local.zsh -> generated/local.zsh  (skipped: optional, and generated/local.zsh is not in the repo)
        Plan: 1 to create, 0 to fix, 0 to remove, 0 conflicts.
        --- stderr
        ");
    // Without `optional`, the same is a conflict.
    w.manifest(indoc! {r#"
        version = 1
        [links]
        "~/.local.zsh" = "generated/local.zsh"
    "#});
    assert_snapshot!(w.snapshot_run(&["plan"]), @r"
        exit: 0
        --- stdout
          ! ~/.local.zsh -> generated/local.zsh  (original-missing)
              hint: create [REPO]/generated/local.zsh in the repo, or fix `to`
        Plan: 0 to create, 0 to fix, 0 to remove, 1 conflict.
        --- stderr
        ");
}

/// `dir_mode`: the folders linkfile makes for a link get that mode (`~/.ssh`, `~/.gnupg`), not
/// the umask's; folders that were there keep theirs.
#[cfg(unix)]
#[test]
fn dir_mode_sets_the_mode_of_the_folders_linkfile_makes() {
    use std::os::unix::fs::PermissionsExt;
    crate::require_symlinks!();
    let w = World::new();
    w.repo_file("ssh/config", "Host *\n");
    w.repo_file("gnupg/gpg.conf", "use-agent\n");
    fs::create_dir(w.home.join(".gnupg")).unwrap();
    fs::set_permissions(w.home.join(".gnupg"), fs::Permissions::from_mode(0o755)).unwrap();
    w.manifest(
        "version = 1\n[[link]]\nat = \"~/.ssh/config\"\nto = \"ssh/config\"\ndir_mode = \"700\"\n\
         [[link]]\nat = \"~/.gnupg/conf.d/gpg.conf\"\nto = \"gnupg/gpg.conf\"\ndir_mode = \"0700\"\n",
    );
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    let mode = |rel: &str| fs::metadata(w.home.join(rel)).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(".ssh"), 0o700);
    assert_eq!(mode(".gnupg/conf.d"), 0o700);
    assert_eq!(
        mode(".gnupg"),
        0o755,
        "a folder that was there keeps its mode"
    );
    assert_eq!(w.run(&["undo"]).code, 0);
    assert!(!w.home.join(".ssh").exists());
}

#[test]
fn a_dir_mode_that_is_not_octal_is_a_manifest_error() {
    let w = World::new();
    w.repo_file("ssh/config", "Host *\n");
    w.manifest(indoc! {r#"
        version = 1
        [[link]]
        at = "~/.ssh/config"
        to = "ssh/config"
        dir_mode = "rwx"
    "#});
    assert_snapshot!(w.snapshot_run(&["plan"]), @r#"
        exit: 1
        --- stdout
        --- stderr
        error: `dir_mode` must be an octal mode such as "700", not `rwx`
         --> linkfile.toml:5:12
          |
        5 | dir_mode = "rwx"
          |            ^^^^^
        hint: write the permission bits in octal: "700" (only you), "755" (everyone may read)
        "#);
}

/// On Windows `dir_mode` is ignored, and the plan says so; elsewhere nothing is said.
#[test]
fn the_plan_notes_where_dir_mode_is_ignored() {
    let w = World::new();
    w.repo_file("ssh/config", "Host *\n");
    w.manifest(
        "version = 1\n[[link]]\nat = \"~/.ssh/config\"\nto = \"ssh/config\"\ndir_mode = \"700\"\n",
    );
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout.contains("note: dir_mode is ignored here"),
        cfg!(windows),
        "{r:?}"
    );
}

fn tagged() -> World {
    let w = World::new();
    for f in ["git", "slack", "vim", "kitty"] {
        w.repo_file(f, &format!("{f}\n"));
    }
    w.manifest(indoc! {r#"
        version = 1
        [[link]]
        at = "~/.gitconfig"
        to = "git"
        tags = ["work"]
        [[link]]
        at = "~/.config/slack"
        to = "slack"
        tags = ["work", "gui"]
        [[link]]
        at = "~/.vimrc"
        to = "vim"
        [[link]]
        at = "~/.config/kitty"
        to = "kitty"
        tags = ["gui"]
    "#});
    w
}

fn links(w: &World) -> Vec<&'static str> {
    [".gitconfig", ".config/slack", ".vimrc", ".config/kitty"]
        .into_iter()
        .filter(|l| w.link_text(l).is_some())
        .collect()
}

/// `--only` and `--except` choose entries by tag or by path; what is not chosen is neither
/// applied nor pruned, nor unlinked.
#[test]
fn only_and_except_choose_by_tag_and_by_path() {
    crate::require_symlinks!();
    let w = tagged();
    assert_snapshot!(w.snapshot_run(&["plan", "--only", "work"]), @r"
        exit: 0
        --- stdout
          + ~/.gitconfig -> git
          + ~/.config/slack -> slack
        Plan: 2 to create, 0 to fix, 0 to remove, 0 conflicts. 2 entries not selected (--only, --except).
        --- stderr
        ");
    assert_eq!(
        w.run(&["apply", "--only", "work", "--except", "gui"]).code,
        0
    );
    assert_eq!(links(&w), [".gitconfig"]);
    assert_eq!(w.run(&["apply", "--only", "~/.config"]).code, 0);
    assert_eq!(links(&w), [".gitconfig", ".config/slack", ".config/kitty"]);
    assert_eq!(w.run(&["apply", "--except", "work"]).code, 0);
    assert_eq!(
        links(&w),
        [".gitconfig", ".config/slack", ".vimrc", ".config/kitty"]
    );

    // Dropped from the manifest: a selection that does not choose it leaves it alone.
    w.manifest(indoc! {r#"
        version = 1
        [[link]]
        at = "~/.config/slack"
        to = "slack"
        tags = ["work", "gui"]
        [[link]]
        at = "~/.vimrc"
        to = "vim"
        [[link]]
        at = "~/.config/kitty"
        to = "kitty"
        tags = ["gui"]
    "#});
    let r = w.run(&["apply", "--only", "gui"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        links(&w),
        [".gitconfig", ".config/slack", ".vimrc", ".config/kitty"]
    );
    let r = w.run(&["apply", "--only", "work"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        links(&w),
        [".config/slack", ".vimrc", ".config/kitty"],
        "pruned: its tag was recorded"
    );

    // Unlink only what is chosen; the rest stays owned.
    assert_eq!(w.run(&["unlink", "--only", "gui"]).code, 0);
    assert_eq!(links(&w), [".vimrc"]);
    assert_eq!(w.run(&["unlink"]).code, 0);
    assert!(links(&w).is_empty());
}

#[test]
fn a_selection_that_chooses_nothing_says_so() {
    let w = tagged();
    assert_snapshot!(w.snapshot_run(&["plan", "--only", "wrok"]), @r"
        exit: 1
        --- stdout
        --- stderr
        error: `wrok` chooses nothing: no link of this manifest has that tag or lies there
        hint: the tags here are: gui, work
        ");
}
