//! Resolution as tables: manifest text and machine in, links or errors out. No filesystem:
//! the repo is `/r`, the home `/h`, and what "exists" is a fixed list.

use std::path::{Path, PathBuf};

use super::*;

/// The machine a table row resolves on.
struct Machine {
    os: Os,
    env: &'static [(&'static str, &'static str)],
    isolated: bool,
}

const LINUX: Machine = Machine {
    os: Os::LINUX,
    env: &[("EDITOR", "vim"), ("XDG_CONFIG_HOME", "/x/config")],
    isolated: false,
};

impl Machine {
    fn on(os: Os) -> Machine {
        Machine { os, ..LINUX }
    }
}

/// The paths that exist, for the hints of errors.
fn exists(p: &Path) -> bool {
    ["/r/vim/vimrc", "/r/.vimrc"]
        .iter()
        .any(|e| p == Path::new(e))
}

/// Resolves `body`, the manifest after its `version = 1` line.
fn resolve_on(body: &str, m: &Machine) -> Result<Resolved, Vec<Diagnostic>> {
    let text = &format!("version = 1\n{body}");
    let manifest = crate::manifest::parse(Path::new("linkfile.toml"), text)?;
    let env = |k: &str| {
        m.env
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    };
    let cx = Context {
        manifest_path: Path::new("linkfile.toml"),
        text,
        repo: Path::new("/r"),
        home: Path::new("/h"),
        env: &env,
        os: m.os,
        host: "laptop",
        isolated: m.isolated,
        state: Path::new("/h/.local/state/linkfile"),
        on_path: |p, _| p == "nvim",
        exists,
    };
    resolve(&manifest, &cx)
}

/// The `at` and `to` of every link, or the first error's message.
fn places(text: &str, m: &Machine) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    match resolve_on(text, m) {
        Ok(r) => Ok(r.links.into_iter().map(|d| (d.at, d.to)).collect()),
        Err(e) => Err(e[0].message.clone()),
    }
}

/// The first error's message and hint.
fn error(text: &str, m: &Machine) -> (String, String) {
    let e = resolve_on(text, m).expect_err(text);
    (e[0].message.clone(), e[0].hint.clone().unwrap_or_default())
}

fn link(at: &str, to: &str) -> Vec<(PathBuf, PathBuf)> {
    vec![(PathBuf::from(at), PathBuf::from(to))]
}

#[test]
fn a_junction_is_accepted_on_windows_and_refused_elsewhere() {
    let text = "[[link]]\nat = \"~/nvim\"\nto = \"nvim\"\nlink_type = \"junction\"\n";
    assert_eq!(
        places(text, &Machine::on(Os::WINDOWS)),
        Ok(link("/h/nvim", "/r/nvim"))
    );
    for os in [Os::LINUX, Os::MACOS] {
        let (message, _) = error(text, &Machine::on(os));
        assert_eq!(
            message,
            format!(
                "link_type = \"junction\" exists only on Windows, not on {}",
                os.name()
            )
        );
    }
    let defaults = "[defaults]\nlink_type = \"junction\"\n[links]\n\"~/nvim\" = \"nvim\"\n";
    assert!(places(defaults, &Machine::on(Os::WINDOWS)).is_ok());
    assert!(places(defaults, &LINUX).is_err());
}

#[test]
fn tilde_backslash_is_the_home_on_windows_only() {
    let text = "[links]\n'~\\x' = \"x\"\n";
    assert_eq!(
        places(text, &Machine::on(Os::WINDOWS)),
        Ok(link("/h\\x", "/r/x"))
    );
    let (message, _) = error(text, &LINUX);
    assert_eq!(
        message,
        "`at` must be an absolute path or start with ~, not `~\\x`"
    );
}

#[test]
fn a_windows_path_is_named_as_one_off_windows() {
    let text = "[links]\n\"C:/Users/me/.vimrc\" = \"vim/vimrc\"\n";
    let (_, hint) = error(text, &LINUX);
    assert!(
        hint.starts_with("`C:/Users/me/.vimrc` is a Windows path: on linux"),
        "{hint}"
    );
    // On Windows the path is absolute: no such hint (here, on a Unix host, it only parses
    // as relative).
    assert_eq!(foreign_start_hint("C:/Users/me/.vimrc", Os::WINDOWS), None);
    assert!(foreign_start_hint("C:\\Users\\me", Os::MACOS).is_some());
    // A drive letter needs a separator after it.
    assert_eq!(foreign_start_hint("C:x", Os::LINUX), None);
}

#[test]
fn places_differing_by_case_are_one_where_case_folds() {
    let text = "[links]\n\"~/.Vimrc\" = \"vim/vimrc\"\n\"~/.vimrc\" = \"vim/other\"\n";
    for (os, duplicate) in [(Os::LINUX, false), (Os::MACOS, true), (Os::WINDOWS, true)] {
        let got = places(text, &Machine::on(os));
        assert_eq!(
            got.as_ref().is_err_and(|e| e.starts_with("duplicate link")),
            duplicate,
            "{os:?}: {got:?}"
        );
    }
}

/// The `at` one short-form link expands to, on Linux, with `vars` as its `[vars]` lines.
fn at_of(vars: &str, at: &str) -> Result<PathBuf, String> {
    let text = format!("[vars]\n{vars}\n[links]\n'{at}' = \"x\"\n");
    places(&text, &LINUX).map(|links| links[0].0.clone())
}

#[test]
fn expansion_of_at() {
    // (vars, at, what it expands to)
    let table = [
        ("", "~/.vimrc", "/h/.vimrc"),
        ("", "${XDG_CONFIG_HOME}/nvim", "/x/config/nvim"),
        ("", "${NOPE:-~/.config}/nvim", "/h/.config/nvim"),
        ("", "${NOPE:-${ALSO_NOPE:-/d}}/x", "/d/x"),
        ("", "~/${EDITOR}rc", "/h/vimrc"),
        ("cfg = \"~/.config\"", "{cfg}/nvim", "/h/.config/nvim"),
        ("a = \"{b}/a\"\nb = \"~/b\"", "{a}/x", "/h/b/a/x"),
        ("", "~/a$$b", "/h/a$b"),
        ("", "~/{{x}}", "/h/{x}"),
        ("", "~/a}b", "/h/a}b"),
        ("", "~/./a/../b", "/h/b"),
    ];
    for (vars, at, expected) in table {
        assert_eq!(
            at_of(vars, at),
            Ok(PathBuf::from(expected)),
            "{vars:?} {at:?}"
        );
    }
}

#[test]
fn expansion_errors() {
    // (vars, at, error message)
    let table = [
        (
            "",
            "~bob/x",
            "`~bob` (another user's home folder) is not supported",
        ),
        ("", "~/${NOPE}", "environment variable `NOPE` is not set"),
        ("", "~/${}", "`${}` has no variable name"),
        (
            "",
            "~/${A-B}",
            "`A-B` is not a valid environment variable name",
        ),
        ("", "~/${EDITOR", "unclosed `${`"),
        ("", "~/$x", "a `$` must start `${NAME}`"),
        ("", "~/{x", "unclosed `{`"),
        ("", "~/{}", "`{}` has no variable name"),
        ("", "~/{nope}", "undefined variable `{nope}`"),
        ("a = \"{a}\"", "~/{a}", "variable `a` refers to itself"),
        (
            "a = \"{b}\"\nb = \"{a}\"",
            "~/{a}",
            "variables refer to each other in a cycle: a -> b -> a",
        ),
        ("", "", "`at` is empty"),
        ("e = \"\"", "{e}", "`at` expands to an empty path"),
        (
            "",
            "rel/x",
            "`at` must be an absolute path or start with ~, not `rel/x`",
        ),
        ("", "/", "`at` cannot be the root folder /"),
        ("", "~/../..", "`at` cannot be the root folder /"),
        ("", "~", "`at` is your home folder itself"),
        (
            "",
            "/r/x",
            "`at` is inside the repo (/r/x): the link would be written into your dotfiles",
        ),
    ];
    for (vars, at, expected) in table {
        assert_eq!(
            at_of(vars, at),
            Err(expected.to_string()),
            "{vars:?} {at:?}"
        );
    }
}

#[test]
fn an_unset_variable_in_a_var_no_link_uses_is_no_error() {
    let text = "[vars]\nwork = \"${WORK_DIR}\"\ncfg = \"~/.config\"\n[links]\n'{cfg}/x' = \"x\"\n";
    let r = resolve_on(text, &LINUX).unwrap();
    assert_eq!(
        r.vars,
        [
            ("cfg".to_string(), Ok("/h/.config".to_string())),
            (
                "work".to_string(),
                Err("environment variable `WORK_DIR` is not set".to_string())
            ),
        ]
    );
}

#[test]
fn under_a_given_home_the_home_variables_are_it() {
    let isolated = Machine {
        isolated: true,
        env: &[("HOME", "/real"), ("XDG_CONFIG_HOME", "/real/.config")],
        ..LINUX
    };
    let text = "[links]\n'${HOME}/a' = \"a\"\n'${XDG_CONFIG_HOME:-~/.cfg}/b' = \"b\"\n";
    assert_eq!(
        places(text, &isolated),
        Ok([link("/h/a", "/r/a"), link("/h/.cfg/b", "/r/b")].concat())
    );
}

#[test]
fn swapped_at_and_to_are_named_from_what_exists() {
    // (at, to, what the hint starts with); `/r/vim/vimrc` and `/r/.vimrc` exist.
    let table = [
        (
            "vim/vimrc",
            "~/.vimrc",
            "`vim/vimrc` exists in the repo: did you swap at and to?",
        ),
        (
            "vim/other",
            "~/.vimrc",
            "write \"~/vim/other\" for a path in your home folder",
        ),
        ("/r/x", ".vimrc", "`at` is where the link goes"),
        ("/r/x", "nothing", "did you swap at and to?"),
    ];
    for (at, to, hint) in table {
        let text = format!("[links]\n'{at}' = '{to}'\n");
        let (_, got) = error(&text, &LINUX);
        assert!(got.starts_with(hint), "{at} = {to}: {got}");
    }
    let (message, hint) = error("[[link]]\nat = '.vimrc'\nto = '../x'\n", &LINUX);
    assert_eq!(
        message,
        "`at` must be an absolute path or start with ~, not `.vimrc`"
    );
    assert!(hint.contains("did you swap"), "{hint}");
}

/// The messages of what `check_with_originals` finds, links given as (at, to, link type,
/// asserted type) and the originals' kinds.
fn original_errors(
    links: &[(&str, &str, LinkType, Option<EntryKind>)],
    kinds: &[Option<EntryKind>],
) -> Vec<String> {
    let text = "x".repeat(64);
    let desired: Vec<Desired> = links
        .iter()
        .enumerate()
        .map(|(i, (at, to, link_type, kind))| Desired {
            at: at.into(),
            to: to.into(),
            text: None,
            kind: *kind,
            at_span: i..i + 1,
            to_span: i..i + 1,
            on_conflict: OnConflict::Fail,
            link_type: *link_type,
            relative: false,
            extra: None,
        })
        .collect();
    let env = |_: &str| None;
    let cx = Context {
        manifest_path: Path::new("linkfile.toml"),
        text: &text,
        repo: Path::new("/r"),
        home: Path::new("/h"),
        env: &env,
        os: Os::LINUX,
        host: "laptop",
        isolated: false,
        state: Path::new("/s"),
        on_path: |_, _| false,
        exists,
    };
    match check_with_originals(&desired, kinds, &cx) {
        Ok(()) => Vec::new(),
        Err(e) => e.into_iter().map(|d| d.message).collect(),
    }
}

#[test]
fn what_the_originals_say() {
    use EntryKind::{Dir, File};
    use LinkType::{Hardlink, Junction, Symlink};
    let ok: &[&str] = &[];
    assert_eq!(
        original_errors(&[("/h/a", "/r/a", Symlink, Some(File))], &[Some(File)]),
        ok
    );
    assert_eq!(
        original_errors(&[("/h/a", "/r/a", Symlink, Some(File))], &[Some(Dir)]),
        ["`type` says file but /r/a is a dir"]
    );
    assert_eq!(
        original_errors(&[("/h/a", "/r/a", Hardlink, Some(File))], &[Some(Dir)]),
        [
            "/r/a is a folder, and a folder cannot be hard-linked",
            "`type` says file but /r/a is a dir"
        ]
    );
    assert_eq!(
        original_errors(&[("/h/a", "/r/a", Junction, None)], &[Some(File)]),
        ["/r/a is a file, and a junction can only point to a folder"]
    );
    // A missing original says nothing here.
    assert_eq!(
        original_errors(&[("/h/a", "/r/a", Hardlink, Some(File))], &[None]),
        ok
    );
}

#[test]
fn links_below_other_links() {
    use EntryKind::{Dir, File};
    use LinkType::Symlink;
    let nvim = ("/h/.config/nvim", "/r/nvim", Symlink, None);
    let init = ("/h/.config/nvim/init.vim", "/r/init.vim", Symlink, None);
    let got = original_errors(&[nvim, init], &[Some(Dir), Some(File)]);
    assert_eq!(got.len(), 1);
    assert!(
        got[0].starts_with("/h/.config/nvim/init.vim lies inside /h/.config/nvim"),
        "{got:?}"
    );
    let got = original_errors(&[nvim, init], &[Some(File), Some(File)]);
    assert_eq!(got.len(), 1);
    assert!(
        got[0].starts_with("/h/.config/nvim would be a link, and line 1 makes a folder there"),
        "{got:?}"
    );
    // Side by side is fine, and so is a name that only starts the same.
    let vim = ("/h/.config/nvim2", "/r/x", Symlink, None);
    let ok: &[&str] = &[];
    assert_eq!(original_errors(&[nvim, vim], &[Some(Dir), Some(File)]), ok);
}
