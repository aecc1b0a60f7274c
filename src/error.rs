//! Errors a user must act on, and how they are shown.
//!
//! Every error says what happened, to which file or path, and — where there is something to do —
//! what to do (`hint:`). Manifest errors are [`Diagnostic`]s: they carry the manifest text and a
//! byte span so they can be shown as `file:line:col` with the offending line and carets under the
//! span, as compilers do.

use crate::color::{self, Palette};
pub use crate::refusal::{AddChange, AddRefusal, InitRefusal, NotAddable, Refusal};
use crate::show::Shown as _;
use std::fmt::Write as _;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A problem at a place in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The manifest's path, as shown to the user.
    pub file: PathBuf,
    /// 1-based line of the span's start.
    pub line: usize,
    /// 1-based column (in characters) of the span's start.
    pub column: usize,
    /// The whole line the span starts on.
    pub source_line: String,
    /// How many characters to underline (at least 1).
    pub width: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// Builds a diagnostic for `span` (byte offsets into `text`).
    pub fn new(
        file: &Path,
        text: &str,
        span: Range<usize>,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Self {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let source_line = text[line_start..line_end]
            .trim_end_matches('\r')
            .to_string();
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let width = text[start..end.min(line_end)].chars().count().max(1);
        Diagnostic {
            file: file.to_path_buf(),
            line,
            column,
            source_line,
            width,
            message: message.into(),
            hint,
        }
    }

    fn render(&self, out: &mut String, palette: Palette) {
        let gutter = self.line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(
            out,
            "{}: {}",
            palette.paint(color::ERROR, "error"),
            self.message
        );
        let _ = writeln!(
            out,
            "{pad}--> {}:{}:{}",
            self.file.shown(),
            self.line,
            self.column
        );
        let _ = writeln!(out, "{pad} |");
        let (shown, before, width) = self.window();
        let _ = writeln!(out, "{} | {shown}", self.line);
        let lead: String = before
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = writeln!(
            out,
            "{pad} | {lead}{}",
            palette.paint(color::ERROR, &"^".repeat(width))
        );
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "{}: {hint}", palette.paint(color::HINT, "hint"));
        }
    }
}

/// The longest source line shown whole, in characters; a longer one is shown around the span.
const MAX_SOURCE_LINE: usize = 200;

impl Diagnostic {
    /// The part of the source line shown, what of it comes before the span, and how many
    /// characters of the span to underline.
    fn window(&self) -> (String, String, usize) {
        let chars: Vec<char> = self.source_line.chars().collect();
        let at = (self.column - 1).min(chars.len());
        if chars.len() <= MAX_SOURCE_LINE {
            let before = chars[..at].iter().collect();
            return (self.source_line.clone(), before, self.width);
        }
        let start = at.saturating_sub(MAX_SOURCE_LINE / 4);
        let end = (start + MAX_SOURCE_LINE).min(chars.len());
        let (open, close) = (
            if start > 0 { "…" } else { "" },
            if end < chars.len() { "…" } else { "" },
        );
        let shown = format!(
            "{open}{}{close}",
            chars[start..end].iter().collect::<String>()
        );
        let before = format!(
            "{open}{}",
            chars[start..at.max(start)].iter().collect::<String>()
        );
        let width = self.width.min(end.saturating_sub(at)).max(1);
        (shown, before, width)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The manifest is invalid; nothing was changed.
    #[error("invalid manifest")]
    Manifest(Vec<Diagnostic>),
    /// No manifest was given and none was found.
    #[error("no linkfile.toml in {} or any folder above it", start.shown())]
    NoManifest { start: PathBuf },
    /// The manifest could not be read.
    #[error("cannot read manifest {}: {source}", path.shown())]
    ReadManifest { path: PathBuf, source: io::Error },
    /// No home folder could be determined.
    #[error(
        "cannot tell where your home folder is: neither --home, LINKFILE_HOME nor {var} is set"
    )]
    NoHome { var: &'static str },
    /// The home folder does not exist.
    #[error("the home folder {} does not exist", path.shown())]
    HomeMissing { path: PathBuf },
    /// Something in the filesystem could not be read.
    #[error("cannot inspect {}: {source}", path.shown())]
    Observe { path: PathBuf, source: io::Error },
    /// Conflicts under `on_conflict = "fail"`.
    #[error("{count} conflict{}; nothing was changed", if *count == 1 { "" } else { "s" })]
    Conflicts {
        count: usize,
        command: crate::command::Command,
    },
    /// The filesystem changed between the plan and the apply.
    #[error("{} changed since the plan was made ({change}); nothing was changed", path.shown())]
    StalePlan { path: PathBuf, change: Staleness },
    /// A write failed during apply; everything done before it was rolled back.
    #[error("{}", apply_failure(action, path, source, rollback))]
    Apply {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
        hint: Option<String>,
        rollback: Rollback,
    },
    /// The state folder could not be read or written.
    #[error("cannot use linkfile's state at {}: {source}", path.shown())]
    State { path: PathBuf, source: io::Error },
    /// Another linkfile holds the writer's lock.
    #[error("another linkfile is running ({}); lock: {}", if holder.is_empty() { "unknown process" } else { holder.as_str() }, path.shown())]
    Locked { path: PathBuf, holder: String },
    /// An interrupted operation could not be rolled back automatically.
    #[error("an interrupted `linkfile {command}` could not be rolled back automatically:\n  {}", failures.join("\n  "))]
    NeedsRecover {
        command: crate::command::Command,
        failures: Vec<String>,
    },
    /// Nothing to undo.
    #[error("nothing to undo: {0}")]
    NothingToUndo(UndoHistory),
    /// Writing output failed (e.g. a closed pipe).
    #[error("cannot write output: {0}")]
    Output(#[from] io::Error),
    /// A record in the state folder is damaged or forged; nothing was done on its say-so.
    #[error("the operation record {} is corrupt: {why}; nothing was changed", path.shown())]
    CorruptRecord { path: PathBuf, why: Corruption },
    /// Every step ran, but the operation's record could not be written: the changes are in
    /// place, unrecorded, and the next writer rolls them back.
    #[error(
        "every change of this `linkfile {command}` was made, but the operation could not be recorded: {source}\nthe links are in place as planned; an operation that is not recorded cannot be undone, so the next `linkfile apply`, `undo` or `unlink` (or `linkfile recover`) rolls it back first and says so"
    )]
    Unrecorded {
        command: crate::command::Command,
        source: Box<Error>,
    },
    /// An `--only` or `--except` that matches no entry.
    #[error("`{selector}` chooses nothing: no link of this manifest has that tag or lies there")]
    ChoosesNothing { selector: String, tags: Vec<String> },
    /// A step would write inside the repo (by real path) other than by adopting.
    #[error("refusing to write {}: it lies inside the repo {} by its real path; nothing was changed", path.shown(), repo.shown())]
    WouldWriteRepo { path: PathBuf, repo: PathBuf },
    /// The state folder, a folder above it or a name in it is not the user's own to trust.
    #[error("refusing to use linkfile's state: {} is not safe: {why}; nothing was changed", path.shown())]
    UntrustedState { path: PathBuf, why: Distrust },
    /// The state folder lies inside the repo (by real path).
    #[error("linkfile's state folder {} is inside the repo {} by its real path ({}): its records, backups and lock would become part of your dotfiles, and links to them would never settle; nothing was changed", state.shown(), repo.shown(), real.shown())]
    StateInRepo {
        state: PathBuf,
        repo: PathBuf,
        real: PathBuf,
    },
    /// A record names a place this manifest neither owns nor wants, nor its backup store.
    #[error("refusing the record {}: it names {}, {why}; nothing was changed", record.shown(), path.shown())]
    UntrustedRecord {
        record: PathBuf,
        path: PathBuf,
        why: OutOfScope,
    },
    /// The manifest is not a regular file (a device, a FIFO, a folder).
    #[error("cannot read manifest {}: it is {what}, not a regular file", path.shown())]
    ManifestNotRegular { path: PathBuf, what: &'static str },
    /// The manifest is larger than linkfile reads.
    #[error("cannot read manifest {}: it is larger than 16 MiB ({size} bytes)", path.shown())]
    ManifestTooBig { path: PathBuf, size: u64 },
    /// The manifest is not UTF-8 as a whole: UTF-16, of the byte order `utf16` says.
    #[error("cannot read manifest {}: it is UTF-16 ({utf16}), not UTF-8", path.shown())]
    ManifestEncoding { path: PathBuf, utf16: &'static str },
    /// A command refused what it was asked (`add`, `init`, `undo`); nothing was changed.
    #[error("{0}")]
    Refused(Refusal),
    /// An error already printed on stdout as JSON (inside a `--json` report); said on stderr
    /// as the error it wraps.
    #[error("{0}")]
    InReport(Box<Error>),
}

/// How the rollback after a failed apply went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollback {
    /// Every step done before the failure was undone.
    Complete { steps: usize },
    /// Some steps could not be undone; each entry names the path and the OS error.
    Incomplete { failures: Vec<String> },
}

fn apply_failure(action: &str, path: &Path, source: &io::Error, rollback: &Rollback) -> String {
    let head = format!("cannot {action} {}: {source}", path.shown());
    match rollback {
        Rollback::Complete { steps: 0 } => format!("{head}\nnothing was changed"),
        Rollback::Complete { steps } => {
            format!("{head}\nrolled back the {steps} change(s) already made; nothing was changed")
        }
        Rollback::Incomplete { failures } => format!(
            "{head}\nrollback could not undo everything; check these paths by hand:\n  {}",
            failures.join("\n  ")
        ),
    }
}

impl Error {
    /// The process exit code for this error (design.md §3).
    pub fn exit_code(&self) -> crate::ExitCode {
        match self {
            Error::Locked { .. } => crate::ExitCode::Locked,
            Error::InReport(e) => e.exit_code(),
            _ => crate::ExitCode::Error,
        }
    }

    /// What the user can do, when the error itself does not say it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Manifest(_) => None,
            Error::NoManifest { .. } => Some(
                "run linkfile inside your dotfiles repo, or pass -m path/to/linkfile.toml (or set LINKFILE_MANIFEST)"
                    .into(),
            ),
            Error::ReadManifest { .. } => Some("check the path given with -m or LINKFILE_MANIFEST".into()),
            Error::NoHome { .. } => Some("pass --home DIR".into()),
            Error::HomeMissing { .. } => Some("create it, or pass --home with an existing folder".into()),
            Error::Observe { .. } => Some("check the permissions of that path and its parent folders".into()),
            Error::Conflicts {
                command: crate::command::Command::Apply,
                ..
            } => Some(
                "deal with each conflict as its hint says (apply --on-conflict backup moves what is in the way to the backup store), then run linkfile again".into(),
            ),
            Error::Conflicts { command, .. } => Some(format!(
                "deal with each conflict as its hint says, then run `linkfile {command}` again"
            )),
            Error::StalePlan { .. } => Some("run `linkfile plan` again to see the current state".into()),
            Error::Apply { hint, .. } => hint.clone(),
            Error::State { .. } => Some("check that the state folder (LINKFILE_STATE_DIR, else $XDG_STATE_HOME/linkfile or ~/.local/state/linkfile) is writable".into()),
            Error::Locked { .. } => Some("wait for it to finish, then run linkfile again".into()),
            Error::NeedsRecover { .. } => Some("look at the paths above; `linkfile recover` leaves them as they are and rolls back the rest".into()),
            Error::NothingToUndo(_) => None,
            Error::Output(_) => None,
            Error::ChoosesNothing { tags, .. } if tags.is_empty() => Some(
                "the manifest has no `tags`; give a path (with a `/`, or starting with `~`) or add tags = [...] to its entries".into(),
            ),
            Error::ChoosesNothing { tags, .. } => {
                Some(format!("the tags here are: {}", tags.join(", ")))
            }
            Error::CorruptRecord { .. } => Some(
                "linkfile's operation log was damaged or edited by hand; move this manifest's state folder aside (the record's folder) to start a fresh history, and look at its backups/ for anything to put back".into(),
            ),
            Error::Unrecorded { .. } => Some(
                "make room (or fix the permissions) in linkfile's state folder, then run `linkfile recover` to roll back, or `linkfile apply` to roll back and apply again".into(),
            ),
            Error::ManifestNotRegular { .. } | Error::ManifestTooBig { .. } => Some(
                "a manifest is a linkfile.toml of a few kilobytes: check the path given with -m or LINKFILE_MANIFEST".into(),
            ),
            Error::ManifestEncoding { .. } => Some(
                "save it as UTF-8 (most editors offer it under \"Save with encoding\")".into(),
            ),
            Error::Refused(refusal) => Some(refusal.hint().into()),
            Error::InReport(e) => e.hint(),
            Error::WouldWriteRepo { .. } => Some(
                "linkfile changes the repo's files only when adopting; a folder on the way to this path leads into the repo: check `at`, and the folder links above it".into(),
            ),
            Error::UntrustedState { path, why } => Some(why.hint(path)),
            Error::StateInRepo { .. } => Some(
                "set LINKFILE_STATE_DIR to a folder outside the repo (unset, the state is kept in $XDG_STATE_HOME/linkfile, else ~/.local/state/linkfile)".into(),
            ),
            Error::UntrustedRecord { record, .. } => Some(format!(
                "linkfile writes records only for places the manifest owns or wants, and keeps backups only in its store: this one was damaged, forged, or written for a manifest since edited. If you edited the manifest after an interrupted run, put it back as it was and run linkfile again; otherwise move {} aside (nothing of it was done) and check that no one else can write to linkfile's state folder",
                record.display()
            )),
        }
    }

    /// Renders the error as shown on stderr.
    pub fn render(&self, palette: Palette) -> String {
        if let Error::InReport(e) = self {
            return e.render(palette);
        }
        let mut out = String::new();
        if let Error::Manifest(diagnostics) = self {
            for (i, d) in diagnostics.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                d.render(&mut out, palette);
            }
            let n = diagnostics.len();
            if n > 1 {
                let _ = writeln!(
                    out,
                    "\n{}: {n} problems in the manifest; nothing was changed",
                    palette.paint(color::ERROR, "error")
                );
            }
            return out;
        }
        let _ = writeln!(out, "{}: {self}", palette.paint(color::ERROR, "error"));
        if let Some(hint) = self.hint() {
            let _ = writeln!(out, "{}: {hint}", palette.paint(color::HINT, "hint"));
        }
        out
    }
}

/// What changed between the plan and the apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staleness {
    /// A folder link to unfold no longer has the text it was planned with.
    FolderLink { planned: PathBuf },
    /// A place holds something other than it did (each as [`crate::observe::Actual`] describes
    /// itself: `Actual` cannot be held here, observe names this module).
    Place { planned: String, now: String },
    /// A file of the repo to adopt into became a link.
    AdoptIntoLink,
    /// Another linkfile wrote its state while this one waited for the lock.
    StateWritten,
}

impl std::fmt::Display for Staleness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Staleness::FolderLink { planned } => {
                write!(f, "planned with a link to {} there", planned.display())
            }
            Staleness::Place { planned, now } => {
                write!(f, "planned with {planned} there, now {now}")
            }
            Staleness::AdoptIntoLink => {
                f.write_str("planned to adopt into a file of the repo, now a link there")
            }
            Staleness::StateWritten => f.write_str("another linkfile wrote its state meanwhile"),
        }
    }
}

/// Why there is nothing to undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UndoHistory {
    /// No operation was recorded yet.
    Empty,
    /// Every operation is undone already.
    AllUndone,
}

impl std::fmt::Display for UndoHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UndoHistory::Empty => "no operations yet",
            UndoHistory::AllUndone => "every operation is already undone",
        })
    }
}

/// Why a name of linkfile's state (or a folder above it) is not to be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Distrust {
    /// It is a link, where linkfile keeps only its own files and folders.
    IsALink,
    /// It belongs to the user `uid`, not to this one (`me`) nor root.
    OtherOwner { uid: u32, me: u32 },
    /// Others than its owner can write to it (`mode`: its permission bits).
    Writable { by: Writers, mode: u32 },
    /// A link on the way to it belongs to the user `uid`.
    OthersLink { uid: u32 },
    /// An intent record of format `version`, newer than this linkfile reads (`reads`).
    NewerIntent { version: u32, reads: u32 },
}

/// Who besides the owner can write to a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writers {
    Anyone,
    Group,
}

impl Distrust {
    /// What to do about `path`.
    fn hint(&self, path: &Path) -> String {
        let path = path.display();
        match self {
            Distrust::IsALink => format!(
                "remove the link {path} (nothing of linkfile's is a link there), then run linkfile again"
            ),
            Distrust::OtherOwner { me, .. } => format!(
                "use a state folder of your own (LINKFILE_STATE_DIR, else $XDG_STATE_HOME/linkfile or ~/.local/state/linkfile), or `chown {me} {path}` if it is yours"
            ),
            Distrust::Writable { .. } => format!("run `chmod go-w {path}`"),
            Distrust::OthersLink { .. } => {
                "set LINKFILE_STATE_DIR to a path without other users' links".into()
            }
            Distrust::NewerIntent { .. } => {
                "run `linkfile recover` with the newer linkfile to roll it back, then use this one"
                    .into()
            }
        }
    }
}

impl std::fmt::Display for Distrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Distrust::IsALink => {
                f.write_str("it is a link, and linkfile never follows a link in its state folder")
            }
            Distrust::OtherOwner { uid, .. } => write!(
                f,
                "it belongs to another user (uid {uid}), who could change what linkfile reads there"
            ),
            Distrust::Writable { by, mode } => {
                let who = match by {
                    Writers::Anyone => "anyone",
                    Writers::Group => "its group",
                };
                write!(
                    f,
                    "it is writable by {who} (mode {mode:o}), who could plant records or links that linkfile would act on"
                )
            }
            Distrust::OthersLink { uid } => write!(
                f,
                "it is a link that belongs to another user (uid {uid}), who could point it elsewhere"
            ),
            Distrust::NewerIntent { version, reads } => write!(
                f,
                "it is the record of an interrupted run of a newer linkfile (intent format {version}; this linkfile reads up to {reads})"
            ),
        }
    }
}

/// How an operation record contradicts what it must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corruption {
    /// Its id is not the one in its name.
    OtherId { says: u64 },
    /// Its parent is not older than it.
    ParentNotOlder { parent: u64 },
    /// The operation it undoes is not older than it.
    UndoesNotOlder { undoes: u64 },
    /// Its id is the largest there is: no next operation can be numbered.
    LastId { id: u64 },
}

impl std::fmt::Display for Corruption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Corruption::OtherId { says } => write!(f, "it says it is operation {says}"),
            Corruption::ParentNotOlder { parent } => {
                write!(f, "its parent {parent} is not older than it")
            }
            Corruption::UndoesNotOlder { undoes } => {
                write!(f, "it undoes {undoes}, which is not older than it")
            }
            Corruption::LastId { id } => {
                write!(f, "its id {id} leaves no id for the next operation")
            }
        }
    }
}

/// Why a record may not be acted on: what it names lies outside what this manifest owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutOfScope {
    /// A place this manifest neither owns nor wants.
    NotOurs,
    /// A folder that holds no place of this manifest.
    FolderOfNoPlace,
    /// A move to or from what is neither a place, the backup store nor an original.
    MoveOutside,
    /// A move of a kind linkfile never makes.
    MoveNeverMade,
    /// A backup kept outside the backup store.
    BackupOutsideStore,
    /// A backup of a place no operation ever owned.
    NeverOwned,
    /// A link to an existing `to` outside the repo.
    LinkOutsideRepo { to: PathBuf },
}

impl std::fmt::Display for OutOfScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OutOfScope::NotOurs => "a place this manifest neither owns nor wants",
            OutOfScope::FolderOfNoPlace => "a folder that holds no place of this manifest",
            OutOfScope::MoveOutside => {
                "neither a place this manifest owns or wants, nor its backup store, nor an original adopting moves"
            }
            OutOfScope::MoveNeverMade => {
                "a move linkfile never makes (only into or out of the backup store, or an adopted file into the repo)"
            }
            OutOfScope::BackupOutsideStore => "kept outside this manifest's backup store",
            OutOfScope::NeverOwned => "a place no operation of this manifest ever owned",
            OutOfScope::LinkOutsideRepo { to } => {
                return write!(f, "a link to {}, outside the repo", to.display());
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Command;

    /// Each error says its message and its hint.
    fn check(rows: Vec<(Error, &str, Option<&str>)>) {
        for (error, message, hint) in rows {
            assert_eq!(error.to_string(), message, "{error:?}");
            assert_eq!(error.hint().as_deref(), hint, "{error:?}");
        }
    }

    #[test]
    fn a_stale_plan_says_what_changed() {
        let stale = |change| Error::StalePlan {
            path: PathBuf::from("/h/a"),
            change,
        };
        let hint = Some("run `linkfile plan` again to see the current state");
        let end = "nothing was changed";
        check(vec![
            (
                stale(Staleness::FolderLink {
                    planned: PathBuf::from("/r/a"),
                }),
                &format!(
                    "/h/a changed since the plan was made (planned with a link to /r/a there); {end}"
                ),
                hint,
            ),
            (
                stale(Staleness::Place {
                    planned: "nothing".into(),
                    now: "a file".into(),
                }),
                &format!(
                    "/h/a changed since the plan was made (planned with nothing there, now a file); {end}"
                ),
                hint,
            ),
            (
                stale(Staleness::AdoptIntoLink),
                &format!(
                    "/h/a changed since the plan was made (planned to adopt into a file of the repo, now a link there); {end}"
                ),
                hint,
            ),
            (
                stale(Staleness::StateWritten),
                &format!(
                    "/h/a changed since the plan was made (another linkfile wrote its state meanwhile); {end}"
                ),
                hint,
            ),
        ]);
    }

    #[test]
    fn typed_errors_say_their_data() {
        let recover = "look at the paths above; `linkfile recover` leaves them as they are and rolls back the rest";
        check(vec![
            (
                Error::NothingToUndo(UndoHistory::Empty),
                "nothing to undo: no operations yet",
                None,
            ),
            (
                Error::NothingToUndo(UndoHistory::AllUndone),
                "nothing to undo: every operation is already undone",
                None,
            ),
            (
                Error::NeedsRecover {
                    command: Command::Add,
                    failures: vec!["/h/a: gone".into(), "/h/b: busy".into()],
                },
                "an interrupted `linkfile add` could not be rolled back automatically:\n  /h/a: gone\n  /h/b: busy",
                Some(recover),
            ),
            (
                Error::ChoosesNothing {
                    selector: "vim".into(),
                    tags: vec!["git".into(), "shell".into()],
                },
                "`vim` chooses nothing: no link of this manifest has that tag or lies there",
                Some("the tags here are: git, shell"),
            ),
            (
                Error::ManifestEncoding {
                    path: PathBuf::from("/r/linkfile.toml"),
                    utf16: "little-endian",
                },
                "cannot read manifest /r/linkfile.toml: it is UTF-16 (little-endian), not UTF-8",
                Some("save it as UTF-8 (most editors offer it under \"Save with encoding\")"),
            ),
        ]);
    }

    #[test]
    fn untrusted_state_says_why_and_what_to_do() {
        let untrusted = |why| Error::UntrustedState {
            path: PathBuf::from("/s"),
            why,
        };
        let says = |why: &str| {
            format!("refusing to use linkfile's state: /s is not safe: {why}; nothing was changed")
        };
        check(vec![
            (
                untrusted(Distrust::IsALink),
                &says("it is a link, and linkfile never follows a link in its state folder"),
                Some(
                    "remove the link /s (nothing of linkfile's is a link there), then run linkfile again",
                ),
            ),
            (
                untrusted(Distrust::OtherOwner { uid: 7, me: 1000 }),
                &says(
                    "it belongs to another user (uid 7), who could change what linkfile reads there",
                ),
                Some(
                    "use a state folder of your own (LINKFILE_STATE_DIR, else $XDG_STATE_HOME/linkfile or ~/.local/state/linkfile), or `chown 1000 /s` if it is yours",
                ),
            ),
            (
                untrusted(Distrust::Writable {
                    by: Writers::Anyone,
                    mode: 0o1777,
                }),
                &says(
                    "it is writable by anyone (mode 1777), who could plant records or links that linkfile would act on",
                ),
                Some("run `chmod go-w /s`"),
            ),
            (
                untrusted(Distrust::Writable {
                    by: Writers::Group,
                    mode: 0o775,
                }),
                &says(
                    "it is writable by its group (mode 775), who could plant records or links that linkfile would act on",
                ),
                Some("run `chmod go-w /s`"),
            ),
            (
                untrusted(Distrust::OthersLink { uid: 7 }),
                &says(
                    "it is a link that belongs to another user (uid 7), who could point it elsewhere",
                ),
                Some("set LINKFILE_STATE_DIR to a path without other users' links"),
            ),
            (
                untrusted(Distrust::NewerIntent {
                    version: 3,
                    reads: 2,
                }),
                &says(
                    "it is the record of an interrupted run of a newer linkfile (intent format 3; this linkfile reads up to 2)",
                ),
                Some(
                    "run `linkfile recover` with the newer linkfile to roll it back, then use this one",
                ),
            ),
        ]);
    }

    #[test]
    fn a_corrupt_record_says_what_it_contradicts() {
        let corrupt = |why| Error::CorruptRecord {
            path: PathBuf::from("/s/ops/00000005.json"),
            why,
        };
        let hint = Some(
            "linkfile's operation log was damaged or edited by hand; move this manifest's state folder aside (the record's folder) to start a fresh history, and look at its backups/ for anything to put back",
        );
        let says = |why: &str| {
            format!(
                "the operation record /s/ops/00000005.json is corrupt: {why}; nothing was changed"
            )
        };
        check(vec![
            (
                corrupt(Corruption::OtherId { says: 4 }),
                &says("it says it is operation 4"),
                hint,
            ),
            (
                corrupt(Corruption::ParentNotOlder { parent: 5 }),
                &says("its parent 5 is not older than it"),
                hint,
            ),
            (
                corrupt(Corruption::UndoesNotOlder { undoes: 6 }),
                &says("it undoes 6, which is not older than it"),
                hint,
            ),
            (
                corrupt(Corruption::LastId { id: u64::MAX }),
                &says("its id 18446744073709551615 leaves no id for the next operation"),
                hint,
            ),
        ]);
    }

    #[test]
    fn an_untrusted_record_says_what_it_names() {
        let refused = |path: &str, why| Error::UntrustedRecord {
            record: PathBuf::from("/s/intent.json"),
            path: PathBuf::from(path),
            why,
        };
        let says = |path: &str, why: &str| {
            format!(
                "refusing the record /s/intent.json: it names {path}, {why}; nothing was changed"
            )
        };
        let hint = "linkfile writes records only for places the manifest owns or wants, and keeps backups only in its store: this one was damaged, forged, or written for a manifest since edited. If you edited the manifest after an interrupted run, put it back as it was and run linkfile again; otherwise move /s/intent.json aside (nothing of it was done) and check that no one else can write to linkfile's state folder";
        let hint = Some(hint);
        check(vec![
            (
                refused("/h/a", OutOfScope::NotOurs),
                &says("/h/a", "a place this manifest neither owns nor wants"),
                hint,
            ),
            (
                refused("/h/d", OutOfScope::FolderOfNoPlace),
                &says("/h/d", "a folder that holds no place of this manifest"),
                hint,
            ),
            (
                refused("/h/a", OutOfScope::MoveOutside),
                &says(
                    "/h/a",
                    "neither a place this manifest owns or wants, nor its backup store, nor an original adopting moves",
                ),
                hint,
            ),
            (
                refused("/h/a", OutOfScope::MoveNeverMade),
                &says(
                    "/h/a",
                    "a move linkfile never makes (only into or out of the backup store, or an adopted file into the repo)",
                ),
                hint,
            ),
            (
                refused("/x/b", OutOfScope::BackupOutsideStore),
                &says("/x/b", "kept outside this manifest's backup store"),
                hint,
            ),
            (
                refused("/h/a", OutOfScope::NeverOwned),
                &says("/h/a", "a place no operation of this manifest ever owned"),
                hint,
            ),
            (
                refused(
                    "/h/a",
                    OutOfScope::LinkOutsideRepo {
                        to: PathBuf::from("/etc/passwd"),
                    },
                ),
                &says("/h/a", "a link to /etc/passwd, outside the repo"),
                hint,
            ),
        ]);
    }
}
