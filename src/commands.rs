//! The commands. Each reads the manifest and the state, plans, shows the plan, and — for the
//! writers (`apply`, `undo`, `unlink`) — first rolls back an interrupted operation, then applies
//! the plan under the lock and records the operation. The read-only ones (`plan`, `log`, the dry
//! runs) never recover: they plan around an interrupted operation as its rollback will leave it.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::apply::{Outcome, Transaction};
use crate::cli::{Invocation, Mode, StateMode};
use crate::each;
use crate::error::{Error, Style};
use crate::manifest::{self, EntryKind, LinkType, OnConflict};
use crate::observe::{self, Actual};
use crate::oplog::{self, Backup, BackupKind, Operation, OwnedLink, State};
use crate::plan::{Action, Input, Obstacle, Plan, Want};
use crate::platform::{self, Flavour};
use crate::primitive;
use crate::render::human::{self, View};
use crate::resolve::{self, Desired, Resolved};
use crate::selection::{Selection, Selector};
use crate::{ExitCode, System};

mod add;
mod apply;
mod carry;
mod check;
mod completions;
mod doctor;
mod init;
mod log;
mod man;
mod manifest_file;
mod places;
mod plan;
mod recover;
mod transact;
mod undo;
mod unlink;

use places::{
    Item, choose_primitives, deepest_first, folders_emptied_by_prune, folders_giving_way,
    observe_all,
};

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
        command: &str,
        undoes: Option<u64>,
        before_step: &mut dyn FnMut(&crate::apply::Step) -> std::io::Result<()>,
    ) -> Result<(Outcome, Option<Operation>), Error> {
        self.apply_telling(command, undoes, before_step, &mut |_, _| {})
    }

    /// As [`Session::apply`], telling `progress` how many steps are made, of how many.
    pub fn apply_telling(
        &self,
        command: &str,
        undoes: Option<u64>,
        before_step: &mut dyn FnMut(&crate::apply::Step) -> std::io::Result<()>,
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
        let outcome = crate::apply::apply(&self.plan, &mut tx)?;
        let view = crate::apply::view_after(&self.plan);
        // Every link owned before appears in exactly one entry of the plan.
        let mut old_view: Vec<OwnedLink> = self
            .plan
            .entries
            .iter()
            .filter_map(|e| e.owned.clone())
            .chain(self.plan.kept.iter().cloned())
            .collect();
        old_view.sort();
        // An undo is recorded even when it has nothing to write (it undid a release, or what
        // it undoes was undone by hand): the next undo walks back past it.
        let changed = undoes.is_some()
            || outcome.applied != crate::apply::Applied::default()
            || view != old_view;
        if !changed {
            return Ok((outcome, None));
        }
        let op = Operation {
            id,
            parent: self.head.as_ref().map(|h| h.id),
            time: oplog::now(),
            command: command.to_string(),
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
                .filter(|e| e.action == Action::Release)
                .filter_map(|e| e.owned.clone())
                .collect(),
            added: None,
        };
        // The intent stays: the next writer finds it and rolls the operation back.
        self.state
            .commit(&op, &self.manifest_path)
            .map_err(|e| Error::Unrecorded {
                command: command.to_string(),
                source: Box::new(e),
            })?;
        crate::apply::finish(&self.state)?;
        Ok((outcome, Some(op)))
    }
}

/// Reads the manifest (`-m`, else discovered), resolves it for this machine with the home folder
/// (`--home`, else from the environment), observes the filesystem and plans, pruning links
/// linkfile owns that the manifest no longer lists.
pub fn load(manifest: Option<&Path>, home: Option<&Path>, sys: &System) -> Result<Session, Error> {
    load_with(manifest, home, sys, None)
}

struct Setup {
    manifest_path: PathBuf,
    shown: PathBuf,
    text: String,
    repo: PathBuf,
    home: PathBuf,
    state: State,
    /// Whether the home was given (`--home`, `LINKFILE_HOME`) rather than found.
    isolated: bool,
    /// The state folder of every manifest (`LINKFILE_STATE_DIR`, else under the home).
    state_root: PathBuf,
    /// The history of this repo under another path, when this manifest has none of its own.
    carried: Option<carry::Carried>,
    /// For read-only commands: an interrupted operation they plan around, never roll back.
    pending: Option<crate::pending::Pending>,
}

impl Setup {
    fn context<'a>(&'a self, sys: &'a System) -> resolve::Context<'a> {
        resolve::Context {
            manifest_path: &self.shown,
            text: &self.text,
            repo: &self.repo,
            home: &self.home,
            env: &*sys.env,
            case_insensitive: platform::CASE_INSENSITIVE,
            os: std::env::consts::OS,
            host: &sys.host,
            isolated: self.isolated,
            state: &self.state_root,
            on_path: platform::on_path,
        }
    }

    /// The manifest's links for this machine (`each` entries expanded), and what is known of
    /// their originals without the repo scan.
    fn expanded(&self, sys: &System) -> Result<(Resolved, each::Expanded), Error> {
        let manifest = manifest::parse(&self.shown, &self.text).map_err(Error::Manifest)?;
        let cx = self.context(sys);
        let mut resolved = resolve::resolve(&manifest, &cx).map_err(Error::Manifest)?;
        let links = std::mem::take(&mut resolved.links);
        let expanded = each::expand(links, &self.manifest_path, &cx)?;
        Ok((resolved, expanded))
    }

    /// The manifest's links for this machine and what their originals are.
    fn links(&self, sys: &System) -> Result<(Vec<Desired>, Vec<Option<EntryKind>>), Error> {
        let (_, expanded) = self.expanded(sys)?;
        let kinds = expanded.kinds()?;
        let cx = self.context(sys);
        resolve::check_with_originals(&expanded.links, &kinds, &cx).map_err(Error::Manifest)?;
        Ok((expanded.links, kinds))
    }

    /// The folder links on the way to the links' places, looked for as they are observed.
    fn folder_links(&self) -> observe::FolderLinks<'_> {
        observe::FolderLinks::new(&self.home, &self.repo, platform::CASE_INSENSITIVE)
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
}

fn setup(manifest: Option<&Path>, home_given: Option<&Path>, sys: &System) -> Result<Setup, Error> {
    let given = find_manifest(manifest, sys)?;
    let shown = given.strip_prefix(&sys.cwd).unwrap_or(&given).to_path_buf();
    let text = manifest_file::read(&given, &shown)?;
    // One repo, one history: links and the state key use the repo's real path.
    let manifest_path = real_manifest_path(&given);
    let repo = manifest_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| sys.cwd.clone());
    let home = home_dir(home_given, sys)?;
    let isolated = home_given.is_some() || sys.var("LINKFILE_HOME").is_some();
    let root = sys
        .var("LINKFILE_STATE_DIR")
        .map(|d| absolute(&sys.cwd, Path::new(&d)))
        .unwrap_or_else(|| platform::default_state_root(&home, &|k| sys.var(k), isolated));
    refuse_state_in_repo(&root, &repo)?;
    let state = State::new(&root, &manifest_path, platform::CASE_INSENSITIVE);
    state.verify(&home)?;
    let carried = match state.head()? {
        None => carry::find(&state, &manifest_path),
        Some(_) => None,
    };
    Ok(Setup {
        manifest_path,
        shown,
        text,
        repo,
        home,
        state,
        isolated,
        state_root: root,
        carried,
        pending: None,
    })
}

fn load_with(
    manifest: Option<&Path>,
    home: Option<&Path>,
    sys: &System,
    policy: Option<OnConflict>,
) -> Result<Session, Error> {
    let s = setup(manifest, home, sys)?;
    session(s, sys, policy, &Selection::default())
}

impl Setup {
    /// The `--only`/`--except` of the command line, read against this home and folder.
    fn selection(&self, select: &crate::cli::Select, sys: &System) -> Selection {
        let parse = |v: &[String]| -> Vec<Selector> {
            v.iter()
                .map(|t| Selector::parse(t, &self.home, &sys.cwd))
                .collect()
        };
        Selection {
            only: parse(&select.only),
            except: parse(&select.except),
            case_insensitive: platform::CASE_INSENSITIVE,
        }
    }
}

/// Leaves out of `items` the places `selection` does not choose; what linkfile owns there is
/// kept as it is. Returns those links and how many wanted links were left out. A selector that
/// chooses nothing is an error: most likely a misspelt tag or path.
fn select(items: &mut Vec<Item>, selection: &Selection) -> Result<(Vec<OwnedLink>, usize), Error> {
    if selection.is_all() {
        return Ok((Vec::new(), 0));
    }
    let tags = |it: &Item| -> Vec<String> {
        match (&it.want, &it.owned) {
            (Want::Link, _) | (_, None) => it.desired.tags().to_vec(),
            (_, Some(o)) => o.tags.clone(),
        }
    };
    let all: Vec<(PathBuf, Vec<String>)> = items
        .iter()
        .map(|it| (it.desired.at.clone(), tags(it)))
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
            tags: known.join(", "),
        });
    }
    let (mut kept, mut unselected) = (Vec::new(), 0);
    let mut chosen = all.iter().map(|(at, t)| selection.chooses(at, t));
    items.retain(|it| {
        if chosen.next().unwrap_or(true) {
            return true;
        }
        kept.extend(it.owned.clone());
        unselected += usize::from(it.want == Want::Link);
        false
    });
    Ok((kept, unselected))
}

fn session(
    s: Setup,
    sys: &System,
    policy: Option<OnConflict>,
    selection: &Selection,
) -> Result<Session, Error> {
    // The operation log's head is read while the manifest is parsed and resolved.
    let (head, manifest, desired, kinds, actuals) = std::thread::scope(|scope| {
        let head = scope.spawn(|| s.state.head());
        let read = || -> Result<_, Error> {
            let manifest = manifest::parse(&s.shown, &s.text).map_err(Error::Manifest)?;
            let cx = s.context(sys);
            let mut resolved = resolve::resolve(&manifest, &cx).map_err(Error::Manifest)?;
            let links = std::mem::take(&mut resolved.links);
            let expanded = each::expand(links, &s.manifest_path, &cx)?;
            // Then the repo's originals and every link's place at once (the places are
            // themselves split over threads when there are many).
            let places: Vec<observe::Place> =
                expanded.links.iter().map(observe::Place::of).collect();
            let (kinds, actuals) = std::thread::scope(|scope| {
                let kinds = scope.spawn(|| expanded.kinds());
                let actuals = observe::link_places(&places);
                (kinds.join().expect("the repo scan panicked"), actuals)
            });
            let kinds = kinds?;
            let desired = expanded.links;
            resolve::check_with_originals(&desired, &kinds, &cx).map_err(Error::Manifest)?;
            let mut actuals = actuals.map_err(|e| name_too_long(e, &desired, &cx))?;
            // An optional link whose original is missing is skipped, like one `when` rules out
            // (and pruned if linkfile made it before).
            let (mut desired, mut kinds, mut skipped) = (desired, kinds, resolved.skipped);
            if desired.iter().any(Desired::optional) {
                let view = View {
                    home: &s.home,
                    repo: &s.repo,
                    style: Style { color: false },
                    verbose: false,
                    diff_lines: Some(human::DIFF_LINES),
                };
                let keep: Vec<bool> = desired
                    .iter()
                    .zip(&kinds)
                    .map(|(d, k)| !(d.optional() && k.is_none()))
                    .collect();
                let mut keeps = keep.iter();
                actuals.retain(|_| keeps.next().copied().unwrap_or(true));
                let mut kept = (Vec::new(), Vec::new());
                for ((d, k), keep) in desired.into_iter().zip(kinds).zip(&keep) {
                    if *keep {
                        kept.0.push(d);
                        kept.1.push(k);
                    } else {
                        let to = view.to_path(&d.to);
                        skipped.push(resolve::Skipped {
                            at: view.at_path(&d.at),
                            why: format!("optional, and {to} is not in the repo"),
                            to,
                        });
                    }
                }
                (desired, kinds) = kept;
            }
            let refusals = choose_primitives(&mut desired, &kinds, &mut actuals, &s.home)?;
            let context = (skipped, resolved.vars);
            Ok(((manifest, context), desired, kinds, (actuals, refusals)))
        };
        let result = read();
        let head = head.join().expect("reading the log panicked");
        result.map(|(m, d, k, a)| (head, m, d, k, a))
    })?;
    let head = head?;
    let (manifest, (skipped, vars)) = manifest;

    let default_policy = manifest
        .defaults
        .on_conflict
        .as_ref()
        .map_or(OnConflict::Fail, |p| *p.get_ref());
    // Match each wanted link with the link linkfile owns there (moved, not copied).
    let mut head = head;
    let view = head
        .as_mut()
        .map(|h| std::mem::take(&mut h.view))
        .unwrap_or_default();
    let matched: Vec<Option<usize>> = {
        let mut index: HashMap<std::borrow::Cow<str>, usize> = view
            .iter()
            .enumerate()
            .map(|(i, o)| (resolve::path_key_cow(&o.at, platform::CASE_INSENSITIVE), i))
            .collect();
        desired
            .iter()
            .map(|d| {
                if index.is_empty() {
                    return None;
                }
                let k = resolve::path_key_cow(&d.at, platform::CASE_INSENSITIVE);
                index.remove(k.as_ref())
            })
            .collect()
    };
    let mut view: Vec<Option<OwnedLink>> = view.into_iter().map(Some).collect();
    let mut items = Vec::with_capacity(desired.len() + view.len());
    let (actuals, refusals) = actuals;
    let places = desired.into_iter().zip(kinds).zip(actuals).zip(refusals);
    for ((((d, kind), actual), refusal), owned) in places.zip(matched) {
        let o = owned.and_then(|i| view[i].take());
        let p = policy.unwrap_or(d.on_conflict);
        let mut item = Item::new(d, Want::Link, o, p, kind);
        item.actual = Some(actual);
        item.obstacle = refusal;
        items.push(item);
    }
    // What is left of the view, the manifest no longer wants (the view is kept sorted).
    for o in view.into_iter().flatten() {
        let p = policy.unwrap_or(default_policy);
        items.push(Item::owned(&o, Want::Dropped, p));
    }
    let (kept, unselected) = select(&mut items, selection)?;
    let mut remove_folders = folders_giving_way(&items, &s.state)?;
    remove_folders.extend(folders_emptied_by_prune(&items, &s.state, &s.home)?);
    let remove_folders = deepest_first(remove_folders);
    let mut inputs = observe_all(items, &remove_folders, s.folder_links(), s.overlay())?;
    refuse_unsafe_adopts(&mut inputs, &s.repo);
    let mut plan = crate::plan::plan(inputs);
    (plan.kept, plan.unselected) = (kept, unselected);
    plan.remove_folders = remove_folders;
    plan.skipped = skipped;
    plan.vars = vars;
    plan.home = Some(s.home.clone());
    Ok(s.into_session(head, plan))
}

/// Runs the command line: dispatches on its mode. Only the commands on linkfile's state go
/// through [`setup`] (which checks the state folder is the user's own and reads its head);
/// `check`, `init`, `completions` and `man` read nothing of it.
pub fn execute(
    invocation: &Invocation,
    sys: &System,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let (manifest, home) = (invocation.manifest.as_deref(), invocation.home.as_deref());
    match &invocation.mode {
        Mode::WithState(mode) => {
            let s = setup(manifest, home, sys)?;
            with_state(mode, s, sys, style, out, err)
        }
        Mode::Check { verbosity } => check::run(manifest, home, sys, *verbosity, out),
        Mode::Init { from, verbosity } => init::run(from, *verbosity, home, sys, out, err),
        Mode::Completions { shell } => completions::run(*shell, out),
        Mode::Man => man::run(out),
    }
}

/// Runs a command on the manifest and its state, `s`.
fn with_state(
    mode: &StateMode,
    s: Setup,
    sys: &System,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitCode, Error> {
    match mode {
        StateMode::Plan(m) => plan::run(s, m, sys, style, out),
        StateMode::Apply(m) => apply::run(s, m, sys, style, out, err),
        StateMode::Undo(run) => undo::run(s, run, sys, style, out, err),
        StateMode::Unlink(m) => unlink::run(s, m, sys, style, out, err),
        StateMode::Log(output) => log::run(s, *output, sys, out),
        StateMode::Recover(output) => recover::run(s, *output, sys, out),
        StateMode::Doctor(output) => doctor::run(s, *output, sys, style, out),
        StateMode::Add(m) => add::run(s, m, sys, out),
    }
}

/// `-m`, else `LINKFILE_MANIFEST`, else `linkfile.toml` here or in the nearest folder above.
fn find_manifest(given: Option<&Path>, sys: &System) -> Result<PathBuf, Error> {
    let given = given
        .map(Path::to_path_buf)
        .or_else(|| sys.var("LINKFILE_MANIFEST").map(PathBuf::from));
    if let Some(path) = given {
        return Ok(absolute(&sys.cwd, &path));
    }
    sys.cwd
        .ancestors()
        .map(|dir| dir.join(crate::MANIFEST_NAME))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| Error::NoManifest {
            start: sys.cwd.clone(),
        })
}

/// `--home`, else `LINKFILE_HOME`, else the platform's home variable. It must exist.
fn home_dir(given: Option<&Path>, sys: &System) -> Result<PathBuf, Error> {
    let home = home_path(given, sys)?;
    if !home.is_dir() {
        return Err(Error::HomeMissing { path: home });
    }
    Ok(home)
}

fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    resolve::normalize(&cwd.join(p))
}

/// Notes, for each file in the way that adopt would move into the repo, whether the original's
/// place is safe to write: not a link, and inside the repo by real path.
fn refuse_unsafe_adopts(inputs: &mut [Input], repo: &Path) {
    let mut repo_real = None;
    for input in inputs {
        let adopting = input.policy == OnConflict::Adopt
            && input.want == Want::Link
            && matches!(input.actual, Actual::File | Actual::Dir);
        if adopting {
            let repo_real = repo_real.get_or_insert_with(|| crate::containment::real_path(repo));
            input.adopt_refused = observe::adopt_refusal(&input.desired.to, repo_real);
        }
    }
}

/// `manifest` (absolute) with its folder resolved to its real path, in plain form on Windows;
/// as it is when the folder cannot be resolved (reading the manifest then says why).
fn real_manifest_path(manifest: &Path) -> PathBuf {
    let (Some(dir), Some(name)) = (manifest.parent(), manifest.file_name()) else {
        return manifest.to_path_buf();
    };
    let Ok(real) = std::fs::canonicalize(dir) else {
        return manifest.to_path_buf();
    };
    let real = match platform::plain_form(&real.to_string_lossy()) {
        platform::Plain::Path(plain) => PathBuf::from(plain),
        _ => real,
    };
    real.join(name)
}

/// The state folder must not lie inside the repo (by real path: through a link into it too, and
/// so inside any folder an `each` entry walks): its records and backups would be linked or
/// adopted as dotfiles, and every operation would change what the next one plans.
fn refuse_state_in_repo(root: &Path, repo: &Path) -> Result<(), Error> {
    let real = crate::containment::real_path(root);
    let real_repo = crate::containment::real_path(repo);
    if crate::paths::is_within(&real, &real_repo, platform::CASE_INSENSITIVE) {
        return Err(Error::StateInRepo {
            state: root.to_path_buf(),
            repo: repo.to_path_buf(),
            real,
        });
    }
    Ok(())
}

/// Runs `f` with what recovery checks an intent against: the manifest's links, resolved only
/// when asked (when there is an intent).
fn with_wanted<R>(s: &Setup, sys: &System, f: impl FnOnce(&crate::records::Wanted) -> R) -> R {
    let links = || -> Result<Vec<(PathBuf, PathBuf)>, Error> {
        let (_, expanded) = s.expanded(sys)?;
        Ok(expanded
            .links
            .iter()
            .map(|d| (d.at.clone(), d.to.clone()))
            .collect())
    };
    f(&crate::records::Wanted {
        home: &s.home,
        repo: &s.repo,
        links: &links,
    })
}

/// An observation that failed because a path is too long for the system (ENAMETOOLONG), as a
/// manifest error at the entry whose `at` it is, or is on the way to; any other error as it is.
fn name_too_long(e: Error, desired: &[Desired], cx: &resolve::Context) -> Error {
    let Error::Observe { path, source } = &e else {
        return e;
    };
    if source.kind() != std::io::ErrorKind::InvalidFilename {
        return e;
    }
    let Some(d) = desired
        .iter()
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

/// `--home`, else `LINKFILE_HOME`, else the platform's home variable, absolute; not looked at.
fn home_path(given: Option<&Path>, sys: &System) -> Result<PathBuf, Error> {
    let home = given
        .map(Path::to_path_buf)
        .or_else(|| sys.var("LINKFILE_HOME").map(PathBuf::from))
        .or_else(|| sys.var(platform::HOME_VAR).map(PathBuf::from))
        .ok_or(Error::NoHome {
            var: platform::HOME_VAR,
        })?;
    Ok(absolute(&sys.cwd, &home))
}

/// Whether the home was given (`--home`, `LINKFILE_HOME`) rather than found: then it isolates.
fn home_isolates(given: Option<&Path>, sys: &System) -> bool {
    given.is_some() || sys.var("LINKFILE_HOME").is_some()
}

/// The state folder of every manifest: `LINKFILE_STATE_DIR`, else the platform's default for
/// `home` (`home_given` by `--home`, when it was); not looked at.
fn state_root(home: &Path, home_given: Option<&Path>, sys: &System) -> PathBuf {
    let isolated = home_isolates(home_given, sys);
    sys.var("LINKFILE_STATE_DIR")
        .map(|d| absolute(&sys.cwd, Path::new(&d)))
        .unwrap_or_else(|| platform::default_state_root(home, &|k| sys.var(k), isolated))
}
