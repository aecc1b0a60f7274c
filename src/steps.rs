//! The primitive steps an operation is made of: running each (one filesystem call, checked),
//! and undoing each from what the filesystem shows — the same undo serves the rollback of a
//! failed apply and the recovery after a crash, since neither can trust memory of what ran.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Rollback};
use crate::oplog::State;
use crate::platform::{self, Flavour, ReadLink};

mod intent;
pub(crate) use intent::{INTENT_VERSION, read as read_intent};

/// One primitive change. The intent record is a list of these; each can be checked on disk.
/// A link of any flavour (symlink, junction, hard link) is made, replaced or removed as the
/// [`Shape`] it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// `mkdir dir` (its parent exists), then, with `mode` (`dir_mode`), `chmod` to it.
    MakeFolder {
        #[serde(with = "crate::path_serde")]
        dir: PathBuf,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<u32>,
    },
    /// A new link at `at` (nothing is there).
    Make {
        #[serde(with = "crate::path_serde")]
        at: PathBuf,
        link: Shape,
    },
    /// What is at `at` goes from one link to another (a temporary link of the new shape made
    /// beside it, swapped with or renamed over it).
    Replace {
        #[serde(with = "crate::path_serde")]
        at: PathBuf,
        from: Shape,
        to: Shape,
    },
    /// The link at `at`, still `link`, is removed (a hard link: this name only).
    Remove {
        #[serde(with = "crate::path_serde")]
        at: PathBuf,
        link: Shape,
    },
    /// `rename from to` (into or out of the backup store, or into the repo when adopting).
    Move {
        #[serde(with = "crate::path_serde")]
        from: PathBuf,
        #[serde(with = "crate::path_serde")]
        to: PathBuf,
    },
    /// `rmdir dir` if it is empty (a folder linkfile made); left alone otherwise.
    RemoveFolder {
        #[serde(with = "crate::path_serde")]
        dir: PathBuf,
    },
}

impl Step {
    /// The place the step changes (a move: where it takes from).
    pub fn place(&self) -> &Path {
        match self {
            Step::MakeFolder { dir, .. } | Step::RemoveFolder { dir } => dir,
            Step::Make { at, .. } | Step::Replace { at, .. } | Step::Remove { at, .. } => at,
            Step::Move { from, .. } => from,
        }
    }
}

/// What is written before the first change, so that a crash can be undone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Intent {
    /// The operation being written.
    pub op: u64,
    /// The process writing it (names its temporary links).
    pub pid: u32,
    /// The command.
    pub command: crate::command::Command,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The format it is written in (`INTENT_VERSION`; none before version 2).
    pub version: u32,
}

/// Marks the operation finished: its record is committed, so the intent is no longer needed.
pub fn finish(state: &State) -> Result<(), Error> {
    state.remove_intent()
}

/// A failed step, before rollback.
pub(crate) struct Failure {
    action: &'static str,
    path: PathBuf,
    source: io::Error,
    hint: Option<String>,
}

impl Failure {
    /// Whether the failed step made nothing, so that rolling back must leave its place alone:
    /// a step that makes a folder or link found something already there (which is not
    /// linkfile's to remove, even an empty folder).
    pub(crate) fn made_nothing(&self) -> bool {
        self.source.kind() == io::ErrorKind::AlreadyExists
    }

    /// A failure reported before `step` ran (by the apply's hook).
    pub(crate) fn before(step: &Step, source: io::Error) -> Self {
        Failure::new(step_action(step), step.place(), source)
    }

    fn new(action: &'static str, path: &Path, source: io::Error) -> Self {
        let hint = link_hint(&source).or_else(|| platform::hint_for(&source));
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
    let hard = |s: &Shape| matches!(s, Shape::HardLink { .. });
    match step {
        Step::MakeFolder { .. } => "create folder",
        Step::Make { link, .. } if hard(link) => "create hard link",
        Step::Make { .. } => "create link",
        Step::Replace { .. } => "replace link",
        Step::Remove { link, .. } if hard(link) => "remove hard link",
        Step::Remove { .. } => "remove link",
        Step::Move { .. } => "move",
        Step::RemoveFolder { .. } => "remove folder",
    }
}

/// A step that could not be undone: its place, and why.
#[derive(Debug)]
pub struct StepError {
    pub path: PathBuf,
    pub source: io::Error,
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for StepError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Where an apply (and its rollback, or a recovery) writes: every folder walked to from the
/// home, the repo or the state folder without following a link, and kept open (see
/// [`platform::Tree`]); and the places the steps being undone vacate (a folder link unfolded,
/// a link removed), below which nothing of theirs can be when they are still links.
pub struct Places {
    tree: platform::Tree,
    vacated: HashSet<PathBuf>,
    /// Whether these are the places the steps ran through (an apply rolling back), rather than
    /// fresh ones (a recovery): then a folder never walked to holds nothing the steps made.
    ran_here: bool,
    /// The folder a new symlink was last read back in (see [`Places::read_back_due`]).
    read_back_in: Option<PathBuf>,
}

impl Places {
    /// Walks start at these folders (the home, the repo, the state folder), whose own paths
    /// are followed.
    pub fn new<'a>(anchors: impl IntoIterator<Item = &'a Path>) -> Places {
        Places {
            tree: platform::Tree::new(anchors.into_iter().map(Path::to_path_buf)),
            vacated: HashSet::new(),
            ran_here: false,
            read_back_in: None,
        }
    }

    /// Whether the symlink just made at `at` is read back to verify it.
    ///
    /// On Windows, every one: `CreateSymbolicLinkW` may report success and make nothing (Wine
    /// does), and a junction's text is rewritten. Elsewhere `symlink(2)` succeeding means the
    /// link holds the text given, byte for byte; a filesystem that does otherwise (a FUSE or
    /// network filesystem that fakes links or rewrites their texts) does so for every link in
    /// it, and a folder lies on one filesystem: the first link made in each folder (by each
    /// thread making links, see `apply::batch`) is read back,
    /// which finds such a filesystem before the apply completes (and rolls it back), for one
    /// `readlinkat` per folder instead of one per link.
    fn read_back_due(&mut self, at: &Path) -> bool {
        if cfg!(windows) {
            return true;
        }
        let dir = crate::paths::parent(at);
        // As bytes: another spelling of the same folder is read back once more, never less.
        if dir.is_some()
            && self.read_back_in.as_deref().map(Path::as_os_str) == dir.map(Path::as_os_str)
        {
            return false;
        }
        self.read_back_in = dir.map(Path::to_path_buf);
        true
    }

    /// The places an apply runs its steps through, and rolls them back through.
    pub(crate) fn for_apply<'a>(anchors: impl IntoIterator<Item = &'a Path>) -> Places {
        Places {
            ran_here: true,
            ..Places::new(anchors)
        }
    }

    /// Notes the places `steps` empty before anything is made below them.
    fn undoing<'a>(&mut self, steps: impl Iterator<Item = &'a Step>) {
        self.vacated.extend(steps.filter_map(|s| match s {
            Step::Move { from, .. } => Some(from.clone()),
            Step::Remove { at, .. } | Step::Replace { at, .. } => Some(at.clone()),
            _ => None,
        }));
    }

    fn parent_of<'a>(&mut self, path: &'a Path) -> io::Result<(Arc<platform::Folder>, &'a OsStr)> {
        self.tree.parent_of(path)
    }

    /// Every folder written in is still the one walked to: none was swapped since (a failure
    /// to roll back otherwise).
    pub(crate) fn check_unchanged(&self) -> Result<(), Failure> {
        self.tree.check_unchanged().map_err(|(dir, e)| {
            let mut f = Failure::new("write in", &dir, e);
            f.hint = Some(
                "a folder linkfile was writing in was moved, or replaced by a link, while it ran; look at it, then run `linkfile plan` again".into(),
            );
            f
        })
    }

    /// Lets go of the folders at and below `path` (a step moves or removes it): on Windows an
    /// open folder cannot be removed or moved.
    pub(crate) fn forget(&mut self, path: &Path) {
        self.tree.forget(path);
    }

    /// Where walks start: for the places another thread of the same apply runs steps through.
    pub(crate) fn anchors(&self) -> Vec<PathBuf> {
        self.tree.anchors().to_vec()
    }

    /// Places of another thread of the same apply, over `anchors`, keeping at most `open`
    /// folders open.
    pub(crate) fn for_thread(anchors: &[PathBuf], open: usize) -> Places {
        let mut places = Places::for_apply(anchors.iter().map(PathBuf::as_path));
        places.tree = places.tree.keeping_open(open);
        places
    }
}

/// A hint for a write refused because a folder on the way is a link.
fn link_hint(e: &io::Error) -> Option<String> {
    platform::tree::is_link_on_the_way(e).then(|| {
        "a folder on the way was replaced by a link while applying; look at it, then run `linkfile plan` again".into()
    })
}

fn conflict(action: &'static str, at: &Path, what: &str) -> Failure {
    Failure {
        action,
        path: at.to_path_buf(),
        source: io::Error::other(what.to_string()),
        hint: Some("run `linkfile plan` again".into()),
    }
}

pub(crate) fn run_step(step: &Step, places: &mut Places) -> Result<(), Failure> {
    let fail = |e| Failure::new(step_action(step), step.place(), e);
    match step {
        Step::MakeFolder { dir, mode } => {
            let (f, name) = places.parent_of(dir).map_err(fail)?;
            f.make_dir(name).map_err(fail)?;
            match mode {
                Some(mode) => f.set_mode(name, *mode).map_err(fail),
                None => Ok(()),
            }
        }
        Step::Make { at, link } => {
            let (f, name) = places.parent_of(at).map_err(fail)?;
            link.make(&f, name).map_err(|e| match e.kind() {
                io::ErrorKind::AlreadyExists => Failure {
                    hint: Some(
                        "something appeared there since the plan; run `linkfile plan` again".into(),
                    ),
                    ..fail(e)
                },
                _ => fail(e),
            })?;
            if matches!(link, Shape::Symlink { .. }) && !places.read_back_due(at) {
                return Ok(());
            }
            link.verify(&f, name, at)
        }
        Step::Replace { at, from, to } => {
            let (f, name) = places.parent_of(at).map_err(fail)?;
            let temp = to.make_temp(&f, at, std::process::id()).map_err(fail)?;
            let holds_from = |f: &platform::Folder, n: &OsStr| from.holds(f, n);
            let remove_old = |f: &platform::Folder, n: &OsStr| from.remove(f, n);
            let remove_new = |f: &platform::Folder, n: &OsStr| to.remove(f, n);
            let was = from.flavour();
            let swapped = replace_checked(&f, &temp, name, was, holds_from, remove_old, remove_new)
                .map_err(|e| e.into_failure("replace link", at, fail))?;
            if !swapped {
                return to.verify(&f, name, at);
            }
            // The kernel swapped in the very link made: anything else there, someone put.
            match to.holds(&f, name) {
                true => Ok(()),
                false => Err(conflict("replace link", at, CHANGED_JUST_AFTER)),
            }
        }
        Step::Remove { at, link } => {
            let (f, name) = places.parent_of(at).map_err(fail)?;
            if !link.holds(&f, name) {
                return Err(conflict(step_action(step), at, link.changed()));
            }
            // A hard link: removes this name only; the original keeps its own.
            link.remove(&f, name).map_err(fail)
        }
        Step::Move { from, to } => {
            // What is moved is no longer on the way to anything (Windows: nor held open).
            places.tree.forget(from);
            places.tree.forget(to);
            move_path(places, from, to).map_err(fail)
        }
        Step::RemoveFolder { dir } => {
            places.tree.forget(dir);
            let (f, name) = places.parent_of(dir).map_err(fail)?;
            match f.remove_dir(name) {
                Err(e)
                    if !matches!(
                        e.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::DirectoryNotEmpty
                    ) =>
                {
                    Err(fail(e))
                }
                _ => Ok(()),
            }
        }
    }
}

/// A place changed by someone else just after linkfile's link went there.
const CHANGED_JUST_AFTER: &str = "it changed while applying, just after the new link went there; what is there now was left as it is";

/// Why [`replace_checked`] did not replace.
enum NotReplaced {
    /// What was there is not what was planned: left as it is.
    Changed(String),
    /// The OS refused.
    Os(io::Error),
}

impl NotReplaced {
    fn into_failure(
        self,
        action: &'static str,
        at: &Path,
        fail: impl Fn(io::Error) -> Failure,
    ) -> Failure {
        match self {
            NotReplaced::Changed(what) => conflict(action, at, &what),
            NotReplaced::Os(e) => fail(e),
        }
    }
}

/// Puts `temp` (made beside it) in place of `name`, provided what is there is the thing
/// planned (`was_planned`), never losing what someone put there meanwhile (an editor saving by
/// rename). Linux swaps the two names atomically (`renameat2(RENAME_EXCHANGE)`) and then looks
/// at what came out, now under `temp`: if it is not what was planned, it swaps them back and
/// reports the change. Elsewhere (and where the filesystem cannot swap) it looks just before
/// renaming over: the narrowest check-then-rename there is; a save landing between the two is
/// replaced. `temp` is gone afterwards, except when a second change lands during the swap back.
/// Says whether the names were swapped (rather than renamed over).
fn replace_checked(
    f: &platform::Folder,
    temp: &OsStr,
    name: &OsStr,
    old_flavour: Flavour,
    was_planned: impl Fn(&platform::Folder, &OsStr) -> bool,
    remove_old: impl Fn(&platform::Folder, &OsStr) -> io::Result<()>,
    remove_new: impl Fn(&platform::Folder, &OsStr) -> io::Result<()>,
) -> Result<bool, NotReplaced> {
    match f.exchange(temp, name) {
        Ok(()) if was_planned(f, temp) => {
            // The old link, now under the temporary name.
            let _ = remove_old(f, temp);
            Ok(true)
        }
        Ok(()) => {
            let back = f.exchange(temp, name);
            let ours = back.is_ok() && remove_new(f, temp).is_ok();
            let temp_path = f.path().join(temp);
            Err(NotReplaced::Changed(match (back, ours) {
                (Ok(()), true) => {
                    "it changed while applying; what is there now was left as it is".into()
                }
                (Ok(()), false) => format!(
                    "it changed twice while applying; the older version was left at {}",
                    temp_path.display()
                ),
                (Err(e), _) => format!(
                    "it changed while applying, and putting it back failed ({e}); it is at {}",
                    temp_path.display()
                ),
            }))
        }
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            if !was_planned(f, name) {
                let _ = remove_new(f, temp);
                return Err(NotReplaced::Changed(
                    "the link changed since the plan".into(),
                ));
            }
            // Chosen by what the old link is, never by the error a first try gives.
            let replaced = if old_flavour == Flavour::File || platform::RENAME_REPLACES_FOLDER_LINKS
            {
                f.replace(temp, name, old_flavour)
            } else {
                replace_aside(f, temp, name, |f, n| remove_old(f, n))
            };
            replaced.map(|()| false).map_err(|e| {
                let _ = remove_new(f, temp);
                NotReplaced::Os(e)
            })
        }
        Err(e) => {
            let _ = remove_new(f, temp);
            Err(NotReplaced::Os(e))
        }
    }
}

/// The name the old link is moved aside to while a folder link is replaced: derived from the
/// new link's temporary name, so that undo and recovery find it from the step alone.
fn aside_name(temp: &OsStr) -> OsString {
    let mut aside = temp.to_os_string();
    aside.push(".aside");
    aside
}

/// Puts the link `temp` in place of the folder link `name` where no rename can replace one
/// (Windows): the old link is moved aside (a rename: it stays whole), the new one renamed in,
/// then the old one removed. If the new one cannot go in, the old one is moved back; whatever
/// state a kill leaves, undo finds the old link at its place or aside ([`aside_undo`]) and
/// never loses it.
fn replace_aside(
    f: &platform::Folder,
    temp: &OsStr,
    name: &OsStr,
    remove_old: impl Fn(&platform::Folder, &OsStr) -> io::Result<()>,
) -> io::Result<()> {
    let aside = aside_name(temp);
    f.rename_new(name, f, &aside)?;
    if let Err(e) = f.rename_new(temp, f, name) {
        return match f.rename_new(&aside, f, name) {
            Ok(()) => Err(e),
            Err(back) => Err(io::Error::other(format!(
                "{e}; and the old link could not be put back ({back}): it is at {}",
                f.path().join(&aside).display()
            ))),
        };
    }
    // The new link is in place: a leftover old one beside it loses nothing.
    let _ = remove_old(f, &aside);
    Ok(())
}

/// What a link's place (or its aside name) holds, for undoing a replacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    Old,
    New,
    Nothing,
    Other,
}

/// Undoing a folder link's replacement, from what its place and its aside name hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AsideUndo {
    /// No old link aside: undo as for any replacement.
    NoAside,
    /// The old link is aside: remove the new one at the place (when there), move it back.
    PutBack { remove_new: bool },
    /// The old link is aside and something else is at the place: left as it is, and said.
    Leave,
}

fn aside_undo(place: Holds, aside: Holds) -> AsideUndo {
    match (aside, place) {
        (Holds::Old, Holds::New) => AsideUndo::PutBack { remove_new: true },
        (Holds::Old, Holds::Nothing) => AsideUndo::PutBack { remove_new: false },
        (Holds::Old, Holds::Old | Holds::Other) => AsideUndo::Leave,
        (_, _) => AsideUndo::NoAside,
    }
}

/// Undoes a replacement whose old link a kill may have left aside; `Ok(true)` when it did.
fn undo_aside(
    f: &platform::Folder,
    at: &Path,
    name: &OsStr,
    pid: u32,
    holds: impl Fn(&platform::Folder, &OsStr) -> Holds,
    remove_new: impl Fn(&platform::Folder, &OsStr) -> io::Result<()>,
) -> io::Result<bool> {
    for temp in temp_names(at, pid) {
        let aside = aside_name(&temp);
        match aside_undo(holds(f, name), holds(f, &aside)) {
            AsideUndo::NoAside => continue,
            AsideUndo::Leave => {
                return Err(io::Error::other(format!(
                    "the old link is at {}, and something else is in its place",
                    f.path().join(&aside).display()
                )));
            }
            AsideUndo::PutBack { remove_new: new } => {
                if new {
                    remove_new(f, name)?;
                }
                f.rename_new(&aside, f, name)?;
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// What a link's place holds: a symlink (or junction) holding a text, or a hard link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "shape", rename_all = "kebab-case")]
pub enum Shape {
    /// A symlink holding `text`.
    Symlink {
        #[serde(with = "crate::path_serde")]
        text: PathBuf,
        kind: Flavour,
    },
    /// A hard link to the file `original`.
    HardLink {
        #[serde(with = "crate::path_serde")]
        original: PathBuf,
    },
}

impl Shape {
    /// Whether `name` in `f` holds exactly this.
    fn holds(&self, f: &platform::Folder, name: &OsStr) -> bool {
        match self {
            Shape::Symlink { text, .. } => {
                matches!(f.read_link(name), ReadLink::Link(now) if platform::same_path(&now, text))
            }
            Shape::HardLink { original } => f.same_file(name, original),
        }
    }

    /// Whether nothing is at `name`, for putting this back there.
    fn absent(&self, f: &platform::Folder, name: &OsStr) -> bool {
        match self {
            Shape::Symlink { .. } => matches!(f.read_link(name), ReadLink::Missing),
            Shape::HardLink { .. } => f.entry(name).is_err(),
        }
    }

    /// What changed, when `name` no longer holds this.
    fn changed(&self) -> &'static str {
        match self {
            Shape::Symlink { .. } => "the link changed since the plan",
            Shape::HardLink { .. } => "it is no longer the same file as the original",
        }
    }

    /// The flavour it is removed as.
    fn flavour(&self) -> Flavour {
        match self {
            Shape::Symlink { kind, .. } => *kind,
            Shape::HardLink { .. } => Flavour::File,
        }
    }

    /// Makes this at `name` in `f` (which never replaces anything there).
    fn make(&self, f: &platform::Folder, name: &OsStr) -> io::Result<()> {
        match self {
            Shape::Symlink { text, kind } => f.make_link(name, text, *kind),
            Shape::HardLink { original } => f.hard_link(original, name),
        }
    }

    /// This, under a fresh temporary name beside `at` (in `f`).
    fn make_temp(&self, f: &platform::Folder, at: &Path, pid: u32) -> io::Result<OsString> {
        for temp in temp_names(at, pid) {
            match self.make(f, &temp) {
                Ok(()) => return Ok(temp),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other("no free temporary name beside it"))
    }

    /// Removes a name holding this (a temporary one, or the old one swapped out).
    fn remove(&self, f: &platform::Folder, name: &OsStr) -> io::Result<()> {
        f.remove_link(name, self.flavour())
    }

    /// Reads a new link back: some environments report success and make nothing.
    fn verify(&self, f: &platform::Folder, name: &OsStr, at: &Path) -> Result<(), Failure> {
        match self {
            Shape::Symlink { text, kind } => verify(f, name, at, text, *kind),
            Shape::HardLink { original } => verify_hard(f, name, at, original),
        }
    }
}

/// The temporary names a run (process `pid`) gives things it makes beside `at`, in the order
/// it tries them: undo and recovery find them from the step and the pid alone.
fn temp_names(at: &Path, pid: u32) -> impl Iterator<Item = OsString> {
    let name = at.file_name().unwrap_or_default().to_string_lossy();
    let prefix = format!(".{name}.linkfile-{pid}-");
    (0..100).map(move |n| OsString::from(format!("{prefix}{n}.tmp")))
}

/// Removes the temporary names holding `shapes` a run (process `pid`) left beside `at`.
fn remove_temps(f: &platform::Folder, at: &Path, pid: u32, shapes: [&Shape; 2]) {
    for temp in temp_names(at, pid) {
        match shapes.iter().find(|s| s.holds(f, &temp)) {
            Some(shape) => drop(shape.remove(f, &temp)),
            None if f.entry(&temp).is_err() => break,
            None => {}
        }
    }
}

/// Checks that a new hard link is the original, by another name.
fn verify_hard(
    f: &platform::Folder,
    name: &OsStr,
    at: &Path,
    original: &Path,
) -> Result<(), Failure> {
    if f.same_file(name, original) {
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
fn move_path(places: &mut Places, from: &Path, to: &Path) -> io::Result<()> {
    let (src, name) = places.parent_of(from)?;
    let (dst, to_name) = places.parent_of(to)?;
    match src.rename_new(name, &dst, to_name) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", to.display()),
        )),
        // A folder is refused, with the OS's own error (its hint says what to do).
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices && src.entry(name)?.is_file => {
            src.move_file_by_copy(name, &dst, to_name)
        }
        done => done,
    }
}

/// Undoes `steps` (which ran, or may have; `made` of them completed; in the intent's order)
/// newest first, each through the places it was written through (`places[k]` for a step
/// given with `k`): the folders an apply kept open, or fresh ones for a recovery.
pub(crate) fn roll_back<'a, I>(steps: I, made: usize, pid: u32, places: &mut [Places]) -> Rollback
where
    I: DoubleEndedIterator<Item = (&'a Step, usize)> + Clone,
{
    for p in places.iter_mut() {
        p.undoing(steps.clone().map(|(step, _)| step));
    }
    let mut failures = Vec::new();
    for (step, k) in steps.rev() {
        // A folder about to be removed is let go by every thread's places first (the steps
        // below it are undone by now): Windows keeps a folder someone holds open.
        if let Step::MakeFolder { dir, .. } = step {
            for (j, p) in places.iter_mut().enumerate() {
                if j != k {
                    p.forget(dir);
                }
            }
        }
        if let Err(e) = undo_step(step, pid, &mut places[k]) {
            failures.push(e.to_string());
        }
    }
    if failures.is_empty() {
        Rollback::Complete { steps: made }
    } else {
        Rollback::Incomplete { failures }
    }
}

/// Where a step's place is, for undoing it.
enum Spot<'a> {
    /// Its folder, open, and its name there.
    Open(Arc<platform::Folder>, &'a OsStr),
    /// Its folder is missing, or no folder: nothing is there.
    Unreachable,
    /// Below a link that the steps being undone remove before making anything below it: the
    /// step never ran.
    NeverRan,
}

/// Finds `path`'s folder without following a link. A link on the way that the steps remove,
/// or (rolling back an apply) on the way to a folder the steps never reached, means the step
/// never ran; any other link on the way is an error: what the step made is not reachable
/// without following it (the folder was swapped since), so it is left in place.
fn spot<'a>(places: &mut Places, path: &'a Path) -> io::Result<Spot<'a>> {
    match places.parent_of(path) {
        Ok((f, name)) => Ok(Spot::Open(f, name)),
        Err(e) => match platform::tree::link_on_the_way_at(&e) {
            Some(link) if places.vacated.contains(link) => Ok(Spot::NeverRan),
            Some(_)
                if places.ran_here
                    && path.parent().is_some_and(|dir| !places.tree.was_used(dir)) =>
            {
                Ok(Spot::NeverRan)
            }
            Some(_) => Err(e),
            None if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
            {
                Ok(Spot::Unreachable)
            }
            None => Err(e),
        },
    }
}

/// Reverts `step` if the filesystem shows it happened, and leaves the place alone otherwise:
/// it acts only when the place holds exactly what the step made, so it never removes or
/// overwrites anything else (a step that never ran, because the run stopped before it, finds
/// the place as it was, or as an earlier step that also never ran left it). Errors only when
/// the step's data is nowhere to be found, or cannot be reached without following a link. It
/// writes through `places` only: the folders the apply wrote in, never a link on the way.
pub fn undo_step(step: &Step, pid: u32, places: &mut Places) -> Result<(), StepError> {
    undo(step, pid, places).map_err(|source| StepError {
        path: step.place().to_path_buf(),
        source,
    })
}

fn undo(step: &Step, pid: u32, places: &mut Places) -> io::Result<()> {
    let (f, name) = match spot(places, step.place())? {
        Spot::NeverRan => return Ok(()),
        Spot::Open(f, name) => (Some(f), name),
        Spot::Unreachable => (None, OsStr::new("")),
    };
    let missing_folder = |at: &Path| {
        let what = format!("the folder holding {} is missing", at.display());
        io::Error::new(io::ErrorKind::NotFound, what)
    };
    match (step, &f) {
        // Never made (the step failed, or never ran): nothing to undo, and no write to try —
        // the filesystem may be the one refusing writes.
        (Step::MakeFolder { .. }, None) => Ok(()),
        (Step::MakeFolder { .. }, Some(f)) if f.entry(name).is_err() => Ok(()),
        (Step::MakeFolder { dir, .. }, Some(f)) => {
            let f = f.clone();
            places.tree.forget(dir);
            undo_make_folder(&f, name)
        }
        (Step::Make { link, .. }, Some(f)) if link.holds(f, name) => link.remove(f, name),
        (Step::Make { .. }, _) => Ok(()),
        (Step::Replace { at, from, to }, Some(f)) => undo_replace(f, at, name, pid, [from, to]),
        (Step::Replace { .. }, None) => Ok(()),
        (Step::Remove { link, .. }, Some(f)) if link.absent(f, name) => link.make(f, name),
        (Step::Remove { .. }, Some(_)) => Ok(()),
        // A hard link's original is elsewhere: its name can only be put back in its folder.
        (
            Step::Remove {
                at,
                link: Shape::HardLink { .. },
            },
            None,
        ) => Err(missing_folder(at)),
        (Step::Remove { .. }, None) => Ok(()),
        (Step::Move { from, to }, _) => {
            let here = if f.as_ref().is_some_and(|f| f.entry(name).is_ok()) {
                Occupancy::Held
            } else {
                Occupancy::Empty
            };
            undo_move(places, from, to, here)
        }
        // Whether it was removed or left (not empty), a missing folder is made again.
        (Step::RemoveFolder { dir }, None) => Err(missing_folder(dir)),
        (Step::RemoveFolder { .. }, Some(f)) => match f.make_dir(name) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
            _ => Ok(()),
        },
    }
}

/// Removes the folder a step made, if it is still an empty folder: one that now holds
/// something else is left in place (`remove_dir` never removes anything but an empty folder).
fn undo_make_folder(f: &platform::Folder, name: &OsStr) -> io::Result<()> {
    match f.remove_dir(name) {
        Err(e)
            if !matches!(
                e.kind(),
                io::ErrorKind::NotFound
                    | io::ErrorKind::DirectoryNotEmpty
                    // Not a folder (a link, a file): not what the step made.
                    | io::ErrorKind::NotADirectory
            ) =>
        {
            Err(e)
        }
        _ => Ok(()),
    }
}

/// Puts the link `from` back where a step replaced it by `to`, if `to` is still there.
fn undo_replace(
    f: &platform::Folder,
    at: &Path,
    name: &OsStr,
    pid: u32,
    [from, to]: [&Shape; 2],
) -> io::Result<()> {
    let holds = |f: &platform::Folder, n: &OsStr| {
        if from.holds(f, n) {
            Holds::Old
        } else if to.holds(f, n) {
            Holds::New
        } else if matches!(f.read_link(n), ReadLink::Missing) {
            Holds::Nothing
        } else {
            Holds::Other
        }
    };
    // A folder link replaced by moving the old one aside (Windows), killed half way.
    let put_back = undo_aside(f, at, name, pid, holds, |f, n| to.remove(f, n))?;
    remove_temps(f, at, pid, [from, to]);
    if put_back || !to.holds(f, name) {
        return Ok(());
    }
    let temp = from.make_temp(f, at, pid)?;
    let holds_to = |f: &platform::Folder, n: &OsStr| to.holds(f, n);
    let remove_to = |f: &platform::Folder, n: &OsStr| to.remove(f, n);
    let remove_from = |f: &platform::Folder, n: &OsStr| from.remove(f, n);
    replace_checked(
        f,
        &temp,
        name,
        to.flavour(),
        holds_to,
        remove_to,
        remove_from,
    )
    .map(drop)
    .map_err(|e| match e {
        NotReplaced::Changed(what) => io::Error::other(what),
        NotReplaced::Os(e) => e,
    })
}

/// Whether a place holds something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Occupancy {
    Held,
    Empty,
}

/// Moves back what a step moved (`here`: what its first place holds).
/// rename(2) is atomic: both places holding something means it never ran.
fn undo_move(places: &mut Places, from: &Path, to: &Path, here: Occupancy) -> io::Result<()> {
    let there = match spot(places, to)? {
        Spot::Open(t, to_name) if t.entry(to_name).is_ok() => Occupancy::Held,
        Spot::Open(..) | Spot::NeverRan | Spot::Unreachable => Occupancy::Empty,
    };
    match (here, there) {
        (Occupancy::Empty, Occupancy::Held) => {
            places.tree.forget(to);
            move_path(places, to, from)
        }
        (Occupancy::Held, _) => Ok(()),
        (Occupancy::Empty, Occupancy::Empty) => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("neither {} nor {} exists", from.display(), to.display()),
        )),
    }
}

/// Reads a new link back: some environments report success and make nothing.
fn verify(
    f: &platform::Folder,
    name: &OsStr,
    at: &Path,
    text: &Path,
    kind: Flavour,
) -> Result<(), Failure> {
    let problem = match f.read_link(name) {
        ReadLink::Link(t) if platform::same_path(&t, text) => match f.link_flavour(name) {
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

/// What [`recover`] does with what a rollback cannot decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undecided {
    /// Refuse, naming what is left (any command finding a killed run's intent).
    Refuse,
    /// Leave it in place and finish (the `recover` command).
    LeaveInPlace,
}

/// Finishes what a killed run left: if its intent is there and its record was not committed,
/// undoes its steps newest first. What cannot be decided is refused or left in place as
/// `undecided` says. Nothing is written through a link below the home, the repo
/// or the state folder. Returns what was done, for the user.
pub fn recover(
    state: &State,
    undecided: Undecided,
    wanted: &crate::records::Wanted,
) -> Result<Option<String>, Error> {
    let Some(bytes) = state.read_intent()? else {
        return Ok(None);
    };
    // A torn intent was never complete, so no step of it ran (it is written before the first
    // step, through a temporary file renamed into place).
    let Some(intent) = intent::parse(&bytes, state.intent_path())? else {
        finish(state)?;
        return Ok(None);
    };
    if state.head()?.is_some_and(|h| h.id == intent.op) {
        finish(state)?;
        return Ok(None);
    }
    crate::records::check_intent(&intent, state, wanted)?;
    let places = Places::new([wanted.home, wanted.repo, state.dir.as_path()]);
    let made = intent.steps.len();
    let steps = intent.steps.iter().map(|step| (step, 0));
    let failures = match roll_back(steps, made, intent.pid, &mut [places]) {
        Rollback::Complete { .. } => Vec::new(),
        Rollback::Incomplete { failures } => failures,
    };
    if !failures.is_empty() && undecided == Undecided::Refuse {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_symlink_is_read_back_once_per_folder_and_every_time_on_windows() {
        let mut places = Places::new([Path::new("/h")]);
        let asked = [
            "/h/.config/a/1",
            "/h/.config/a/2",
            "/h/.config/a/3",
            "/h/.config/b/1",
            "/h/.config/b/2",
            "/h/.vimrc",
            "/h/.config/a/4",
        ];
        let due: Vec<bool> = asked
            .iter()
            .map(|at| places.read_back_due(Path::new(at)))
            .collect();
        let expected = if cfg!(windows) {
            vec![true; asked.len()]
        } else {
            // The first in each run of links in one folder; a folder come back to, again.
            vec![true, false, false, true, false, true, true]
        };
        assert_eq!(due, expected);
    }

    #[test]
    fn a_folder_link_aside_is_put_back_whatever_the_kill_left() {
        use AsideUndo::*;
        use Holds::*;
        // (what the place holds, what the aside name holds) -> what undo does.
        let table = [
            ((New, Old), PutBack { remove_new: true }),
            ((Nothing, Old), PutBack { remove_new: false }),
            ((Other, Old), Leave),
            ((Old, Old), Leave),
            ((Old, Nothing), NoAside),
            ((New, Nothing), NoAside),
            ((New, Other), NoAside),
        ];
        for ((place, aside), want) in table {
            assert_eq!(aside_undo(place, aside), want, "{place:?} {aside:?}");
        }
    }

    /// The aside dance on real folder links (made here as symlinks to folders): the new link
    /// ends in place and the old one gone; if the new one cannot go in, the old one is back.
    /// Undo from each state a kill can leave gives the old link back.
    #[cfg(unix)]
    #[test]
    fn replacing_a_folder_link_aside_never_loses_the_old_one() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        for d in ["old", "new", "other"] {
            fs::create_dir(dir.join(d)).unwrap();
        }
        let f = platform::Folder::open(dir).unwrap();
        let (x, at) = (OsStr::new("x"), dir.join("x"));
        let (old, new) = (dir.join("old"), dir.join("new"));
        let text = |n: &str| match f.read_link(OsStr::new(n)) {
            ReadLink::Link(t) => Some(t),
            _ => None,
        };
        let remove = |f: &platform::Folder, n: &OsStr| f.remove_link(n, Flavour::Dir);
        let temp = temp_names(&at, 7).next().unwrap();
        let aside = aside_name(&temp);

        f.make_link(x, &old, Flavour::Dir).unwrap();
        f.make_link(&temp, &new, Flavour::Dir).unwrap();
        replace_aside(&f, &temp, x, remove).unwrap();
        assert_eq!(text("x"), Some(new.clone()));
        assert!(matches!(f.read_link(&aside), ReadLink::Missing));

        // The new link is gone before it could go in: the old one is put back.
        remove(&f, x).unwrap();
        f.make_link(x, &old, Flavour::Dir).unwrap();
        assert!(replace_aside(&f, &temp, x, remove).is_err());
        assert_eq!(text("x"), Some(old.clone()));
        assert!(matches!(f.read_link(&aside), ReadLink::Missing));

        let holds = |f: &platform::Folder, n: &OsStr| match f.read_link(n) {
            ReadLink::Link(t) if t == old => Holds::Old,
            ReadLink::Link(t) if t == new => Holds::New,
            ReadLink::Missing => Holds::Nothing,
            _ => Holds::Other,
        };
        // Killed after the move aside, and after the new one went in: undo puts the old back.
        for new_in_place in [false, true] {
            remove(&f, x).unwrap();
            f.make_link(&aside, &old, Flavour::Dir).unwrap();
            if new_in_place {
                f.make_link(x, &new, Flavour::Dir).unwrap();
            }
            assert!(undo_aside(&f, &at, x, 7, holds, remove).unwrap());
            assert_eq!(text("x"), Some(old.clone()));
            assert!(matches!(f.read_link(&aside), ReadLink::Missing));
        }
        // Something else in its place: left as it is, and said.
        remove(&f, x).unwrap();
        f.make_link(&aside, &old, Flavour::Dir).unwrap();
        f.make_link(x, &dir.join("other"), Flavour::Dir).unwrap();
        let err = undo_aside(&f, &at, x, 7, holds, remove).unwrap_err();
        assert!(err.to_string().contains("the old link is at"), "{err}");
        assert_eq!(text("x"), Some(dir.join("other")));
        // Nothing aside: an ordinary replacement's undo.
        remove(&f, &aside).unwrap();
        assert!(!undo_aside(&f, &at, x, 7, holds, remove).unwrap());
    }
}
