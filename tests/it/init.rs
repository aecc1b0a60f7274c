//! `linkfile init`: a starter manifest, and manifests translated from stow packages and dotbot
//! configs whose plans equal those of the hand-written manifests under `examples/`.

use std::fs;
use std::path::Path;

use insta::assert_snapshot;

use crate::harness::World;

/// The plan's entries of `manifest`, as (at, to, action, link text), sorted.
fn plan_of(w: &World, manifest: &Path) -> Vec<(String, String, String, String)> {
    let m = manifest.to_string_lossy().into_owned();
    let r = w.run(&["-m", &m, "plan", "--json"]);
    assert_eq!(r.code, 0, "{}: {r:?}", manifest.display());
    let v: serde_json::Value = serde_json::from_str(&r.raw_stdout).unwrap();
    let mut entries: Vec<_> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (s("at"), s("to"), s("action"), s("link_text"))
        })
        .collect();
    entries.sort();
    entries
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The example `name` copied into the world's repo, its hand-written manifest renamed
/// `hand.toml`.
fn example(w: &World, name: &str) {
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name),
        &w.repo,
    );
    fs::rename(w.repo.join("linkfile.toml"), w.repo.join("hand.toml")).unwrap();
}

#[test]
fn bare_init_writes_a_commented_starter_and_its_schema_and_never_overwrites() {
    let w = World::new();
    let r = w.run(&["init"]);
    assert_eq!(r.code, 0, "{r:?}");
    let text = fs::read_to_string(w.repo.join("linkfile.toml")).unwrap();
    assert!(
        text.starts_with("#:schema ./linkfile.schema.json\n"),
        "{text}"
    );
    assert!(
        text.contains("# \"~/.gitconfig\" = \"git/config\""),
        "{text}"
    );
    // The schema line is honest: the file is there, and the same as the project's.
    let schema = fs::read_to_string(w.repo.join("linkfile.schema.json")).unwrap();
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/linkfile.schema.json");
    assert_eq!(schema, fs::read_to_string(ours).unwrap());
    // It is a valid manifest with nothing to do.
    let r = w.run(&["plan", "--exit-code"]);
    assert_eq!(r.code, 0, "{r:?}");

    let before = w.snapshot();
    let refused = w.snapshot_run(&["init"]);
    assert_snapshot!(refused, @r"
        exit: 1
        --- stdout
        --- stderr
        error: [REPO]/linkfile.toml already exists; nothing was written
        hint: linkfile init never overwrites a manifest: move it aside, or run init in another folder
        ");
    assert_eq!(before, w.snapshot());
    for args in [
        &["init", "--from-stow"][..],
        &["init", "--from-dotbot", "x.yaml"],
    ] {
        assert_eq!(w.snapshot_run(args), refused, "{args:?}");
        assert_eq!(before, w.snapshot());
    }
}

#[test]
fn from_stow_plans_as_the_hand_written_stow_example() {
    let w = World::new();
    example(&w, "stow-style");
    let r = w.run(&["init", "--from-stow"]);
    assert_eq!(r.code, 0, "{r:?}");
    // The repo is not in the home here: stow's default target (its parent) is not `~`.
    assert_eq!(
        r.stderr,
        "not translated: stow's default target is the stow directory's parent, [TMP], not your home: the entries link into ~ (a .stowrc with --target says otherwise)\n"
    );
    let text = fs::read_to_string(w.repo.join("linkfile.toml")).unwrap();
    // stow's default ignore list, written out.
    for glob in [
        "\"**/.git\"",
        "\"README*\"",
        "\"*~\"",
        "\"**/#*#\"",
        "\"COPYING\"",
    ] {
        assert!(text.contains(glob), "{glob}: {text}");
    }
    let generated = plan_of(&w, &w.repo.join("linkfile.toml"));
    assert_eq!(generated, plan_of(&w, &w.repo.join("hand.toml")));
    // The README of the git package is not linked.
    assert!(generated.iter().all(|e| !e.0.contains("README")));
    assert_eq!(generated.len(), 6, "{generated:?}");
}

#[test]
fn from_stow_names_packages_reads_local_ignores_and_understands_dotfiles() {
    let w = World::new();
    w.repo_file("zsh/dot-zshrc", "z\n")
        .repo_file("zsh/dot-config/zsh/aliases.zsh", "a\n")
        .repo_file("zsh/dot-config/zsh/dot-hidden", "h\n")
        .repo_file("zsh/plain", "p\n")
        .repo_file("zsh/notes.txt", "n\n")
        .repo_file("zsh/.stow-local-ignore", "notes\\.txt\n[0-9]+\\.bak\n")
        .repo_file("other/x", "not named\n");
    let r = w.run(&["init", "--from-stow", "zsh", "--dotfiles"]);
    assert_eq!(r.code, 0, "{r:?}");
    // The regular expression a glob cannot say is listed, not dropped.
    // (On Windows the harness shows every `\\` as `/`.)
    let shown = if cfg!(windows) {
        "[0-9]+/.bak"
    } else {
        "[0-9]+\\.bak"
    };
    assert!(r.stderr.contains(shown), "{}", r.stderr);
    w.repo_file(
        "hand.toml",
        r#"version = 1
[links]
"~/.zshrc" = "zsh/dot-zshrc"
"~/.config/zsh/.hidden" = "zsh/dot-config/zsh/dot-hidden"
[[link]]
at = "~"
to = "zsh"
each = true
ignore = ["dot-*", "notes.txt", ".stow-local-ignore"]
[[link]]
at = "~/.config"
to = "zsh/dot-config"
each = true
ignore = ["zsh/dot-hidden"]
"#,
    );
    let generated = plan_of(&w, &w.repo.join("linkfile.toml"));
    assert_eq!(generated, plan_of(&w, &w.repo.join("hand.toml")));
    let ats: Vec<String> = generated.iter().map(|e| e.0.replace('\\', "/")).collect();
    let home = w.home.to_string_lossy().replace('\\', "/");
    for want in [
        ".zshrc",
        ".config/zsh/aliases.zsh",
        ".config/zsh/.hidden",
        "plain",
    ] {
        assert!(ats.contains(&format!("{home}/{want}")), "{want}: {ats:?}");
    }
    assert_eq!(ats.len(), 4, "{ats:?}");
}

#[test]
fn from_dotbot_plans_as_the_hand_written_dotbot_example_and_lists_the_rest() {
    let w = World::new();
    example(&w, "dotbot-style");
    assert_snapshot!(w.snapshot_run(&["init", "--from-dotbot", "install.conf.yaml"]), @r"
        exit: 0
        --- stdout
        Wrote linkfile.toml (6 link(s) of install.conf.yaml).
        Wrote linkfile.schema.json (the manifest's JSON Schema, for editors).
        2 thing(s) were not translated (listed on stderr and at the top of the manifest).
        Next: `linkfile plan` shows what apply would do.
        --- stderr
        not translated: the `clean` directive: linkfile removes the links it made once the manifest drops them (no scan for other dead links)
        not translated: the `shell` directive: linkfile makes links only; run those commands yourself
        ");
    let text = fs::read_to_string(w.repo.join("linkfile.toml")).unwrap();
    assert!(text.contains("when = { os = \"linux\" }"), "{text}");
    assert!(text.contains("relative = true"), "{text}");
    assert_eq!(
        plan_of(&w, &w.repo.join("linkfile.toml")),
        plan_of(&w, &w.repo.join("hand.toml"))
    );
}

#[test]
fn from_dotbot_reads_json_and_comments_out_a_condition_it_cannot_say() {
    let w = World::new();
    w.repo_file("vimrc", "v\n")
        .repo_file("tmux.conf", "t\n")
        .repo_file("zshrc", "z\n");
    w.repo_file(
        "install.conf.json",
        r#"[{"link": {"~/.vimrc": "vimrc",
                     "~/.tmux.conf": {"path": "tmux.conf", "force": true},
                     "~/.zshrc": {"path": "zshrc", "if": "[ -x /bin/zsh ]", "ignore-missing": true}}},
           {"create": ["~/downloads"]}]"#,
    );
    assert_snapshot!(w.snapshot_run(&["init", "--from-dotbot", "install.conf.json"]), @r"
        exit: 0
        --- stdout
        Wrote linkfile.toml (3 link(s) of install.conf.json).
        Wrote linkfile.schema.json (the manifest's JSON Schema, for editors).
        3 thing(s) were not translated (listed on stderr and at the top of the manifest).
        Next: `linkfile plan` shows what apply would do.
        --- stderr
        not translated: ~/.zshrc: option ignore-missing (linkfile never makes a link to a missing original)
        not translated: ~/.zshrc: the condition `[ -x /bin/zsh ]` (the entry is written commented out; say it with `when` by hand)
        not translated: the `create` directive: linkfile makes the folders its links need, not empty ones
        ");
    let text = fs::read_to_string(w.repo.join("linkfile.toml")).unwrap();
    assert!(text.contains("# [[link]]\n# at = \"~/.zshrc\""), "{text}");
    assert!(text.contains("on_conflict = \"backup\""), "{text}");
    let plan = plan_of(&w, &w.repo.join("linkfile.toml"));
    let ats: Vec<String> = plan.iter().map(|e| e.0.replace('\\', "/")).collect();
    assert_eq!(ats.len(), 2, "{ats:?}");
    assert!(ats.iter().all(|a| !a.ends_with(".zshrc")));
}

#[test]
fn init_refuses_what_it_cannot_read_and_writes_nothing() {
    let w = World::new();
    w.repo_file("bad.yaml", "- link: [\n");
    w.repo_file("map.yaml", "link: {}\n");
    for (args, says) in [
        (&["init", "--from-dotbot", "bad.yaml"][..], "is not YAML"),
        (
            &["init", "--from-dotbot", "map.yaml"],
            "not a list of dotbot directives",
        ),
        (&["init", "--from-dotbot", "missing.yaml"], "missing.yaml"),
        (&["init", "--from-stow", "nope"], "not a folder"),
        (&["init", "--from-stow"], "no stow package folders"),
    ] {
        let before = w.snapshot();
        let r = w.run(args);
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert_eq!(before, w.snapshot(), "{args:?}");
    }
}

/// A dotbot repo using globs as dotbot (Python's `glob`) expands them, `backup`, and `if`
/// tests that `when` can say (`host` is the host name its `.work` link wants).
fn dotbot_repo(w: &World, host: &str) {
    for (file, text) in [
        ("config/foo/a", "a"),
        ("config/bar/b", "b"),
        ("config/bar/c", "c"),
        ("conf/apple", "apple"),
        ("conf/.apple", "hidden apple"),
        ("deep/x/y/a", "a"),
        ("deep/x/y/b", "b"),
        ("dots/.p", "p"),
        ("dots/q", "q"),
        ("tmux.conf", "t"),
        ("vimrc", "v"),
        ("work", "w"),
        ("envfile", "e"),
        ("a{b}", "braces"),
        ("c$-d", "dollar"),
    ] {
        w.repo_file(file, text);
    }
    w.repo_file(
        "install.conf.yaml",
        &format!(
            r#"- defaults:
    link:
      glob: true
      create: true
- link:
    ~/.config/: config/*/*
    ~/globtest: conf/*
    ~/dots/: dots/.*
    ~/.deep/:
      path: deep/**
      exclude: [deep/**/b]
    ~/.tmux.conf:
      path: tmux.conf
      backup: true
    ~/.vimrc:
      path: vimrc
      if: command -v sh >/dev/null 2>&1
    ~/.work:
      path: work
      if: '[ "$(hostname -s)" = {host} ] && [ "$(uname)" = Linux ]'
    ~/.envfile:
      path: envfile
      if: '[ "$PROFILE" = "home" ]'
    ~/.a{{b}}: a{{b}}
    ~/.c$-d: c$-d
"#
        ),
    );
}

/// What `dotbot_repo` links, by hand.
const DOTBOT_HAND: &str = r#"version = 1
[links]
"~/.config/foo/a" = "config/foo/a"
"~/.config/bar/b" = "config/bar/b"
"~/.config/bar/c" = "config/bar/c"
"~/globtest/apple" = "conf/apple"
"~/dots/.p" = "dots/.p"
"~/.deep/x/y/a" = "deep/x/y/a"
"~/.a{{b}}" = "a{{b}}"
"~/.c$$-d" = "c$$-d"
[[link]]
at = "~/.tmux.conf"
to = "tmux.conf"
on_conflict = "backup"
[[link]]
at = "~/.vimrc"
to = "vimrc"
when = { cmd = "sh" }
[[link]]
at = "~/.work"
to = "work"
when = { os = "linux", host = "linkfile-test" }
[[link]]
at = "~/.envfile"
to = "envfile"
when = { env = { PROFILE = "home" } }
"#;

/// dotbot's globs as dotbot expands them: a match keeps its path below the pattern's fixed
/// folder (`config/*/*` → `~/.config/foo/a`), `*` skips hidden names unless the pattern's part
/// starts with `.`, `**` links files only; `backup` is `on_conflict = "backup"`; `if` tests that
/// `when` can say (a program on PATH, the host, an environment variable's value, `uname`,
/// joined by `&&`) become `when`; names with `$`, `{`, `}` are written escaped.
#[test]
fn from_dotbot_expands_globs_as_dotbot_and_says_more_conditions_with_when() {
    let w = World::new();
    dotbot_repo(&w, "linkfile-test");
    let r = w.run(&["init", "--from-dotbot", "install.conf.yaml"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stderr, "", "everything translates");
    let text = fs::read_to_string(w.repo.join("linkfile.toml")).unwrap();
    for want in [
        "on_conflict = \"backup\"",
        "when = { cmd = \"sh\" }",
        "when = { os = \"linux\", host = \"linkfile-test\" }",
        "when = { env = { PROFILE = \"home\" } }",
        "\"~/.a{{b}}\" = \"a{{b}}\"",
        "# dotbot: if: command -v sh >/dev/null 2>&1\n[[link]]",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    w.repo_file("hand.toml", DOTBOT_HAND);
    assert_eq!(
        plan_of(&w, &w.repo.join("linkfile.toml")),
        plan_of(&w, &w.repo.join("hand.toml"))
    );
}

/// stow packages and files whose names hold `$`, `{`, `}` or glob characters: the manifest
/// escapes them (`$$`, `{{`, `}}`) and the `ignore` globs made from names match those names
/// only, so nothing is linked twice.
#[test]
fn from_stow_escapes_names_the_manifest_or_a_glob_would_read_otherwise() {
    let w = World::new();
    w.repo_file("we{ird}/dot-x$y", "x\n")
        .repo_file("we{ird}/.plain{1}", "p\n")
        .repo_file("we{ird}/dot-a[1]", "a\n")
        .repo_file("we{ird}/dot-a1", "not the other\n");
    let r = w.run(&["init", "--from-stow", "--dotfiles"]);
    assert_eq!(r.code, 0, "{r:?}");
    w.repo_file(
        "hand.toml",
        r#"version = 1
[links]
"~/.x$$y" = "we{{ird}}/dot-x$$y"
"~/.a[1]" = "we{{ird}}/dot-a[1]"
"~/.a1" = "we{{ird}}/dot-a1"
"~/.plain{{1}}" = "we{{ird}}/.plain{{1}}"
"#,
    );
    let generated = plan_of(&w, &w.repo.join("linkfile.toml"));
    assert_eq!(generated, plan_of(&w, &w.repo.join("hand.toml")));
    assert_eq!(generated.len(), 4, "{generated:?}");
}

/// Every link in the home below `dir`, as `/`-separated paths relative to the home.
#[cfg(unix)]
fn links_in(w: &World) -> Vec<String> {
    let mut found = Vec::new();
    for e in walkdir::WalkDir::new(&w.home).min_depth(1) {
        let e = e.unwrap();
        if e.path_is_symlink() {
            let rel = e.path().strip_prefix(&w.home).unwrap();
            found.push(rel.to_string_lossy().into_owned());
        }
    }
    found.sort();
    found
}

/// The real GNU Stow (where installed; `.ci/run` installs it) links the stow-style example,
/// with files its ignore lists leave out added to the packages: the manifest `init --from-stow`
/// writes wants exactly the links stow made (`stow --no-folding`, as `each` makes real
/// folders), and plans each as `ok` (stow's relative links are claimed as they are).
#[cfg(unix)]
#[test]
fn from_stow_wants_exactly_the_links_the_real_stow_makes() {
    crate::require_symlinks!();
    if std::process::Command::new("stow")
        .arg("--version")
        .output()
        .is_err()
    {
        crate::skip!(Setup, "stow is not installed");
    }
    for dotfiles in [false, true] {
        let w = World::new();
        example(&w, "stow-style");
        fs::remove_file(w.repo.join("hand.toml")).unwrap();
        // What stow's default list leaves out, at the root and deeper, and what it keeps.
        w.repo_file("git/LICENSE", "l\n")
            .repo_file("git/COPYING", "c\n")
            .repo_file("git/.gitignore", "g\n")
            .repo_file("bash/.bashrc~", "backup\n")
            .repo_file("bash/#.bashrc#", "autosave\n")
            .repo_file("bash/.#lock", "lock\n")
            .repo_file("nvim/.config/nvim/README.md", "kept: not at the root\n")
            .repo_file("nvim/.config/nvim/CVS/Entries", "cvs\n")
            .repo_file("nvim/.config/nvim/x.swp~", "backup\n")
            // A package with its own list (stow's defaults then do not apply to it).
            .repo_file("tmux/.tmux.conf", "t\n")
            .repo_file("tmux/notes.txt", "left out\n")
            .repo_file("tmux/README", "kept: not in the local list\n")
            .repo_file("tmux/.stow-local-ignore", "notes\\.txt\n");
        if dotfiles {
            w.repo_file("zsh/dot-zshrc", "z\n")
                .repo_file("zsh/dot-zshenv", "e\n");
        }
        let mut stow = std::process::Command::new("stow");
        stow.arg("-d")
            .arg(&w.repo)
            .arg("-t")
            .arg(&w.home)
            .arg("--no-folding")
            .env("HOME", &w.home);
        if dotfiles {
            stow.arg("--dotfiles");
        }
        let packages = ["bash", "git", "nvim", "tmux"];
        stow.args(packages);
        if dotfiles {
            stow.arg("zsh");
        }
        stow.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let out = crate::harness::spawn(&mut stow).wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let stowed = links_in(&w);
        assert!(
            stowed.contains(&".config/nvim/README.md".to_string()),
            "{stowed:?}"
        );
        assert!(stowed.contains(&"README".to_string()), "{stowed:?}");

        let mut init = vec!["init", "--from-stow"];
        if dotfiles {
            init.push("--dotfiles");
        }
        let r = w.run(&init);
        assert_eq!(r.code, 0, "{r:?}");
        let plan = plan_of(&w, &w.repo.join("linkfile.toml"));
        let home = format!("{}/", w.home.display());
        let mut wanted: Vec<String> = plan
            .iter()
            .map(|e| e.0.strip_prefix(&home).unwrap().to_string())
            .collect();
        wanted.sort();
        assert_eq!(wanted, stowed, "dotfiles={dotfiles}");
        assert!(
            plan.iter().all(|e| e.2 == "ok"),
            "stow's links are ok as they are: {plan:?}"
        );
    }
}

/// dotbot itself: `target/dotbot-venv/bin/dotbot` (`.ci/run` installs it there), else
/// `dotbot` on PATH.
#[cfg(unix)]
fn dotbot() -> Option<std::path::PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/dotbot-venv/bin/dotbot");
    if venv.is_file() {
        return Some(venv);
    }
    let on_path = std::process::Command::new("dotbot")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    on_path.then(|| "dotbot".into())
}

/// The real dotbot (where installed) runs `dotbot_repo`'s config: the manifest `init
/// --from-dotbot` writes wants exactly the links dotbot made — its globs, `backup`, and each
/// `if` (a program, a host that is not this one, a variable, `uname`) decided the same way —
/// and plans each as `ok` (dotbot's absolute links are claimed as they are).
#[cfg(unix)]
#[test]
fn from_dotbot_wants_exactly_the_links_the_real_dotbot_makes() {
    crate::require_symlinks!();
    let Some(dotbot) = dotbot() else {
        crate::skip!(
            Setup,
            "dotbot is not installed (.ci/run installs it in target/dotbot-venv)"
        );
    };
    let mut w = World::new();
    dotbot_repo(&w, "not-this-host");
    w.set_env("PATH", &std::env::var("PATH").unwrap_or_default())
        .set_env("PROFILE", "home");
    let mut cmd = std::process::Command::new(dotbot);
    cmd.args(["-q", "-c", "install.conf.yaml", "-d"])
        .arg(&w.repo)
        .current_dir(&w.repo)
        .env("HOME", &w.home)
        .env("PROFILE", "home")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let out = crate::harness::spawn(&mut cmd).wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let made = links_in(&w);
    assert!(made.contains(&".config/foo/a".to_string()), "{made:?}");
    assert!(made.contains(&".envfile".to_string()), "{made:?}");
    assert!(!made.contains(&".work".to_string()), "{made:?}");

    let r = w.run(&["init", "--from-dotbot", "install.conf.yaml"]);
    assert_eq!(r.code, 0, "{r:?}");
    let plan = plan_of(&w, &w.repo.join("linkfile.toml"));
    let home = format!("{}/", w.home.display());
    let mut wanted: Vec<String> = plan
        .iter()
        .map(|e| e.0.strip_prefix(&home).unwrap().to_string())
        .collect();
    wanted.sort();
    assert_eq!(wanted, made);
    assert!(
        plan.iter().all(|e| e.2 == "ok"),
        "dotbot's links are ok as they are: {plan:?}"
    );
}

/// `-m PATH` says where `init` writes the manifest (and the schema beside it); stow packages
/// are folders of that manifest's folder, and a dotbot config's paths become relative to it.
/// Nothing is written in the current folder.
#[test]
fn init_writes_where_dash_m_says() {
    let w = World::new();
    let sub = w.repo.join("sub");
    w.repo_file("sub/git/.gitconfig", "[user]\n")
        .repo_file("sub/vimrc", "v\n")
        .repo_file("sub/install.conf.yaml", "- link:\n    ~/.vimrc: vimrc\n");
    let before = crate::harness::snapshot_of(&w.repo);
    let r = w.run(&["-m", "sub/linkfile.toml", "init"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(sub.join("linkfile.toml").is_file());
    assert!(sub.join("linkfile.schema.json").is_file());
    assert!(!w.repo.join("linkfile.toml").exists());
    let r = w.run(&["-m", "sub/linkfile.toml", "init"]);
    assert_eq!(r.code, 1, "never over a manifest: {r:?}");
    fs::remove_file(sub.join("linkfile.toml")).unwrap();

    let r = w.run(&["-m", "sub/linkfile.toml", "init", "--from-stow"]);
    assert_eq!(r.code, 0, "{r:?}");
    let plan = plan_of(&w, &sub.join("linkfile.toml"));
    // (Windows paths compared with `/`.)
    let slashed = |p: &str| p.replace('\\', "/");
    let ats: Vec<(String, String)> = plan
        .iter()
        .map(|e| (slashed(&e.0), slashed(&e.3)))
        .collect();
    assert_eq!(
        ats,
        [(
            slashed(&w.home.join(".gitconfig").to_string_lossy()),
            slashed(&sub.join("git/.gitconfig").to_string_lossy())
        )]
    );
    fs::remove_file(sub.join("linkfile.toml")).unwrap();

    let r = w.run(&[
        "-m",
        "sub/linkfile.toml",
        "init",
        "--from-dotbot",
        "sub/install.conf.yaml",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let text = fs::read_to_string(sub.join("linkfile.toml")).unwrap();
    assert!(text.contains("\"~/.vimrc\" = \"vimrc\""), "{text}");
    fs::remove_file(sub.join("linkfile.toml")).unwrap();
    fs::remove_file(sub.join("linkfile.schema.json")).unwrap();
    assert_eq!(before, crate::harness::snapshot_of(&w.repo));
}

/// `.stowrc` (the stow directory's, and the home's) is read as stow reads it: `--target`,
/// `--dotfiles` and `--ignore` (a regexp matched at a path's end) shape the manifest, and the
/// real stow, run with no options of its own, makes exactly the links it wants; a stow
/// directory in the home whose parent is the home needs no note.
#[cfg(unix)]
#[test]
fn from_stow_reads_stowrc_as_the_real_stow_does() {
    crate::require_symlinks!();
    if std::process::Command::new("stow")
        .arg("--version")
        .output()
        .is_err()
    {
        crate::skip!(Setup, "stow is not installed");
    }
    let w = World::new();
    let dir = w.home.join("dotfiles");
    for (file, text) in [
        (
            ".stowrc",
            "--target=~/cfg --dotfiles\n--ignore=\\.swp --no-folding\n",
        ),
        ("p/dot-foo", "foo"),
        ("p/a.swp", "ignored"),
        ("p/sub/b.swp", "ignored"),
        ("p/c.swpx", "kept"),
        ("p/d.bak", "ignored by ~/.stowrc"),
        ("p/sub/e", "kept"),
    ] {
        crate::harness::write(&dir.join(file), text);
    }
    w.home_file(".stowrc", "--ignore=\\.bak\n");
    fs::create_dir(w.home.join("cfg")).unwrap();
    let mut stow = std::process::Command::new("stow");
    stow.arg("p")
        .current_dir(&dir)
        .env("HOME", &w.home)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let out = crate::harness::spawn(&mut stow).wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stowed = links_in(&w);
    assert_eq!(stowed, ["cfg/.foo", "cfg/c.swpx", "cfg/sub/e"]);

    let m = dir.join("linkfile.toml").to_string_lossy().into_owned();
    let r = w.run_in(&dir, &["-m", &m, "init", "--from-stow"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stderr, "", "everything translates");
    let plan = plan_of(&w, &dir.join("linkfile.toml"));
    let home = format!("{}/", w.home.display());
    let mut wanted: Vec<String> = plan
        .iter()
        .map(|e| e.0.strip_prefix(&home).unwrap().to_string())
        .collect();
    wanted.sort();
    assert_eq!(wanted, stowed);
    assert!(plan.iter().all(|e| e.2 == "ok"), "{plan:?}");
}

/// A dotbot config in a folder below the manifest's: its paths get that folder before them,
/// written escaped when its name holds `{`, `}` or `$`.
#[test]
fn from_dotbot_in_a_folder_below_writes_its_name_escaped() {
    let w = World::new();
    w.repo_file("d{1}/vimrc", "v\n")
        .repo_file("d{1}/install.conf.yaml", "- link:\n    ~/.vimrc: vimrc\n");
    let r = w.run(&["init", "--from-dotbot", "d{1}/install.conf.yaml"]);
    assert_eq!(r.code, 0, "{r:?}");
    let text = fs::read_to_string(w.repo.join("linkfile.toml")).unwrap();
    assert!(text.contains("\"~/.vimrc\" = \"d{{1}}/vimrc\""), "{text}");
    let plan = plan_of(&w, &w.repo.join("linkfile.toml"));
    assert_eq!(plan.len(), 1, "{plan:?}");
    assert!(
        plan[0].3.replace('\\', "/").ends_with("d{1}/vimrc"),
        "{plan:?}"
    );
}
