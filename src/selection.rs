//! `--only` and `--except`: which entries an operation touches. Pure.
//!
//! A selector is a tag (`work`) or a path (`~/.config`, `./x`, `/etc/x`: anything with a `/`, or
//! starting with `~` or `.`), which chooses the links at or below it. An entry is chosen when
//! some `--only` selector matches it (or there is none) and no `--except` selector does. What is
//! not chosen is left exactly as it is: not applied, not pruned, not unlinked, and still owned.

use std::path::{Path, PathBuf};

use crate::paths::within;
use crate::platform::Os;

/// One `--only` or `--except` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selector {
    /// Entries with this tag.
    Tag(String),
    /// Links at or below this path (absolute, normalised).
    Path(PathBuf),
}

impl Selector {
    /// Reads a selector: a path when it looks like one, else a tag. `~` is the home; a relative
    /// path is taken from `cwd`.
    pub(crate) fn parse(text: &str, home: &Path, cwd: &Path) -> Selector {
        let is_path = text.contains('/')
            || text.contains(std::path::MAIN_SEPARATOR)
            || text.starts_with('~')
            || text.starts_with('.');
        if !is_path {
            return Selector::Tag(text.to_string());
        }
        let path = match text.strip_prefix('~') {
            Some(rest) => home.join(rest.trim_start_matches(['/', '\\'])),
            None => cwd.join(text),
        };
        Selector::Path(crate::paths::normalize(&path))
    }

    fn matches(&self, at: &Path, tags: &[String], os: Os) -> bool {
        match self {
            Selector::Tag(t) => tags.iter().any(|x| x == t),
            Selector::Path(p) => within(at, p, os),
        }
    }

    /// As the user wrote it, for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Selector::Tag(t) => t.clone(),
            Selector::Path(p) => p.display().to_string(),
        }
    }
}

/// What an operation touches.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    /// Chosen when one of these matches (every entry when empty).
    pub only: Vec<Selector>,
    /// Never chosen when one of these matches.
    pub except: Vec<Selector>,
    /// The system, for how paths compare.
    pub os: Os,
}

impl Selection {
    /// Whether every entry is chosen (no `--only`, no `--except`).
    pub(crate) fn is_all(&self) -> bool {
        self.only.is_empty() && self.except.is_empty()
    }

    /// Whether the link at `at`, with `tags`, is chosen.
    pub(crate) fn chooses(&self, at: &Path, tags: &[String]) -> bool {
        let os = self.os;
        (self.only.is_empty() || self.only.iter().any(|s| s.matches(at, tags, os)))
            && !self.except.iter().any(|s| s.matches(at, tags, os))
    }

    /// The selectors that match none of `places` (a link's place and tags): most likely a
    /// misspelt tag or path.
    pub(crate) fn unused<'a>(&self, places: &[(&'a Path, &'a [String])]) -> Vec<&Selector> {
        self.only
            .iter()
            .chain(&self.except)
            .filter(|s| !places.iter().any(|(at, tags)| s.matches(at, tags, self.os)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(only: &[&str], except: &[&str]) -> Selection {
        let (home, cwd) = (Path::new("/h"), Path::new("/h/repo"));
        Selection {
            only: only.iter().map(|s| Selector::parse(s, home, cwd)).collect(),
            except: except
                .iter()
                .map(|s| Selector::parse(s, home, cwd))
                .collect(),
            os: Os::HOST,
        }
    }

    #[test]
    fn tags_and_paths() {
        let work = vec!["work".to_string()];
        // Built as linkfile builds places (joined to the home, normalised), on every platform.
        let at = crate::paths::normalize(&Path::new("/h").join(".config").join("slack"));
        let at = at.as_path();
        assert!(sel(&[], &[]).chooses(at, &work));
        assert!(sel(&["work"], &[]).chooses(at, &work));
        assert!(!sel(&["gui"], &[]).chooses(at, &work));
        assert!(sel(&["~/.config"], &[]).chooses(at, &[]));
        assert!(
            !sel(&["~/.conf"], &[]).chooses(at, &[]),
            "a path, not a prefix"
        );
        assert!(!sel(&["~/.config"], &["work"]).chooses(at, &work));
        let x = crate::paths::normalize(&Path::new("/h/repo").join("x"));
        assert_eq!(sel(&["./x"], &[]).only[0], Selector::Path(x));
        let places = [(at, work.as_slice())];
        let s = sel(&["wrok", "~/.config"], &[]);
        assert_eq!(s.unused(&places), [&Selector::Tag("wrok".into())]);
    }
}
