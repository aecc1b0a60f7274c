//! Plan → steps, pure: no filesystem, no clock, no state folder. What it needs to know of the
//! world (which folders exist, the fingerprint of each file adopted) is looked at by the caller
//! beforehand and given as plain values ([`Given`]). What an apply did ([`Outcome`]) is built
//! afterwards from the [`Effect`]s of the steps that ran, never decided up front.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::manifest::{EntryKind, LinkType};
use crate::observe::Actual;
use crate::oplog::{Backup, BackupKind};
use crate::plan::{Action, Decision, Entry, Plan, Want};
use crate::platform::Flavour;
use crate::steps::{Shape, Step};

/// What compiling needs to know beyond the plan.
pub(crate) struct Given<'a> {
    /// The backup store: each backup goes into a fresh folder of it, `<op>-<n>`, made by a step
    /// of its own — named by counting, never by probing (`mkdir` refuses a folder that is
    /// already there, so a backup never goes into, or over, another).
    pub store: &'a Path,
    /// The id the operation will have.
    pub op: u64,
    /// Which of the folders [`folders_to_look_at`] names are folders now (followed), and the
    /// store when it is a real folder (else the first backup makes it).
    pub folders: &'a HashSet<PathBuf>,
    /// The fingerprint of each file or folder adopted (by its place), taken before.
    pub adopted: &'a HashMap<PathBuf, String>,
}

/// What a step (or an entry without one) contributes to the operation's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Effect {
    /// A link made where there was none (or where something was moved away).
    Created,
    /// A wrong link replaced.
    Fixed,
    /// A link removed.
    Removed,
    /// A place no longer owned, left as the user changed it.
    Released,
    /// Something moved into the backup store.
    BackedUp(Backup),
    /// A link not linkfile's, kept in the record by its text (replaced, or taken over).
    Recorded(Backup),
    /// A backup put back in place.
    Restored(Backup),
}

/// The steps of a plan, and what each contributes once it has run.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Each effect, with how many steps must have run for it to hold.
    pub effects: Vec<(usize, Effect)>,
    /// The backup store (folders made in it are not folders made to hold links).
    store: PathBuf,
}

impl Compiled {
    /// What the first `ran` steps did.
    pub(crate) fn outcome(&self, ran: usize) -> Outcome {
        let mut o = Outcome::default();
        let a = &mut o.applied;
        for (_, effect) in self.effects.iter().filter(|(n, _)| *n <= ran) {
            match effect {
                Effect::Created => a.created += 1,
                Effect::Fixed => a.fixed += 1,
                Effect::Removed => a.removed += 1,
                Effect::Released => a.released += 1,
                Effect::BackedUp(b) => {
                    a.backed_up += 1;
                    o.backups.push(b.clone());
                }
                Effect::Recorded(b) => o.backups.push(b.clone()),
                Effect::Restored(b) => {
                    a.restored += 1;
                    o.restored.push(b.clone());
                }
            }
        }
        o.folders = self.steps[..ran.min(self.steps.len())]
            .iter()
            .filter_map(|s| match s {
                Step::MakeFolder { dir, .. } if !dir.starts_with(&self.store) => Some(dir.clone()),
                _ => None,
            })
            .collect();
        o.applied.folders = o.folders.len();
        o
    }
}

/// Turns the plan into primitive steps. Removals first: a new link may go where (or below
/// where) an old one is removed, and must never be made through it. Then the folders that go,
/// once emptied, before anything is made in their place; then backups put back (a folder link
/// among them goes where a folder was just removed); then folder links unfolded, before
/// anything is made below them; then the rest.
pub(crate) fn compile(plan: &Plan, given: &Given) -> Compiled {
    let mut c = Compiler {
        given,
        out: Compiled {
            store: given.store.to_path_buf(),
            ..Compiled::default()
        },
        folders: Folders {
            gone: emptied(plan),
            restored: restored_folders(plan),
            present: given.folders,
            planned: HashSet::new(),
            last: None,
        },
        backups: 0,
    };
    let (removals, rest): (Vec<&Entry>, Vec<&Entry>) = plan
        .entries
        .iter()
        .partition(|e| e.action() == Action::Remove);
    let (restores, removals): (Vec<&Entry>, Vec<&Entry>) = removals
        .into_iter()
        .partition(|e| e.decision == Decision::Restore);
    for e in removals {
        c.entry(e);
    }
    for dir in &plan.remove_folders {
        c.out.steps.push(Step::RemoveFolder { dir: dir.clone() });
    }
    for e in restores {
        c.entry(e);
    }
    if !rest.is_empty() {
        for l in &plan.unfold {
            let mut b = c.backup(&l.at, BackupKind::FolderLink);
            b.text = Some(l.text.clone());
            c.effect(Effect::BackedUp(b));
        }
    }
    for e in rest {
        c.entry(e);
    }
    c.out
}

/// Folders put back from the backup store (place, where stored): there, as stored, when later
/// steps run.
fn restored_folders(plan: &Plan) -> Vec<(PathBuf, PathBuf)> {
    plan.entries
        .iter()
        .filter_map(|e| match &e.want {
            Want::Restore(b) if e.action() == Action::Remove && b.what == BackupKind::Dir => {
                Some((b.at.clone(), b.stored.clone()?))
            }
            _ => None,
        })
        .collect()
}

/// The decision an entry is compiled with: below a folder link unfolded before, a link is
/// made in the real folder put in its place, with nothing in the way.
fn decision(e: &Entry) -> Decision {
    match e.decision {
        Decision::Backup | Decision::Adopt | Decision::SameContent if e.folder_link.is_some() => {
            Decision::Create
        }
        d => d,
    }
}

/// Every folder whose existence [`compile`] may ask about: the caller looks at each (following
/// links, as the steps will reach them) and gives those that are folders as
/// [`Given::folders`].
pub(crate) fn folders_to_look_at(plan: &Plan) -> HashSet<PathBuf> {
    let restored = restored_folders(plan);
    let mut dirs = HashSet::new();
    let mut last: Option<&Path> = None;
    for e in plan.entries.iter().filter(|e| needs_folders(e)) {
        // The same folder as the entry before: named already (entries come folder by folder).
        let parent = crate::paths::parent(&e.desired.at);
        if parent.is_some() && last.map(Path::as_os_str) == parent.map(Path::as_os_str) {
            continue;
        }
        last = parent;
        for dir in e.desired.at.ancestors().skip(1) {
            // Its folders above were named with it, the first time.
            if !dirs.insert(look_at(dir, &restored)) {
                break;
            }
        }
    }
    dirs
}

/// The places whose content is adopted: the caller takes each one's fingerprint (of what the
/// user had there, which becomes the original) and gives them as [`Given::adopted`].
pub(crate) fn adopted_places(plan: &Plan) -> impl Iterator<Item = &Path> {
    plan.entries
        .iter()
        .filter(|e| decision(e) == Decision::Adopt)
        .map(|e| e.desired.at.as_path())
}

/// Whether compiling `e` makes the folders missing above its place.
fn needs_folders(e: &Entry) -> bool {
    match decision(e) {
        Decision::Create => true,
        Decision::Restore => matches!(e.want, Want::Restore(_)),
        _ => false,
    }
}

/// Where to look for the folder `dir`: below a folder being restored, where it is stored now.
fn look_at(dir: &Path, restored: &[(PathBuf, PathBuf)]) -> PathBuf {
    restored
        .iter()
        .find_map(|(at, stored)| Some(stored.join(dir.strip_prefix(at).ok()?)))
        .unwrap_or_else(|| dir.to_path_buf())
}

struct Compiler<'a> {
    given: &'a Given<'a>,
    out: Compiled,
    folders: Folders<'a>,
    /// Backups made so far (numbers their folders).
    backups: u64,
}

impl Compiler<'_> {
    fn step(&mut self, step: Step) {
        self.out.steps.push(step);
    }

    /// Records what the steps so far do.
    fn effect(&mut self, effect: Effect) {
        self.out.effects.push((self.out.steps.len(), effect));
    }

    /// Moves what is at `at` into a fresh folder of the store (made first, when missing).
    fn backup(&mut self, at: &Path, what: BackupKind) -> Backup {
        let store = self.given.store;
        if !self.folders.present.contains(store) && self.folders.planned.insert(store.into()) {
            let (dir, mode) = (store.to_path_buf(), None);
            self.step(Step::MakeFolder { dir, mode });
        }
        self.backups += 1;
        let dir = (self.given.store).join(format!("{:08}-{}", self.given.op, self.backups));
        let stored = dir.join(at.file_name().unwrap_or_default());
        self.step(Step::MakeFolder { dir, mode: None });
        self.step(Step::Move {
            from: at.to_path_buf(),
            to: stored.clone(),
        });
        Backup {
            stored: Some(stored),
            ..record(at, what, None)
        }
    }

    fn entry(&mut self, e: &Entry) {
        let d = &e.desired;
        let kind = Flavour::of(e.kind.unwrap_or(EntryKind::File), d.link_type);
        match decision(e) {
            // Taken over as it is: the record keeps its text, so that undo and unlink put back
            // what the other tool made.
            Decision::Ok if e.claimed => {
                let text = e.current_text().map(Path::to_path_buf);
                self.effect(Effect::Recorded(record(&d.at, BackupKind::Link, text)));
            }
            Decision::Ok | Decision::Conflict => {}
            Decision::Release => self.effect(Effect::Released),
            Decision::Create => {
                self.folders
                    .missing(&d.at, d.dir_mode(), &mut self.out.steps);
                self.make_link(e, kind);
            }
            Decision::Backup | Decision::SameContent => {
                let b = self.backup(&d.at, backup_kind(&e.observed));
                self.effect(Effect::BackedUp(b));
                self.make_link(e, kind);
            }
            Decision::Adopt => self.adopt(e, kind),
            Decision::Fix => self.fix(e, kind),
            Decision::RemoveToStore => {
                let b = self.backup(&d.at, backup_kind(&e.observed));
                self.effect(Effect::BackedUp(b));
            }
            Decision::Remove => self.remove(e, kind),
            Decision::Restore => {
                self.remove(e, kind);
                if let Want::Restore(b) = &e.want {
                    self.restore(e, b, kind);
                }
            }
        }
    }

    fn make_link(&mut self, e: &Entry, kind: Flavour) {
        let d = &e.desired;
        self.step(Step::Make {
            at: d.at.clone(),
            link: wanted_shape(e, kind),
        });
        self.effect(Effect::Created);
    }

    /// The repo's version goes to the store, the file in the way becomes the original.
    fn adopt(&mut self, e: &Entry, kind: Flavour) {
        let d = &e.desired;
        let mut original = self.backup(&d.to, BackupKind::Original);
        original.adopted_from = Some(d.at.clone());
        original.adopted_fingerprint = self.given.adopted.get(&d.at).cloned();
        self.step(Step::Move {
            from: d.at.clone(),
            to: d.to.clone(),
        });
        self.effect(Effect::BackedUp(original));
        self.make_link(e, kind);
    }

    fn fix(&mut self, e: &Entry, kind: Flavour) {
        let d = &e.desired;
        let old = e.current_text().unwrap_or(Path::new("")).to_path_buf();
        let owned = e.owned_link();
        let made_by_linkfile = owned
            .as_ref()
            .is_some_and(|o| crate::platform::same_path(&o.text, &old));
        let from = match (&e.observed, &owned) {
            // A hard link linkfile made, to another original.
            (Actual::OwnedHardLink, Some(o)) => Shape::HardLink {
                original: o.text.clone(),
            },
            _ => Shape::Symlink {
                text: old.clone(),
                kind: flavour_there(e, kind),
            },
        };
        self.step(Step::Replace {
            at: d.at.clone(),
            from,
            to: wanted_shape(e, kind),
        });
        // Not a link linkfile made: its text is its content; the record keeps it.
        if matches!(e.observed, Actual::Link { .. }) && !made_by_linkfile {
            self.effect(Effect::Recorded(record(&d.at, BackupKind::Link, Some(old))));
        }
        self.effect(Effect::Fixed);
    }

    fn remove(&mut self, e: &Entry, kind: Flavour) {
        let link = match (&e.observed, &e.owned_link(), e.current_text()) {
            (Actual::HardLinked | Actual::OwnedHardLink, Some(o), _) => Shape::HardLink {
                original: o.text.clone(),
            },
            (_, _, Some(text)) => Shape::Symlink {
                text: text.to_path_buf(),
                kind: flavour_there(e, kind),
            },
            _ => return,
        };
        self.step(Step::Remove {
            at: e.desired.at.clone(),
            link,
        });
        self.effect(Effect::Removed);
    }

    fn restore(&mut self, e: &Entry, b: &Backup, kind: Flavour) {
        let d = &e.desired;
        self.folders
            .missing(&d.at, d.dir_mode(), &mut self.out.steps);
        match (&b.stored, &b.text) {
            (Some(stored), _) => self.step(Step::Move {
                from: stored.clone(),
                to: b.at.clone(),
            }),
            (None, Some(text)) => self.step(Step::Make {
                at: b.at.clone(),
                link: Shape::Symlink {
                    text: text.clone(),
                    kind,
                },
            }),
            (None, None) => {}
        }
        self.effect(Effect::Restored(b.clone()));
    }
}

/// A backup record of `at` with nothing stored (yet).
fn record(at: &Path, what: BackupKind, text: Option<PathBuf>) -> Backup {
    Backup {
        at: at.to_path_buf(),
        what,
        stored: None,
        text,
        adopted_from: None,
        adopted_fingerprint: None,
    }
}

/// What a thing in the way is, once in the store.
fn backup_kind(observed: &Actual) -> BackupKind {
    match observed {
        Actual::Dir => BackupKind::Dir,
        Actual::Link { .. } => BackupKind::Link,
        _ => BackupKind::File,
    }
}

/// The flavour of the link there now: a link is removed or replaced as the kind it is.
fn flavour_there(e: &Entry, wanted: Flavour) -> Flavour {
    match &e.observed {
        Actual::Link {
            flavour: Some(f), ..
        } => *f,
        _ => e.owned_link().map_or(wanted, |o| o.flavour()),
    }
}

/// The link the manifest wants at `e`'s place.
fn wanted_shape(e: &Entry, kind: Flavour) -> Shape {
    let d = &e.desired;
    match d.link_type {
        LinkType::Hardlink => Shape::HardLink {
            original: d.link_text().to_path_buf(),
        },
        _ => Shape::Symlink {
            text: d.link_text().to_path_buf(),
            kind,
        },
    }
}

/// Which parent folders are missing, from the folders the caller found ([`Given::folders`]).
struct Folders<'a> {
    present: &'a HashSet<PathBuf>,
    planned: HashSet<PathBuf>,
    /// Places emptied by earlier steps: gone by the time later steps run.
    gone: HashSet<PathBuf>,
    /// Folders put back by earlier steps (place, where they are stored now).
    restored: Vec<(PathBuf, PathBuf)>,
    /// The folder a link was last asked about: there or planned since.
    last: Option<PathBuf>,
}

impl Folders<'_> {
    /// Plans the folders missing above `at`, made with `mode` (`dir_mode`) when given.
    fn missing(&mut self, at: &Path, mode: Option<u32>, steps: &mut Vec<Step>) {
        // The folder asked last is there, or planned, still (neither set shrinks).
        let parent = crate::paths::parent(at);
        if let Some(parent) = parent
            && self.last.as_deref().map(Path::as_os_str) == Some(parent.as_os_str())
        {
            return;
        }
        self.last = parent.map(Path::to_path_buf);
        let mut chain = Vec::new();
        for dir in at.ancestors().skip(1) {
            if self.planned.contains(dir) {
                break;
            }
            // Below a place this plan empties (a link to a folder, removed), nothing is there.
            if !at_or_below_any(dir, &self.gone)
                && self.present.contains(&look_at(dir, &self.restored))
            {
                break;
            }
            chain.push(dir.to_path_buf());
        }
        for dir in chain.into_iter().rev() {
            self.planned.insert(dir.clone());
            steps.push(Step::MakeFolder { dir, mode });
        }
    }
}

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
    /// Places no longer owned, left as the user changed them.
    pub released: usize,
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

/// The places this plan empties (links removed, things moved to the backup store): what lies
/// below them was not observed through them, and their folders must be made anew.
pub fn emptied(plan: &Plan) -> HashSet<PathBuf> {
    plan.entries
        .iter()
        .filter(|e| {
            e.action() == Action::Remove && e.resolution() != Some(crate::plan::Resolution::Restore)
        })
        .map(|e| e.desired.at.clone())
        .chain(plan.remove_folders.iter().cloned())
        .chain(plan.unfold.iter().map(|l| l.at.clone()))
        .collect()
}

/// Whether `at` is one of `places` or lies below one.
pub fn at_or_below_any(at: &Path, places: &HashSet<PathBuf>) -> bool {
    !places.is_empty() && at.ancestors().any(|a| places.contains(a))
}

#[cfg(test)]
mod tests;
