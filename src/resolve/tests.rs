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
