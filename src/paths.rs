//! Lexical path helpers: keys for comparing paths (case-insensitively where the platform's
//! filesystems are), whole-component containment, normalisation and relative paths. Pure: no
//! filesystem access, so a link's place is never resolved through links.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use crate::platform::Os;

/// A path's identity for comparisons: its text, case-folded where the system's filesystems fold
/// case (Windows: plain form, `\` only, ordinal upper case; macOS: lower case). Borrowed from
/// the path where nothing folds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PathKey<'a>(Cow<'a, str>);

/// `(path.parent()?, path.file_name()?)`: on Unix, for a plain path (its last name neither `.`
/// nor `..`, after a single `/` that follows a name not ending in `.`), split at its last `/`
/// from the bytes; otherwise, and on Windows, by parsing components. A plan splits every
/// link's place and original this way.
pub fn split(path: &Path) -> Option<(&Path, &std::ffi::OsStr)> {
    split_plain(path).or_else(|| Some((path.parent()?, path.file_name()?)))
}

/// `path.parent()`, from the bytes for a plain path as [`split`] says.
pub fn parent(path: &Path) -> Option<&Path> {
    split_plain(path)
        .map(|(folder, _)| folder)
        .or_else(|| path.parent())
}

/// [`split`] from the bytes, for a plain path on Unix; `None`: ask std.
fn split_plain(path: &Path) -> Option<(&Path, &std::ffi::OsStr)> {
    #[cfg(unix)]
    {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let p = path.as_os_str().as_bytes();
        let i = p.iter().rposition(|&b| b == b'/')?;
        let (folder, name) = (&p[..i], &p[i + 1..]);
        if name.is_empty() || name == b"." || name == b".." {
            return None;
        }
        let folder = match folder.last() {
            None => &b"/"[..],
            Some(b'/' | b'.') => return None,
            Some(_) => folder,
        };
        Some((
            Path::new(OsStr::from_bytes(folder)),
            OsStr::from_bytes(name),
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Whether `folder` is certainly `path.parent()`: [`parent`] (from the bytes of a plain path)
/// is `folder` byte for byte. `false` says nothing: another spelling of the same folder may
/// still be it. For the links of one folder in a row, asked about the folder asked last.
pub fn in_folder(path: &Path, folder: &Path) -> bool {
    parent(path).is_some_and(|p| p.as_os_str() == folder.as_os_str())
}

/// A map from paths' keys, one entry per link: hashed a word at a time ([`KeyHasher`]).
pub type KeyMap<'a, V> = FastMap<PathKey<'a>, V>;

/// A map from paths or names with one entry per link or file, hashed with [`KeyHasher`].
pub type FastMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<KeyHasher>>;

/// The hasher of [`KeyMap`] and [`FastMap`]: a word at a time, rotate, xor and multiply (as
/// rustc's FxHasher). The standard SipHash resists keys chosen to collide, which buys nothing
/// for the places of one's own manifest and the names in one's own repo, and hashing them was a
/// twentieth of a plan's instructions at 10,000 links.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl KeyHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.add(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            // With its length in the top byte: "a" and "a\0" pad to one word.
            self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl<'a> PathKey<'a> {
    /// The key of `p` on `os`.
    pub fn new(p: &'a Path, os: Os) -> PathKey<'a> {
        PathKey(key(p, os, Case::of(os)))
    }

    /// The key as text (for lookups in a map keyed by [`PathKey`]).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The keys of the folders above the path, nearest first, as prefixes of this key — when
    /// they are: the key of an absolute, normalised, `/`-separated path that folds nothing
    /// (then a key is the path's text). `None` otherwise: ask each folder's key.
    pub fn folders(&self, os: Os) -> Option<impl Iterator<Item = &str>> {
        let Cow::Borrowed(text) = self.0 else {
            return None;
        };
        (!os.is_windows() && text.starts_with('/')).then(|| {
            let mut end = (text.len() > 1).then_some(text.len());
            std::iter::from_fn(move || {
                let i = text[..end?].rfind('/')?;
                end = (i > 0).then_some(i);
                Some(if i == 0 { "/" } else { &text[..i] })
            })
        })
    }

    /// The key, no longer borrowing the path.
    pub fn into_owned(self) -> PathKey<'static> {
        PathKey(Cow::Owned(self.0.into_owned()))
    }

    /// The key as owned text (for maps and sets of text).
    pub fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl std::borrow::Borrow<str> for PathKey<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// Whether names differ by case alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Exact,
    Folded,
}

impl Case {
    fn of(os: Os) -> Case {
        if os.case_insensitive() {
            Case::Folded
        } else {
            Case::Exact
        }
    }
}

fn key(p: &Path, os: Os, case: Case) -> Cow<'_, str> {
    match p.to_str() {
        // The one Windows comparison: plain form, `\` only, ordinal case-insensitive.
        Some(s) if case == Case::Folded && os.is_windows() => crate::platform::case::fold(s),
        Some(s) if case == Case::Folded => s.to_lowercase().into(),
        // Checked as UTF-8 once: key_text would check it again.
        Some(s) => s.into(),
        None => key_text(p),
    }
}

/// The path as text, one to one: a path that is not Unicode is a NUL (which no path holds)
/// followed by its encoded bytes, one character each, so that two such paths never share a key
/// as their lossy forms would.
fn key_text(p: &Path) -> Cow<'_, str> {
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

/// `base.join(rel)`, made in one allocation (`join` copies `base` and then grows it); an
/// absolute `rel` replaces `base`, as it does in `join`.
pub fn join_relative(base: &Path, rel: &Path) -> PathBuf {
    let (b, r) = (base.as_os_str(), rel.as_os_str());
    let mut joined = std::ffi::OsString::with_capacity(b.len() + 1 + r.len());
    // The common case, as bytes: a folder not ending in `/`, then a relative path (on Unix,
    // where `push` would only check for these and add the `/`).
    let (bb, rb) = (b.as_encoded_bytes(), r.as_encoded_bytes());
    if cfg!(unix)
        && !bb.is_empty()
        && bb.last() != Some(&b'/')
        && rb.first().is_some_and(|&c| c != b'/')
    {
        joined.push(b);
        joined.push("/");
        joined.push(r);
        return PathBuf::from(joined);
    }
    let mut joined = PathBuf::from(joined);
    joined.push(base);
    joined.push(rel);
    joined
}

/// Whether `path` is `dir` or lies below it (both normalised) on `os`, comparing bytes — folded
/// where its filesystems fold case.
pub fn within(path: &Path, dir: &Path, os: Os) -> bool {
    within_by(path, dir, os, Case::of(os))
}

fn within_by(path: &Path, dir: &Path, os: Os, case: Case) -> bool {
    let (p, d) = (
        path.as_os_str().as_encoded_bytes(),
        dir.as_os_str().as_encoded_bytes(),
    );
    let folded = case == Case::Folded;
    if folded && (os.is_windows() || !(p.is_ascii() && d.is_ascii())) {
        let (p, d) = (key(path, os, case), key(dir, os, case));
        return within_by(Path::new(&*p), Path::new(&*d), os, Case::Exact);
    }
    if p.len() < d.len() {
        return false;
    }
    let head = &p[..d.len()];
    let same = if folded {
        head.eq_ignore_ascii_case(d)
    } else {
        head == d
    };
    same && (p.len() == d.len()
        || os.is_separator(p[d.len()])
        || d.last().is_some_and(|b| os.is_separator(*b)))
}

/// An absolute Unix path with no `.`, `..`, doubled or trailing `/`: already normal.
fn is_plain_absolute(p: &Path) -> bool {
    let b = p.as_os_str().as_encoded_bytes();
    // How a path parses is the host's (`Path::components`), whatever system is decided for.
    !Os::HOST.is_windows()
        && b.len() > 1
        && b[0] == b'/'
        && b[1..]
            .split(|c| *c == b'/')
            .all(|seg| !seg.is_empty() && seg != b"." && seg != b"..")
}

/// As [`normalize`], keeping `p` itself (no copy) when it is already normal.
pub fn normalized(p: PathBuf) -> PathBuf {
    if is_plain_absolute(&p) {
        return p;
    }
    normalize(&p)
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
    fn split_is_parent_and_file_name() {
        let names = ["", "a", "b.", ".", "..", ".x", "a b"];
        let mut paths = vec![String::from("/"), String::new()];
        for a in names {
            for b in names {
                for sep in ["/", "//"] {
                    paths.push(format!("/{a}{sep}{b}"));
                    paths.push(format!("{a}{sep}{b}"));
                    paths.push(format!("/{a}{sep}{b}/"));
                    paths.push(format!("/x/{a}{sep}{b}"));
                }
            }
        }
        for p in &paths {
            let p = Path::new(p);
            let std = p.parent().zip(p.file_name());
            assert_eq!(split(p), std, "{p:?}");
            assert_eq!(
                parent(p).map(Path::as_os_str),
                p.parent().map(Path::as_os_str),
                "{p:?}"
            );
            if let Some((folder, name)) = split(p) {
                // Byte for byte, as the `Path`s std gives.
                let (f, n) = std.unwrap();
                assert_eq!(folder.as_os_str(), f.as_os_str(), "{p:?}");
                assert_eq!(name, n, "{p:?}");
            }
        }
    }

    #[test]
    fn in_folder_says_yes_only_where_parent_is_that_folder() {
        let paths = [
            "/a/b", "/a/b/", "/a//b", "/a/./b", "/a/.", "/a/..", "/a", "/", "a/b", "a", "",
            "/a/b/c", "/ab", "/a/bc", "/a/b//", "/a\\b",
        ];
        let folders = ["/a", "/a/", "/", "a", "", "/a/b", "/a/.", "/a/"];
        for p in paths {
            for f in folders {
                let (p, f) = (Path::new(p), Path::new(f));
                if in_folder(p, f) {
                    assert_eq!(p.parent(), Some(f), "in_folder({p:?}, {f:?})");
                }
            }
        }
        assert!(in_folder(Path::new("/a/b"), Path::new("/a")));
        assert!(in_folder(Path::new("/a"), Path::new("/")));
        assert!(in_folder(Path::new("a/b"), Path::new("a")));
        assert!(!in_folder(Path::new("/a/b/c"), Path::new("/a")));
        assert!(!in_folder(Path::new("/ab"), Path::new("/a")));
    }

    #[test]
    fn keys_of_many_places_hash_apart_and_map_one_to_one() {
        use std::hash::BuildHasher;
        let paths: Vec<String> = (0..100)
            .flat_map(|d| (0..100).map(move |f| format!("/home/me/d{d:03}/f{f:03}")))
            .collect();
        let hasher = std::hash::BuildHasherDefault::<KeyHasher>::default();
        let mut hashes: Vec<u64> = paths.iter().map(|p| hasher.hash_one(p.as_str())).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), paths.len());
        // A path and the same path one byte longer (the last word padded with zeros).
        assert_ne!(hasher.hash_one("/a/b"), hasher.hash_one("/a/b\0"));
        let map: KeyMap<usize> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (PathKey::new(Path::new(p), Os::LINUX), i))
            .collect();
        assert_eq!(map.len(), paths.len());
        assert_eq!(map.get("/home/me/d042/f007"), Some(&4207));
    }

    #[test]
    fn join_relative_agrees_with_std() {
        for (base, rel) in [
            ("/h", "a/b"),
            ("/h/", "a"),
            ("h", "a"),
            ("/h", "/abs"),
            ("", "a"),
            ("/", "a"),
            ("/h", ""),
            ("", ""),
            ("/h", "a/"),
            ("/h", "./a"),
            ("/h//", "a"),
        ] {
            let (base, rel) = (Path::new(base), Path::new(rel));
            // Byte for byte, not only component by component.
            let joined = join_relative(base, rel);
            assert_eq!(
                joined.as_os_str(),
                base.join(rel).as_os_str(),
                "{base:?} {rel:?}"
            );
        }
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("/a/b/../../..")), PathBuf::from("/"));
        assert_eq!(normalize(Path::new("/a//b/")), PathBuf::from("/a/b"));
        assert_eq!(normalize(Path::new("/a/b")), PathBuf::from("/a/b"));
    }

    #[test]
    fn within_compares_whole_components() {
        assert!(within(Path::new("/a/b/c"), Path::new("/a/b"), Os::LINUX));
        assert!(within(Path::new("/a/b"), Path::new("/a/b"), Os::LINUX));
        assert!(!within(Path::new("/a/bc"), Path::new("/a/b"), Os::LINUX));
        assert!(within(Path::new("/a/b"), Path::new("/"), Os::LINUX));
        assert!(!within(Path::new("/A/b"), Path::new("/a"), Os::LINUX));
        assert!(within(Path::new("/A/b"), Path::new("/a"), Os::MACOS));
        assert!(within(Path::new("/É/b"), Path::new("/é"), Os::MACOS));
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

    #[test]
    fn keys_by_system() {
        // (path, system, key)
        let table = [
            ("/h/.Vimrc", Os::LINUX, "/h/.Vimrc"),
            ("/h/.Vimrc", Os::MACOS, "/h/.vimrc"),
            ("/h/Éa", Os::MACOS, "/h/éa"),
            ("C:/Users/Me/.vimrc", Os::WINDOWS, "C:\\USERS\\ME\\.VIMRC"),
            ("\\\\?\\C:\\x", Os::WINDOWS, "C:\\X"),
            ("C:\\straße", Os::WINDOWS, "C:\\STRAßE"),
        ];
        for (path, os, key) in table {
            assert_eq!(
                PathKey::new(Path::new(path), os).as_str(),
                key,
                "{path} {os:?}"
            );
        }
        // Nothing is copied where nothing folds.
        assert!(matches!(
            PathKey::new(Path::new("/h/x"), Os::LINUX),
            PathKey(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn folders_are_prefixes_of_the_key() {
        let folders = |p: &str, os: Os| -> Option<Vec<String>> {
            let key = PathKey::new(Path::new(p), os);
            key.folders(os).map(|f| f.map(String::from).collect())
        };
        let expected = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            folders("/h/.config/nvim", Os::LINUX),
            expected(&["/h/.config", "/h", "/"])
        );
        assert_eq!(folders("/h", Os::LINUX), expected(&["/"]));
        assert_eq!(folders("/", Os::LINUX), expected(&[]));
        // Where keys fold, each folder has a key of its own.
        assert_eq!(folders("/h/x", Os::MACOS), None);
        assert_eq!(folders("/h/x", Os::WINDOWS), None);
        for p in ["/h/.config/nvim", "/h", "/a/b/c/d"] {
            let key = PathKey::new(Path::new(p), Os::LINUX);
            let by_path: Vec<&str> = Path::new(p)
                .ancestors()
                .skip(1)
                .map(|a| a.to_str().unwrap())
                .collect();
            assert_eq!(key.folders(Os::LINUX).unwrap().collect::<Vec<_>>(), by_path);
        }
    }

    #[test]
    fn within_by_system() {
        // (path, folder, system, within)
        let table = [
            ("/h/A/b", "/h/a", Os::LINUX, false),
            ("/h/A/b", "/h/a", Os::MACOS, true),
            ("/h/a\\b", "/h/a", Os::LINUX, false),
            ("/h/a\\b", "/h/a", Os::MACOS, false),
            ("C:\\Users\\Me\\x", "c:/users/me", Os::WINDOWS, true),
            ("C:\\Users\\Mex", "c:/users/me", Os::WINDOWS, false),
            ("D:\\Users\\Me", "C:\\Users\\Me", Os::WINDOWS, false),
        ];
        for (path, dir, os, expected) in table {
            assert_eq!(
                within(Path::new(path), Path::new(dir), os),
                expected,
                "{path} in {dir} on {os:?}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn paths_that_are_not_utf8_keep_distinct_keys() {
        use std::os::unix::ffi::OsStrExt;
        let p = |b: &[u8]| Path::new(std::ffi::OsStr::from_bytes(b)).to_path_buf();
        let (e9, e8) = (p(b"/h/caf\xe9"), p(b"/h/caf\xe8"));
        let key = |p: &Path, os: Os| PathKey::new(p, os).into_owned();
        assert_ne!(key(&e9, Os::LINUX), key(&e8, Os::LINUX));
        assert_ne!(
            key(&e9, Os::LINUX).into_string(),
            key(&e8, Os::LINUX).into_string()
        );
        assert_ne!(
            key(&e9, Os::LINUX),
            key(&p("/h/caf\u{fffd}".as_bytes()), Os::LINUX)
        );
        assert_eq!(key(&e9, Os::LINUX), key(&e9.clone(), Os::LINUX));
        assert_eq!(key(Path::new("/h/X"), Os::MACOS).as_str(), "/h/x");
    }
}
