//! How two paths or link texts compare: the one rule used wherever linkfile asks "is this the
//! same path" or "is this the text I wanted" (observe, plan, places, steps, platform).
//!
//! Windows: the verbatim prefix is stripped (`\\?\C:\x` is `C:\x`, `\\?\UNC\s\x` is `\\s\x`),
//! `/` is `\`, and letters compare ordinally without case (what NTFS does, by its upcase table:
//! one character at a time, no locale). Elsewhere: byte for byte.

use std::borrow::Cow;
use std::path::Path;

/// How paths and link texts compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseRule {
    /// Byte for byte (Linux, and link texts on macOS).
    Exact,
    /// Windows: plain form, one separator, ordinal case-insensitive.
    Windows,
}

impl CaseRule {
    /// The rule of the platform this binary runs on.
    pub const fn current() -> CaseRule {
        if cfg!(windows) {
            CaseRule::Windows
        } else {
            CaseRule::Exact
        }
    }
}

/// Whether `a` and `b` name the same path (or are the same link text) under `rule`.
pub fn compare(a: &Path, b: &Path, rule: CaseRule) -> bool {
    if a == b || a.as_os_str() == b.as_os_str() {
        return true;
    }
    match rule {
        CaseRule::Exact => false,
        CaseRule::Windows => match (a.to_str(), b.to_str()) {
            (Some(a), Some(b)) => fold(a) == fold(b),
            // Not Unicode (an unpaired surrogate): no folding can be trusted.
            _ => false,
        },
    }
}

/// [`compare`] under this platform's rule.
pub fn same_path(a: &Path, b: &Path) -> bool {
    compare(a, b, CaseRule::current())
}

/// A Windows path text's comparison key: plain form, `\` only, each character upper-cased
/// on its own (ordinal, as `CompareStringOrdinal(.., TRUE)` and NTFS's upcase table do).
pub fn fold(text: &str) -> Cow<'_, str> {
    let plain = match super::plain_form(text) {
        super::Plain::Path(p) => Cow::Owned(p),
        _ => Cow::Borrowed(text),
    };
    let needs = plain.chars().any(|c| c == '/' || upcase(c) != c);
    if !needs {
        return plain;
    }
    Cow::Owned(
        plain
            .chars()
            .map(|c| if c == '/' { '\\' } else { upcase(c) })
            .collect(),
    )
}

/// One character upper-cased on its own; unchanged where that would take several (`ß`).
fn upcase(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win(a: &str, b: &str) -> bool {
        compare(Path::new(a), Path::new(b), CaseRule::Windows)
    }

    #[test]
    fn a_repo_reached_in_another_case_is_the_same_on_windows() {
        assert!(win(
            r"c:\users\me\Dotfiles\nvim",
            r"C:\Users\me\dotfiles\nvim"
        ));
        // What Windows reads back from a junction or an absolute symlink.
        assert!(win(
            r"\\?\C:\Users\me\dotfiles\nvim",
            r"c:\users\me\Dotfiles\nvim"
        ));
        assert!(win(r"C:/Users/me/x", r"c:\users\ME\X"));
        assert!(win(r"\\?\UNC\Server\Share\x", r"\\server\share\X"));
        assert!(win(r"..\Dotfiles\x", r"../dotfiles/X"));
        assert!(win("C:\\Ünïcode", "c:\\üNÏCODE"));
        // Different paths stay different.
        assert!(!win(r"C:\Users\me\dotfiles", r"C:\Users\me\dotfile"));
        assert!(!win(r"C:\a\b", r"D:\a\b"));
        // Several letters from one (ß, SS) is not an ordinal match.
        assert!(!win("C:\\straße", "C:\\STRASSE"));
    }

    #[test]
    fn elsewhere_bytes_decide() {
        let exact = |a: &str, b: &str| compare(Path::new(a), Path::new(b), CaseRule::Exact);
        assert!(exact("/home/me/dotfiles", "/home/me/dotfiles"));
        assert!(!exact("/home/me/Dotfiles", "/home/me/dotfiles"));
        // Path components decide, as `==` on paths did (a `\\` separates only on Windows).
        assert_eq!(!exact("/home/me/a/b", "/home/me/a\\b"), cfg!(unix));
        assert!(!exact(r"\\?\C:\x", r"C:\x"));
        assert_eq!(
            CaseRule::current(),
            if cfg!(windows) {
                CaseRule::Windows
            } else {
                CaseRule::Exact
            }
        );
    }

    #[test]
    fn fold_is_the_key() {
        assert_eq!(fold(r"\\?\c:/Users\Me"), r"C:\USERS\ME");
        assert!(matches!(fold(r"C:\X"), Cow::Borrowed(_)));
    }
}
