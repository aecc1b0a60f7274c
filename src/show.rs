//! Paths as shown to a person (plan lines, hints, errors; JSON escapes by itself): a control
//! character (newline, ESC, …) or a bidirectional override is escaped, so that a file name
//! cannot break a line or colour the terminal; a byte that is not UTF-8 is shown as `\xNN`
//! rather than lost; and a path longer than [`MAX_SHOWN`] characters is cut in the middle,
//! saying how long it is.

use std::fmt;
use std::path::Path;

/// The longest path shown whole, in characters.
pub(crate) const MAX_SHOWN: usize = 1024;

/// `path.shown()`: the path as a person should see it (see the module's docs).
pub(crate) trait Shown {
    /// Shows it escaped and, when very long, shortened.
    fn shown(&self) -> ShownPath<'_>;
}

impl Shown for Path {
    fn shown(&self) -> ShownPath<'_> {
        ShownPath(self)
    }
}

/// A path ready to print; see [`Shown`].
pub(crate) struct ShownPath<'a>(&'a Path);

impl fmt::Display for ShownPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&shorten(&path(self.0)))
    }
}

/// The path escaped (see the module's docs), whole.
pub(crate) fn path(p: &Path) -> String {
    let mut out = String::new();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        for chunk in p.as_os_str().as_bytes().utf8_chunks() {
            escape_into(&mut out, chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02X}"));
            }
        }
    }
    #[cfg(not(unix))]
    escape_into(&mut out, &p.to_string_lossy());
    out
}

/// `s` with its control characters and bidirectional overrides escaped.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
}

/// Characters that reorder the text around them when shown (Trojan Source).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` whole when at most [`MAX_SHOWN`] characters; else its start and end around a note of
/// its length.
pub(crate) fn shorten(s: &str) -> String {
    let count = s.chars().count();
    if count <= MAX_SHOWN {
        return s.to_string();
    }
    let keep = MAX_SHOWN / 2;
    let head: String = s.chars().take(keep).collect();
    let tail: String = s.chars().skip(count - keep / 2).collect();
    format!("{head}…[{} characters in all]…{tail}", count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(text("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        assert_eq!(text("\x1b[31mred\x7f"), "\\x1b[31mred\\x7f");
        assert_eq!(text("c\u{85}d\u{202e}e"), "c\\u{85}d\\u{202e}e");
        assert_eq!(text("~/.config/café"), "~/.config/café");
    }

    #[cfg(unix)]
    #[test]
    fn bytes_that_are_not_utf8_are_shown_as_hex() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"/h/caf\xe9\n"));
        assert_eq!(p.shown().to_string(), "/h/caf\\xE9\\n");
    }

    #[test]
    fn a_long_path_is_cut_in_the_middle_with_its_length() {
        let long = format!("/{}", "a".repeat(10_000_000));
        let shown = Path::new(&long).shown().to_string();
        assert!(shown.len() < 2 * MAX_SHOWN, "{}", shown.len());
        assert!(shown.contains("…[10000001 characters in all]…"), "{shown}");
        assert!(shown.starts_with("/aaa"));
        let short = "/h/.vimrc";
        assert_eq!(Path::new(short).shown().to_string(), short);
    }
}
