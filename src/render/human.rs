//! The human plan, like a terraform plan: one line per change with a sign (`+` create, `~` fix,
//! `-` remove, `!` conflict, `=` released: left as it is), the reason, and a summary line. Paths under the home folder are
//! shown with `~`, originals relative to the repo.

use std::fmt::Write as _;
use std::path::Path;

use crate::apply::Applied;
use crate::color::{self, Palette};
use crate::manifest::LinkType;
use crate::oplog::{self, Operation};
use crate::plan::{Action, Counts, Entry, Plan, Resolution, Want};
use crate::show::Shown as _;

/// How to show paths and how much to say.
pub struct View<'a> {
    /// The home folder, shown as `~`.
    pub home: &'a Path,
    /// The repo, whose paths are shown relative to it.
    pub repo: &'a Path,
    /// The colours of the stream the view is written to.
    pub palette: Palette,
    /// `-v`: also list links that are already right.
    pub verbose: bool,
    /// How many lines of a conflict's diff to show below its header (`--diff-lines`), the rest
    /// counted; `None` shows no diff (`--no-diff`).
    pub diff_lines: Option<usize>,
}

/// How many lines of a diff are shown by default.
pub const DIFF_LINES: usize = 40;

/// Appends `/part` for each part of the relative path `p`.
fn push_slashed(out: &mut String, p: &Path) {
    for part in p.iter() {
        out.push('/');
        out.push_str(&crate::show::path(Path::new(part)));
    }
}

/// A relative path with `/` between its parts on every platform, as manifests write them.
fn slashed(p: &Path) -> String {
    let parts: Vec<_> = p.iter().map(|c| crate::show::path(Path::new(c))).collect();
    crate::show::shorten(&parts.join("/"))
}

impl View<'_> {
    /// A path as shown: `~/...` under the home.
    pub fn at_path(&self, p: &Path) -> String {
        self.at(p)
    }

    /// An original as shown: relative to the repo.
    pub fn to_path(&self, p: &Path) -> String {
        let mut out = String::new();
        self.push_to(&mut out, p);
        out
    }

    fn at(&self, p: &Path) -> String {
        match p.strip_prefix(self.home) {
            Ok(rest) if !rest.as_os_str().is_empty() => format!("~/{}", slashed(rest)),
            Ok(_) => "~".into(),
            Err(_) => p.shown().to_string(),
        }
    }

    /// One line per link that will change (and, with `-v`, per link that is right), with
    /// hints and diffs under conflicts.
    pub fn entries(&self, plan: &Plan) -> String {
        let mut out = String::new();
        if self.verbose {
            // What the manifest's vars are on this machine.
            for (name, value) in &plan.vars {
                let _ = match value {
                    Ok(v) => writeln!(out, "  var {name} = {v}"),
                    Err(why) => writeln!(out, "  var {name}: no value here ({why})"),
                };
            }
        }
        for l in &plan.unfold {
            let line = format!(
                "  ~ unfold {} (a link to {}): moved to the backup store, a real folder made in its place",
                self.at(&l.at),
                l.text.shown()
            );
            let _ = writeln!(out, "{}", self.palette.paint(color::FIX, &line));
        }
        for e in &plan.entries {
            self.entry(&mut out, e);
        }
        if self.verbose {
            for sk in &plan.skipped {
                let line = format!("  . {} -> {}  (skipped: {})", sk.at, sk.to, sk.why);
                let _ = writeln!(out, "{}", self.palette.paint(color::SKIPPED, &line));
            }
        }
        out
    }

    fn entry(&self, out: &mut String, e: &Entry) {
        self.entry_lines(out, e, Diff::Shown);
    }

    /// The conflicts alone, each with its hint (no diff): what `-q` still says when an
    /// operation refuses.
    pub fn conflicts(&self, plan: &Plan) -> String {
        let mut out = String::new();
        for e in plan
            .entries
            .iter()
            .filter(|e| e.action() == Action::Conflict)
        {
            self.entry_lines(&mut out, e, Diff::Left);
        }
        out
    }

    fn entry_lines(&self, out: &mut String, e: &Entry, diff: Diff) {
        let (sign, style) = match e.action() {
            Action::Ok if !self.verbose => return,
            Action::Ok => ("=", color::UNCHANGED),
            Action::Create => ("+", color::CREATE),
            Action::Fix => ("~", color::FIX),
            Action::Remove => ("-", color::REMOVE),
            Action::Conflict => ("!", color::CONFLICT),
            Action::Release => ("=", color::RELEASE),
        };
        self.headline(out, e, sign, style);
        self.notes(out, e);
        if let Some(limit) = self.diff_lines.filter(|_| diff == Diff::Shown) {
            self.diff(out, e, limit);
        }
    }

    /// The entry's line: sign, link and original in the action's colour, then why.
    fn headline(&self, out: &mut String, e: &Entry, sign: &str, style: anstyle::Style) {
        // Written straight into `out`: a plan may have thousands of lines.
        let d = &e.desired;
        out.push_str("  ");
        self.palette.start(out, style);
        out.push_str(sign);
        out.push(' ');
        self.push_at(out, &d.at);
        out.push_str(" -> ");
        self.push_to(out, &d.to);
        if d.link_type != LinkType::Symlink {
            let _ = write!(out, " ({})", crate::primitive::name(d.link_type));
        } else if let Some(text) = &d.text {
            let _ = write!(out, " (as {})", text.shown());
        }
        self.palette.end(out, style);
        if e.action() == Action::Release {
            out.push_str("  (released: changed since linkfile made it; left as it is)");
        } else if e.reason.is_some() || e.resolution().is_some() {
            out.push_str(&self.detail(e));
        } else if let (Action::Ok, Some(now)) = (e.action(), e.current_text())
            && now != e.desired.link_text()
        {
            // Another tool's link to the original (shown with -v only).
            let _ = write!(out, "  (its text differs: {})", now.display());
        }
        if !crate::paths::within(&d.at, self.home, crate::platform::Os::HOST) {
            out.push_str("  (outside ~)");
        }
        out.push('\n');
    }

    /// The labelled lines under an entry: fallback, warning, hint, note.
    fn notes(&self, out: &mut String, e: &Entry) {
        let d = &e.desired;
        let label = |name: &str| self.palette.paint(color::HINT, name);
        if let Some(why) = d.fell_back()
            && !matches!(e.action(), Action::Remove | Action::Release)
        {
            let _ = writeln!(out, "      {}: {why}", label("fallback"));
        }
        if let Some(warning) = d.warning()
            && !matches!(e.action(), Action::Remove | Action::Release)
        {
            let _ = writeln!(out, "      {}: {warning}", label("warning"));
        }
        if let Some(hint) = &super::hint::text(e) {
            let _ = writeln!(out, "      {}: {hint}", label("hint"));
        }
        if d.dir_mode().is_some()
            && !crate::platform::FOLDER_MODES
            && matches!(e.action(), Action::Create | Action::Fix)
        {
            let _ = writeln!(
                out,
                "      {}: dir_mode is ignored here: Windows folders inherit their parent's permissions",
                label("note")
            );
        }
    }

    /// What differs between the file in the way and the original: at most `limit` lines of
    /// diff, or why there is none.
    fn diff(&self, out: &mut String, e: &Entry, limit: usize) {
        if let Some(u) = e.undiffable.as_deref() {
            let what = if u.binary {
                "binary files differ"
            } else {
                "files too large to diff"
            };
            let _ = writeln!(
                out,
                "      {what}: {} is {} bytes, {} is {} bytes",
                self.at(&e.desired.at),
                u.there,
                self.to_path(&e.desired.to),
                u.original
            );
        }
        if let Some(diff) = &super::diff::unified(e) {
            // The `---`/`+++` header, then at most `limit` lines.
            let mut lines = diff.lines();
            let head: Vec<&str> = lines.by_ref().take(2).collect();
            let body: Vec<&str> = lines.collect();
            let cut = body.len().saturating_sub(limit);
            for l in head.into_iter().chain(body.into_iter().take(limit)) {
                let l = if l.starts_with('+') && !l.starts_with("+++") {
                    self.palette.paint(color::ADDED, l)
                } else if l.starts_with('-') && !l.starts_with("---") {
                    self.palette.paint(color::DELETED, l)
                } else {
                    l.to_string()
                };
                let _ = writeln!(out, "      {l}");
            }
            if cut > 0 {
                let _ = writeln!(out, "      ... {cut} more lines");
            }
        }
    }

    fn push_at(&self, out: &mut String, p: &Path) {
        match p.strip_prefix(self.home) {
            Ok(rest) => {
                out.push('~');
                push_slashed(out, rest);
            }
            Err(_) => {
                let _ = write!(out, "{}", p.shown());
            }
        }
    }

    fn push_to(&self, out: &mut String, p: &Path) {
        match p.strip_prefix(self.repo) {
            Ok(rest) if !rest.as_os_str().is_empty() => {
                let start = out.len();
                push_slashed(out, rest);
                // No leading `/` for a path relative to the repo.
                out.remove(start);
            }
            _ => {
                let _ = write!(out, "{}", p.shown());
            }
        }
    }

    fn detail(&self, e: &Entry) -> String {
        let resolution = match (e.resolution(), &e.want) {
            (Some(Resolution::Backup), _) if e.folder_link.is_some() => {
                Some("made in the unfolded folder".to_string())
            }
            (Some(Resolution::Backup), _) => Some("moved to the backup store first".to_string()),
            (Some(Resolution::SameContent), _) => {
                Some("same bytes as the original; moved to the backup store first".to_string())
            }
            (Some(Resolution::Adopt), _) => Some(
                "adopted as the repo's version; the repo's version goes to the backup store"
                    .to_string(),
            ),
            (Some(Resolution::Restore), Want::Restore(b)) => Some(match (&b.stored, &b.text) {
                (Some(stored), _) => format!("restore {}", stored.shown()),
                (None, Some(text)) => format!("restore the link to {}", text.shown()),
                _ => "restore".to_string(),
            }),
            _ => None,
        };
        let reason = match (e.reason, e.current_text()) {
            (Some(r), Some(now)) if e.action() == Action::Fix => {
                Some(format!("{}: now -> {}", r.as_str(), now.shown()))
            }
            (Some(r), _) => Some(r.as_str().to_string()),
            (None, _) => None,
        };
        match (reason, resolution) {
            (Some(r), Some(x)) => format!("  ({r}; {x})"),
            (Some(r), None) | (None, Some(r)) => format!("  ({r})"),
            (None, None) => String::new(),
        }
    }
}

/// `Plan: 3 to create, 1 to fix, 0 to remove, 1 conflict.` (`N to release, ` before the
/// conflicts when there are places to release).
pub fn summary(c: &Counts) -> String {
    let release = match c.release {
        0 => String::new(),
        n => format!(" {n} to release,"),
    };
    format!(
        "Plan: {} to create, {} to fix, {} to remove,{release} {} conflict{}.",
        c.create,
        c.fix,
        c.remove,
        c.conflict,
        if c.conflict == 1 { "" } else { "s" }
    )
}

/// The last line of `plan`.
pub fn plan_line(c: &Counts) -> String {
    if !c.pending() {
        format!(
            "No changes: {} link{} already in place.",
            c.ok,
            plural(c.ok)
        )
    } else {
        summary(c)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What a finished apply, undo or unlink says.
pub fn applied(a: &Applied, c: &Counts, op: Option<&Operation>) -> String {
    if *a == Applied::default() {
        return match op {
            Some(Operation {
                id,
                undoes: Some(u),
                ..
            }) => format!("Nothing to change on disk. Operation {id} undid operation {u}."),
            Some(op) => format!(
                "Nothing to change on disk; recorded operation {} ({} link{} owned).",
                op.id,
                op.view.len(),
                plural(op.view.len())
            ),
            None => nothing_to_do(c),
        };
    }
    let mut s = format!(
        "Applied: {} created, {} fixed, {} removed",
        a.created, a.fixed, a.removed
    );
    if a.backed_up > 0 {
        let _ = write!(s, ", {} moved to the backup store", a.backed_up);
    }
    if a.restored > 0 {
        let _ = write!(s, ", {} restored", a.restored);
    }
    if a.released > 0 {
        let _ = write!(s, ", {} released", a.released);
    }
    if a.folders > 0 {
        let _ = write!(s, " ({} folder{} made)", a.folders, plural(a.folders));
    }
    s.push('.');
    match op {
        Some(Operation {
            id,
            undoes: Some(u),
            ..
        }) => {
            let _ = write!(s, " Operation {id} undid operation {u}.");
        }
        Some(op) => {
            let _ = write!(s, " Operation {} (undo with `linkfile undo`).", op.id);
        }
        None => {}
    }
    s
}

/// What an apply with no changes says.
pub fn nothing_to_do(c: &Counts) -> String {
    format!(
        "Nothing to do: {} link{} already in place.",
        c.ok,
        plural(c.ok)
    )
}

/// `linkfile log`: one line per operation, newest first, and its backups.
pub fn log(history: &[Operation], home: &Path) -> String {
    let mut out = String::new();
    for op in history {
        let what = match op.undoes {
            Some(u) => format!("undo of {u}"),
            None => op.command.to_string(),
        };
        let _ = writeln!(
            out,
            "{:>4}  {}  {:<12} {} link{} owned, {} backup{}, manifest {}",
            op.id,
            oplog::format_time(op.time),
            what,
            op.view.len(),
            plural(op.view.len()),
            op.backups.len(),
            plural(op.backups.len()),
            op.manifest_hash
        );
        for b in &op.backups {
            let place = match b.at.strip_prefix(home) {
                Ok(rest) => format!("~/{}", slashed(rest)),
                Err(_) => b.at.shown().to_string(),
            };
            let kept = match (&b.stored, &b.text) {
                (Some(stored), _) => stored.shown().to_string(),
                (None, Some(text)) => format!("link to {}", text.shown()),
                _ => String::new(),
            };
            let _ = writeln!(out, "        backup: {place} -> {kept}");
        }
    }
    out
}

/// Whether an entry's lines end with its diff (the plan) or not (the conflicts of a refusal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Diff {
    Shown,
    Left,
}
