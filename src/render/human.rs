//! The human plan, like a terraform plan: one line per change with a sign (`+` create, `~` fix,
//! `-` remove, `!` conflict), the reason, and a summary line. Paths under the home folder are
//! shown with `~`, originals relative to the repo.

use std::fmt::Write as _;
use std::path::Path;

use crate::apply::Applied;
use crate::error::Style;
use crate::plan::{Action, Counts, Entry, Plan};

/// How to show paths and how much to say.
pub struct View<'a> {
    /// The home folder, shown as `~`.
    pub home: &'a Path,
    /// The repo, whose paths are shown relative to it.
    pub repo: &'a Path,
    /// Colours or not.
    pub style: Style,
    /// `-v`: also list links that are already right.
    pub verbose: bool,
}

/// A relative path with `/` between its parts on every platform, as manifests write them.
fn slashed(p: &Path) -> String {
    let parts: Vec<_> = p.iter().map(|c| c.to_string_lossy()).collect();
    parts.join("/")
}

impl View<'_> {
    fn at(&self, p: &Path) -> String {
        match p.strip_prefix(self.home) {
            Ok(rest) => format!("~/{}", slashed(rest)),
            Err(_) => p.display().to_string(),
        }
    }

    fn to(&self, p: &Path) -> String {
        match p.strip_prefix(self.repo) {
            Ok(rest) if !rest.as_os_str().is_empty() => slashed(rest),
            _ => p.display().to_string(),
        }
    }

    /// One line per link that will change (and, with `-v`, per link that is right), with
    /// hints and diffs under conflicts.
    pub fn entries(&self, plan: &Plan) -> String {
        let mut out = String::new();
        for e in &plan.entries {
            self.entry(&mut out, e);
        }
        out
    }

    fn entry(&self, out: &mut String, e: &Entry) {
        let s = &self.style;
        let (sign, paint): (&str, fn(&Style, &str) -> String) = match e.action {
            Action::Ok if !self.verbose => return,
            Action::Ok => ("=", Style::dim),
            Action::Create => ("+", Style::create),
            Action::Fix => ("~", Style::fix),
            Action::Remove => ("-", Style::remove),
            Action::Conflict => ("!", Style::error),
        };
        let d = &e.desired;
        let mut line = format!("{sign} {} -> {}", self.at(&d.at), self.to(&d.to));
        if d.link_text != d.to {
            let _ = write!(line, " (as {})", d.link_text.display());
        }
        let _ = writeln!(out, "  {}{}", paint(s, &line), self.detail(e));
        if let Some(hint) = &e.hint {
            let _ = writeln!(out, "      {}: {hint}", s.hint("hint"));
        }
        if let Some(diff) = &e.diff {
            for l in diff.lines() {
                let l = if l.starts_with('+') && !l.starts_with("+++") {
                    s.create(l)
                } else if l.starts_with('-') && !l.starts_with("---") {
                    s.remove(l)
                } else {
                    l.to_string()
                };
                let _ = writeln!(out, "      {l}");
            }
        }
    }

    fn detail(&self, e: &Entry) -> String {
        let Some(reason) = e.reason else {
            return String::new();
        };
        match e.current_text() {
            Some(now) if e.action == Action::Fix => {
                format!("  ({}: now -> {})", reason.as_str(), now.display())
            }
            _ => format!("  ({})", reason.as_str()),
        }
    }
}

/// `Plan: 3 to create, 1 to fix, 0 to remove, 1 conflict.`
pub fn summary(c: &Counts) -> String {
    format!(
        "Plan: {} to create, {} to fix, {} to remove, {} conflict{}.",
        c.create,
        c.fix,
        c.remove,
        c.conflict,
        if c.conflict == 1 { "" } else { "s" }
    )
}

/// What a finished apply says.
pub fn applied(a: &Applied, c: &Counts) -> String {
    if a.created + a.fixed == 0 {
        return nothing_to_do(c);
    }
    let mut s = format!(
        "Applied: {} created, {} fixed, 0 removed",
        a.created, a.fixed
    );
    if a.folders > 0 {
        let _ = write!(
            s,
            " ({} folder{} made)",
            a.folders,
            if a.folders == 1 { "" } else { "s" }
        );
    }
    s.push('.');
    s
}

/// What an apply with no changes says.
pub fn nothing_to_do(c: &Counts) -> String {
    format!(
        "Nothing to do: {} link{} already in place.",
        c.ok,
        if c.ok == 1 { "" } else { "s" }
    )
}
