//! Errors a user must act on, and how they are shown.
//!
//! Every error says what happened, to which file or path, and — where there is something to do —
//! what to do (`hint:`). Manifest errors are [`Diagnostic`]s: they carry the manifest text and a
//! byte span so they can be shown as `file:line:col` with the offending line and carets under the
//! span, as compilers do.

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

    fn render(&self, out: &mut String, style: &Style) {
        let gutter = self.line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{}: {}", style.error("error"), self.message);
        let _ = writeln!(
            out,
            "{pad}--> {}:{}:{}",
            self.file.display(),
            self.line,
            self.column
        );
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{} | {}", self.line, self.source_line);
        let lead: String = self
            .source_line
            .chars()
            .take(self.column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = writeln!(
            out,
            "{pad} | {lead}{}",
            style.error(&"^".repeat(self.width))
        );
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "{}: {hint}", style.hint("hint"));
        }
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
    #[error("no linkfile.toml in {} or any folder above it", start.display())]
    NoManifest { start: PathBuf },
    /// The manifest could not be read.
    #[error("cannot read manifest {}: {source}", path.display())]
    ReadManifest { path: PathBuf, source: io::Error },
    /// No home folder could be determined.
    #[error(
        "cannot tell where your home folder is: neither --home, LINKFILE_HOME nor {var} is set"
    )]
    NoHome { var: &'static str },
    /// The home folder does not exist.
    #[error("the home folder {} does not exist", path.display())]
    HomeMissing { path: PathBuf },
    /// Something in the filesystem could not be read.
    #[error("cannot inspect {}: {source}", path.display())]
    Observe { path: PathBuf, source: io::Error },
    /// Conflicts under `on_conflict = "fail"`.
    #[error("{count} conflict{}; nothing was changed", if *count == 1 { "" } else { "s" })]
    Conflicts { count: usize, command: String },
    /// The filesystem changed between the plan and the apply.
    #[error("{} changed since the plan was made ({detail}); nothing was changed", path.display())]
    StalePlan { path: PathBuf, detail: String },
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
    #[error("cannot use linkfile's state at {}: {source}", path.display())]
    State { path: PathBuf, source: io::Error },
    /// Another linkfile holds the writer's lock.
    #[error("another linkfile is running ({}); lock: {}", if holder.is_empty() { "unknown process" } else { holder.as_str() }, path.display())]
    Locked { path: PathBuf, holder: String },
    /// An interrupted operation could not be rolled back automatically.
    #[error("an interrupted `linkfile {command}` could not be rolled back automatically:\n  {}", failures.join("\n  "))]
    NeedsRecover {
        command: String,
        failures: Vec<String>,
    },
    /// Nothing to undo.
    #[error("nothing to undo: {0}")]
    NothingToUndo(String),
    /// Writing output failed (e.g. a closed pipe).
    #[error("cannot write output: {0}")]
    Output(#[from] io::Error),
    /// A record in the state folder is damaged or forged; nothing was done on its say-so.
    #[error("the operation record {} is corrupt: {why}; nothing was changed", path.display())]
    CorruptRecord { path: PathBuf, why: String },
    /// Every step ran, but the operation's record could not be written: the changes are in
    /// place, unrecorded, and the next writer rolls them back.
    #[error(
        "every change of this `linkfile {command}` was made, but the operation could not be recorded: {source}\nthe links are in place as planned; an operation that is not recorded cannot be undone, so the next `linkfile apply`, `undo` or `unlink` (or `linkfile recover`) rolls it back first and says so"
    )]
    Unrecorded { command: String, source: Box<Error> },
    /// A step would write inside the repo (by real path) other than by adopting.
    #[error("refusing to write {}: it lies inside the repo {} by its real path; nothing was changed", path.display(), repo.display())]
    WouldWriteRepo { path: PathBuf, repo: PathBuf },
    /// A command refused what it was asked (`add`, `init`); nothing was changed.
    #[error("{message}")]
    Refused {
        message: String,
        hint: Option<String>,
    },
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
    let head = format!("cannot {action} {}: {source}", path.display());
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
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Locked { .. } => 3,
            _ => 1,
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
            Error::Conflicts { command, .. } if command == "apply" => Some(
                "deal with each conflict as its hint says (apply --on-conflict backup moves what is in the way to the backup store), then run linkfile again".into(),
            ),
            Error::Conflicts { command, .. } => Some(format!(
                "deal with each conflict as its hint says, then run `linkfile {command}` again"
            )),
            Error::StalePlan { .. } => Some("run `linkfile plan` again to see the current state".into()),
            Error::Apply { hint, .. } => hint.clone(),
            Error::State { .. } => Some("check that the state folder (LINKFILE_STATE_DIR, else ~/.local/state/linkfile) is writable".into()),
            Error::Locked { .. } => Some("wait for it to finish, then run linkfile again".into()),
            Error::NeedsRecover { .. } => Some("look at the paths above; `linkfile recover` leaves them as they are and rolls back the rest".into()),
            Error::NothingToUndo(_) => None,
            Error::Output(_) => None,
            Error::CorruptRecord { .. } => Some(
                "linkfile's operation log was damaged or edited by hand; move this manifest's state folder aside (the record's folder) to start a fresh history, and look at its backups/ for anything to put back".into(),
            ),
            Error::Unrecorded { .. } => Some(
                "make room (or fix the permissions) in linkfile's state folder, then run `linkfile recover` to roll back, or `linkfile apply` to roll back and apply again".into(),
            ),
            Error::Refused { hint, .. } => hint.clone(),
            Error::WouldWriteRepo { .. } => Some(
                "linkfile changes the repo's files only when adopting; a folder on the way to this path leads into the repo: check `at`, and the folder links above it".into(),
            ),
        }
    }

    /// Renders the error as shown on stderr.
    pub fn render(&self, style: &Style) -> String {
        let mut out = String::new();
        if let Error::Manifest(diagnostics) = self {
            for (i, d) in diagnostics.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                d.render(&mut out, style);
            }
            let n = diagnostics.len();
            if n > 1 {
                let _ = writeln!(
                    out,
                    "\n{}: {n} problems in the manifest; nothing was changed",
                    style.error("error")
                );
            }
            return out;
        }
        let _ = writeln!(out, "{}: {self}", style.error("error"));
        if let Some(hint) = self.hint() {
            let _ = writeln!(out, "{}: {hint}", style.hint("hint"));
        }
        out
    }
}

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Whether to emit colour escapes.
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    /// Red, bold.
    pub fn error(&self, s: &str) -> String {
        self.paint("1;31", s)
    }
    /// Cyan, bold.
    pub fn hint(&self, s: &str) -> String {
        self.paint("1;36", s)
    }
    /// Green.
    pub fn create(&self, s: &str) -> String {
        self.paint("32", s)
    }
    /// Red.
    pub fn remove(&self, s: &str) -> String {
        self.paint("31", s)
    }
    /// Faint.
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    /// Yellow, as fixes are.
    pub fn fix(&self, s: &str) -> String {
        self.paint("33", s)
    }
}
