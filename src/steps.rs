//! The primitive steps an operation is made of: running each (one filesystem call, checked),
//! and undoing each from what the filesystem shows — the same undo serves the rollback of a
//! failed apply and the recovery after a crash, since neither can trust memory of what ran.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Rollback};
use crate::oplog::State;
use crate::platform::{self, Flavour, ReadLink};

/// One primitive change. The intent record is a list of these; each can be checked on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// `mkdir dir` (its parent exists).
    MakeFolder { dir: PathBuf },
    /// A new link at `at` (nothing is there).
    MakeLink {
        at: PathBuf,
        text: PathBuf,
        kind: Flavour,
    },
    /// The link at `at` goes from `old` to `new` (temporary link renamed over it); `kind` is the
    /// new link's flavour, `old_kind` the old one's when it differs (Windows: a file symlink
    /// replaced by a directory symlink or junction).
    ReplaceLink {
        at: PathBuf,
        old: PathBuf,
        new: PathBuf,
        kind: Flavour,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        old_kind: Option<Flavour>,
    },
    /// The link at `at`, holding `text`, is removed.
    RemoveLink {
        at: PathBuf,
        text: PathBuf,
        kind: Flavour,
    },
    /// `rename from to` (into or out of the backup store, or into the repo when adopting).
    Move { from: PathBuf, to: PathBuf },
    /// `rmdir dir` if it is empty (a folder linkfile made); left alone otherwise.
    RemoveFolder { dir: PathBuf },
    /// A new hard link at `at` to the file `original` (nothing is there).
    MakeHardLink { at: PathBuf, original: PathBuf },
    /// What is at `at` goes from one shape to another, where a hard link is involved (a
    /// temporary link of the new shape beside it, renamed over it).
    Swap { at: PathBuf, from: Shape, to: Shape },
    /// The hard link at `at` (still the same file as `original`) is removed; `original` stays.
    RemoveHardLink { at: PathBuf, original: PathBuf },
}

/// What is written before the first change, so that a crash can be undone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Intent {
    /// The operation being written.
    pub op: u64,
    /// The process writing it (names its temporary links).
    pub pid: u32,
    /// The command.
    pub command: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// Marks the operation finished: its record is committed, so the intent is no longer needed.
pub fn finish(state: &State) -> Result<(), Error> {
    match fs::remove_file(state.intent_path()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::State {
            path: state.intent_path(),
            source,
        }),
    }
}

/// A failed step, before rollback.
pub(crate) struct Failure {
    action: &'static str,
    path: PathBuf,
    source: io::Error,
    hint: Option<String>,
}

impl Failure {
    /// A failure reported before `step` ran (by the apply's hook).
    pub(crate) fn before(step: &Step, source: io::Error) -> Self {
        Failure::new(step_action(step), step_path(step), source)
    }

    fn new(action: &'static str, path: &Path, source: io::Error) -> Self {
        let hint = platform::hint_for(&source);
        Failure {
            action,
            path: path.to_path_buf(),
            source,
            hint,
        }
    }

    pub(crate) fn into_error(self, rollback: Rollback) -> Error {
        Error::Apply {
            action: self.action,
            path: self.path,
            source: self.source,
            hint: self.hint,
            rollback,
        }
    }
}

fn step_action(step: &Step) -> &'static str {
    match step {
        Step::MakeFolder { .. } => "create folder",
        Step::MakeLink { .. } => "create link",
        Step::ReplaceLink { .. } => "replace link",
        Step::RemoveLink { .. } => "remove link",
        Step::Move { .. } => "move",
        Step::RemoveFolder { .. } => "remove folder",
        Step::MakeHardLink { .. } => "create hard link",
        Step::Swap { .. } => "replace link",
        Step::RemoveHardLink { .. } => "remove hard link",
    }
}

fn step_path(step: &Step) -> &Path {
    match step {
        Step::MakeFolder { dir } | Step::RemoveFolder { dir } => dir,
        Step::MakeLink { at, .. }
        | Step::ReplaceLink { at, .. }
        | Step::RemoveLink { at, .. }
        | Step::MakeHardLink { at, .. }
        | Step::Swap { at, .. }
        | Step::RemoveHardLink { at, .. } => at,
        Step::Move { from, .. } => from,
    }
}

/// The folders new links are made in, kept open: each link is made and read back by its name in
/// its folder. Emptied before any other kind of step, which may move or remove a folder.
#[derive(Default)]
pub(crate) struct OpenFolder(HashMap<PathBuf, Option<platform::Folder>>);

impl OpenFolder {
    /// The open folder holding `at`, and `at`'s name in it; `None` to go by the full path.
    fn of<'a>(&mut self, at: &'a Path) -> Option<(&mut platform::Folder, &'a std::ffi::OsStr)> {
        let (parent, name) = (at.parent()?, at.file_name()?);
        if !self.0.contains_key(parent) {
            if self.0.len() == 128 {
                self.0.clear();
            }
            self.0
                .insert(parent.to_path_buf(), platform::Folder::open(parent).ok());
        }
        self.0.get_mut(parent)?.as_mut().map(|f| (f, name))
    }
}

pub(crate) fn run_step(step: &Step, folder: &mut OpenFolder) -> Result<(), Failure> {
    let fail = |e| Failure::new(step_action(step), step_path(step), e);
    if !matches!(step, Step::MakeLink { .. }) {
        // Any other step may move or remove a folder: never write through a stale handle.
        folder.0.clear();
    }
    match step {
        Step::MakeFolder { dir } => fs::create_dir(dir).map_err(fail),
        Step::MakeLink { at, text, kind } => {
            let made = match folder.of(at) {
                Some((f, name)) => f.make_link(name, text, *kind),
                None => platform::create_symlink(text, at, *kind),
            };
            made.map_err(|e| {
                if e.kind() == io::ErrorKind::AlreadyExists {
                    Failure {
                        action: "create link",
                        path: at.clone(),
                        source: e,
                        hint: Some(
                            "something appeared there since the plan; run `linkfile plan` again"
                                .into(),
                        ),
                    }
                } else {
                    fail(e)
                }
            })?;
            let answer = match folder.of(at) {
                Some((f, name)) => f.read_link(name),
                None => platform::read_link(at),
            };
            verify_answer(at, text, *kind, answer)
        }
        Step::ReplaceLink {
            at,
            old,
            new,
            kind,
            old_kind,
        } => {
            let temp = temp_link(at, new, *kind, std::process::id()).map_err(fail)?;
            // Re-read just before the rename: never replace a link someone changed meanwhile.
            match platform::read_link(at) {
                ReadLink::Link(now) if now == *old => {}
                _ => {
                    let _ = platform::remove_link(&temp, *kind);
                    return Err(Failure {
                        action: "replace link",
                        path: at.clone(),
                        source: io::Error::other("the link changed since the plan"),
                        hint: Some("run `linkfile plan` again".into()),
                    });
                }
            }
            // The old link, if it must go first, goes as what it is.
            if let Err(e) = platform::replace_link(&temp, at, old_kind.unwrap_or(*kind)) {
                let _ = platform::remove_link(&temp, *kind);
                return Err(fail(e));
            }
            verify(at, new, *kind)
        }
        Step::RemoveLink { at, text, kind } => {
            match platform::read_link(at) {
                ReadLink::Link(now) if platform::same_path(&now, text) => {}
                _ => {
                    return Err(Failure {
                        action: "remove link",
                        path: at.clone(),
                        source: io::Error::other("the link changed since the plan"),
                        hint: Some("run `linkfile plan` again".into()),
                    });
                }
            }
            platform::remove_link(at, *kind).map_err(fail)
        }
        Step::Move { from, to } => move_path(from, to).map_err(fail),
        Step::RemoveFolder { dir } => match fs::remove_dir(dir) {
            Err(e)
                if !matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::DirectoryNotEmpty
                ) =>
            {
                Err(fail(e))
            }
            _ => Ok(()),
        },
        Step::MakeHardLink { at, original } => {
            fs::hard_link(original, at).map_err(fail)?;
            verify_hard(at, original)
        }
        Step::Swap { at, from, to } => {
            let temp = to.make_temp(at, std::process::id()).map_err(fail)?;
            // Re-check just before the rename: never replace what someone changed meanwhile.
            if !from.holds(at) {
                to.remove(&temp);
                return Err(Failure {
                    action: "replace link",
                    path: at.clone(),
                    source: io::Error::other("it changed since the plan"),
                    hint: Some("run `linkfile plan` again".into()),
                });
            }
            // rename(2) puts the new name over the old one atomically.
            if let Err(e) = fs::rename(&temp, at) {
                to.remove(&temp);
                return Err(fail(e));
            }
            if to.holds(at) {
                Ok(())
            } else {
                Err(Failure {
                    action: "verify link",
                    path: at.clone(),
                    source: io::Error::other("the system reported success but made something else"),
                    hint: None,
                })
            }
        }
        Step::RemoveHardLink { at, original } => {
            if !crate::observe::same_file(at, original) {
                return Err(Failure {
                    action: "remove hard link",
                    path: at.clone(),
                    source: io::Error::other("it is no longer the same file as the original"),
                    hint: Some("run `linkfile plan` again".into()),
                });
            }
            // Removes this name only; the original keeps its own.
            fs::remove_file(at).map_err(fail)
        }
    }
}

/// A hard link to `original` under a fresh name beside `at`.
fn temp_hard_link(at: &Path, original: &Path, pid: u32) -> io::Result<PathBuf> {
    let parent = at.parent().unwrap_or(Path::new("."));
    let prefix = temp_prefix(at, pid);
    for n in 0..100 {
        let temp = parent.join(format!("{prefix}{n}.tmp"));
        match fs::hard_link(original, &temp) {
            Ok(()) => return Ok(temp),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free temporary name beside it"))
}

/// What a place holds, for a [`Step::Swap`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "shape", rename_all = "kebab-case")]
pub enum Shape {
    /// A symlink holding `text`.
    Symlink { text: PathBuf, kind: Flavour },
    /// A hard link to the file `original`.
    HardLink { original: PathBuf },
}

impl Shape {
    /// Whether `at` holds exactly this.
    fn holds(&self, at: &Path) -> bool {
        match self {
            Shape::Symlink { text, .. } => {
                matches!(platform::read_link(at), ReadLink::Link(now) if platform::same_path(&now, text))
            }
            Shape::HardLink { original } => crate::observe::same_file(at, original),
        }
    }

    /// This, under a fresh temporary name beside `at`.
    fn make_temp(&self, at: &Path, pid: u32) -> io::Result<PathBuf> {
        match self {
            Shape::Symlink { text, kind } => temp_link(at, text, *kind, pid),
            Shape::HardLink { original } => temp_hard_link(at, original, pid),
        }
    }

    /// Removes a temporary name made by [`Shape::make_temp`].
    fn remove(&self, temp: &Path) {
        let _ = match self {
            Shape::Symlink { kind, .. } => platform::remove_link(temp, *kind),
            Shape::HardLink { .. } => fs::remove_file(temp),
        };
    }

    /// Removes the temporary names of this shape a run (process `pid`) left beside `at`.
    fn remove_temps(&self, at: &Path, pid: u32) {
        let parent = at.parent().unwrap_or(Path::new("."));
        let prefix = temp_prefix(at, pid);
        for n in 0..100 {
            let temp = parent.join(format!("{prefix}{n}.tmp"));
            if self.holds(&temp) {
                self.remove(&temp);
            } else if fs::symlink_metadata(&temp).is_err() {
                break;
            }
        }
    }
}

/// Checks that a new hard link is the original, by another name.
fn verify_hard(at: &Path, original: &Path) -> Result<(), Failure> {
    if crate::observe::same_file(at, original) {
        return Ok(());
    }
    Err(Failure {
        action: "verify hard link",
        path: at.to_path_buf(),
        source: io::Error::other("the system reported success but the name is not the original"),
        hint: Some(
            "this filesystem does not make hard links faithfully; use link_type = \"symlink\""
                .into(),
        ),
    })
}

/// `rename`, refusing to replace anything at `to` (a backup never overwrites a backup). Across
/// filesystems a file is copied, fsynced and then removed; a folder is refused.
fn move_path(from: &Path, to: &Path) -> io::Result<()> {
    if fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", to.display()),
        ));
    }
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
            let meta = fs::symlink_metadata(from)?;
            if !meta.is_file() {
                return Err(e);
            }
            let mut src = fs::File::open(from)?;
            let mut dst = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(to)?;
            io::copy(&mut src, &mut dst)?;
            dst.set_permissions(meta.permissions())?;
            dst.sync_all()?;
            fs::remove_file(from)
        }
        Err(e) => Err(e),
    }
}

/// Undoes `steps` (which ran, or may have) newest first.
pub(crate) fn roll_back(steps: &[Step], pid: u32) -> Rollback {
    let mut failures = Vec::new();
    for step in steps.iter().rev() {
        if let Err(e) = undo_step(step, pid) {
            failures.push(format!("{}: {e}", step_path(step).display()));
        }
    }
    if failures.is_empty() {
        Rollback::Complete {
            steps: steps.len().saturating_sub(1),
        }
    } else {
        Rollback::Incomplete { failures }
    }
}

/// Reverts `step` if the filesystem shows it happened, and leaves the place alone otherwise:
/// it acts only when the place holds exactly what the step made, so it never removes or
/// overwrites anything else (a step that never ran, because the run stopped before it, finds
/// the place as it was, or as an earlier step that also never ran left it). Errors only when
/// the step's data is nowhere to be found.
pub fn undo_step(step: &Step, pid: u32) -> Result<(), String> {
    let exists = |p: &Path| fs::symlink_metadata(p).is_ok();
    match step {
        // Never made (the step failed, or never ran): nothing to undo, and no write to try —
        // the filesystem may be the one refusing writes.
        Step::MakeFolder { dir } if !exists(dir) => Ok(()),
        // Not a real folder (a link, a file): not what the step made.
        Step::MakeFolder { dir } if fs::symlink_metadata(dir).is_ok_and(|m| !m.is_dir()) => Ok(()),
        Step::MakeFolder { dir } => match fs::remove_dir(dir) {
            // A folder that now holds something else is left in place: remove_dir never
            // removes anything but an empty folder.
            Ok(()) => Ok(()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::DirectoryNotEmpty
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(e.to_string()),
        },
        Step::MakeLink { at, text, kind } => match platform::read_link(at) {
            ReadLink::Link(now) if platform::same_path(&now, text) => {
                platform::remove_link(at, *kind).map_err(|e| e.to_string())
            }
            _ => Ok(()),
        },
        Step::ReplaceLink {
            at,
            old,
            new,
            kind,
            old_kind,
        } => {
            remove_temp_links(at, pid);
            match platform::read_link(at) {
                ReadLink::Link(now) if now == *new => {
                    let was = old_kind.unwrap_or(*kind);
                    let temp = temp_link(at, old, was, pid).map_err(|e| e.to_string())?;
                    platform::replace_link(&temp, at, *kind).map_err(|e| e.to_string())
                }
                _ => Ok(()),
            }
        }
        Step::RemoveLink { at, text, kind } => match platform::read_link(at) {
            ReadLink::Missing => {
                platform::create_symlink(text, at, *kind).map_err(|e| e.to_string())
            }
            _ => Ok(()),
        },
        // rename(2) is atomic: both places holding something means it never ran.
        Step::Move { from, to } => match (exists(from), exists(to)) {
            (false, true) => move_path(to, from).map_err(|e| e.to_string()),
            (true, _) => Ok(()),
            (false, false) => Err(format!(
                "neither {} nor {} exists",
                from.display(),
                to.display()
            )),
        },
        // Whether it was removed or left (not empty), a missing folder is made again.
        Step::RemoveFolder { dir } if exists(dir) => Ok(()),
        Step::RemoveFolder { dir } => match fs::create_dir(dir) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e.to_string()),
            _ => Ok(()),
        },
        Step::MakeHardLink { at, original } if crate::observe::same_file(at, original) => {
            fs::remove_file(at).map_err(|e| e.to_string())
        }
        Step::MakeHardLink { .. } => Ok(()),
        Step::Swap { at, from, to } => {
            to.remove_temps(at, pid);
            if to.holds(at) {
                let temp = from.make_temp(at, pid).map_err(|e| e.to_string())?;
                fs::rename(&temp, at).map_err(|e| e.to_string())
            } else {
                Ok(())
            }
        }
        Step::RemoveHardLink { at, original } if !exists(at) => {
            fs::hard_link(original, at).map_err(|e| e.to_string())
        }
        Step::RemoveHardLink { .. } => Ok(()),
    }
}

fn temp_prefix(at: &Path, pid: u32) -> String {
    let name = at.file_name().unwrap_or_default().to_string_lossy();
    format!(".{name}.linkfile-{pid}-")
}

/// Makes a link holding `text` under a fresh name beside `at`.
fn temp_link(at: &Path, text: &Path, kind: Flavour, pid: u32) -> io::Result<PathBuf> {
    let parent = at.parent().unwrap_or(Path::new("."));
    let prefix = temp_prefix(at, pid);
    for n in 0..100 {
        let temp = parent.join(format!("{prefix}{n}.tmp"));
        match platform::create_symlink(text, &temp, kind) {
            Ok(()) => return Ok(temp),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free temporary name beside it"))
}

/// Removes temporary links a run (process `pid`) left beside `at`.
fn remove_temp_links(at: &Path, pid: u32) {
    let parent = at.parent().unwrap_or(Path::new("."));
    let prefix = temp_prefix(at, pid);
    for n in 0..100 {
        let temp = parent.join(format!("{prefix}{n}.tmp"));
        if let ReadLink::Link(_) = platform::read_link(&temp) {
            let _ = platform::remove_link(&temp, Flavour::File)
                .or_else(|_| platform::remove_link(&temp, Flavour::Dir));
        } else {
            break;
        }
    }
}

/// Reads a new link back: some environments report success and make nothing.
fn verify(at: &Path, text: &Path, kind: Flavour) -> Result<(), Failure> {
    verify_answer(at, text, kind, platform::read_link(at))
}

/// Checks what reading a new link back said.
fn verify_answer(at: &Path, text: &Path, kind: Flavour, answer: ReadLink) -> Result<(), Failure> {
    let problem = match answer {
        ReadLink::Link(t) if platform::same_path(&t, text) => match platform::link_flavour(at) {
            Ok(Some(f)) if f != kind => {
                Some("the link was made with the wrong flavour".to_string())
            }
            Ok(_) => None,
            Err(e) => Some(e.to_string()),
        },
        ReadLink::Link(t) => Some(format!("the link holds {} instead", t.display())),
        ReadLink::NotALink => Some("the system made something that is not a link (a copy?)".into()),
        ReadLink::MountPoint => Some("a volume is mounted there".into()),
        ReadLink::Missing | ReadLink::ParentProblem => {
            Some("the system reported success but no link exists".into())
        }
        ReadLink::Failed(e) => Some(e.to_string()),
    };
    match problem {
        None => Ok(()),
        Some(p) => Err(Failure {
            action: "verify link",
            path: at.to_path_buf(),
            source: io::Error::other(p),
            hint: Some(
                "this system does not make symbolic links faithfully (Wine, for one, reports success and creates nothing); run linkfile on a real system or filesystem that supports symlinks".into(),
            ),
        }),
    }
}

/// Finishes what a killed run left: if its intent is there and its record was not committed,
/// undoes its steps newest first. `force` (the `recover` command) leaves in place what cannot
/// be decided instead of refusing. Returns what was done, for the user.
pub fn recover(state: &State, force: bool) -> Result<Option<String>, Error> {
    let path = state.intent_path();
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(Error::State { path, source }),
    };
    let intent: Intent = match serde_json::from_str(&text) {
        Ok(i) => i,
        // A torn intent was never complete, so no step of it ran (it is written before the
        // first step, through a temporary file renamed into place).
        Err(_) => {
            finish(state)?;
            return Ok(None);
        }
    };
    if state.head()?.is_some_and(|h| h.id == intent.op) {
        finish(state)?;
        return Ok(None);
    }
    let mut failures = Vec::new();
    for step in intent.steps.iter().rev() {
        if let Err(e) = undo_step(step, intent.pid) {
            failures.push(format!("{}: {e}", step_path(step).display()));
        }
    }
    if !failures.is_empty() && !force {
        return Err(Error::NeedsRecover {
            command: intent.command,
            failures,
        });
    }
    for dir in intent.steps.iter().filter_map(|s| match s {
        Step::Move { to, .. } if to.starts_with(&state.dir) => to.parent(),
        _ => None,
    }) {
        let _ = fs::remove_dir(dir);
    }
    finish(state)?;
    let mut msg = format!(
        "Recovered: an interrupted `linkfile {}` (process {}) was rolled back.",
        intent.command, intent.pid
    );
    for f in failures {
        msg.push_str(&format!("\n  left in place: {f}"));
    }
    Ok(Some(msg))
}
