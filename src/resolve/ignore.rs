//! An `each` entry's `ignore` globs (globset, relative to `to`, `/`-separated; `*` also matches
//! across folders; a final `/` for folders only, as in .gitignore), compiled once, here.

use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};

/// The compiled `ignore` list of one `each` entry.
#[derive(Debug, Clone)]
pub struct Ignore {
    /// The globs as written.
    patterns: Vec<String>,
    /// Those that match anything.
    any: GlobSet,
    /// Those written with a final `/`, which match folders only.
    folders: GlobSet,
}

/// Two lists are the same when they are written the same.
impl PartialEq for Ignore {
    fn eq(&self, other: &Ignore) -> bool {
        self.patterns == other.patterns
    }
}

impl Eq for Ignore {}

impl Default for Ignore {
    fn default() -> Ignore {
        Ignore {
            patterns: Vec::new(),
            any: GlobSet::empty(),
            folders: GlobSet::empty(),
        }
    }
}

impl Ignore {
    /// Compiles `patterns`; the globs that do not compile are left out and returned with why.
    pub fn compile(patterns: Vec<String>) -> (Ignore, Vec<(String, globset::ErrorKind)>) {
        let (mut any, mut folders) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        let mut invalid = Vec::new();
        for p in &patterns {
            match Glob::new(pattern(p)) {
                Ok(g) if p.len() > 1 && p.ends_with('/') => {
                    folders.add(g);
                }
                Ok(g) => {
                    any.add(g);
                }
                Err(e) => invalid.push((p.clone(), e.kind().clone())),
            }
        }
        let build = |b: GlobSetBuilder| b.build().unwrap_or_else(|_| GlobSet::empty());
        let ignore = Ignore {
            patterns,
            any: build(any),
            folders: build(folders),
        };
        (ignore, invalid)
    }

    /// The globs as written.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether the file (or link) at `rel` below `to` is left out.
    pub fn skips_file(&self, rel: &Path) -> bool {
        self.any.is_match(rel)
    }

    /// Whether the folder at `rel` below `to` is left out, with all it holds.
    pub fn skips_folder(&self, rel: &Path) -> bool {
        self.any.is_match(rel) || self.folders.is_match(rel)
    }
}

/// A glob as matched: paths are matched without a final `/` (`cache/` is the glob `cache`,
/// applied to folders only).
fn pattern(glob: &str) -> &str {
    match glob.trim_end_matches('/') {
        "" => glob,
        trimmed => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_left_out() {
        let (ignore, invalid) = Ignore::compile(
            ["*.swp", "cache/", "**/.DS_Store", "/"]
                .map(String::from)
                .to_vec(),
        );
        assert!(invalid.is_empty());
        // (path below `to`, is a folder, left out)
        let table = [
            ("x.swp", false, true),
            ("a/b/x.swp", false, true),
            ("cache", true, true),
            ("cache", false, false),
            ("a/cache", true, false),
            ("a/.DS_Store", false, true),
            ("vimrc", false, false),
            ("swp", true, false),
        ];
        for (rel, folder, left_out) in table {
            let rel = Path::new(rel);
            let got = if folder {
                ignore.skips_folder(rel)
            } else {
                ignore.skips_file(rel)
            };
            assert_eq!(got, left_out, "{rel:?} folder={folder}");
        }
    }

    #[test]
    fn invalid_globs_are_named() {
        let (ignore, invalid) = Ignore::compile(vec!["a[".into(), "*.swp".into()]);
        assert_eq!(invalid.len(), 1);
        assert_eq!(invalid[0].0, "a[");
        assert!(ignore.skips_file(Path::new("x.swp")));
        assert_eq!(ignore.patterns(), ["a[", "*.swp"]);
    }
}
