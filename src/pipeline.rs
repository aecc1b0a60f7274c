//! From a manifest and the state to a plan: one record per link ([`plan::Input`]), built in one
//! pass that flows one way.
//!
//! For `plan` and `apply` ([`session`]): resolve the manifest and expand its `each` entries →
//! observe the repo's originals and every link's place at once → check what needs the
//! originals, skip optional links whose original is missing → probe the primitives of links
//! with a `fallback` ([`probe`], the one stage outside the writer that writes) → match each
//! link with the link linkfile owns there, and add the owned links no longer wanted → select
//! (`--only`, `--except`) → find the folders that give way → settle what observation alone
//! cannot say (places an earlier step empties, folder links on the way, files in the way) →
//! plan. `undo` and `unlink` ([`undo`]) build the same records from the operation log instead of
//! the manifest and go through the same last stages.

use std::path::{Path, PathBuf};

use crate::System;
use crate::apply::{self, Outcome, Transaction};
use crate::color::Palette;
use crate::each;
use crate::error::Error;
use crate::manifest::{self, EntryKind, LinkType, OnConflict};
use crate::observe::{self, Actual};
use crate::oplog::{self, Operation, OwnedLink, State};
use crate::plan::{self, Action, Input, Plan, Purpose, Want};
use crate::platform;
use crate::render::human::{self, View};
use crate::resolve::{self, Desired, Resolved};
use crate::selection::{Selection, Selector};

mod places;
mod probe;
pub(crate) mod undo;

/// A manifest read and planned against the filesystem and the state.
pub struct Session {
    /// What `~` means.
    pub home: PathBuf,
    /// The manifest's folder.
    pub repo: PathBuf,
    /// The manifest's path.
    pub manifest_path: PathBuf,
    /// Fingerprint of the manifest's bytes.
    pub manifest_hash: String,
    /// The manifest's state (operation log, backups).
    pub state: State,
    /// The newest operation, if any (its view may have been moved into the plan's entries).
    pub head: Option<Operation>,
    /// What apply would do now.
    pub plan: Plan,
    /// Whether an interrupted operation is pending (the plan is as it will be once rolled back).
    pub interrupted: bool,
}

impl Session {
    /// Applies the plan as one operation and records it; `before_step` runs before every write
    /// (tests inject faults with it). Returns the record, or `None` when nothing changed. The
    /// caller holds the writer's lock ([`State::lock`]) and has recovered any interrupted
    /// operation first, as the command line does.
    pub fn apply(
        &self,
        command: crate::command::Command,
        undoes: Option<u64>,
        before_step: &mut (dyn FnMut(&apply::Step) -> std::io::Result<()> + Send),
    ) -> Result<(Outcome, Option<Operation>), Error> {
        self.apply_telling(command, undoes, before_step, &mut |_, _| {})
    }

    /// As [`Session::apply`], telling `progress` how many steps are made, of how many.
    pub fn apply_telling(
        &self,
        command: crate::command::Command,
        undoes: Option<u64>,
        before_step: &mut (dyn FnMut(&apply::Step) -> std::io::Result<()> + Send),
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(Outcome, Option<Operation>), Error> {
        let id = self.state.next_id(self.head.as_ref())?;
        let mut tx = Transaction {
            state: &self.state,
            repo: &self.repo,
            op: id,
            command,
            before_step,
            home: &self.home,
            progress,
        };
        let outcome = apply::apply(&self.plan, &mut tx)?;
        // An undo is recorded even when it has nothing to write (it undid a release, or what
        // it undoes was undone by hand): the next undo walks back past it.
        let changed = undoes.is_some()
            || outcome.applied != apply::Applied::default()
            || apply::changes_ownership(&self.plan);
        if !changed {
            return Ok((outcome, None));
        }
        let view = apply::view_after(&self.plan);
        let op = self.record(id, command, undoes, view, &outcome);
        // The intent stays: the next writer finds it and rolls the operation back.
        self.state
            .commit(&op, &self.manifest_path)
            .map_err(|e| Error::Unrecorded {
                command,
                source: Box::new(e),
            })?;
        apply::finish(&self.state)?;
        Ok((outcome, Some(op)))
    }

    /// The record of the operation that applied this plan.
    fn record(
        &self,
        id: u64,
        command: crate::command::Command,
        undoes: Option<u64>,
        view: Vec<OwnedLink>,
        outcome: &Outcome,
    ) -> Operation {
        Operation {
            id,
            parent: self.head.as_ref().map(|h| h.id),
            time: oplog::now(),
            command,
            manifest: self.manifest_path.clone(),
            manifest_hash: self.manifest_hash.clone(),
            undoes,
            view,
            backups: outcome.backups.clone(),
            restored: outcome.restored.clone(),
            folders: outcome.folders.clone(),
            removed_folders: outcome.removed_folders.clone(),
            released: self
                .plan
                .entries
                .iter()
                .filter(|e| e.action() == Action::Release)
                .filter_map(|e| e.owned_link().map(std::borrow::Cow::into_owned))
                .collect(),
            added: None,
        }
    }
}

/// What the command line found before planning: the manifest, the home, the state.
pub(crate) struct Setup {
    pub(crate) manifest_path: PathBuf,
    pub(crate) shown: PathBuf,
    pub(crate) text: String,
    pub(crate) repo: PathBuf,
    pub(crate) home: PathBuf,
    pub(crate) state: State,
    /// Whether the home was given (`--home`, `LINKFILE_HOME`) rather than found.
    pub(crate) isolated: bool,
    /// The state folder of every manifest (`LINKFILE_STATE_DIR`, else under the home).
    pub(crate) state_root: PathBuf,
    /// The history of this repo under another path, when this manifest has none of its own.
    pub(crate) carried: Option<Carried>,
    /// For read-only commands: an interrupted operation they plan around, never roll back.
    pub(crate) pending: Option<crate::pending::Pending>,
}

impl Setup {
    pub(crate) fn context<'a>(&'a self, sys: &'a System) -> resolve::Context<'a> {
        resolve::Context {
            manifest_path: &self.shown,
            text: &self.text,
            repo: &self.repo,
            home: &self.home,
            env: &*sys.env,
            os: platform::Os::HOST,
            exists: observe::exists_followed,
            host: &sys.host,
            isolated: self.isolated,
            state: &self.state_root,
            on_path: platform::on_path,
        }
    }

    /// The manifest's links for this machine (`each` entries expanded), and what is known of
    /// their originals without the repo scan.
    pub(crate) fn expanded(&self, sys: &System) -> Result<(Resolved, each::Expanded), Error> {
        let manifest = manifest::parse(&self.shown, &self.text).map_err(Error::Manifest)?;
        let cx = self.context(sys);
        let mut resolved = resolve::resolve(&manifest, &cx).map_err(Error::Manifest)?;
        let links = std::mem::take(&mut resolved.links);
        let expanded = each::expand(links, &self.manifest_path, &cx)?;
        Ok((resolved, expanded))
    }

    /// The manifest's links for this machine and what their originals are.
    pub(crate) fn links(
        &self,
        sys: &System,
    ) -> Result<(Vec<Desired>, Vec<Option<EntryKind>>), Error> {
        let (_, expanded) = self.expanded(sys)?;
        let kinds = expanded.kinds()?;
        let cx = self.context(sys);
        resolve::check_with_originals(&expanded.links, &kinds, &cx).map_err(Error::Manifest)?;
        Ok((expanded.links, kinds))
    }

    /// The folder links on the way to the links' places, looked for as they are observed.
    fn folder_links(&self) -> observe::FolderLinks<'_> {
        observe::FolderLinks::new(&self.home, &self.repo, platform::Os::HOST)
    }

    /// What an interrupted operation's rollback will change, for observation.
    fn overlay(&self) -> Option<&crate::pending::Overlay> {
        self.pending.as_ref().map(|p| &p.overlay)
    }

    fn into_session(self, head: Option<Operation>, plan: Plan) -> Session {
        Session {
            interrupted: self.pending.is_some(),
            manifest_hash: oplog::manifest_hash(self.text.as_bytes()),
            home: self.home,
            repo: self.repo,
            manifest_path: self.manifest_path,
            state: self.state,
            head,
            plan,
        }
    }

    /// The `--only`/`--except` of the command line, read against this home and folder.
    pub(crate) fn selection(&self, select: &crate::cli::Select, sys: &System) -> Selection {
        let parse = |v: &[String]| -> Vec<Selector> {
            v.iter()
                .map(|t| Selector::parse(t, &self.home, &sys.cwd))
                .collect()
        };
        Selection {
            only: parse(&select.only),
            except: parse(&select.except),
            os: platform::Os::HOST,
        }
    }
}

/// A record for a place, before it is observed (its `actual` is set by the stage that observes
/// it: see [`places::settle`]).
fn record(
    desired: Desired,
    want: Want,
    owned: Option<OwnedLink>,
    policy: OnConflict,
    original: Option<EntryKind>,
) -> Input {
    let owned = owned.map(|o| plan::Owned::of(o, &desired));
    Input {
        desired,
        want,
        owned,
        policy,
        same_bytes: false,
        original,
        actual: Actual::Missing,
        texts: None,
        obstacle: None,
        folder_link: None,
        is_original: false,
        resolves: false,
        adopt_refused: None,
        undiffable: None,
    }
}

/// The place of `d` as observe looks at it: where, and the text wanted there (for a hard link,
/// the original a file there may be).
fn place(d: &Desired) -> observe::Place<'_> {
    observe::Place::of(&d.at, d.link_text(), d.link_type)
}

/// As [`place`], before the probe chooses the primitive: where a hard link may stand in for a
/// symlink, a file there is compared with the original too ([`probe::fallbacks`] forgets the
/// answer unless a hard link is chosen).
fn place_unprobed(d: &Desired) -> observe::Place<'_> {
    let place = place(d);
    if d.link_type == LinkType::Symlink && d.fallback().contains(&LinkType::Hardlink) {
        return observe::Place {
            hard_original: Some(&d.to),
            ..place
        };
    }
    place
}

/// The manifest's links for this machine, each observed: what comes out of resolve, expand,
/// observe and probe.
struct Wanted {
    records: Vec<Input>,
    /// Entries skipped on this machine (`when`, optional without an original).
    skipped: Vec<resolve::Skipped>,
    vars: Vec<(String, Result<String, String>)>,
    /// The manifest's `on_conflict` default, for the links it no longer lists.
    default_policy: OnConflict,
}

/// Plans `apply` (and `plan`) under `policy` (`--on-conflict`, else each link's own) for the
/// links `selection` chooses.
pub(crate) fn session(
    s: Setup,
    sys: &System,
    policy: Option<OnConflict>,
    selection: &Selection,
) -> Result<Session, Error> {
    // The operation log's head is read while the manifest is resolved and observed; a large
    // one (see `READ_WHOLE_UP_TO`) afterwards, its links matched with the records as they are
    // read.
    let (head, wanted) = std::thread::scope(|scope| {
        let head = scope.spawn(|| s.state.head_unless_larger(READ_WHOLE_UP_TO));
        let wanted = wanted(&s, sys, policy);
        (head.join().expect("reading the log panicked"), wanted)
    });
    // A damaged record is told first, as when it is read whole.
    let (head, wanted) = match (head?, wanted) {
        (oplog::Head::Large(id), Err(e)) => {
            s.state.op_streaming(id, &mut |_| {})?;
            return Err(e);
        }
        (head, wanted) => (head, wanted?),
    };
    let mut records = wanted.records;
    let dropped = policy.unwrap_or(wanted.default_policy);
    let head = match head {
        oplog::Head::None => None,
        oplog::Head::Whole(mut op) => {
            let view = std::mem::take(&mut op.view);
            own(&mut records, dropped, |each| {
                view.into_iter().for_each(each);
                Ok(())
            })?;
            Some(*op)
        }
        oplog::Head::Large(id) => Some(own(&mut records, dropped, |each| {
            s.state.op_streaming(id, each)
        })?),
    };
    let (kept, unselected) = select(&mut records, selection)?;
    let mut remove_folders = places::folders_giving_way(&records, &s.state)?;
    remove_folders.extend(places::folders_emptied_by_prune(
        &records, &s.state, &s.home,
    )?);
    let remove_folders = places::deepest_first(remove_folders);
    let seen = places::Seen::WantedLinks;
    places::settle(
        &mut records,
        seen,
        &remove_folders,
        s.folder_links(),
        s.overlay(),
    )?;
    refuse_unsafe_adopts(&mut records, &s.repo);
    let plan = finish(
        records,
        Purpose::Apply,
        Around {
            kept,
            unselected,
            remove_folders,
            skipped: wanted.skipped,
            vars: wanted.vars,
            home: Some(s.home.clone()),
        },
    );
    Ok(s.into_session(head, plan))
}

/// Resolve, expand, observe (the repo's originals and every link's place at once), check
/// against the originals, skip, probe.
fn wanted(s: &Setup, sys: &System, policy: Option<OnConflict>) -> Result<Wanted, Error> {
    let manifest = manifest::parse(&s.shown, &s.text).map_err(Error::Manifest)?;
    let raw_tos = manifest.links.0.iter().map(|(_, to)| to.get_ref().as_str());
    let ahead = observe::folders_ahead(raw_tos, &s.repo);
    // The repo's folders are read while the manifest is resolved, on another core.
    std::thread::scope(|scope| {
        let ahead = (!ahead.is_empty()).then(|| scope.spawn(|| observe::read_ahead(ahead)));
        wanted_reading_ahead(s, sys, policy, manifest, ahead)
    })
}

/// [`wanted`], the listings of the repo's folders it names coming from `ahead` (if any).
fn wanted_reading_ahead(
    s: &Setup,
    sys: &System,
    policy: Option<OnConflict>,
    manifest: manifest::Manifest,
    ahead: Option<ReadAhead>,
) -> Result<Wanted, Error> {
    let cx = s.context(sys);
    let mut resolved = resolve::resolve(&manifest, &cx).map_err(Error::Manifest)?;
    let links = std::mem::take(&mut resolved.links);
    let default_policy = manifest
        .defaults
        .on_conflict
        .as_ref()
        .map_or(OnConflict::Fail, |p| *p.get_ref());
    // Its strings and spans are all copied out by now: at 100,000 links, megabytes.
    drop(manifest);
    let each::Expanded { links, walked } = each::expand(links, &s.manifest_path, &cx)?;
    // The records are made before observation, in place of the links, which are dropped: what
    // observation reads is never held beside both (at 100,000 links, megabytes).
    let mut records = into_records(links, |d| {
        let p = policy.unwrap_or(d.on_conflict);
        record(d, Want::Link, None, p, None)
    });
    // Observation is itself split over threads when there are many.
    let (kinds, actuals) = std::thread::scope(|scope| {
        let tos = records.iter().map(|r| r.desired.to.as_path());
        let walked = &walked;
        let kinds = scope.spawn(move || {
            let scan = ahead.map_or_else(Default::default, |ahead| {
                observe::Originals::read_ahead(ahead.join().expect("the read-ahead panicked"))
            });
            each::kinds(scan, tos, walked)
        });
        let actuals = observe::link_places_of(&records, |r| place_unprobed(&r.desired));
        (kinds.join().expect("the repo scan panicked"), actuals)
    });
    let kinds = kinds?;
    // Into the records before the check, which makes a map of every place: the list of what
    // observation found is freed first (at 100,000 links, megabytes at the plan's peak).
    let observed = actuals.map(|actuals| {
        for ((r, kind), actual) in records.iter_mut().zip(&kinds).zip(actuals) {
            r.original = *kind;
            r.actual = actual;
        }
    });
    resolve::check_with_originals(&records, &kinds, &cx).map_err(Error::Manifest)?;
    observed.map_err(|e| name_too_long(e, &records, &cx))?;
    let mut skipped = resolved.skipped;
    skip_optional(&mut records, &mut skipped, s);
    probe::fallbacks(&mut records, &s.home);
    Ok(Wanted {
        records,
        skipped,
        vars: resolved.vars,
        default_policy,
    })
}

/// The thread reading the repo's folders ahead (see [`observe::folders_ahead`]).
type ReadAhead<'scope> = std::thread::ScopedJoinHandle<'scope, observe::Listings>;

/// Each of `links` made into its record, in order, the links' memory freed as they go: a
/// record holds its link and is about twice its size, and at 100,000 links both lists whole
/// at once were 12 MB more at a plan's peak (RSS).
fn into_records(mut links: Vec<Desired>, mut record: impl FnMut(Desired) -> Input) -> Vec<Input> {
    /// How many links are made into records between two shrinks of their list.
    const STEP: usize = 4096;
    let mut records = Vec::with_capacity(links.len());
    // Taken from the end, so that each shrink frees the list's tail.
    links.reverse();
    while !links.is_empty() {
        let rest = links.len().saturating_sub(STEP);
        records.extend(links.drain(rest..).rev().map(&mut record));
        links.shrink_to_fit();
    }
    records
}

/// An optional link whose original is missing is skipped, like one `when` rules out (and
/// pruned if linkfile made it before).
fn skip_optional(records: &mut Vec<Input>, skipped: &mut Vec<resolve::Skipped>, s: &Setup) {
    if !records.iter().any(|r| r.desired.optional()) {
        return;
    }
    let view = View {
        home: &s.home,
        repo: &s.repo,
        palette: Palette::PLAIN,
        verbose: false,
        diff_lines: Some(human::DIFF_LINES),
    };
    records.retain(|r| {
        let d = &r.desired;
        if !d.optional() || r.original.is_some() {
            return true;
        }
        let to = view.to_path(&d.to);
        skipped.push(resolve::Skipped {
            at: view.at_path(&d.at),
            why: format!("optional, and {to} is not in the repo"),
            to,
        });
        false
    });
}

/// The largest operation record read whole while the manifest is resolved and observed
/// (about 20,000 links); a larger one is read afterwards, link by link: its view, parsed
/// whole, was 19 MB of a 100,000-link plan's 77 MB peak, held through observation.
const READ_WHOLE_UP_TO: u64 = 2 << 20;

/// Matches each link linkfile owns, as `feed` gives them, with the record of its place (moved
/// in, not copied; of two at one place, the later); the others, which the manifest no longer
/// wants, are added under `policy` in the order they came (the view is kept sorted). `feed`'s
/// error leaves `records` as they were.
fn own<T>(
    records: &mut Vec<Input>,
    policy: OnConflict,
    feed: impl FnOnce(&mut dyn FnMut(OwnedLink)) -> Result<T, Error>,
) -> Result<T, Error> {
    // Each record's owned link (marked when it is what the record would record, see
    // `plan::Owned`) and the others, each with its place in the view.
    let mut owned: Vec<Option<(usize, plan::Owned)>> = Vec::new();
    let mut others: Vec<(usize, OwnedLink)> = Vec::new();
    let out = {
        let records: &[Input] = records;
        // Made at the first owned link not at the place of the record after the last matched:
        // the view is sorted by path, which is the order of a manifest's links listed folder by
        // folder, and of `each`'s.
        let mut index: Option<crate::paths::KeyMap<usize>> = None;
        let mut next = 0;
        let mut n = 0;
        feed(&mut |o: OwnedLink| {
            n += 1;
            // Places are unique among the records: the same bytes are the same record.
            let r = match records.get(next) {
                Some(rec) if rec.desired.at.as_os_str() == o.at.as_os_str() => Some(next),
                _ => index
                    .get_or_insert_with(|| {
                        records
                            .iter()
                            .enumerate()
                            .map(|(r, rec)| {
                                let key =
                                    crate::paths::PathKey::new(&rec.desired.at, platform::Os::HOST);
                                (key, r)
                            })
                            .collect()
                    })
                    .get(&crate::paths::PathKey::new(&o.at, platform::Os::HOST))
                    .copied(),
            };
            match r {
                Some(r) => {
                    next = r + 1;
                    if owned.is_empty() {
                        owned.resize_with(records.len(), || None);
                    }
                    let d = &records[r].desired;
                    if let Some((at, earlier)) = owned[r].replace((n, plan::Owned::of(o, d))) {
                        others.push((at, earlier.link(d).into_owned()));
                    }
                }
                None => others.push((n, o)),
            }
        })?
    };
    for (r, o) in owned.into_iter().enumerate() {
        if let Some((_, o)) = o {
            records[r].owned = Some(o);
        }
    }
    others.sort_by_key(|(n, _)| *n);
    records.extend(others.into_iter().map(|(_, o)| {
        let (d, kind) = (places::from_owned(&o), Some(o.kind));
        record(d, Want::Dropped, Some(o), policy, kind)
    }));
    Ok(out)
}

/// Leaves out of `records` the places `selection` does not choose; what linkfile owns there is
/// kept as it is. Returns those links and how many wanted links were left out. A selector that
/// chooses nothing is an error: most likely a misspelt tag or path.
fn select(
    records: &mut Vec<Input>,
    selection: &Selection,
) -> Result<(Vec<OwnedLink>, usize), Error> {
    if selection.is_all() {
        return Ok((Vec::new(), 0));
    }
    let tags = |r: &Input| -> Vec<String> {
        match (&r.want, &r.owned) {
            (Want::Link, _) | (_, None) => r.desired.tags().to_vec(),
            (_, Some(o)) => o.link(&r.desired).tags.clone(),
        }
    };
    let all: Vec<(PathBuf, Vec<String>)> = records
        .iter()
        .map(|r| (r.desired.at.clone(), tags(r)))
        .collect();
    let places: Vec<(&Path, &[String])> = all
        .iter()
        .map(|(at, t)| (at.as_path(), t.as_slice()))
        .collect();
    let unused = selection.unused(&places);
    if let Some(s) = unused.first() {
        let mut known: Vec<&str> = all
            .iter()
            .flat_map(|(_, t)| t.iter().map(String::as_str))
            .collect();
        known.sort_unstable();
        known.dedup();
        return Err(Error::ChoosesNothing {
            selector: s.describe(),
            tags: known.into_iter().map(str::to_string).collect(),
        });
    }
    let (mut kept, mut unselected) = (Vec::new(), 0);
    let mut chosen = all.iter().map(|(at, t)| selection.chooses(at, t));
    records.retain(|r| {
        if chosen.next().unwrap_or(true) {
            return true;
        }
        kept.extend(r.owned_link().map(std::borrow::Cow::into_owned));
        unselected += usize::from(r.want == Want::Link);
        false
    });
    Ok((kept, unselected))
}

/// Notes, for each file in the way that adopt would move into the repo, whether the original's
/// place is safe to write: not a link, and inside the repo by real path.
fn refuse_unsafe_adopts(records: &mut [Input], repo: &Path) {
    let mut repo_real = None;
    for r in records {
        let adopting = r.policy == OnConflict::Adopt
            && r.want == Want::Link
            && matches!(r.actual, Actual::File | Actual::Dir);
        if adopting {
            let repo_real = repo_real.get_or_insert_with(|| crate::containment::real_path(repo));
            r.adopt_refused =
                observe::adopt_refusal(&r.desired.to, repo_real).map(String::into_boxed_str);
        }
    }
}

/// What a plan carries beside its entries.
#[derive(Default)]
struct Around {
    /// Links linkfile owns in places not selected, kept as they are.
    kept: Vec<OwnedLink>,
    /// How many wanted links were not selected.
    unselected: usize,
    /// Folders linkfile made that this plan removes, deepest first.
    remove_folders: Vec<PathBuf>,
    skipped: Vec<resolve::Skipped>,
    vars: Vec<(String, Result<String, String>)>,
    home: Option<PathBuf>,
}

/// The plan of `records` for `purpose`, with what it carries beside them.
fn finish(records: Vec<Input>, purpose: Purpose, around: Around) -> Plan {
    Plan {
        kept: around.kept,
        unselected: around.unselected,
        remove_folders: around.remove_folders,
        skipped: around.skipped,
        vars: around.vars,
        home: around.home,
        ..plan::plan_for(records, purpose)
    }
}

/// An observation that failed because a path is too long for the system (ENAMETOOLONG), as a
/// manifest error at the entry whose `at` it is, or is on the way to; any other error as it is.
fn name_too_long(e: Error, records: &[Input], cx: &resolve::Context) -> Error {
    let Error::Observe { path, source } = &e else {
        return e;
    };
    if source.kind() != std::io::ErrorKind::InvalidFilename {
        return e;
    }
    let Some(d) = records
        .iter()
        .map(|r| &r.desired)
        .find(|d| d.at.starts_with(path) || path.starts_with(&d.at))
    else {
        return e;
    };
    use crate::show::Shown as _;
    Error::Manifest(vec![cx.diagnostic(
        d.at_span.clone(),
        format!(
            "`at` is too long for this system: {} ({source})",
            d.at.shown()
        ),
        Some("shorten `at`: most systems allow 255 bytes for a name between slashes, and a few thousand for a whole path".into()),
    )])
}

/// A history this manifest takes over.
pub(crate) struct Carried {
    /// Where it is kept now.
    pub(crate) from: State,
    /// The manifest path it was kept for.
    pub(crate) manifest: PathBuf,
}

impl Carried {
    /// The plan line that says so.
    pub(crate) fn line(&self) -> String {
        format!(
            "History carried over from {}: the same repo, moved here or reached by another path.",
            crate::show::Shown::shown(self.manifest.as_path())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(at: &str) -> OwnedLink {
        OwnedLink {
            at: at.into(),
            text: format!("/r{at}").into(),
            kind: EntryKind::File,
            hard: false,
            junction: false,
            fallback: None,
            tags: vec![],
        }
    }

    fn wanted_at(at: &str) -> Input {
        let o = owned(at);
        let d = Desired {
            on_conflict: OnConflict::Backup,
            ..places::from_owned(&o)
        };
        record(
            d,
            Want::Link,
            None,
            OnConflict::Backup,
            Some(EntryKind::File),
        )
    }

    fn places_of(records: &[Input]) -> Vec<(&Path, &Want, Option<PathBuf>, OnConflict)> {
        records
            .iter()
            .map(|r| {
                let owned = r.owned_link().map(|o| o.at.clone());
                (r.desired.at.as_path(), &r.want, owned, r.policy)
            })
            .collect()
    }

    #[test]
    fn links_become_records_in_their_order_across_shrinks() {
        // More than two steps of `into_records`, and a partial one.
        let n = 2 * 4096 + 17;
        let links: Vec<Desired> = (0..n)
            .map(|i| places::from_owned(&owned(&format!("/h/{i}"))))
            .collect();
        let records = into_records(links, |d| {
            record(d, Want::Link, None, OnConflict::Fail, None)
        });
        assert_eq!(records.len(), n);
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r.desired.at, Path::new(&format!("/h/{i}")));
        }
        assert!(
            into_records(Vec::new(), |d| record(
                d,
                Want::Link,
                None,
                OnConflict::Fail,
                None
            ))
            .is_empty()
        );
    }

    #[test]
    fn each_owned_link_goes_to_the_record_of_its_place_or_is_dropped() {
        let mut records = vec![wanted_at("/h/.a"), wanted_at("/h/.b")];
        let view = vec![owned("/h/.b"), owned("/h/.c")];
        own_view(&mut records, view, OnConflict::Fail);
        let (a, b, c) = (Path::new("/h/.a"), Path::new("/h/.b"), Path::new("/h/.c"));
        assert_eq!(
            places_of(&records),
            [
                (a, &Want::Link, None, OnConflict::Backup),
                (b, &Want::Link, Some(b.to_path_buf()), OnConflict::Backup),
                // No longer listed: under the policy given for dropped links.
                (c, &Want::Dropped, Some(c.to_path_buf()), OnConflict::Fail),
            ]
        );
        assert_eq!(records[2].original, Some(EntryKind::File));
    }

    fn own_view(records: &mut Vec<Input>, view: Vec<OwnedLink>, policy: OnConflict) {
        own(records, policy, |each| {
            view.into_iter().for_each(each);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn of_two_owned_links_at_one_place_the_later_is_matched_and_the_rest_keep_their_order() {
        let text = |o: OwnedLink, t: &str| OwnedLink {
            text: t.into(),
            ..o
        };
        let mut records = vec![wanted_at("/h/.a")];
        let view = vec![
            text(owned("/h/.a"), "/first"),
            owned("/h/.b"),
            text(owned("/h/.a"), "/second"),
            owned("/h/.c"),
        ];
        own_view(&mut records, view, OnConflict::Fail);
        let texts: Vec<(&Path, &Want, PathBuf)> = records
            .iter()
            .map(|r| {
                let o = r.owned_link().unwrap();
                (r.desired.at.as_path(), &r.want, o.text.clone())
            })
            .collect();
        let (a, b, c) = (Path::new("/h/.a"), Path::new("/h/.b"), Path::new("/h/.c"));
        assert_eq!(
            texts,
            [
                (a, &Want::Link, PathBuf::from("/second")),
                (a, &Want::Dropped, PathBuf::from("/first")),
                (b, &Want::Dropped, PathBuf::from("/r/h/.b")),
                (c, &Want::Dropped, PathBuf::from("/r/h/.c")),
            ]
        );
    }

    #[test]
    fn an_error_feeding_owned_links_leaves_the_records_as_they_were() {
        let mut records = vec![wanted_at("/h/.a")];
        let err = own(&mut records, OnConflict::Fail, |each| {
            each(owned("/h/.a"));
            each(owned("/h/.b"));
            Err::<(), _>(Error::State {
                path: "/s/ops/00000001.json".into(),
                source: std::io::Error::other("cut short"),
            })
        });
        assert!(err.is_err());
        assert_eq!(records.len(), 1);
        assert!(records[0].owned.is_none());
    }

    #[test]
    fn with_nothing_owned_the_records_are_as_they_were() {
        let mut records = vec![wanted_at("/h/.a")];
        own_view(&mut records, Vec::new(), OnConflict::Fail);
        assert_eq!(records.len(), 1);
        assert!(records[0].owned.is_none());
    }

    #[test]
    fn a_plan_carries_what_is_around_its_entries() {
        let plan = finish(
            vec![wanted_at("/h/.a")],
            Purpose::Apply,
            Around {
                kept: vec![owned("/h/.k")],
                unselected: 2,
                remove_folders: vec!["/h/d".into()],
                home: Some("/h".into()),
                ..Around::default()
            },
        );
        assert_eq!(plan.entries.len(), 1);
        assert_eq!(plan.kept, [owned("/h/.k")]);
        assert_eq!(plan.unselected, 2);
        assert_eq!(plan.remove_folders, [PathBuf::from("/h/d")]);
        assert_eq!(plan.home, Some(PathBuf::from("/h")));
    }
}
