//! `init --from-dotbot`: a dotbot config's `link` directives as manifest entries.
//!
//! Both forms are read: `~/.vimrc: vimrc` and the long form (`path`, `glob`, `exclude`,
//! `prefix`, `relative`, `create`, `force`, `backup`, `relink`, `if`, `type`), with
//! `defaults.link`. `glob` is expanded over the repo now, one entry per match, as dotbot (Python's
//! `glob`) expands it: `*` skips hidden names unless the pattern's part starts with `.`, `**`
//! yields files only, and a match keeps its path below the pattern's fixed folder. `create` and
//! `relink` are what linkfile does anyway; `force` and `backup` become `on_conflict = "backup"`
//! (moved to the backup store, not deleted); an `if` that `when` can say (`uname`, the host
//! name, a variable's value, a program on PATH, joined by `&&`) becomes `when`. Anything else —
//! other directives, other conditions, options linkfile has no word for — is a note, and an
//! entry whose condition cannot be said is written commented out rather than made
//! unconditional. dotbot expands `$VAR` in both paths: written `${VAR}`; other `$`, `{`, `}`
//! are literal, written escaped.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};
use saphyr::{LoadableYamlNode, Yaml};

use super::{Condition, Generated, LongEntry, env_path, literal};
use crate::manifest::EntryKind;

/// What to translate.
pub(crate) struct Options<'a> {
    /// The folder the manifest is written in.
    pub dir: &'a Path,
    /// The dotbot config (its folder is dotbot's base directory).
    pub config: &'a Path,
    /// Its text (YAML, or JSON, which is YAML).
    pub text: &'a str,
}

/// One link's settings, from `defaults.link` and its own mapping.
#[derive(Debug, Default, Clone)]
struct Spec {
    path: Option<String>,
    glob: bool,
    relative: bool,
    /// `force` or `backup`: what is in the way goes (to linkfile's backup store).
    force: bool,
    hardlink: bool,
    condition: Option<String>,
    exclude: Vec<String>,
    prefix: String,
    /// Options linkfile has no word for, for the notes.
    unsupported: Vec<String>,
}

impl Spec {
    fn read(&mut self, map: &saphyr::Mapping, notes: &mut Vec<String>, place: &str) {
        for (k, v) in map {
            let key = k.as_str().unwrap_or_default();
            let on = v.as_bool().unwrap_or(false);
            match key {
                "path" => self.path = v.as_str().map(str::to_string),
                "glob" => self.glob = on,
                "relative" => self.relative = on,
                "force" | "backup" => self.force |= on,
                "create" | "relink" => {}
                "canonicalize" | "canonicalize-path" if on => {}
                "if" => self.condition = v.as_str().map(str::to_string),
                "prefix" => self.prefix = v.as_str().unwrap_or_default().to_string(),
                "exclude" => {
                    self.exclude = v
                        .as_sequence()
                        .map(|s| s.iter().filter_map(|x| x.as_str().map(str::to_string)))
                        .into_iter()
                        .flatten()
                        .collect()
                }
                "type" => match v.as_str() {
                    Some("hardlink") => self.hardlink = true,
                    Some("symlink") | None => {}
                    Some(other) => notes.push(format!("{place}: type {other} is not known")),
                },
                "ignore-missing" if on => self.unsupported.push(
                    "ignore-missing (linkfile never makes a link to a missing original)".into(),
                ),
                "canonicalize" | "canonicalize-path" | "ignore-missing" => {}
                other => self.unsupported.push(other.to_string()),
            }
        }
    }
}

/// The manifest for a dotbot config. Errors: the config is not YAML/JSON, or not a list of
/// directives, or lies outside the folder the manifest is written in.
pub(crate) fn generate(opts: &Options) -> Result<Generated, String> {
    let name = opts
        .config
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let docs = Yaml::load_from_str(opts.text).map_err(|e| format!("{name} is not YAML: {e}"))?;
    let directives = docs
        .first()
        .and_then(Yaml::as_sequence)
        .ok_or_else(|| format!("{name} is not a list of dotbot directives"))?;
    let base = opts.config.parent().unwrap_or(Path::new("."));
    let prefix = prefix(base, opts.dir, &name)?;
    let mut g = Generated::default();
    g.header.push(format!(
        "Translated from dotbot's {name} by `linkfile init --from-dotbot`."
    ));
    let mut defaults = Spec::default();
    for directive in directives {
        let Some(map) = directive.as_mapping() else {
            g.notes
                .push(format!("a directive that is not a mapping: {directive:?}"));
            continue;
        };
        for (k, v) in map {
            match k.as_str().unwrap_or_default() {
                "defaults" => {
                    if let Some(m) = v
                        .as_mapping()
                        .and_then(|m| get(m, "link"))
                        .and_then(Yaml::as_mapping)
                    {
                        defaults.read(m, &mut g.notes, "defaults.link");
                    }
                }
                "link" => {
                    if let Some(links) = v.as_mapping() {
                        link_directive(&mut g, links, &defaults, base, &prefix);
                    }
                }
                "shell" => g.notes.push(
                    "the `shell` directive: linkfile makes links only; run those commands yourself"
                        .into(),
                ),
                "clean" => g.notes.push(
                    "the `clean` directive: linkfile removes the links it made once the manifest drops them (no scan for other dead links)"
                        .into(),
                ),
                "create" => g.notes.push(
                    "the `create` directive: linkfile makes the folders its links need, not empty ones"
                        .into(),
                ),
                other => g.notes.push(format!("the `{other}` directive")),
            }
        }
    }
    Ok(g)
}

/// The config's folder (dotbot's base directory) relative to `dir`, as a prefix for `to`
/// (`""` or `sub/`); an error when it lies outside `dir`.
fn prefix(base: &Path, dir: &Path, name: &str) -> Result<String, String> {
    match base.strip_prefix(dir) {
        Ok(p) if p.as_os_str().is_empty() => Ok(String::new()),
        Ok(p) => Ok(format!(
            "{}/",
            literal(&super::slashed(&p.to_string_lossy()))
        )),
        Err(_) => Err(format!(
            "{name} is outside {}, the manifest's folder: write the manifest in the config's folder (dotbot's base directory) or above it",
            dir.display()
        )),
    }
}

/// One `link` directive: each of its links over `defaults`.
fn link_directive(
    g: &mut Generated,
    links: &saphyr::Mapping,
    defaults: &Spec,
    base: &Path,
    prefix: &str,
) {
    for (target, spec) in links {
        let target = target.as_str().unwrap_or_default();
        let mut s = defaults.clone();
        match spec {
            _ if spec.is_null() => {}
            _ if spec.as_str().is_some() => s.path = spec.as_str().map(str::to_string),
            _ => match spec.as_mapping() {
                Some(m) => s.read(m, &mut g.notes, target),
                None => {
                    g.notes
                        .push(format!("{target}: a value dotbot does not know"));
                    continue;
                }
            },
        }
        link(g, base, prefix, target, s);
    }
}

fn get<'a>(m: &'a saphyr::Mapping<'a>, key: &str) -> Option<&'a Yaml<'a>> {
    m.iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// Adds the entries for one `link` item.
fn link(g: &mut Generated, base: &Path, prefix: &str, target: &str, s: Spec) {
    let at = env_path(target);
    if !(at.starts_with('~') || at.starts_with('/') || at.starts_with("${")) {
        g.notes.push(format!(
            "{target}: a link place relative to dotbot's base directory; write it as ~/... by hand"
        ));
        return;
    }
    for option in &s.unsupported {
        g.notes.push(format!("{target}: option {option}"));
    }
    let path = s.path.clone().unwrap_or_else(|| default_path(target));
    let mut entry = LongEntry {
        relative: s.relative.then_some(true),
        link_type: s.hardlink.then_some("hardlink"),
        on_conflict: s.force.then_some("backup"),
        ..LongEntry::default()
    };
    let mut comment = Vec::new();
    if let Some(cmd) = s.condition.as_deref() {
        comment.push(format!("dotbot: if: {cmd}"));
        match condition(cmd) {
            Some(when) => entry.when = Some(when),
            None => {
                g.notes.push(format!(
                    "{target}: the condition `{cmd}` (the entry is written commented out; say it with `when` by hand)"
                ));
                entry.disabled = true;
            }
        }
    }
    if s.force {
        comment.push(
            "dotbot force/backup: linkfile moves what is in the way to its backup store instead of deleting it"
                .into(),
        );
    }
    entry.comment = (!comment.is_empty()).then(|| comment.join("\n"));
    let at = at.trim_end_matches('/');
    let pattern = path.trim_start_matches("./").trim_end_matches('/');
    if !(s.glob && pattern.contains(['*', '?', '['])) {
        entry.at = at.to_string();
        entry.to = format!("{prefix}{}", env_path(pattern));
        g.push(entry);
        return;
    }
    let matches = expand_glob(base, pattern, &s.exclude);
    if matches.is_empty() {
        g.notes.push(format!(
            "{target}: the glob {path} matches nothing in the repo now"
        ));
    }
    for rel in matches {
        if rel.split('/').any(|seg| seg == ".git") {
            g.notes.push(format!(
                "{target}: the glob {path} matches {rel}, which linkfile never links (git's own folder)"
            ));
            continue;
        }
        let mut e = entry.clone();
        e.at = format!(
            "{at}/{}",
            literal(&format!("{}{}", s.prefix, glob_item(pattern, &rel)))
        );
        e.to = format!("{prefix}{}", literal(&rel));
        g.push(e);
    }
}

/// Where dotbot links the glob match `item` of `pattern`, below the link's place: its path
/// below the folder the two have in common (`config/*/*` and `config/foo/a` give `foo/a`).
fn glob_item(pattern: &str, item: &str) -> String {
    let common: String = pattern
        .chars()
        .zip(item.chars())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a)
        .collect();
    match common.rfind('/') {
        Some(i) => item[i + 1..].to_string(),
        None => item.to_string(),
    }
}

/// dotbot's default original for a place: its file name without the leading dot.
fn default_path(target: &str) -> String {
    let name = target
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(target);
    name.strip_prefix('.').unwrap_or(name).to_string()
}

/// The files and folders below `base` that dotbot's glob `pattern` yields, less those the
/// `exclude` globs yield, as `/`-separated paths, sorted.
fn expand_glob(base: &Path, pattern: &str, exclude: &[String]) -> Vec<String> {
    let Some(want) = PyGlob::new(pattern) else {
        return Vec::new();
    };
    let excluded: Vec<PyGlob> = exclude.iter().filter_map(|e| PyGlob::new(e)).collect();
    let mut out = Vec::new();
    for item in crate::observe::tree_walk(base).flatten() {
        let rel: PathBuf = item.path().strip_prefix(base).unwrap_or(item.path()).into();
        let rel = super::slashed(&rel.to_string_lossy());
        let kind = if crate::observe::walked_folder(&item) {
            EntryKind::Dir
        } else {
            EntryKind::File
        };
        if want.yields(&rel, kind) && !excluded.iter().any(|x| x.yields(&rel, kind)) {
            out.push(rel);
        }
    }
    out
}

/// A glob as Python's `glob.glob(pattern, recursive=True)` reads it, as dotbot calls it.
struct PyGlob {
    parts: Vec<Part>,
    /// A `**` part: dotbot keeps only the files it yields (unless the pattern ends with `/`).
    files_only: bool,
}

enum Part {
    /// `**`: any number of folders (none included), hidden ones excepted.
    Folders,
    /// One name: `fnmatch` (`*`, `?`, `[...]`; no braces), hidden names only when the part
    /// itself starts with `.`.
    Name { matcher: GlobMatcher, hidden: bool },
}

impl PyGlob {
    fn new(pattern: &str) -> Option<PyGlob> {
        let trimmed = pattern.trim_start_matches("./");
        let mut parts = Vec::new();
        for part in trimmed.trim_end_matches('/').split('/') {
            if part == "**" {
                parts.push(Part::Folders);
                continue;
            }
            // fnmatch has no braces and no `**` inside a name; `\` is not an escape.
            let glob: String = part
                .replace("**", "*")
                .chars()
                .map(|c| match c {
                    '{' | '}' => format!("[{c}]"),
                    c => c.to_string(),
                })
                .collect();
            let matcher = GlobBuilder::new(&glob)
                .literal_separator(true)
                .backslash_escape(false)
                .build()
                .ok()?
                .compile_matcher();
            parts.push(Part::Name {
                matcher,
                hidden: part.starts_with('.'),
            });
        }
        let files_only =
            parts.iter().any(|p| matches!(p, Part::Folders)) && !pattern.ends_with('/');
        Some(PyGlob { parts, files_only })
    }

    /// Whether the glob yields `rel` (`/`-separated, below the base folder).
    fn yields(&self, rel: &str, kind: EntryKind) -> bool {
        let names: Vec<&str> = rel.split('/').collect();
        (kind == EntryKind::File || !self.files_only) && matches(&self.parts, &names)
    }
}

fn matches(parts: &[Part], names: &[&str]) -> bool {
    let Some((part, rest)) = parts.split_first() else {
        return names.is_empty();
    };
    match part {
        Part::Folders => {
            matches(rest, names)
                || names
                    .split_first()
                    .is_some_and(|(n, more)| !n.starts_with('.') && matches(parts, more))
        }
        Part::Name { matcher, hidden } => names.split_first().is_some_and(|(n, more)| {
            matcher.is_match(n) && (*hidden || !n.starts_with('.')) && matches(rest, more)
        }),
    }
}

/// The `when` an `if` command says, when it can be said: clauses joined by `&&`, each one of
/// `uname` compared with `Darwin`/`Linux` (`when.os`), the host name compared with a name
/// (`when.host`), `$VAR` compared with a value (`when.env`), or `command -v`/`which`/`hash`/`type`
/// of a program (`when.cmd`); output thrown away (`>/dev/null 2>&1`) is allowed. Each condition
/// at most once.
pub(crate) fn condition(cmd: &str) -> Option<Condition> {
    let mut when = Condition::default();
    for clause in cmd.split("&&") {
        let clause = quiet(clause);
        if let Some(program) = program_test(&clause) {
            if when.cmd.replace(program).is_some() {
                return None;
            }
            continue;
        }
        let (lhs, rhs) = comparison(&clause)?;
        if let Some(os) = os_name(&lhs, &rhs) {
            if when.os.replace(os).is_some() {
                return None;
            }
        } else if HOSTNAME.contains(&lhs.as_str()) && plain(&rhs) {
            if when.host.replace(rhs).is_some() {
                return None;
            }
        } else if let Some(var) = variable(&lhs)
            && !rhs.is_empty()
            && !rhs.contains(['$', '`', '*', '?', '['])
            && !when.env.iter().any(|(k, _)| *k == var)
        {
            when.env.push((var, rhs));
        } else {
            return None;
        }
    }
    Some(when)
}

/// `uname` as a test writes it.
const UNAME: [&str; 4] = ["$(uname)", "$(uname -s)", "`uname`", "`uname -s`"];
/// The host name as a test writes it.
const HOSTNAME: [&str; 6] = [
    "$(hostname)",
    "$(hostname -s)",
    "`hostname`",
    "`hostname -s`",
    "$HOSTNAME",
    "${HOSTNAME}",
];

fn os_name(lhs: &str, rhs: &str) -> Option<&'static str> {
    if !UNAME.contains(&lhs) {
        return None;
    }
    match rhs {
        "Darwin" => Some("macos"),
        "Linux" => Some("linux"),
        _ => None,
    }
}

/// A host name, with nothing a shell pattern would read.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

/// `$VAR` or `${VAR}`: the variable's name.
fn variable(s: &str) -> Option<String> {
    let name = s.strip_prefix('$')?;
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    let ok = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then(|| name.to_string())
}

/// A clause without the redirections that only silence it.
fn quiet(clause: &str) -> String {
    let mut text = format!(" {} ", clause.trim());
    for r in [
        "&>/dev/null",
        ">&/dev/null",
        "2>&1",
        "1>/dev/null",
        "2>/dev/null",
        ">/dev/null",
        "2> /dev/null",
        "> /dev/null",
    ] {
        text = text.replace(&format!(" {r} "), " ");
    }
    text.trim().to_string()
}

/// `command -v X`, `which X`, `hash X`, `type X`: the program X.
fn program_test(clause: &str) -> Option<String> {
    let words: Vec<&str> = clause.split_whitespace().collect();
    let program = match words.as_slice() {
        ["command", "-v", p] | ["which", p] | ["hash", p] | ["type", p] => *p,
        _ => return None,
    };
    let program = program.trim_matches(|c| c == '"' || c == '\'');
    let ok = !program.is_empty()
        && program
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '+'));
    ok.then(|| program.to_string())
}

/// `[ A = B ]`, `[ A == B ]`, `[[ A == B ]]`, `test A = B`: A and B, unquoted.
fn comparison(clause: &str) -> Option<(String, String)> {
    let text: String = clause
        .chars()
        .filter(|c| !matches!(c, '"' | '\''))
        .collect();
    let text = text.trim();
    let inner = text
        .strip_prefix("[[")
        .and_then(|t| t.strip_suffix("]]"))
        .or_else(|| text.strip_prefix('[').and_then(|t| t.strip_suffix(']')))
        .or_else(|| text.strip_prefix("test "))?
        .trim();
    let (lhs, rhs) = inner
        .split_once(" == ")
        .or_else(|| inner.split_once(" = "))?;
    Some((lhs.trim().to_string(), rhs.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_when_can_say() {
        let os = |os| {
            Some(Condition {
                os: Some(os),
                ..Condition::default()
            })
        };
        assert_eq!(condition(r#"[ "$(uname)" = Darwin ]"#), os("macos"));
        assert_eq!(condition("[ `uname -s` == Linux ]"), os("linux"));
        assert_eq!(condition(r#"test "$(uname)" = "Linux""#), os("linux"));
        assert_eq!(condition("[[ $(uname) == Darwin ]]"), os("macos"));
        let cmd = condition("command -v nvim >/dev/null 2>&1").unwrap();
        assert_eq!(cmd.cmd.as_deref(), Some("nvim"));
        assert_eq!(
            condition("which fish").unwrap().cmd.as_deref(),
            Some("fish")
        );
        let all = condition(
            r#"[ "$(hostname -s)" = work ] && [ "$PROFILE" = home ] && hash git 2>/dev/null"#,
        )
        .unwrap();
        assert_eq!(all.host.as_deref(), Some("work"));
        assert_eq!(all.env, [("PROFILE".to_string(), "home".to_string())]);
        assert_eq!(all.cmd.as_deref(), Some("git"));
        for cannot in [
            r#"[ "$(uname)" != Darwin ]"#,
            "[ $(uname) = FreeBSD ]",
            "[ -d /opt/homebrew ]",
            r#"[ -n "$WSL_DISTRO_NAME" ]"#,
            "[[ $(hostname) == work* ]]",
            r#"[ "$X" = "" ]"#,
            "command -v nvim || command -v vim",
            "which nvim && which vim",
            "[ $(uname) = Linux ] && [ $(uname -s) = Linux ]",
            "command -v $EDITOR",
        ] {
            assert_eq!(condition(cannot), None, "{cannot}");
        }
    }

    #[test]
    fn globs_as_python_expands_them() {
        let yields = |pattern: &str, rel: &str, is_file: bool| {
            let kind = if is_file {
                EntryKind::File
            } else {
                EntryKind::Dir
            };
            PyGlob::new(pattern).unwrap().yields(rel, kind)
        };
        assert!(yields("conf/*", "conf/apple", true));
        assert!(!yields("conf/*", "conf/.apple", true));
        assert!(yields("conf/.*", "conf/.apple", true));
        assert!(!yields("conf/.*", "conf/apple", true));
        assert!(yields("conf/[bc]*", "conf/banana", true));
        assert!(!yields("conf/[bc]*", "conf/apple", true));
        assert!(yields("config/*/*", "config/foo/a", true));
        assert!(yields("config/*", "config/foo", false));
        assert!(yields("config/**", "config/foo/bar/a", true));
        assert!(!yields("config/**", "config/foo/bar", false));
        assert!(!yields("config/**", "config/.hidden/a", true));
        assert!(yields("config/**/b", "config/b", true));
        assert!(yields("a{b}/*", "a{b}/x", true));
        assert_eq!(glob_item("config/*/*", "config/foo/a"), "foo/a");
        assert_eq!(glob_item("config/**", "config/foo/bar/a"), "foo/bar/a");
        assert_eq!(glob_item("bin/a*", "bin/apple"), "apple");
        assert_eq!(glob_item(".*", ".a"), ".a");
        assert_eq!(glob_item("bin/.*", "bin/.a"), ".a");
    }

    #[test]
    fn places_and_default_originals() {
        assert_eq!(env_path("$HOME/.x/${A}"), "${HOME}/.x/${A}");
        assert_eq!(env_path("a{b}$-c$"), "a{{b}}$$-c$$");
        assert_eq!(env_path("${not closed"), "$${{not closed");
        assert_eq!(default_path("~/.vimrc"), "vimrc");
        assert_eq!(default_path("~/.config/nvim/"), "nvim");
    }
}
