//! Directory trees (`each`, `ignore`), conditions (`when`) and variables: one manifest for
//! every machine. Where this system makes no symlinks (Wine) the `each` tests make hard links
//! instead, which it does make, so they run everywhere.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::harness::{World, symlinks_work};

/// The link type these tests can make here.
fn link_type() -> &'static str {
    if symlinks_work() {
        "symlink"
    } else {
        "hardlink"
    }
}

/// Whether `at` is a link to `to` of the kind [`link_type`] makes.
pub(crate) fn linked(at: &Path, to: &Path) -> bool {
    if symlinks_work() {
        fs::read_link(at).is_ok_and(|t| t == to)
    } else {
        linkfile::observe::same_file(at, to)
    }
}

/// Every file and link below `dir`, relative, with `/` separators; folders end with `/`.
pub(crate) fn tree(dir: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let rel: Vec<String> = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .iter()
                .map(|c| c.to_string_lossy().into_owned())
                .collect();
            let rel = rel.join("/");
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                out.insert(format!("{rel}/"));
                walk(root, &e.path(), out);
            } else {
                out.insert(rel);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn nvim_repo() -> World {
    let w = World::new();
    w.repo_file("nvim/init.lua", "-- init\n")
        .repo_file("nvim/lua/plugins/a.lua", "a\n")
        .repo_file("nvim/lua/plugins/.a.lua.swp", "swap\n")
        .repo_file("nvim/cache/x", "cached\n")
        .repo_file("nvim/lua/cache", "a file called cache\n")
        .repo_file("nvim/.git/config", "git\n")
        .repo_file("nvim/after/.git/HEAD", "git\n")
        .repo_file("nvim/after/ftplugin/rust.lua", "rust\n");
    w.manifest(&format!(
        "version = 1\n[defaults]\nlink_type = \"{}\"\n\n[[link]]\nat = \"~/.config/nvim\"\nto = \"nvim\"\neach = true\nignore = [\"*.swp\", \"**/cache/\"]\n",
        link_type()
    ));
    w
}

#[test]
fn each_links_every_file_in_real_folders_skipping_ignores_and_git() {
    let w = nvim_repo();
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    let home = w.home.join(".config/nvim");
    // Exactly these: no .git anywhere, no swap file, nothing of the ignored folder (a final `/`
    // matches folders only: the file lua/cache is linked).
    assert_eq!(
        tree(&home),
        set(&[
            "after/",
            "after/ftplugin/",
            "after/ftplugin/rust.lua",
            "init.lua",
            "lua/",
            "lua/cache",
            "lua/plugins/",
            "lua/plugins/a.lua",
        ])
    );
    for f in ["init.lua", "lua/plugins/a.lua", "after/ftplugin/rust.lua"] {
        assert!(linked(&home.join(f), &w.repo.join("nvim").join(f)), "{f}");
    }
    // The folders are real: an application writing beside the links does not write into the
    // repo.
    for d in ["", "lua", "lua/plugins", "after/ftplugin"] {
        let meta = fs::symlink_metadata(home.join(d)).unwrap();
        assert!(meta.is_dir() && !meta.file_type().is_symlink(), "{d}");
    }
    fs::write(home.join("lua/state.json"), "{}").unwrap();
    assert!(!w.repo.join("nvim/lua/state.json").exists());
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 0);
}

#[test]
fn files_added_to_or_deleted_from_the_repo_folder_are_created_or_removed_next_time() {
    let w = nvim_repo();
    assert_eq!(w.run(&["apply"]).code, 0);
    w.repo_file("nvim/lua/plugins/new.lua", "new\n");
    fs::remove_file(w.repo.join("nvim/init.lua")).unwrap();
    let plan = w.run(&["plan"]);
    assert!(
        plan.stdout
            .contains("+ ~/.config/nvim/lua/plugins/new.lua -> nvim/lua/plugins/new.lua"),
        "{plan:?}"
    );
    let home = w.home.join(".config/nvim");
    if !symlinks_work() {
        // A hard link whose original was deleted holds the only copy of the file: it is never
        // removed, only released.
        assert!(
            plan.stdout.contains(
                "= ~/.config/nvim/init.lua -> nvim/init.lua (hard link)  (released: changed since linkfile made it; left as it is)"
            ),
            "{plan:?}"
        );
        assert_eq!(
            fs::read_to_string(home.join("init.lua")).unwrap(),
            "-- init\n"
        );
        return;
    }
    assert!(
        plan.stdout.contains("- ~/.config/nvim/init.lua"),
        "{plan:?}"
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to create, 0 to fix, 1 to remove, 0 conflicts."),
        "{plan:?}"
    );
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(fs::symlink_metadata(home.join("init.lua")).is_err());
    assert!(linked(
        &home.join("lua/plugins/new.lua"),
        &w.repo.join("nvim/lua/plugins/new.lua")
    ));
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 0);
    // Undo walks back both, once the deleted original is back (never a dangling link).
    let r = w.run(&["undo"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("(original-missing)"), "{r:?}");
    w.repo_file("nvim/init.lua", "-- init\n");
    assert_eq!(w.run(&["undo"]).code, 0);
    assert!(fs::symlink_metadata(home.join("lua/plugins/new.lua")).is_err());
}

#[test]
fn the_manifest_itself_is_never_linked() {
    let w = World::new();
    w.repo_file("shell/.bashrc", "bash\n");
    w.manifest(&format!(
        "version = 1\n[defaults]\nlink_type = \"{}\"\n[[link]]\nat = \"~/dot\"\nto = \".\"\neach = true\n",
        link_type()
    ));
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(tree(&w.home.join("dot")), set(&["shell/", "shell/.bashrc"]));
}

#[test]
fn each_can_spread_a_folder_over_the_home_itself_as_stow_does() {
    let w = World::new();
    w.repo_file("home/.bashrc", "bash\n")
        .repo_file("home/.config/git/config", "git\n");
    w.home_file(".config/other/keep", "mine\n");
    w.manifest(&format!(
        "version = 1\n[defaults]\nlink_type = \"{}\"\n[[link]]\nat = \"~\"\nto = \"home\"\neach = true\n",
        link_type()
    ));
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(linked(
        &w.home.join(".bashrc"),
        &w.repo.join("home/.bashrc")
    ));
    assert!(linked(
        &w.home.join(".config/git/config"),
        &w.repo.join("home/.config/git/config")
    ));
    // The existing folder is shared, not replaced.
    assert_eq!(
        fs::read_to_string(w.home.join(".config/other/keep")).unwrap(),
        "mine\n"
    );
    // Without each, `at` cannot be the home folder itself.
    w.manifest("version = 1\n[[link]]\nat = \"~\"\nto = \"home\"\n");
    let r = w.run(&["plan"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains("`at` is your home folder itself"),
        "{r:?}"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_inside_the_repo_folder_are_linked_as_files_never_followed() {
    let w = World::new();
    w.repo_file("nvim/init.lua", "-- init\n");
    std::os::unix::fs::symlink("init.lua", w.repo.join("nvim/alias.lua")).unwrap();
    // A loop: followed, it would never end.
    std::os::unix::fs::symlink(".", w.repo.join("nvim/loop")).unwrap();
    w.manifest("version = 1\n[[link]]\nat = \"~/.config/nvim\"\nto = \"nvim\"\neach = true\n");
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    let home = w.home.join(".config/nvim");
    assert_eq!(tree(&home), set(&["alias.lua", "init.lua", "loop"]));
    // Each is a link to the repo's link, not to what it points at.
    assert_eq!(
        fs::read_link(home.join("alias.lua")).unwrap(),
        w.repo.join("nvim/alias.lua")
    );
    assert_eq!(
        fs::read_link(home.join("loop")).unwrap(),
        w.repo.join("nvim/loop")
    );
}

#[test]
fn relative_links_from_each_point_into_the_repo_from_their_own_folder() {
    crate::require_symlinks!();
    let w = World::new();
    w.repo_file("nvim/lua/a.lua", "a\n");
    w.manifest(
        "version = 1\n[[link]]\nat = \"~/.config/nvim\"\nto = \"nvim\"\neach = true\nrelative = true\n",
    );
    assert_eq!(w.run(&["apply"]).code, 0);
    let at = w.home.join(".config/nvim/lua/a.lua");
    let text = fs::read_link(&at).unwrap();
    assert!(text.is_relative(), "{text:?}");
    assert_eq!(
        fs::read_to_string(at.parent().unwrap().join(text)).unwrap(),
        "a\n"
    );
}

fn other_os() -> &'static str {
    if cfg!(windows) { "linux" } else { "windows" }
}

fn this_os() -> &'static str {
    std::env::consts::OS
}

#[test]
fn when_os_skips_an_entry_and_prunes_the_link_it_made_before() {
    let w = World::new();
    w.repo_file("a", "a\n").repo_file("b", "b\n");
    let lt = link_type();
    w.manifest(&format!(
        "version = 1\n[defaults]\nlink_type = \"{lt}\"\n[[link]]\nat = \"~/.a\"\nto = \"a\"\nwhen = {{ os = \"{}\" }}\n[[link]]\nat = \"~/.b\"\nto = \"b\"\n",
        this_os()
    ));
    assert_eq!(w.run(&["apply"]).code, 0);
    assert!(linked(&w.home.join(".a"), &w.repo.join("a")));
    // The entry now belongs to another OS: skipped here, and the link it made goes.
    w.manifest(&format!(
        "version = 1\n[defaults]\nlink_type = \"{lt}\"\n[[link]]\nat = \"${{APPDATA}}/a\"\nto = \"a\"\nwhen = {{ os = \"{}\" }}\n[[link]]\nat = \"~/.b\"\nto = \"b\"\n",
        other_os()
    ));
    let plan = w.run(&["-v", "plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("- ~/.a"), "{plan:?}");
    // Shown with -v, as written (its APPDATA need not be set here).
    assert!(
        plan.stdout.contains(&format!(
            ". ${{APPDATA}}/a -> a  (skipped: os is {}, not {})",
            this_os(),
            other_os()
        )),
        "{plan:?}"
    );
    // Without -v, only their number.
    let plain = w.run(&["plan"]);
    assert!(!plain.stdout.contains("APPDATA"), "{plain:?}");
    assert!(
        plain
            .stdout
            .ends_with(" 1 entry skipped by `when` (-v says why).\n"),
        "{plain:?}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&w.run(&["plan", "--json"]).raw_stdout).unwrap();
    assert_eq!(json["skipped"][0]["at"], "${APPDATA}/a");
    assert!(
        json["skipped"][0]["why"]
            .as_str()
            .unwrap()
            .starts_with("os is ")
    );
    assert_eq!(w.run(&["apply"]).code, 0);
    assert!(fs::symlink_metadata(w.home.join(".a")).is_err());
    assert!(linked(&w.home.join(".b"), &w.repo.join("b")));
    // `unix` is every OS but Windows.
    w.manifest(&format!(
        "version = 1\n[defaults]\nlink_type = \"{lt}\"\n[[link]]\nat = \"~/.a\"\nto = \"a\"\nwhen = {{ os = \"unix\" }}\n"
    ));
    assert_eq!(w.run(&["apply"]).code, 0);
    assert_eq!(
        fs::symlink_metadata(w.home.join(".a")).is_ok(),
        !cfg!(windows)
    );
}

#[test]
fn when_host_and_env_must_all_hold() {
    let mut w = World::new();
    w.set_env("EDITOR", "vim");
    w.repo_file("a", "a\n");
    let lt = link_type();
    let cases = [
        // The test machine is called linkfile-test (see the harness).
        ("host = \"linkfile-test\"", None),
        ("host = [\"desk\", \"LINKFILE-TEST\"]", None),
        ("host = \"desk\"", Some("host is linkfile-test, not desk")),
        ("env = \"EDITOR\"", None),
        ("env = \"DISPLAY\"", Some("DISPLAY is not set")),
        ("env = { EDITOR = \"vim\" }", None),
        (
            "env = { EDITOR = \"emacs\" }",
            Some("EDITOR is \"vim\", not \"emacs\""),
        ),
        (
            "host = \"linkfile-test\", env = \"DISPLAY\"",
            Some("DISPLAY is not set"),
        ),
    ];
    for (when, skipped) in cases {
        w.manifest(&format!(
            "version = 1\n[defaults]\nlink_type = \"{lt}\"\n[[link]]\nat = \"~/.a\"\nto = \"a\"\nwhen = {{ {when} }}\n"
        ));
        let r = w.run(&["-v", "plan"]);
        assert_eq!(r.code, 0, "{when}: {r:?}");
        match skipped {
            None => assert!(r.stdout.contains("+ ~/.a -> a"), "{when}: {r:?}"),
            Some(why) => {
                assert!(
                    r.stdout.contains(&format!(". ~/.a -> a  (skipped: {why})")),
                    "{when}: {r:?}"
                );
                assert!(r.stdout.contains("No changes"), "{when}: {r:?}");
            }
        }
    }
}

#[test]
fn vars_chain_through_each_other_and_the_environment_and_show_with_v() {
    let mut w = World::new();
    w.set_env("XDG_CONFIG_HOME", &w.home.join("xdg").to_string_lossy());
    w.repo_file("nvim/init.lua", "-- init\n");
    w.manifest(&format!(
        "version = 1\n[defaults]\nlink_type = \"{}\"\n[vars]\nnvim = \"{{cfg}}/nvim\"\ncfg = \"${{XDG_CONFIG_HOME:-~/.config}}\"\nappdata = \"${{APPDATA}}/x\"\n[links]\n\"{{nvim}}/init.lua\" = \"nvim/init.lua\"\n",
        link_type()
    ));
    let r = w.run(&["-v", "plan"]);
    assert_eq!(r.code, 0, "{r:?}");
    let xdg: PathBuf = w.home.join("xdg");
    assert!(
        r.raw_stdout
            .contains(&format!("var cfg = {}", xdg.display())),
        "{r:?}"
    );
    assert!(
        r.raw_stdout
            .contains(&format!("var nvim = {}", xdg.join("nvim").display()).replace('\\', "/"))
            || r.raw_stdout
                .contains(&format!("var nvim = {}/nvim", xdg.display())),
        "{r:?}"
    );
    // Used by no link here: its unset variable is no error, and -v says so.
    assert!(
        r.stdout
            .contains("var appdata: no value here (environment variable `APPDATA` is not set)"),
        "{r:?}"
    );
    assert_eq!(w.run(&["apply"]).code, 0);
    assert!(linked(
        &xdg.join("nvim/init.lua"),
        &w.repo.join("nvim/init.lua")
    ));
    // Without XDG_CONFIG_HOME, the default.
    w.env.remove("XDG_CONFIG_HOME");
    let r = w.run(&["plan"]);
    assert!(r.stdout.contains("+ ~/.config/nvim/init.lua"), "{r:?}");
}

#[test]
fn switching_from_each_to_one_folder_link_removes_the_folders_linkfile_made() {
    crate::require_symlinks!();
    let w = World::new();
    w.repo_file("nvim/init.lua", "-- init\n")
        .repo_file("nvim/lua/x.lua", "x\n");
    let each = "version = 1\n[[link]]\nat = \"~/.config/nvim\"\nto = \"nvim\"\neach = true\n";
    let whole = "version = 1\n[[link]]\nat = \"~/.config/nvim\"\nto = \"nvim\"\n";
    w.manifest(each);
    assert_eq!(w.run(&["apply"]).code, 0);
    let after_each = w.snapshot();

    // Something of the user's in a folder linkfile made keeps the folder: a conflict.
    w.home_file(".config/nvim/lua/state.json", "{}");
    w.manifest(whole);
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("! ~/.config/nvim -> nvim  (dir-in-the-way)"),
        "{r:?}"
    );
    fs::remove_file(w.home.join(".config/nvim/lua/state.json")).unwrap();

    // Only pruned links and linkfile's folders: they give way to the one link.
    let plan = w.run(&["plan"]);
    assert!(plan.stdout.contains("+ ~/.config/nvim -> nvim"), "{plan:?}");
    assert!(
        plan.stdout.contains("- ~/.config/nvim/init.lua"),
        "{plan:?}"
    );
    assert!(
        plan.stdout.contains("- ~/.config/nvim/lua/x.lua"),
        "{plan:?}"
    );
    let r = w.run(&["apply"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        fs::read_link(w.home.join(".config/nvim")).unwrap(),
        w.repo.join("nvim")
    );
    // Nothing was written into the repo through the new link.
    assert_eq!(
        tree(&w.repo.join("nvim")),
        set(&["init.lua", "lua/", "lua/x.lua"])
    );
    assert_eq!(w.run(&["plan", "--exit-code"]).code, 0);
    // Undo puts the folders and the file links back.
    assert_eq!(w.run(&["undo"]).code, 0);
    let mut expected = after_each.clone();
    let key = "repo/linkfile.toml".replace('/', std::path::MAIN_SEPARATOR_STR);
    expected.insert(key.clone(), w.snapshot()[&key].clone());
    assert_eq!(w.snapshot(), expected);
}
