//! The only writer: turns a [`Plan`] into changes on disk, all or nothing, recoverable after a
//! crash.
//!
//! Order of work: refuse if any entry is a conflict; re-observe every entry that will be written
//! and refuse if it changed since the plan (a stale plan); compile the plan into primitive
//! [`Step`]s, each one filesystem call whose effect can be checked afterwards (a `mkdir`, a
//! `symlink` — which never replaces anything —, a temporary link renamed over an old one, an
//! `unlink` of a link, a `rename` into or out of the backup store); write them as the intent
//! record, fsynced once; then run them. If a step fails, the steps done so far are undone newest
//! first by [`undo_step`], which looks at the filesystem to see whether a step happened — the same
//! function recovery runs after a crash (see [`recover`]). Every link made is read back to verify
//! it. No fsync per link: a link is metadata, ordered by the filesystem; the intent and the
//! operation record are the only files fsynced.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Rollback};
use crate::manifest::EntryKind;
use crate::observe::{self, Actual};
use crate::oplog::{self, Backup, BackupKind, OwnedLink, State};
use crate::plan::{Action, Entry, Plan, Resolution, Want};
use crate::platform::{self, ReadLink};

/// What an apply did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Links made where there were none (or where something was moved away).
    pub created: usize,
    /// Wrong links replaced.
    pub fixed: usize,
    /// Links removed.
    pub removed: usize,
    /// Things moved into the backup store.
    pub backed_up: usize,
    /// Backups put back in place.
    pub restored: usize,
    /// Folders made to hold new links.
    pub folders: usize,
}

/// What an operation changed, for its record.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Counts for the summary line.
    pub applied: Applied,
    /// Everything moved out of the way.
    pub backups: Vec<Backup>,
    /// Backups put back.
    pub restored: Vec<Backup>,
    /// Folders made.
    pub folders: Vec<PathBuf>,
    /// Folders removed.
    pub removed_folders: Vec<PathBuf>,
}

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
        kind: EntryKind,
    },
    /// The link at `at` goes from `old` to `new` (temporary link renamed over it).
    ReplaceLink {
        at: PathBuf,
        old: PathBuf,
        new: PathBuf,
        kind: EntryKind,
    },
    /// The link at `at`, holding `text`, is removed.
    RemoveLink {
        at: PathBuf,
        text: PathBuf,
        kind: EntryKind,
    },
    /// `rename from to` (into or out of the backup store, or into the repo when adopting).
    Move { from: PathBuf, to: PathBuf },
    /// `rmdir dir` if it is empty (a folder linkfile made); left alone otherwise.
    RemoveFolder { dir: PathBuf },
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

/// Where an apply keeps its intent and backups, and a hook called before every write (tests
/// use it to inject a failure at any step).
pub struct Transaction<'a> {
    /// The manifest's state.
    pub state: &'a State,
    /// The id the operation will have.
    pub op: u64,
    /// The command, for the intent record.
    pub command: &'a str,
    /// Called with the step about to run; an error fails the apply there.
    pub before_step: &'a mut dyn FnMut(&Step) -> io::Result<()>,
}

/// Applies `plan`. On error, nothing is left changed (or the error says what could not be undone).
pub fn apply(plan: &Plan, tx: &mut Transaction) -> Result<Outcome, Error> {
    let counts = plan.counts();
    if counts.conflict > 0 {
        return Err(Error::Conflicts {
            count: counts.conflict,
        });
    }
    check_fresh(plan)?;
    let (steps, mut outcome, store_dirs) = compile(plan, tx)?;
    if steps.is_empty() {
        return Ok(outcome);
    }
    let intent = Intent {
        op: tx.op,
        pid: std::process::id(),
        command: tx.command.to_string(),
        steps,
    };
    let json = serde_json::to_string(&intent).expect("an intent always serialises");
    oplog::write_atomic(&tx.state.intent_path(), json.as_bytes())?;

    let mut folder = OpenFolder::default();
    for (i, step) in intent.steps.iter().enumerate() {
        let result = (tx.before_step)(step)
            .map_err(|e| Failure::new(step_action(step), step_path(step), e))
            .and_then(|()| run_step(step, &mut folder));
        if let Err(failure) = result {
            let rollback = roll_back(&intent.steps[..=i], intent.pid);
            for dir in store_dirs.iter().rev() {
                let _ = fs::remove_dir(dir);
            }
            if matches!(rollback, Rollback::Complete { .. }) {
                let _ = fs::remove_file(tx.state.intent_path());
            }
            return Err(failure.into_error(rollback));
        }
    }
    for step in &intent.steps {
        match step {
            Step::MakeFolder { dir } => outcome.folders.push(dir.clone()),
            Step::RemoveFolder { dir } if fs::symlink_metadata(dir).is_err() => {
                outcome.removed_folders.push(dir.clone())
            }
            _ => {}
        }
    }
    outcome.applied.folders = outcome.folders.len();
    Ok(outcome)
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

/// The links owned after `plan` is applied.
pub fn view_after(plan: &Plan) -> Vec<OwnedLink> {
    let mut view: Vec<OwnedLink> = plan
        .entries
        .iter()
        // A right link the user made is not taken over: undo and unlink leave it alone.
        .filter(|e| {
            e.want == Want::Link
                && match e.action {
                    Action::Create | Action::Fix => true,
                    Action::Ok => e.owned.is_some(),
                    _ => false,
                }
        })
        .map(|e| OwnedLink {
            at: e.desired.at.clone(),
            text: e.desired.link_text.clone(),
            kind: e.kind.unwrap_or(EntryKind::File),
        })
        .collect();
    view.sort();
    view
}

/// The places this plan empties (links removed, things moved to the backup store): what lies
/// below them was not observed through them, and their folders must be made anew.
pub fn emptied(plan: &Plan) -> HashSet<PathBuf> {
    plan.entries
        .iter()
        .filter(|e| e.action == Action::Remove && e.resolution != Some(Resolution::Restore))
        .map(|e| e.desired.at.clone())
        .chain(plan.remove_folders.iter().cloned())
        .collect()
}

/// Whether `at` is one of `places` or lies below one.
pub fn at_or_below_any(at: &Path, places: &HashSet<PathBuf>) -> bool {
    !places.is_empty() && at.ancestors().any(|a| places.contains(a))
}

/// The places restores take their content from, other than the backup store (undoing an adopt
/// moves the adopted original out of the repo, back to the link's place).
pub fn restore_sources<'a>(wants: impl Iterator<Item = &'a Want>) -> HashSet<PathBuf> {
    wants
        .filter_map(|w| match w {
            Want::Restore(b) if b.what != BackupKind::Original && b.what != BackupKind::Link => {
                b.stored.clone()
            }
            _ => None,
        })
        .collect()
}

/// Every place this plan removes something from (emptied, or given back a backup).
fn vacated(plan: &Plan) -> HashSet<PathBuf> {
    plan.entries
        .iter()
        .filter(|e| e.action == Action::Remove)
        .map(|e| e.desired.at.clone())
        .chain(plan.remove_folders.iter().cloned())
        .collect()
}

/// Refuses a plan whose observations no longer hold for the entries that will be written.
fn check_fresh(plan: &Plan) -> Result<(), Error> {
    let emptied = vacated(plan);
    let sources = restore_sources(plan.entries.iter().map(|e| &e.want));
    let entries: Vec<&Entry> = plan
        .entries
        .iter()
        .filter(|e| matches!(e.action, Action::Create | Action::Fix | Action::Remove))
        // A place an earlier restore takes its content from was planned as it will be then.
        .filter(|e| !sources.contains(&e.desired.at))
        // Below a place this plan empties, the observation was not made through it.
        .filter(|e| e.action == Action::Remove || !at_or_below_any(&e.desired.at, &emptied))
        .collect();
    let places: Vec<(&Path, &Path)> = entries
        .iter()
        .map(|e| (e.desired.at.as_path(), e.desired.link_text.as_path()))
        .collect();
    for (entry, now) in entries.iter().zip(observe::link_places(&places)?) {
        let d = &entry.desired;
        if now != entry.observed {
            return Err(Error::StalePlan {
                path: d.at.clone(),
                detail: format!(
                    "planned with {} there, now {}",
                    entry.observed.describe(),
                    now.describe()
                ),
            });
        }
    }
    Ok(())
}

/// Turns the plan into primitive steps, making the backup folders they move things into.
fn compile(plan: &Plan, tx: &Transaction) -> Result<(Vec<Step>, Outcome, Vec<PathBuf>), Error> {
    let mut steps = Vec::new();
    let mut outcome = Outcome::default();
    let mut store_dirs = Vec::new();
    // Folders put back from the backup store are there, as stored, when later steps run.
    let restored = plan.entries.iter().filter_map(|e| match &e.want {
        Want::Restore(b) if e.action == Action::Remove && b.what == BackupKind::Dir => {
            Some((b.at.clone(), b.stored.clone()?))
        }
        _ => None,
    });
    let mut folders = Folders {
        gone: emptied(plan),
        restored: restored.collect(),
        ..Folders::default()
    };
    let mut backup =
        |at: &Path, what: BackupKind, steps: &mut Vec<Step>| -> Result<Backup, Error> {
            let dir = tx.state.fresh_backup_dir(tx.op)?;
            let stored = dir.join(at.file_name().unwrap_or_default());
            store_dirs.push(dir);
            steps.push(Step::Move {
                from: at.to_path_buf(),
                to: stored.clone(),
            });
            Ok(Backup {
                at: at.to_path_buf(),
                what,
                stored: Some(stored),
                text: None,
                adopted_from: None,
            })
        };
    // Removals first: a new link may go where (or below where) an old one is removed, and must
    // never be made through it.
    let removals = plan.entries.iter().filter(|e| e.action == Action::Remove);
    let others = plan.entries.iter().filter(|e| e.action != Action::Remove);
    let mut folders_removed = false;
    for e in removals.chain(others) {
        if e.action != Action::Remove && !folders_removed {
            // Then the folders that go, once emptied, before anything is made in their place.
            for dir in &plan.remove_folders {
                steps.push(Step::RemoveFolder { dir: dir.clone() });
            }
            folders_removed = true;
        }
        let d = &e.desired;
        let kind = e.kind.unwrap_or(EntryKind::File);
        let what = match e.observed {
            Actual::Dir => BackupKind::Dir,
            Actual::Link { .. } => BackupKind::Link,
            _ => BackupKind::File,
        };
        match (e.action, e.resolution) {
            (Action::Ok | Action::Conflict, _) => {}
            (Action::Create, None) => {
                folders.missing(&d.at, &mut steps);
                outcome.applied.created += 1;
                steps.push(make_link(e, kind));
            }
            (Action::Create, Some(Resolution::Backup | Resolution::SameContent)) => {
                outcome.backups.push(backup(&d.at, what, &mut steps)?);
                outcome.applied.backed_up += 1;
                outcome.applied.created += 1;
                steps.push(make_link(e, kind));
            }
            (Action::Create, Some(Resolution::Adopt)) => {
                // The repo's version goes to the store, the file in the way becomes the original.
                let mut original = backup(&d.to, BackupKind::Original, &mut steps)?;
                original.adopted_from = Some(d.at.clone());
                outcome.backups.push(original);
                steps.push(Step::Move {
                    from: d.at.clone(),
                    to: d.to.clone(),
                });
                outcome.applied.backed_up += 1;
                outcome.applied.created += 1;
                steps.push(make_link(e, kind));
            }
            (Action::Fix, _) => {
                let old = e.current_text().unwrap_or(Path::new("")).to_path_buf();
                if e.owned.as_ref().is_none_or(|o| o.text != old) {
                    // Not a link linkfile made: its text is its content; the record keeps it.
                    outcome.backups.push(Backup {
                        at: d.at.clone(),
                        what: BackupKind::Link,
                        stored: None,
                        text: Some(old.clone()),
                        adopted_from: None,
                    });
                }
                outcome.applied.fixed += 1;
                steps.push(Step::ReplaceLink {
                    at: d.at.clone(),
                    old,
                    new: d.link_text.clone(),
                    kind,
                });
            }
            (Action::Remove, Some(Resolution::Backup)) => {
                outcome.backups.push(backup(&d.at, what, &mut steps)?);
                outcome.applied.backed_up += 1;
            }
            (Action::Remove, resolution) => {
                if let Some(text) = e.current_text() {
                    outcome.applied.removed += 1;
                    steps.push(Step::RemoveLink {
                        at: d.at.clone(),
                        text: text.to_path_buf(),
                        kind,
                    });
                }
                if let (Some(Resolution::Restore), Want::Restore(b)) = (resolution, &e.want) {
                    folders.missing(&d.at, &mut steps);
                    match (&b.stored, &b.text) {
                        (Some(stored), _) => steps.push(Step::Move {
                            from: stored.clone(),
                            to: b.at.clone(),
                        }),
                        (None, Some(text)) => steps.push(Step::MakeLink {
                            at: b.at.clone(),
                            text: text.clone(),
                            kind,
                        }),
                        (None, None) => {}
                    }
                    outcome.restored.push(b.clone());
                    outcome.applied.restored += 1;
                }
            }
            (Action::Create, Some(Resolution::Restore)) => {}
        }
    }
    if !folders_removed {
        for dir in &plan.remove_folders {
            steps.push(Step::RemoveFolder { dir: dir.clone() });
        }
    }
    Ok((steps, outcome, store_dirs))
}

fn make_link(e: &Entry, kind: EntryKind) -> Step {
    Step::MakeLink {
        at: e.desired.at.clone(),
        text: e.desired.link_text.clone(),
        kind,
    }
}

/// Which parent folders are missing, found with one `metadata` per distinct folder.
#[derive(Default)]
struct Folders {
    present: HashSet<PathBuf>,
    planned: HashSet<PathBuf>,
    /// Places emptied by earlier steps: gone by the time later steps run.
    gone: HashSet<PathBuf>,
    /// Folders put back by earlier steps (place, where they are stored now).
    restored: Vec<(PathBuf, PathBuf)>,
}

impl Folders {
    fn missing(&mut self, at: &Path, steps: &mut Vec<Step>) {
        let mut chain = Vec::new();
        for dir in at.ancestors().skip(1) {
            if self.present.contains(dir) || self.planned.contains(dir) {
                break;
            }
            // Below a folder being restored, look where it is stored now.
            let look = self
                .restored
                .iter()
                .find_map(|(at, stored)| Some(stored.join(dir.strip_prefix(at).ok()?)))
                .unwrap_or_else(|| dir.to_path_buf());
            if !self.gone.contains(dir) && fs::metadata(&look).is_ok_and(|m| m.is_dir()) {
                self.present.insert(dir.to_path_buf());
                break;
            }
            chain.push(dir.to_path_buf());
        }
        for dir in chain.into_iter().rev() {
            self.planned.insert(dir.clone());
            steps.push(Step::MakeFolder { dir });
        }
    }
}

/// A failed step, before rollback.
struct Failure {
    action: &'static str,
    path: PathBuf,
    source: io::Error,
    hint: Option<String>,
}

impl Failure {
    fn new(action: &'static str, path: &Path, source: io::Error) -> Self {
        let hint = platform::hint_for(&source);
        Failure {
            action,
            path: path.to_path_buf(),
            source,
            hint,
        }
    }

    fn into_error(self, rollback: Rollback) -> Error {
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
    }
}

fn step_path(step: &Step) -> &Path {
    match step {
        Step::MakeFolder { dir } | Step::RemoveFolder { dir } => dir,
        Step::MakeLink { at, .. } | Step::ReplaceLink { at, .. } | Step::RemoveLink { at, .. } => {
            at
        }
        Step::Move { from, .. } => from,
    }
}

/// The folders new links are made in, kept open: each link is made and read back by its name in
/// its folder. Emptied before any other kind of step, which may move or remove a folder.
#[derive(Default)]
struct OpenFolder(HashMap<PathBuf, Option<platform::Folder>>);

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

fn run_step(step: &Step, folder: &mut OpenFolder) -> Result<(), Failure> {
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
        Step::ReplaceLink { at, old, new, kind } => {
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
            if let Err(e) = platform::replace_link(&temp, at, *kind) {
                let _ = platform::remove_link(&temp, *kind);
                return Err(fail(e));
            }
            verify(at, new, *kind)
        }
        Step::RemoveLink { at, text, kind } => {
            match platform::read_link(at) {
                ReadLink::Link(now) if now == *text => {}
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
    }
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
fn roll_back(steps: &[Step], pid: u32) -> Rollback {
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
            ReadLink::Link(now) if now == *text => {
                platform::remove_link(at, *kind).map_err(|e| e.to_string())
            }
            _ => Ok(()),
        },
        Step::ReplaceLink { at, old, new, kind } => {
            remove_temp_links(at, pid);
            match platform::read_link(at) {
                ReadLink::Link(now) if now == *new => {
                    let temp = temp_link(at, old, *kind, pid).map_err(|e| e.to_string())?;
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
        Step::RemoveFolder { dir } => match fs::create_dir(dir) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e.to_string()),
            _ => Ok(()),
        },
    }
}

fn temp_prefix(at: &Path, pid: u32) -> String {
    let name = at.file_name().unwrap_or_default().to_string_lossy();
    format!(".{name}.linkfile-{pid}-")
}

/// Makes a link holding `text` under a fresh name beside `at`.
fn temp_link(at: &Path, text: &Path, kind: EntryKind, pid: u32) -> io::Result<PathBuf> {
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
            let _ = platform::remove_link(&temp, EntryKind::File)
                .or_else(|_| platform::remove_link(&temp, EntryKind::Dir));
        } else {
            break;
        }
    }
}

/// Reads a new link back: some environments report success and make nothing.
fn verify(at: &Path, text: &Path, kind: EntryKind) -> Result<(), Failure> {
    verify_answer(at, text, kind, platform::read_link(at))
}

/// Checks what reading a new link back said.
fn verify_answer(at: &Path, text: &Path, kind: EntryKind, answer: ReadLink) -> Result<(), Failure> {
    let problem = match answer {
        ReadLink::Link(t) if t == text => match platform::link_flavour(at) {
            Ok(Some(f)) if f != kind => {
                Some("the link was made with the wrong flavour".to_string())
            }
            Ok(_) => None,
            Err(e) => Some(e.to_string()),
        },
        ReadLink::Link(t) => Some(format!("the link holds {} instead", t.display())),
        ReadLink::NotALink => Some("the system made something that is not a link (a copy?)".into()),
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
