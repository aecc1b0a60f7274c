//! linkfile's colours, named by what they mean: one place decides that a conflict is bold red
//! and a hint's label bold cyan, for the plan, the errors and doctor alike.
//!
//! Whether a stream is coloured at all is decided once, in [`crate::System`] and `--color`; a
//! [`Palette`] only carries that answer to the code that writes.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

const fn fg(colour: AnsiColor) -> Style {
    Style::new().fg_color(Some(anstyle::Color::Ansi(colour)))
}

/// The `error` label of a message, and the carets under a manifest's mistake.
pub const ERROR: Style = fg(AnsiColor::Red).bold();
/// The label of a line that helps: `hint`, `fallback`, `warning`, `note`.
pub const HINT: Style = fg(AnsiColor::Cyan).bold();
/// A link that will be made.
pub const CREATE: Style = fg(AnsiColor::Green);
/// A link, or a folder on the way to one, that will be put right.
pub const FIX: Style = fg(AnsiColor::Yellow);
/// A link that will be removed.
pub const REMOVE: Style = fg(AnsiColor::Red);
/// Something in the way that linkfile will not touch.
pub const CONFLICT: Style = fg(AnsiColor::Red).bold();
/// A link changed since linkfile made it, left as it is.
pub const RELEASE: Style = fg(AnsiColor::Cyan);
/// A link that is already right (shown with `-v`).
pub const UNCHANGED: Style = Style::new().dimmed();
/// A link the manifest rules out here (shown with `-v`).
pub const SKIPPED: Style = Style::new().dimmed();
/// A diff's line only the original has.
pub const ADDED: Style = fg(AnsiColor::Green);
/// A diff's line only the file in the way has.
pub const DELETED: Style = fg(AnsiColor::Red);
/// What doctor found cannot be done.
pub const PROBLEM: Style = fg(AnsiColor::Red).bold();
/// What doctor found can be done.
pub const FINE: Style = fg(AnsiColor::Green);

/// Colours for one stream, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    coloured: bool,
}

impl Palette {
    /// No colour at all.
    pub const PLAIN: Palette = Palette { coloured: false };
    /// ANSI colours.
    pub const COLOURED: Palette = Palette { coloured: true };

    /// Whether this palette writes colour escapes.
    pub fn is_coloured(self) -> bool {
        self.coloured
    }

    /// `text` in `style`, or as it is when plain.
    pub fn paint(self, style: Style, text: &str) -> String {
        if self.coloured {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    /// Starts `style` in `out` (for text written piece by piece); [`Palette::end`] ends it.
    pub fn start(self, out: &mut String, style: Style) {
        if self.coloured {
            let _ = write!(out, "{}", style.render());
        }
    }

    /// Ends what [`Palette::start`] started.
    pub fn end(self, out: &mut String, style: Style) {
        if self.coloured {
            let _ = write!(out, "{}", style.render_reset());
        }
    }
}

/// What `--color auto` gives `stream` in this process, by the conventions anstyle-query reads
/// from the environment: NO_COLOR (non-empty) turns colour off; CLICOLOR_FORCE forces it on even
/// in a pipe; CLICOLOR=0 turns it off; otherwise a terminal is coloured when its TERM supports
/// colour (not `dumb`; on Windows an unset TERM does), or CLICOLOR=1 asks, or, with no TERM at
/// all, in CI.
///
/// Where this departs from anstream's own choice: `CLICOLOR_FORCE=0` forces nothing (the
/// convention says "not 0"), and CI does not colour a terminal whose TERM says `dumb`.
pub fn auto_for(stream: &impl std::io::IsTerminal) -> Palette {
    let forced = anstyle_query::clicolor_force()
        && std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0");
    let coloured = if anstyle_query::no_color() {
        false
    } else if forced {
        true
    } else {
        match anstyle_query::clicolor() {
            Some(asked) => asked && stream.is_terminal(),
            None => {
                stream.is_terminal()
                    && (anstyle_query::term_supports_color()
                        || (std::env::var_os("TERM").is_none() && anstyle_query::is_ci()))
            }
        }
    };
    if coloured {
        Palette::COLOURED
    } else {
        Palette::PLAIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_writes_the_text_alone() {
        assert_eq!(Palette::PLAIN.paint(ERROR, "error"), "error");
        let mut out = String::new();
        Palette::PLAIN.start(&mut out, CONFLICT);
        Palette::PLAIN.end(&mut out, CONFLICT);
        assert_eq!(out, "");
    }

    #[test]
    fn coloured_wraps_the_text_in_the_style_and_a_reset() {
        assert_eq!(Palette::COLOURED.paint(CREATE, "+"), "\x1b[32m+\x1b[0m");
        let mut out = String::new();
        Palette::COLOURED.start(&mut out, CONFLICT);
        out.push('!');
        Palette::COLOURED.end(&mut out, CONFLICT);
        assert_eq!(out, "\x1b[1m\x1b[31m!\x1b[0m");
    }
}
