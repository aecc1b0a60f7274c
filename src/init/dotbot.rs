//! `init --from-dotbot`: a dotbot config's `link` directives as manifest entries.
//!
//! Both forms are read: `~/.vimrc: vimrc` and the long form (`path`, `glob`, `exclude`,
//! `prefix`, `relative`, `create`, `force`, `relink`, `if`, `type`), with `defaults.link`. `glob`
//! is expanded over the repo now, one entry per match (as dotbot links them: each match under
//! its own name in the target folder). `create` and `relink` are what linkfile does anyway;
//! `force` becomes `on_conflict = "backup"` (moved to the backup store, not deleted); an `if`
//! that tests `uname` becomes `when.os`. Anything else — other directives, other conditions,
//! options linkfile has no word for — is a note, and an entry whose condition cannot be said
//! is written commented out rather than made unconditional.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};
use saphyr::{LoadableYamlNode, Yaml};

use super::{Generated, LongEntry};

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
                "force" => self.force = on,
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
        Ok(p) => Ok(format!("{}/", p.to_string_lossy().replace('\\', "/"))),
        Err(_) => Err(format!(
            "{name} is outside {}: run init in its folder (dotbot's base directory) or above it",
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
    let at = dotbot_path(target);
    if !(at.starts_with('~') || at.starts_with('/') || at.starts_with("${")) {
        g.notes.push(format!(
            "{target}: a link place relative to dotbot's base directory; write it as ~/... by hand"
        ));
        return;
    }
    for option in &s.unsupported {
        g.notes.push(format!("{target}: option {option}"));
    }
    let when = match s.condition.as_deref() {
        None => Ok(None),
        Some(cmd) => match os_of(cmd) {
            Some(os) => Ok(Some(os.to_string())),
            None => Err(cmd.to_string()),
        },
    };
    let path = s.path.clone().unwrap_or_else(|| default_path(target));
    let mut entry = LongEntry {
        relative: s.relative.then_some(true),
        link_type: s.hardlink.then_some("hardlink"),
        on_conflict: s.force.then_some("backup"),
        when_os: when.clone().ok().flatten(),
        ..LongEntry::default()
    };
    if let Err(cmd) = &when {
        g.notes.push(format!(
            "{target}: the condition `{cmd}` (the entry is written commented out; say it with `when` by hand)"
        ));
        entry.disabled = true;
        entry.comment = Some(format!("dotbot: if: {cmd}"));
    } else if s.force {
        entry.comment = Some(
            "dotbot force: linkfile moves what is in the way to its backup store instead of deleting it"
                .into(),
        );
    }
    let wildcard = path.contains(['*', '?', '[']);
    if !(s.glob && wildcard) {
        entry.at = at.trim_end_matches('/').to_string();
        entry.to = format!("{prefix}{}", path.trim_end_matches('/'));
        g.push(entry);
        return;
    }
    let matches = expand_glob(base, &path, &s.exclude);
    if matches.is_empty() {
        g.notes.push(format!(
            "{target}: the glob {path} matches nothing in the repo now"
        ));
    }
    let star = path
        .find("**")
        .map(|i| path[..i].rfind('/').map_or(0, |j| j + 1));
    for rel in matches {
        // As dotbot: each match under its own name, or its path below the `**`.
        let name = match star {
            Some(cut) => rel[cut.min(rel.len())..].to_string(),
            None => rel.rsplit('/').next().unwrap_or(&rel).to_string(),
        };
        let mut e = entry.clone();
        e.at = format!("{}/{}{name}", at.trim_end_matches('/'), s.prefix);
        e.to = format!("{prefix}{rel}");
        g.push(e);
    }
}

/// A dotbot place with `$VAR` written as linkfile's `${VAR}`.
fn dotbot_path(p: &str) -> String {
    let mut out = String::new();
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$'
            && chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == '_')
        {
            let mut name = String::new();
            while let Some(n) = chars
                .peek()
                .filter(|n| n.is_ascii_alphanumeric() || **n == '_')
            {
                name.push(*n);
                chars.next();
            }
            out.push_str(&format!("${{{name}}}"));
        } else {
            out.push(c);
        }
    }
    out
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

/// The files and folders below `base` matching dotbot's glob `pattern` (`*` within a name,
/// `**` across folders), less the `exclude` globs, as `/`-separated paths, sorted.
fn expand_glob(base: &Path, pattern: &str, exclude: &[String]) -> Vec<String> {
    let matcher = |g: &str| -> Option<GlobMatcher> {
        let glob = GlobBuilder::new(g).literal_separator(true).build().ok()?;
        Some(glob.compile_matcher())
    };
    let Some(want) = matcher(pattern) else {
        return Vec::new();
    };
    let excluded: Vec<GlobMatcher> = exclude.iter().filter_map(|e| matcher(e)).collect();
    let mut out = Vec::new();
    for item in walkdir::WalkDir::new(base)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .flatten()
    {
        let rel: PathBuf = item.path().strip_prefix(base).unwrap_or(item.path()).into();
        let rel = rel.to_string_lossy().replace('\\', "/");
        if want.is_match(&rel) && !excluded.iter().any(|x| x.is_match(&rel)) {
            out.push(rel);
        }
    }
    out
}

/// The operating system an `if` command tests, when it is `uname` compared with a name:
/// `[ "$(uname)" = Darwin ]`, `` [ `uname -s` == Linux ] ``, `test "$(uname)" = "Linux"`.
pub(crate) fn os_of(cmd: &str) -> Option<&'static str> {
    let text: String = cmd.chars().filter(|c| !matches!(c, '"' | '\'')).collect();
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
    let lhs = lhs.trim();
    let uname = ["$(uname)", "$(uname -s)", "`uname`", "`uname -s`"];
    if !uname.contains(&lhs) {
        return None;
    }
    match rhs.trim() {
        "Darwin" => Some("macos"),
        "Linux" => Some("linux"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uname_tests_become_when_os() {
        assert_eq!(os_of(r#"[ "$(uname)" = Darwin ]"#), Some("macos"));
        assert_eq!(os_of("[ `uname -s` == Linux ]"), Some("linux"));
        assert_eq!(os_of(r#"test "$(uname)" = "Linux""#), Some("linux"));
        assert_eq!(os_of("[[ $(uname) == Darwin ]]"), Some("macos"));
        assert_eq!(os_of(r#"[ "$(uname)" != Darwin ]"#), None);
        assert_eq!(os_of("command -v nvim"), None);
        assert_eq!(os_of("[ $(hostname) = work ]"), None);
    }

    #[test]
    fn places_and_default_originals() {
        assert_eq!(dotbot_path("$HOME/.x/${A}"), "${HOME}/.x/${A}");
        assert_eq!(default_path("~/.vimrc"), "vimrc");
        assert_eq!(default_path("~/.config/nvim/"), "nvim");
    }
}
