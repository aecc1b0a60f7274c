//! Choosing what applies: `when.cmd` (a program on PATH), `optional` (a missing original skips
//! the entry), `tags` with `--only` and `--except` (entries not selected are neither applied nor
//! pruned).

use std::fs;

use crate::harness::World;

#[cfg(unix)]
#[test]
fn when_cmd_holds_when_the_program_is_on_path() {
    use std::os::unix::fs::PermissionsExt;
    let mut w = World::new();
    w.repo_file("nvim/init.lua", "-- init\n");
    w.manifest(
        "version = 1\n[[link]]\nat = \"~/.config/nvim\"\nto = \"nvim\"\nwhen = { cmd = \"nvim\" }\n",
    );
    let bin = w.root.join("bin");
    fs::create_dir(&bin).unwrap();
    w.set_env("PATH", &bin.to_string_lossy());
    let r = w.run(&["plan", "-v"]);
    assert!(r.stdout.contains("(skipped: nvim is not on PATH)"), "{r:?}");
    // A file that is not executable is no program.
    fs::write(bin.join("nvim"), "#!/bin/sh\n").unwrap();
    let r = w.run(&["plan", "-v"]);
    assert!(r.stdout.contains("(skipped: nvim is not on PATH)"), "{r:?}");
    fs::set_permissions(bin.join("nvim"), fs::Permissions::from_mode(0o755)).unwrap();
    let r = w.run(&["plan"]);
    assert!(r.stdout.contains("+ ~/.config/nvim -> nvim"), "{r:?}");
}

#[test]
fn an_optional_entry_whose_original_is_missing_is_skipped() {
    let w = World::new();
    w.repo_file("vimrc", "set number\n");
    w.manifest(
        "version = 1\n[links]\n\"~/.vimrc\" = \"vimrc\"\n\
         [[link]]\nat = \"~/.local.zsh\"\nto = \"generated/local.zsh\"\noptional = true\n",
    );
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("Plan: 1 to create, 0 to fix, 0 to remove, 0 conflicts."),
        "{r:?}"
    );
    assert!(r.stdout.contains("1 entry skipped"), "{r:?}");
    let r = w.run(&["plan", "-v"]);
    assert!(
        r.stdout.contains("~/.local.zsh -> generated/local.zsh  (skipped: optional, and generated/local.zsh is not in the repo)"),
        "{r:?}"
    );
    // Without `optional`, the same is a conflict.
    w.manifest("version = 1\n[links]\n\"~/.local.zsh\" = \"generated/local.zsh\"\n");
    let r = w.run(&["plan"]);
    assert!(r.stdout.contains("original-missing"), "{r:?}");
}
