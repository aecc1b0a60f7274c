//! Lexical path helpers: keys for comparing paths (case-insensitively where the platform's
//! filesystems are), whole-component containment, normalisation and relative paths. Pure: no
//! filesystem access, so a link's place is never resolved through links.

use std::path::{Component, Path, PathBuf};

/// [`path_key`] without a copy where case matters (and the path is valid UTF-8).
pub fn path_key_cow(p: &Path, case_insensitive: bool) -> std::borrow::Cow<'_, str> {
    if case_insensitive {
        path_key(p, true).into()
    } else {
        key_text(p)
    }
}

/// A path's identity for comparisons: case-folded where the platform's filesystems fold case.
pub fn path_key(p: &Path, case_insensitive: bool) -> String {
    match p.to_str() {
        // The one Windows comparison: plain form, `\` only, ordinal case-insensitive.
        Some(s) if case_insensitive && cfg!(windows) => crate::platform::case::fold(s).into_owned(),
        Some(s) if case_insensitive => s.to_lowercase(),
        _ => key_text(p).into_owned(),
    }
}

/// The path as text, one to one: a path that is not Unicode is a NUL (which no path holds)
/// followed by its encoded bytes, one character each, so that two such paths never share a key
/// as their lossy forms would.
fn key_text(p: &Path) -> std::borrow::Cow<'_, str> {
    match p.to_str() {
        Some(s) => s.into(),
        None => std::iter::once('\0')
            .chain(
                p.as_os_str()
                    .as_encoded_bytes()
                    .iter()
                    .map(|&b| char::from(b)),
            )
            .collect::<String>()
            .into(),
    }
}

fn is_separator(b: u8) -> bool {
    b == b'/' || (cfg!(windows) && b == b'\\')
}

/// Whether `path` is `dir` or lies below it (both normalised), comparing bytes — folded where
/// the platform's filesystems fold case.
pub fn is_within(path: &Path, dir: &Path, case_insensitive: bool) -> bool {
    let (p, d) = (
        path.as_os_str().as_encoded_bytes(),
        dir.as_os_str().as_encoded_bytes(),
    );
    if case_insensitive && cfg!(windows) {
        let (p, d) = (path_key(path, true), path_key(dir, true));
        return is_within(Path::new(&p), Path::new(&d), false);
    }
    if case_insensitive && !(p.is_ascii() && d.is_ascii()) {
        let (p, d) = (path_key(path, true), path_key(dir, true));
        return is_within(Path::new(&p), Path::new(&d), false);
    }
    if p.len() < d.len() {
        return false;
    }
    let head = &p[..d.len()];
    let same = if case_insensitive {
        head.eq_ignore_ascii_case(d)
    } else {
        head == d
    };
    same && (p.len() == d.len()
        || is_separator(p[d.len()])
        || d.last().is_some_and(|b| is_separator(*b)))
}

/// An absolute Unix path with no `.`, `..`, doubled or trailing `/`: already normal.
fn is_plain_absolute(p: &Path) -> bool {
    let b = p.as_os_str().as_encoded_bytes();
    cfg!(unix)
        && b.len() > 1
        && b[0] == b'/'
        && b[1..]
            .split(|c| *c == b'/')
            .all(|seg| !seg.is_empty() && seg != b"." && seg != b"..")
}

/// Removes `.` and resolves `..` lexically (without looking at the filesystem).
pub fn normalize(p: &Path) -> PathBuf {
    if is_plain_absolute(p) {
        return p.to_path_buf();
    }
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `..` of a root is the root.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    out
}

/// `target` relative to the folder `base` (both absolute and normalised). Falls back to
/// `target` when they share no root (different drives on Windows).
pub fn relative_path(target: &Path, base: &Path) -> PathBuf {
    let t: Vec<Component> = target.components().collect();
    let b: Vec<Component> = base.components().collect();
    if t.first() != b.first() {
        return target.to_path_buf();
    }
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("/a/b/../../..")), PathBuf::from("/"));
        assert_eq!(normalize(Path::new("/a//b/")), PathBuf::from("/a/b"));
        assert_eq!(normalize(Path::new("/a/b")), PathBuf::from("/a/b"));
    }

    #[test]
    fn within_compares_whole_components() {
        assert!(is_within(Path::new("/a/b/c"), Path::new("/a/b"), false));
        assert!(is_within(Path::new("/a/b"), Path::new("/a/b"), false));
        assert!(!is_within(Path::new("/a/bc"), Path::new("/a/b"), false));
        assert!(is_within(Path::new("/a/b"), Path::new("/"), false));
        assert!(!is_within(Path::new("/A/b"), Path::new("/a"), false));
        assert!(is_within(Path::new("/A/b"), Path::new("/a"), true));
        assert!(is_within(Path::new("/É/b"), Path::new("/é"), true));
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_path(Path::new("/r/vim/vimrc"), Path::new("/h")),
            PathBuf::from("../r/vim/vimrc")
        );
        assert_eq!(
            relative_path(Path::new("/h/r/x"), Path::new("/h/.config")),
            PathBuf::from("../r/x")
        );
    }

    #[cfg(unix)]
    #[test]
    fn paths_that_are_not_utf8_keep_distinct_keys() {
        use std::os::unix::ffi::OsStrExt;
        let p = |b: &[u8]| Path::new(std::ffi::OsStr::from_bytes(b)).to_path_buf();
        let (e9, e8) = (p(b"/h/caf\xe9"), p(b"/h/caf\xe8"));
        assert_ne!(path_key(&e9, false), path_key(&e8, false));
        assert_ne!(path_key_cow(&e9, false), path_key_cow(&e8, false));
        assert_ne!(
            path_key(&e9, false),
            path_key(&p("/h/caf\u{fffd}".as_bytes()), false)
        );
        assert_eq!(path_key(&e9, false), path_key(&e9.clone(), false));
        assert_eq!(path_key(Path::new("/h/X"), true), "/h/x");
    }
}
