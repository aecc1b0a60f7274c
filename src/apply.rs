//! The only writer: turns a [`Plan`] into changes on disk, all or nothing, recoverable after a
//! crash.
//!
//! Order of work: refuse if any entry is a conflict; re-observe every entry that will be written
//! and refuse if it changed since the plan (a stale plan); look at what compiling needs to know
//! of the world (which folders exist, the fingerprint of what is adopted) and compile the plan
//! into primitive [`Step`]s (pure: `compile.rs`), each one filesystem call whose effect
//! can be checked afterwards (a `mkdir`, a
//! `symlink` — which never replaces anything —, a temporary link swapped with an old one
//! (`renameat2` exchange on Linux, a checked rename elsewhere, the old one moved aside first for
//! a Windows folder link), an `unlink` of a link, a `rename` into or out of the backup store);
//! write them as the intent record, fsynced once; then run them through folders walked to
//! without following a link (`run_intent`); a long stretch of new folders and links (an apply
//! into an empty home) makes its links on several threads, each walking on its own (`batch`).
//! If a step fails, the steps done so far are undone newest first, each through the folders it
//! was written in, by [`undo_step`], which looks at the filesystem to see whether a step
//! happened — the same function recovery runs after a crash (see [`recover`]). A new link is
//! read back to verify it: on Windows every one, elsewhere the first each thread makes in each
//! folder (why: `Places::read_back_due`). No
//! fsync per link: a link is metadata, ordered by the filesystem; the intent and the
//! operation record are the only files fsynced.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

pub use crate::compile::{Applied, Outcome, at_or_below_any, emptied};
use crate::compile::{Given, adopted_places, compile, folders_to_look_at};
use crate::error::{Error, Rollback, Staleness};
use crate::manifest::EntryKind;
use crate::observe;
use crate::oplog::{BackupKind, OwnedLink, State};
use crate::plan::{Action, Entry, Plan, Resolution, Want};
pub use crate::steps::{Intent, Places, Shape, Step, Undecided, finish, recover, undo_step};
use crate::steps::{roll_back, run_step};

mod batch;

/// Where an apply keeps its intent and backups, and a hook called before every write (tests
/// use it to inject a failure at any step).
pub struct Transaction<'a> {
    /// The manifest's state.
    pub state: &'a State,
    /// The repo (the manifest's folder): nothing is written inside it but by adopting.
    pub repo: &'a Path,
    /// The id the operation will have.
    pub op: u64,
    /// The command, for the intent record.
    pub command: crate::command::Command,
    /// Called with the step about to run; an error fails the apply there.
    pub before_step: &'a mut (dyn FnMut(&Step) -> io::Result<()> + Send),
    /// The home: every write below it is made without following a link on the way.
    pub home: &'a Path,
    /// Told after each step: how many are made, of how many.
    pub progress: &'a mut dyn FnMut(usize, usize),
}

/// Applies `plan`. On error, nothing is left changed (or the error says what could not be undone).
pub fn apply(plan: &Plan, tx: &mut Transaction) -> Result<Outcome, Error> {
    let counts = plan.counts();
    if counts.conflict > 0 {
        return Err(Error::Conflicts {
            count: counts.conflict,
            command: tx.command,
        });
    }
    check_fresh(plan)?;
    let store = tx.state.dir.join("backups");
    let mut folders = existing_folders(plan);
    // Not followed: a link planted there is refused below, before anything is stored.
    if observe::is_real_folder(&store) {
        folders.insert(store.clone());
    }
    let adopted = adopted_fingerprints(plan)?;
    let given = Given {
        store: &store,
        op: tx.op,
        folders: &folders,
        adopted: &adopted,
    };
    let mut compiled = compile(plan, &given);
    if compiled.steps.is_empty() {
        return Ok(compiled.outcome(0));
    }
    refuse_repo_writes(&compiled.steps, plan, tx.repo)?;
    let backs_up = |s: &Step| matches!(s, Step::MakeFolder { dir, .. } if dir.starts_with(&store));
    if compiled.steps.iter().any(backs_up) {
        tx.state.backup_store()?;
    }
    let hooks = Hooks {
        before_step: tx.before_step,
        progress: tx.progress,
    };
    let steps = std::mem::take(&mut compiled.steps);
    compiled.steps = run_intent(
        tx.state,
        [tx.home, tx.repo],
        tx.op,
        tx.command,
        steps,
        hooks,
    )?;
    let mut outcome = compiled.outcome(compiled.steps.len());
    for step in &compiled.steps {
        match step {
            Step::RemoveFolder { dir } if !observe::exists(dir) => {
                outcome.removed_folders.push(dir.clone())
            }
            _ => {}
        }
    }
    // Plain data: one step per link.
    crate::discard(compiled);
    Ok(outcome)
}

/// The folders compiling may ask about that are folders now (links followed, as the steps
/// reach them).
fn existing_folders(plan: &Plan) -> HashSet<PathBuf> {
    folders_to_look_at(plan)
        .into_iter()
        .filter(|dir| observe::is_folder_followed(dir))
        .collect()
}

/// The fingerprint of what each adopted place holds now (it becomes the original).
fn adopted_fingerprints(plan: &Plan) -> Result<HashMap<PathBuf, String>, Error> {
    adopted_places(plan)
        .map(|at| {
            let print = observe::fingerprint(at).map_err(|source| Error::Observe {
                path: at.to_path_buf(),
                source,
            })?;
            Ok((at.to_path_buf(), print))
        })
        .collect()
}

/// What a run of steps tells: before each step (tests inject faults there; called from the
/// thread making the step, see [`batch`]), and after each, how many of how many are made (the
/// progress bar).
pub(crate) struct Hooks<'a> {
    pub(crate) before_step: &'a mut (dyn FnMut(&Step) -> io::Result<()> + Send),
    pub(crate) progress: &'a mut dyn FnMut(usize, usize),
}

/// Writes the intent record of operation `op` (its steps), then runs the steps through folders
/// walked to from the home, the repo and the state folder without following a link; at the end
/// every folder written in must still be the one walked to (none swapped meanwhile). On a
/// failure, rolls back what ran and says so. The one runner of `apply`, `undo`, `unlink` and
/// `add`; returns the steps that ran.
pub(crate) fn run_intent(
    state: &State,
    [home, repo]: [&Path; 2],
    op: u64,
    command: crate::command::Command,
    steps: Vec<Step>,
    hooks: Hooks,
) -> Result<Vec<Step>, Error> {
    let intent = Intent {
        op,
        pid: std::process::id(),
        command,
        steps,
        version: crate::steps::INTENT_VERSION,
    };
    let json = serde_json::to_string(&intent).map_err(|e| Error::State {
        path: state.intent_path(),
        source: std::io::Error::other(e),
    })?;
    state.write_intent(json.as_bytes())?;
    let mut places = vec![Places::for_apply([home, repo, state.dir.as_path()])];
    if let Err(Stopped { failure, ran, made }) = run_steps(&intent.steps, hooks, &mut places) {
        let ran = ran.iter().map(|&(i, k)| (&intent.steps[i], k));
        let rollback = roll_back(ran, made, intent.pid, &mut places);
        if matches!(rollback, Rollback::Complete { .. }) {
            let _ = state.remove_intent();
        }
        return Err(failure.into_error(rollback));
    }
    Ok(intent.steps)
}

/// Runs `step` through `places`, `before` told first (its error fails the step there).
fn run_told(
    before: &mut (dyn FnMut(&Step) -> io::Result<()> + Send),
    step: &Step,
    places: &mut Places,
) -> Result<(), crate::steps::Failure> {
    before(step)
        .map_err(|e| crate::steps::Failure::before(step, e))
        .and_then(|()| run_step(step, places))
}

/// Why a run of steps stopped.
pub(crate) struct Stopped {
    failure: crate::steps::Failure,
    /// The steps that ran (the failing one too, unless it made nothing), in order: each by its
    /// index and the places it was written through.
    ran: Vec<(usize, usize)>,
    /// How many completed.
    made: usize,
}

/// The steps of a run that ran through places other than the first (other threads', see
/// [`batch`]), by those places.
#[derive(Default)]
struct Elsewhere(Vec<(usize, Vec<usize>)>);

impl Elsewhere {
    /// Every step below `prefix`, and those of `also` (through the first places), and those
    /// that ran elsewhere: each with the places it ran through, in order.
    fn ran(&self, prefix: usize, also: &[usize]) -> Vec<(usize, usize)> {
        let mut ran: Vec<(usize, usize)> = self
            .0
            .iter()
            .flat_map(|(k, steps)| steps.iter().map(move |&i| (i, *k)))
            .collect();
        let elsewhere: HashSet<usize> = ran.iter().map(|&(i, _)| i).collect();
        ran.extend(
            (0..prefix)
                .filter(|i| !elsewhere.contains(i))
                .map(|i| (i, 0)),
        );
        ran.extend(also.iter().map(|&i| (i, 0)));
        ran.sort_unstable();
        ran
    }
}

/// Runs `steps` in order through `places[0]` (a long stretch of new folders and links: its
/// links over several threads, each through places of its own added to `places`, see
/// [`batch`]), then checks that every folder written in is still the one walked to.
fn run_steps(steps: &[Step], mut hooks: Hooks, places: &mut Vec<Places>) -> Result<(), Stopped> {
    let mut elsewhere = Elsewhere::default();
    // Where the stretch of folders and links last looked at ends: not looked at again before.
    let mut looked_to = 0;
    let mut i = 0;
    while i < steps.len() {
        if i >= looked_to {
            let (end, parallel) = batch::stretch(steps, i);
            looked_to = end.max(i + 1);
            if parallel {
                batch::run(steps, i..end, &mut hooks, places, &mut elsewhere)?;
                i = end;
                continue;
            }
        }
        let step = &steps[i];
        // What a step moves or removes, other threads' places let go of first (Windows keeps
        // a folder someone holds open).
        if let Step::Move { from: gone, .. } | Step::RemoveFolder { dir: gone } = step {
            places[1..].iter_mut().for_each(|p| p.forget(gone));
        }
        run_told(hooks.before_step, step, &mut places[0]).map_err(|failure| {
            let ran = if failure.made_nothing() { i } else { i + 1 };
            Stopped {
                failure,
                ran: elsewhere.ran(ran, &[]),
                made: i,
            }
        })?;
        (hooks.progress)(i + 1, steps.len());
        i += 1;
    }
    for p in places.iter() {
        p.check_unchanged().map_err(|failure| Stopped {
            failure,
            ran: elsewhere.ran(steps.len(), &[]),
            made: steps.len(),
        })?;
    }
    Ok(())
}

/// The links owned after `plan` is applied.
pub fn view_after(plan: &Plan) -> Vec<OwnedLink> {
    let mut view: Vec<OwnedLink> = plan.entries.iter().filter_map(owned_after).collect();
    // What the selection left alone stays owned as it was.
    view.extend(plan.kept.iter().cloned());
    view.sort();
    view
}

/// Whether applying `plan` changes which links are owned, or how: some entry's owned link
/// after differs from its owned link before (the kept ones are the same on both sides). The
/// same answer as comparing the views before and after, without building and sorting both.
pub fn changes_ownership(plan: &Plan) -> bool {
    plan.entries
        .iter()
        .any(|e| match (owned_after(e), &e.owned) {
            // Compared without building the owned link kept as a mark.
            (Some(after), Some(crate::plan::Owned::AsWanted(kind))) => {
                !crate::plan::is_recorded_link(&after, &e.desired, *kind)
            }
            (after, _) => after.as_ref() != e.owned_link().as_deref(),
        })
}

/// The link owned at `e`'s place once it is applied.
fn owned_after(e: &Entry) -> Option<OwnedLink> {
    // A right link the user made with the wanted text is not taken over: undo and unlink
    // leave it alone. Another tool's link to the original is (claimed), as it is.
    let taken = e.want == Want::Link
        && match e.action() {
            Action::Create | Action::Fix => true,
            Action::Ok => e.owned.is_some() || e.claimed,
            _ => false,
        };
    taken.then(|| {
        // A right link keeps the text it has (another tool's, when claimed).
        let text = match (e.action(), e.current_text()) {
            (Action::Ok, Some(now)) => now,
            _ => e.desired.link_text(),
        };
        crate::plan::recorded_link_holding(&e.desired, e.kind.unwrap_or(EntryKind::File), text)
    })
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
        .filter(|e| e.action() == Action::Remove)
        .map(|e| e.desired.at.clone())
        .chain(plan.remove_folders.iter().cloned())
        .chain(plan.unfold.iter().map(|l| l.at.clone()))
        .collect()
}

/// Refuses a plan whose observations no longer hold for the entries that will be written.
fn check_fresh(plan: &Plan) -> Result<(), Error> {
    let emptied = vacated(plan);
    let sources = restore_sources(plan.entries.iter().map(|e| &e.want));
    let entries: Vec<&Entry> = plan
        .entries
        .iter()
        .filter(|e| matches!(e.action(), Action::Create | Action::Fix | Action::Remove))
        // A place an earlier restore takes its content from was planned as it will be then.
        .filter(|e| !sources.contains(&e.desired.at))
        // Below a place this plan empties, the observation was not made through it.
        .filter(|e| e.action() == Action::Remove || !at_or_below_any(&e.desired.at, &emptied))
        // A folder link put back where a folder linkfile made is removed first.
        .filter(|e| !plan.remove_folders.contains(&e.desired.at))
        .collect();
    let places: Vec<observe::Place> = entries
        .iter()
        .map(|e| observe::Place::of(&e.desired.at, e.desired.link_text(), e.desired.link_type))
        .collect();
    // A folder link to unfold is still the link that was planned with.
    for l in &plan.unfold {
        match observe::read_link(&l.at) {
            crate::platform::ReadLink::Link(text) if crate::platform::same_path(&text, &l.text) => {
            }
            _ => {
                return Err(Error::StalePlan {
                    path: l.at.clone(),
                    change: Staleness::FolderLink {
                        planned: l.text.clone(),
                    },
                });
            }
        }
    }
    for (entry, now) in entries.iter().zip(observe::link_places(&places)?) {
        let now = observe::owned_hard_link(now, &entry.desired.at, entry.owned_hard_and_text());
        let d = &entry.desired;
        if now != entry.observed {
            return Err(Error::StalePlan {
                path: d.at.clone(),
                change: Staleness::Place {
                    planned: entry.observed.describe(),
                    now: now.describe(),
                },
            });
        }
    }
    // Adopt was planned into an original that is no link; it never writes through one.
    for e in plan.entries.iter() {
        let to = &e.desired.to;
        if e.resolution() == Some(Resolution::Adopt) && observe::is_link(to) {
            return Err(Error::StalePlan {
                path: to.clone(),
                change: Staleness::AdoptIntoLink,
            });
        }
    }
    Ok(())
}

/// Refuses, before anything is written, a step that would write inside the repo by real path,
/// other than adopting (a file made the repo's original, or the repo's version put back). The
/// planner never plans one — a folder link on the way into the repo is `parent-is-link` — so
/// this is the last line of defence for what it cannot see (folders above the home).
fn refuse_repo_writes(steps: &[Step], plan: &Plan, repo: &Path) -> Result<(), Error> {
    let Some(real_repo) = crate::containment::existing_real_path(repo) else {
        return Ok(());
    };
    // Adopting moves a file into the repo as the original; undoing it puts the repo's version
    // back.
    let adopted: HashSet<&Path> = plan
        .entries
        .iter()
        .filter_map(|e| match (&e.want, e.resolution()) {
            (_, Some(Resolution::Adopt)) => Some(e.desired.to.as_path()),
            (Want::Restore(b), _) if b.what == BackupKind::Original => Some(b.at.as_path()),
            _ => None,
        })
        .collect();
    let emptied = emptied(plan);
    let mut reals = crate::containment::Folders::default();
    let mut seen: std::collections::HashMap<PathBuf, bool> = std::collections::HashMap::new();
    // The folder asked last, looked at first (steps come folder by folder).
    let mut last: Option<(&Path, bool)> = None;
    for step in steps {
        let (path, other) = match step {
            Step::Move { from, to } => (from, Some(to)),
            Step::MakeFolder { dir, .. } | Step::RemoveFolder { dir } => (dir, None),
            Step::Make { at, .. } | Step::Replace { at, .. } | Step::Remove { at, .. } => {
                (at, None)
            }
        };
        let paths = std::iter::once(path.as_path()).chain(other.map(PathBuf::as_path));
        for path in paths.filter(|p| !adopted.contains(p)) {
            let Some(parent) = crate::paths::parent(path) else {
                continue;
            };
            let inside = match last {
                Some((dir, inside)) if dir.as_os_str() == parent.as_os_str() => inside,
                _ => {
                    let inside = *seen.entry(parent.to_path_buf()).or_insert_with(|| {
                        real_path_within(parent, &emptied, &real_repo, &mut reals)
                    });
                    last = Some((parent, inside));
                    inside
                }
            };
            if inside {
                return Err(Error::WouldWriteRepo {
                    path: path.to_path_buf(),
                    repo: repo.to_path_buf(),
                });
            }
        }
    }
    Ok(())
}

/// Whether the folder `dir` lies inside `real_repo` by real path, as it will be when the steps
/// run: places this plan empties (links removed, folder links unfolded) are not followed.
fn real_path_within(
    dir: &Path,
    emptied: &HashSet<PathBuf>,
    real_repo: &Path,
    reals: &mut crate::containment::Folders,
) -> bool {
    // Below the topmost place emptied, nothing is there yet: start above it.
    let start = dir
        .ancestors()
        .filter(|a| emptied.contains(*a))
        .last()
        .and_then(Path::parent)
        .unwrap_or(dir);
    let rest = dir.strip_prefix(start).unwrap_or(Path::new(""));
    let real = reals.real(start).join(rest);
    crate::paths::within(&real, real_repo, crate::platform::Os::HOST)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn a_folder_reached_through_a_link_into_the_repo_is_inside_it() {
        let tmp = tempfile::tempdir().unwrap();
        let (repo, home) = (tmp.path().join("repo"), tmp.path().join("home"));
        fs::create_dir_all(repo.join("nvim")).unwrap();
        fs::create_dir(&home).unwrap();
        std::os::unix::fs::symlink(&repo, home.join("d")).unwrap();
        let real_repo = fs::canonicalize(&repo).unwrap();
        let none = HashSet::new();
        // Each question with its own real paths, and all of them with one set.
        let mut shared = crate::containment::Folders::default();
        for reals in [None, Some(&mut shared)] {
            let mut own = crate::containment::Folders::default();
            let reals = reals.unwrap_or(&mut own);
            let mut within =
                |dir: &Path, emptied| real_path_within(dir, emptied, &real_repo, reals);
            assert!(within(&home.join("d/nvim/x"), &none));
            assert!(within(&home.join("d"), &none));
            assert!(!within(&home, &none));
            // Once the folder link is unfolded (emptied by the plan), its place is the home's.
            let unfolded: HashSet<PathBuf> = [home.join("d")].into();
            assert!(!within(&home.join("d/nvim/x"), &unfolded));
        }
    }
}
