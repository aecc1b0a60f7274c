//! Records are data, not commands: before any step of an intent (recovery) or of an operation
//! record (undo, unlink) runs, every path it names is checked against what this manifest owns or
//! wants. A place is a link's place in the manifest as resolved now or in a view of the history;
//! allowed besides are the folders above a place (not the home or above it), the backup store
//! (by real path), and the repo's originals of those links, which only adopting moves. A record
//! naming anything else was damaged or forged, and is refused whole: nothing of it is done.

pub(crate) use crate::command::Command;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::containment::real_path;
use crate::error::{Error, OutOfScope};
use crate::oplog::{Backup, BackupKind, Operation, OwnedLink, State};
use crate::paths::{PathKey, normalize, within};
use crate::platform::Os;
use crate::steps::{Intent, Step};

/// What recovery needs to know of the manifest to check an intent: the home, the repo, and the
/// links (place, original) the manifest wants now, resolved only when there is an intent.
pub struct Wanted<'a> {
    pub home: &'a Path,
    pub repo: &'a Path,
    pub links: &'a dyn Fn() -> Result<Vec<(PathBuf, PathBuf)>, Error>,
}

/// The places a record may name.
struct Scope {
    home: PathBuf,
    real_repo: PathBuf,
    store: PathBuf,
    places: HashSet<String>,
    folders: HashSet<String>,
    originals: HashSet<String>,
    /// Files an operation staged in the state folder (`add`'s new manifest): kept like backups.
    staged: HashSet<String>,
}

fn key(p: &Path) -> String {
    PathKey::new(&normalize(p), Os::HOST).into_string()
}

/// Where a link holding `text` at `at` leads.
fn target(at: &Path, text: &Path) -> PathBuf {
    normalize(&at.parent().unwrap_or(Path::new("/")).join(text))
}

/// Where `p` really is: its folder's real path, its own name kept (a link in the repo is an
/// original as it is, wherever it points).
fn real_place(p: &Path) -> PathBuf {
    match (p.parent(), p.file_name()) {
        (Some(dir), Some(name)) => real_path(dir).join(name),
        _ => real_path(p),
    }
}

impl Scope {
    fn new(state: &State, home: &Path, repo: &Path) -> Scope {
        Scope {
            home: normalize(home),
            real_repo: real_path(repo),
            // As the store's own place is (which a step makes when it is missing).
            store: real_place(&state.dir.join("backups")),
            places: HashSet::new(),
            folders: HashSet::new(),
            originals: HashSet::new(),
            staged: HashSet::new(),
        }
    }

    fn add(&mut self, at: &Path, original: &Path) {
        self.places.insert(key(at));
        self.originals.insert(key(original));
        for dir in normalize(at).ancestors().skip(1) {
            // The home and the folders above it are never linkfile's to make, move or remove.
            if within(&self.home, dir, Os::HOST) {
                break;
            }
            if !self.folders.insert(key(dir)) {
                break;
            }
        }
    }

    fn add_view(&mut self, view: &[OwnedLink]) {
        for o in view {
            self.add(&o.at, &target(&o.at, &o.text));
        }
    }

    fn place(&self, p: &Path) -> bool {
        self.places.contains(&key(p))
    }

    fn place_or_folder(&self, p: &Path) -> bool {
        let k = key(p);
        self.places.contains(&k) || self.folders.contains(&k)
    }

    /// An `add` moves files and folders of the home into the repo, and the manifest out to the
    /// store and its staged successor in: its own steps name places the manifest (edited only
    /// by its last step) may not want yet. They are allowed as the shape of an add — between
    /// the home and the repo, the repo and the store — and nothing else.
    fn add_own_moves(&mut self, intent: &Intent, state_dir: &Path) {
        let real_repo = self.real_repo.clone();
        let into_repo = |p: &Path| within(&real_place(p), &real_repo, Os::HOST);
        let home = self.home.clone();
        for step in &intent.steps {
            let Step::Move { from, to } = step else {
                continue;
            };
            let in_home = within(from, &home, Os::HOST) && normalize(from) != home;
            if in_home && into_repo(to) {
                self.add(from, to);
                // The folders it makes in the repo for them.
                for dir in to.ancestors().skip(1) {
                    if !into_repo(dir) || real_path(dir) == real_repo {
                        break;
                    }
                    self.folders.insert(key(dir));
                }
            } else if into_repo(from) && self.in_store(to) {
                self.originals.insert(key(from));
            } else if from.parent() == Some(state_dir) && into_repo(to) {
                self.staged.insert(key(from));
                self.originals.insert(key(to));
            }
        }
    }

    fn in_store(&self, p: &Path) -> bool {
        if self.staged.contains(&key(p)) {
            return true;
        }
        // What is kept may itself be a link (a folder link moved aside): not followed.
        within(&real_place(p), &self.store, Os::HOST)
    }

    fn original(&self, p: &Path) -> bool {
        self.originals.contains(&key(p)) && within(&real_place(p), &self.real_repo, Os::HOST)
    }

    /// Why the step may not run, naming the path, if it may not.
    fn refuse_step(&self, step: &Step) -> Option<(PathBuf, OutOfScope)> {
        let refuse = |p: &Path, why| Some((p.to_path_buf(), why));
        match step {
            Step::MakeFolder { dir, .. } | Step::RemoveFolder { dir } => {
                (!self.place_or_folder(dir) && !self.in_store(dir))
                    .then(|| (dir.clone(), OutOfScope::FolderOfNoPlace))
            }
            Step::Make { at, .. } | Step::Replace { at, .. } | Step::Remove { at, .. } => {
                (!self.place_or_folder(at)).then(|| (at.clone(), OutOfScope::NotOurs))
            }
            Step::Move { from, to } => {
                let home_side = |p: &Path| self.place_or_folder(p);
                let ok = (self.in_store(from) && (home_side(to) || self.original(to)))
                    || (self.in_store(to) && (home_side(from) || self.original(from)))
                    || (self.place(from) && self.original(to))
                    || (self.original(from) && self.place(to));
                if ok {
                    return None;
                }
                // Name the side that is neither the store nor a place of this manifest; first
                // `to`, what rolling the move back would take away.
                let odd = [to, from]
                    .into_iter()
                    .find(|p| !self.in_store(p) && !self.place_or_folder(p) && !self.original(p));
                match odd {
                    Some(p) => refuse(p, OutOfScope::MoveOutside),
                    None => refuse(from, OutOfScope::MoveNeverMade),
                }
            }
        }
    }

    fn refuse_backup(&self, b: &Backup) -> Option<(PathBuf, OutOfScope)> {
        if let Some(stored) = &b.stored
            && !self.in_store(stored)
        {
            return Some((stored.clone(), OutOfScope::BackupOutsideStore));
        }
        let at_ok = match (&b.what, &b.adopted_from) {
            (BackupKind::Original, Some(from)) => self.original(&b.at) && self.place(from),
            _ => self.place_or_folder(&b.at),
        };
        (!at_ok).then(|| (b.at.clone(), OutOfScope::NeverOwned))
    }

    /// Why an operation record may not be acted on, if it may not.
    fn refuse_record(&self, op: &Operation) -> Option<(PathBuf, OutOfScope)> {
        for b in op.backups.iter().chain(&op.restored) {
            if let Some(refused) = self.refuse_backup(b) {
                return Some(refused);
            }
        }
        for dir in op.folders.iter().chain(&op.removed_folders) {
            if !self.place_or_folder(dir) {
                return Some((dir.clone(), OutOfScope::FolderOfNoPlace));
            }
        }
        // Undo makes the links of a view again: one to an existing thing outside the repo was
        // never made by linkfile (a missing one is not made again: its original is missing).
        for o in &op.view {
            let to = target(&o.at, &o.text);
            if crate::observe::exists(&to) && !within(&real_place(&to), &self.real_repo, Os::HOST) {
                return Some((o.at.clone(), OutOfScope::LinkOutsideRepo { to }));
            }
        }
        None
    }
}

fn record_path(state: &State, id: u64) -> PathBuf {
    state.dir.join("ops").join(format!("{id:08}.json"))
}

/// Checks an interrupted operation's intent before recovery undoes any of its steps.
pub(crate) fn check_intent(intent: &Intent, state: &State, wanted: &Wanted) -> Result<(), Error> {
    let mut scope = Scope::new(state, wanted.home, wanted.repo);
    for op in state.history()? {
        scope.add_view(&op.view);
    }
    for (at, to) in (wanted.links)()? {
        scope.add(&at, &to);
    }
    if intent.command == Command::Add {
        scope.add_own_moves(intent, &state.dir);
    }
    match intent.steps.iter().find_map(|s| scope.refuse_step(s)) {
        Some((path, why)) => Err(Error::UntrustedRecord {
            record: state.intent_path(),
            path,
            why,
        }),
        None => Ok(()),
    }
}

/// Checks every record of `history` (newest first) before undo or unlink acts on any of them.
pub(crate) fn check_history(
    history: &[Operation],
    state: &State,
    home: &Path,
    repo: &Path,
) -> Result<(), Error> {
    let mut scope = Scope::new(state, home, repo);
    for op in history {
        scope.add_view(&op.view);
    }
    for op in history {
        if let Some((path, why)) = scope.refuse_record(op) {
            return Err(Error::UntrustedRecord {
                record: record_path(state, op.id),
                path,
                why,
            });
        }
    }
    Ok(())
}
