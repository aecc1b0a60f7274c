//! A quick reading of the `[links]` table, for the shape nearly every manifest's takes: one
//! `"at" = "to"` pair of plain strings a line. The TOML parser builds a token list and a table
//! with spans for every key and value before the manifest sees one: at 100,000 links, tens of
//! megabytes and most of a plan's parse time.
//!
//! Only what is certainly plain is read here: each line of the table blank, a comment, or a key
//! (bare, or a quoted string without escapes) `=` a quoted string without escapes; no
//! multi-line string anywhere above the table (so its header is a header); no key twice. The
//! pairs come in key order, as from the TOML parser's table.
//! Anything else, and the whole text goes through the TOML parser as before, so that its
//! errors and its reading of every other form stay what they were. The table's lines are
//! blanked, not cut, so every other span in the text stays where it was.

use std::ops::Range;

use toml::Spanned;

use super::LinkPairs;

/// The `[links]` table's pairs and the text with the table's lines blanked (the header kept),
/// when every line of the table is plain; else `None`.
pub(super) fn split(text: &str) -> Option<(String, LinkPairs)> {
    let (header_start, body_start) = header(text)?;
    let above = &text[..header_start];
    if above.contains("\"\"\"") || above.contains("'''") {
        return None;
    }
    let body = &text[body_start..];
    let mut pairs = Vec::with_capacity(body.bytes().filter(|&b| b == b'\n').count() + 1);
    let mut at = body_start;
    while at < text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let line = without_cr(&text[at..end], end < text.len());
        if line.trim_start_matches([' ', '\t']).starts_with('[') {
            break;
        }
        if let Some(pair) = pair(line, at)? {
            pairs.push(pair);
        }
        at = (end + 1).min(text.len());
    }
    // In key order, as the TOML parser's table holds them (written in order, one pass says so);
    // a key twice is TOML's error.
    let ascending = |p: &[(Spanned<String>, Spanned<String>)]| {
        p.windows(2).all(|w| w[0].0.get_ref() < w[1].0.get_ref())
    };
    if !ascending(&pairs) {
        pairs.sort_by(|a, b| a.0.get_ref().cmp(b.0.get_ref()));
        if !ascending(&pairs) {
            return None;
        }
    }
    let mut rest = String::with_capacity(text.len());
    rest.push_str(&text[..body_start]);
    if at > body_start {
        let newline = text.as_bytes()[at - 1] == b'\n';
        rest.extend(std::iter::repeat_n(
            ' ',
            at - body_start - usize::from(newline),
        ));
        if newline {
            rest.push('\n');
        }
    }
    rest.push_str(&text[at..]);
    Some((rest, LinkPairs(pairs)))
}

/// Where the first line that is the header `[links]` starts, and where the next line starts.
fn header(text: &str) -> Option<(usize, usize)> {
    let mut at = 0;
    while at < text.len() {
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let line = without_cr(&text[at..end], end < text.len());
        if let Some(after) = line.trim_start_matches([' ', '\t']).strip_prefix("[links]") {
            let after = after.trim_start_matches([' ', '\t']);
            return (after.is_empty() || after.starts_with('#') && plain_comment(after))
                .then_some((at, (end + 1).min(text.len())));
        }
        at = end + 1;
    }
    None
}

/// A line without the CR of its CRLF (a CR is a line's end only before a LF: `lf`).
fn without_cr(line: &str, lf: bool) -> &str {
    if lf {
        line.strip_suffix('\r').unwrap_or(line)
    } else {
        line
    }
}

/// One line of the table, which starts at `offset` in the text: `Some(None)` when it is blank or
/// a comment, `Some(Some(pair))` when it is a plain pair, `None` when it is anything else.
#[allow(clippy::option_option)]
fn pair(line: &str, offset: usize) -> Option<Option<(Spanned<String>, Spanned<String>)>> {
    let ws = |from: usize| {
        from + line[from..].len() - line[from..].trim_start_matches([' ', '\t']).len()
    };
    let start = ws(0);
    if start == line.len() || line[start..].starts_with('#') {
        return plain_comment(&line[start..]).then_some(None);
    }
    let key = if matches!(line.as_bytes()[start], b'"' | b'\'') {
        string(line, start)?
    } else {
        let len = line[start..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
            .count();
        (len > 0).then_some(Quoted {
            whole: start..start + len,
            inner: start..start + len,
        })?
    };
    let eq = ws(key.whole.end);
    if line.as_bytes().get(eq) != Some(&b'=') {
        return None;
    }
    let value_start = ws(eq + 1);
    let value = string(line, value_start)?;
    let tail = &line[ws(value.whole.end)..];
    if !(tail.is_empty() || tail.starts_with('#') && plain_comment(tail)) {
        return None;
    }
    let span = |r: &Range<usize>| offset + r.start..offset + r.end;
    Some(Some((
        Spanned::new(span(&key.whole), line[key.inner].to_string()),
        Spanned::new(span(&value.whole), line[value.inner].to_string()),
    )))
}

/// A string's place in its line: with its quotes, and inside them.
struct Quoted {
    whole: Range<usize>,
    inner: Range<usize>,
}

/// The one-line string starting at `start` (at its quote), when it is plain: not empty, no
/// escape (in a `"` string), no control character but tab.
fn string(line: &str, start: usize) -> Option<Quoted> {
    let bytes = line.as_bytes();
    let quote = *bytes.get(start)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    // One pass to the closing quote, refusing what would make the string not plain.
    let mut end = start + 1;
    loop {
        let b = *bytes.get(end)?;
        if b == quote {
            break;
        }
        if (b < 0x20 && b != b'\t') || b == 0x7f || (b == b'\\' && quote == b'"') {
            return None;
        }
        end += 1;
    }
    (end > start + 1).then_some(Quoted {
        whole: start..end + 1,
        inner: start + 1..end,
    })
}

/// Whether a comment (from its `#`, or empty) holds no control character but tab, as TOML
/// requires.
fn plain_comment(comment: &str) -> bool {
    !comment
        .bytes()
        .any(|b| (b < 0x20 && b != b'\t') || b == 0x7f)
}

#[cfg(test)]
mod tests {
    use super::super::{Manifest, quick};

    /// The quick reading of `text`, checked against the TOML parser's: when it is taken, the
    /// whole manifest (every value and span) is the same; when the TOML parser refuses the text,
    /// it is never taken. Returns whether it was taken.
    fn same_as_toml(text: &str) -> bool {
        let full = toml::from_str::<Manifest>(text);
        let Some(quick) = quick(text) else {
            return false;
        };
        let full = full.unwrap_or_else(|e| panic!("taken where TOML refuses ({e}): {text:?}"));
        assert_eq!(format!("{quick:?}"), format!("{full:?}"), "{text:?}");
        true
    }

    #[test]
    fn a_plain_links_table_is_read_quickly_and_as_toml_reads_it() {
        let taken = [
            "version = 1\n\n[links]\n\"~/.vimrc\" = \"vim/vimrc\"\n'~/.zshrc' = 'zsh/zshrc'\n",
            // Bare keys, comments, blank lines, tabs, CRLF, no newline at the end.
            "version = 1\r\n[links] # mine\r\nvimrc = \"v\"\r\n\r\n# a comment\r\n\t\"~/a\"\t=\t\"b\" # c\r\n\"~/é/🙂\" = \"ü\"",
            // Tables before and after, whose spans must not move.
            "version = 1\n[defaults]\non_conflict = \"backup\"\n[vars]\nx = \"y\"\n[links]\n\"~/a\" = \"a\"\n\n[[link]]\nat = \"~/b\"\nto = \"b\"\nrelative = true\n",
            // A literal string may hold a backslash; a basic one any other quote.
            "version = 1\n[links]\n'~/a\\b' = \"it's\"\n\"~/c\" = 'say \"hi\"'\n",
            // An empty table.
            "version = 1\n[links]\n[defaults]\nrelative = true\n",
        ];
        for text in taken {
            assert!(same_as_toml(text), "not taken: {text:?}");
        }
    }

    #[test]
    fn anything_not_certainly_plain_goes_to_the_toml_parser() {
        let declined = [
            // Escapes, an empty string, a multi-line string, a dotted key, an inline table.
            "version = 1\n[links]\n\"~/a\\tb\" = \"a\"\n",
            "version = 1\n[links]\n\"\" = \"a\"\n",
            "version = 1\n[links]\n\"~/a\" = '''a'''\n",
            "version = 1\n[links]\na.b = \"a\"\n",
            "version = 1\n[links]\n\"~/a\" = { x = 1 }\n",
            // The same key twice (TOML's error), however quoted.
            "version = 1\n[links]\n\"a\" = \"a\"\na = \"b\"\n",
            // A multi-line string above: the header might be inside it.
            "version = 1\n[vars]\nx = \"\"\"\n[links]\n\"\"\"\n[links]\n\"~/a\" = \"a\"\n",
            // The table twice, or more of it elsewhere.
            "version = 1\n[links]\n\"~/a\" = \"a\"\n[links]\n",
            "version = 1\n[links]\n\"~/a\" = \"a\"\n[links.more]\nx = \"y\"\n",
            "links.x = \"y\"\nversion = 1\n[links]\n\"~/a\" = \"a\"\n",
            // A control character in a comment; a value that is not a string.
            "version = 1\n[links]\n\"~/a\" = \"a\" # \u{7f}\n",
            "version = 1\n[links]\n\"~/a\" = 1\n",
        ];
        for text in declined {
            assert!(!same_as_toml(text), "taken: {text:?}");
        }
    }

    /// Random texts (proptest is a dev-dependency on Unix only; the parser is the same
    /// everywhere).
    #[cfg(unix)]
    mod property {
        use proptest::prelude::*;

        use super::same_as_toml;

        /// Lines made of the fragments a plain line is made of and those that make it not plain;
        /// half of them plain pairs.
        fn line() -> impl Strategy<Value = String> {
            let string =
                prop::sample::select(vec!["\"~/a\"", "'~/b'", "\"~/é c\"", "'\\x'", "\"'\""]);
            let key = prop_oneof![
                string.clone(),
                prop::sample::select(vec!["a", "b-c", "d_1"])
            ];
            let ws = prop::sample::select(vec!["", " ", "\t", "  "]);
            let tail = prop::sample::select(vec!["", " # c", "#", " \t"]);
            let plain = (ws.clone(), key, ws.clone(), ws, string, tail)
                .prop_map(|(a, k, b, c, v, t)| format!("{a}{k}{b}={c}{v}{t}"));
            let piece = prop::sample::select(vec![
                "\"~/a\"", "\"~/b\"", "'~/a'", "a", "b-c", "\"x\"", "'y'", " ", "\t", "=", " = ",
                "#", "# c", "\"", "'", "\\", "\\t", "[", "]", "[links]", "[[link]]", ".", "{", "}",
                "é", "\r", "\u{1}", "\"\"\"", "'''", "1", "\"\"",
            ]);
            prop_oneof![
                plain,
                prop::collection::vec(piece, 0..6).prop_map(|p| p.concat())
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn the_quick_reading_is_taken_only_where_it_reads_as_toml_does(
                above in prop::collection::vec(line(), 0..3),
                body in prop::collection::vec(line(), 0..8),
                newline in prop::sample::select(vec!["\n", "\r\n"]),
            ) {
                let mut text = format!("version = 1{newline}");
                for l in above {
                    text.push_str(&l);
                    text.push_str(newline);
                }
                text.push_str("[links]");
                for l in body {
                    text.push_str(newline);
                    text.push_str(&l);
                }
                same_as_toml(&text);
            }
        }
    }
}
