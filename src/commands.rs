//! The commands. Each reads the manifest and the state, plans, shows the plan, and — for the
//! writers (`apply`, `undo`, `unlink`) — first rolls back an interrupted operation, then applies
//! the plan under the lock and records the operation. The read-only ones (`plan`, `log`, the dry
//! runs) never recover: they plan around an interrupted operation as its rollback will leave it.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::apply::{self, Outcome, Transaction};
use crate::cli::{Cli, Command};
use crate::doctor;
use crate::each;
use crate::error::{Error, Style};
use crate::manifest::{self, EntryKind, LinkType, OnConflict};
use crate::observe::{self, Actual};
use crate::oplog::{self, Backup, BackupKind, Operation, OwnedLink, State};
use crate::plan::{self, Action, Input, Obstacle, Plan, Want};
use crate::platform::{self, Flavour};
use crate::primitive;
use crate::records;
use crate::render::human::{self, View};
use crate::render::json::Report;
use crate::resolve::{self, Desired, Resolved};
use crate::selection::{Selection, Selector};
use crate::{EXIT_CHANGES, EXIT_OK, System};

mod add;
mod carry;
mod check;
mod init;
mod manifest_file;
mod places;
mod undo;

use places::{
    Item, choose_primitives, deepest_first, folders_emptied_by_prune, folders_giving_way,
    observe_all,
};
use undo::{undo_session, unlink_session};

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
        command: records::Command,
        undoes: Option<u64>,
        before_step: &mut dyn FnMut(&apply::Step) -> std::io::Result<()>,
    ) -> Result<(Outcome, Option<Operation>), Error> {
        self.apply_telling(command, undoes, before_step, &mut |_, _| {})
    }

    /// As [`Session::apply`], telling `progress` how many steps are made, of how many.
    pub fn apply_telling(
        &self,
        command: records::Command,
        undoes: Option<u64>,
        before_step: &mut dyn FnMut(&apply::Step) -> std::io::Result<()>,
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
        let view = apply::view_after(&self.plan);
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
        let changed =
            undoes.is_some() || outcome.applied != apply::Applied::default() || view != old_view;
        if !changed {
            return Ok((outcome, None));
        }
        let op = Operation {
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
        apply::finish(&self.state)?;
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
    let mut plan = plan::plan(inputs);
    (plan.kept, plan.unselected) = (kept, unselected);
    plan.remove_folders = remove_folders;
    plan.skipped = skipped;
    plan.vars = vars;
    plan.home = Some(s.home.clone());
    Ok(s.into_session(head, plan))
}

/// Runs the command line.
pub fn execute(
    cli: &Cli,
    sys: &System,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    let mut s = setup(cli.manifest.as_deref(), cli.home.as_deref(), sys)?;
    // Says so when this manifest takes over its repo's history from another path.
    let carry = |s: &mut Setup, write: bool, out: &mut dyn Write, quiet: bool| match carry::take(
        s, sys, write,
    )? {
        Some(line) if !quiet => writeln!(out, "{line}").map_err(Error::from),
        _ => Ok(()),
    };
    fn view(s: &Session, style: Style, verbose: bool, diff_lines: Option<usize>) -> View<'_> {
        View {
            home: &s.home,
            repo: &s.repo,
            style,
            verbose,
            diff_lines,
        }
    }
    match &cli.command {
        Command::Plan {
            json,
            exit_code,
            select,
            diff,
        } => {
            carry(&mut s, false, out, cli.quiet || *json)?;
            note_pending(&mut s, sys, out, cli.quiet || *json)?;
            let selection = s.selection(select, sys);
            let session = session(s, sys, None, &selection)?;
            let plan = &session.plan;
            let counts = plan.counts();
            if *json {
                let mut report = Report::new(plan);
                report.interrupted = session.interrupted.then_some(true);
                out.write_all(report.to_json().as_bytes())?;
            } else {
                if !cli.quiet {
                    out.write_all(
                        view(&session, style, cli.verbose, diff.limit())
                            .entries(plan)
                            .as_bytes(),
                    )?;
                }
                let mut line = human::plan_line(&counts);
                // Entries for other machines are not changes, but they are not forgotten.
                if let Some(n) = Some(plan.skipped.len()).filter(|n| *n > 0 && !cli.verbose) {
                    let s = if n == 1 { "y" } else { "ies" };
                    line.push_str(&format!(" {n} entr{s} skipped by `when` (-v says why)."));
                }
                if plan.unselected > 0 {
                    let (n, s) = (
                        plan.unselected,
                        if plan.unselected == 1 { "y" } else { "ies" },
                    );
                    line.push_str(&format!(" {n} entr{s} not selected (--only, --except)."));
                }
                writeln!(out, "{line}")?;
            }
            let pending = counts.pending();
            Ok(if *exit_code && pending {
                EXIT_CHANGES
            } else {
                EXIT_OK
            })
        }
        Command::Apply {
            dry_run,
            json,
            on_conflict,
            select,
            diff,
        } => {
            let mut lock = prepare(&s, sys, records::Command::Apply, *dry_run, out, *json)?;
            carry(&mut s, !*dry_run, out, cli.quiet || *json)?;
            if *dry_run {
                note_pending(&mut s, sys, out, cli.quiet || *json)?;
            }
            let selection = s.selection(select, sys);
            let session = session(s, sys, *on_conflict, &selection)?;
            transact(
                &session,
                records::Command::Apply,
                None,
                *dry_run,
                *json,
                cli.quiet,
                &view(&session, style, cli.verbose, diff.limit()),
                out,
                &mut lock,
                sys.stderr_is_terminal.then_some(&mut *err),
            )
        }
        Command::Undo { dry_run, json } => {
            let mut lock = prepare(&s, sys, records::Command::Undo, *dry_run, out, *json)?;
            carry(&mut s, !*dry_run, out, cli.quiet || *json)?;
            if *dry_run {
                note_pending(&mut s, sys, out, cli.quiet || *json)?;
            }
            if let Some((head, target)) = add::undoes_an_add(&s)? {
                if *json {
                    return Err(Error::Refused {
                        message:
                            "`undo --json` cannot report undoing an `add` yet; nothing was changed"
                                .into(),
                        hint: Some("run `linkfile undo` without --json".into()),
                    });
                }
                return add::undo(s, head, target, *dry_run, cli.quiet, out);
            }
            let (session, undoes) = undo_session(s)?;
            transact(
                &session,
                records::Command::Undo,
                Some(undoes),
                *dry_run,
                *json,
                cli.quiet,
                &view(&session, style, cli.verbose, Some(human::DIFF_LINES)),
                out,
                &mut lock,
                sys.stderr_is_terminal.then_some(&mut *err),
            )
        }
        Command::Unlink {
            dry_run,
            select,
            json,
        } => {
            let mut lock = prepare(&s, sys, records::Command::Unlink, *dry_run, out, *json)?;
            carry(&mut s, !*dry_run, out, cli.quiet || *json)?;
            if *dry_run {
                note_pending(&mut s, sys, out, cli.quiet || *json)?;
            }
            let selection = s.selection(select, sys);
            let session = unlink_session(s, &selection)?;
            transact(
                &session,
                records::Command::Unlink,
                None,
                *dry_run,
                *json,
                cli.quiet,
                &view(&session, style, cli.verbose, Some(human::DIFF_LINES)),
                out,
                &mut lock,
                sys.stderr_is_terminal.then_some(&mut *err),
            )
        }
        Command::Log { json } => {
            carry(&mut s, false, out, cli.quiet || *json)?;
            note_pending(&mut s, sys, out, cli.quiet || *json)?;
            let history = s.state.history()?;
            if *json {
                let text = serde_json::to_string_pretty(&history).map_err(|e| Error::State {
                    path: s.state.dir.clone(),
                    source: std::io::Error::other(e),
                })?;
                writeln!(out, "{text}")?;
            } else if history.is_empty() {
                writeln!(out, "No operations yet.")?;
            } else {
                out.write_all(human::log(&history, &s.home).as_bytes())?;
            }
            Ok(EXIT_OK)
        }
        Command::Doctor { json } => {
            let (desired, kinds) = s.links(sys)?;
            let report = doctor::probe(&desired, &kinds, &s.home);
            let code = if report.ok() {
                EXIT_OK
            } else {
                crate::EXIT_ERROR
            };
            if *json {
                let r = crate::render::outputs::DoctorReport::of(&report);
                out.write_all(crate::render::outputs::to_json(&r).as_bytes())?;
                return Ok(code);
            }
            let view = View {
                home: &s.home,
                repo: &s.repo,
                style,
                verbose: cli.verbose,
                diff_lines: Some(human::DIFF_LINES),
            };
            out.write_all(doctor::render(&report, &view).as_bytes())?;
            Ok(if report.ok() {
                EXIT_OK
            } else {
                crate::EXIT_ERROR
            })
        }
        Command::Recover { json } => {
            let _lock = s.state.lock(records::Command::Recover)?;
            carry(&mut s, true, out, *json)?;
            let message = with_wanted(&s, sys, |w| apply::recover(&s.state, true, w))?;
            if *json {
                let r = crate::render::outputs::RecoverReport {
                    recovered: message.is_some(),
                    message,
                };
                out.write_all(crate::render::outputs::to_json(&r).as_bytes())?;
                return Ok(EXIT_OK);
            }
            match message {
                Some(msg) => writeln!(out, "{msg}")?,
                None => writeln!(out, "Nothing to recover.")?,
            }
            Ok(EXIT_OK)
        }
        Command::Add { paths, to } => {
            let mut lock = prepare(&s, sys, records::Command::Add, false, out, false)?;
            lock.take(&s.state)?;
            carry(&mut s, true, out, cli.quiet)?;
            add::run(s, sys, paths, to.as_deref(), cli.quiet, out)
        }
        Command::Init { .. } => unreachable!("init runs without a manifest (see `init`)"),
        Command::Check => check::run(&s, sys, cli.quiet, out),
        Command::Completions { .. } | Command::Man => {
            unreachable!("completions and man need no manifest (see `without_manifest`)")
        }
    }
}

/// Runs `linkfile init` (no manifest to read yet); notes go to `err`.
pub(crate) fn init(
    cli: &Cli,
    sys: &System,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    init::run(cli, sys, out, err)
}

/// A writer takes the lock and first rolls back an interrupted operation. A dry run writes
/// nothing, not even the lock file, and never recovers (see [`note_pending`]).
fn prepare(
    s: &Setup,
    sys: &System,
    command: records::Command,
    dry_run: bool,
    out: &mut dyn Write,
    json: bool,
) -> Result<WriterLock, Error> {
    if dry_run {
        return Ok(WriterLock::None);
    }
    // No state folder yet: nothing to recover, and a run that ends up writing nothing (a
    // conflict, a manifest error) should not leave one behind.
    if std::fs::symlink_metadata(&s.state.root)
        .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
    {
        return Ok(WriterLock::Later(command));
    }
    let lock = s.state.lock(command)?;
    let recovered = with_wanted(s, sys, |w| apply::recover(&s.state, false, w))?;
    // A rollback is said even under -q: it undoes what an earlier run left in place.
    report_recovery(recovered, out, json)?;
    Ok(WriterLock::Held(lock))
}

/// The writer's lock: held, not needed (a dry run), or to be taken before the first write
/// because there was no state folder to lock when the command started.
enum WriterLock {
    None,
    Held(#[allow(dead_code)] oplog::Lock),
    Later(records::Command),
}

impl WriterLock {
    /// Takes the lock if it was put off. Another writer may have started meanwhile: its state
    /// would make the plan stale, so the run stops rather than write past it.
    fn take(&mut self, state: &State) -> Result<(), Error> {
        let WriterLock::Later(command) = self else {
            return Ok(());
        };
        let lock = state.lock(*command)?;
        if state.head()?.is_some() || state.read_intent()?.is_some() {
            return Err(Error::StalePlan {
                path: state.root.clone(),
                detail: "another linkfile wrote its state meanwhile".into(),
            });
        }
        *self = WriterLock::Held(lock);
        Ok(())
    }
}

/// For the read-only commands (`plan`, `log`, the dry runs): an interrupted operation is not
/// rolled back (that writes) but said to be pending, and planned around as the next writer will
/// leave it. One that is still running (its writer holds the lock) is waited for, as before.
fn note_pending(
    s: &mut Setup,
    sys: &System,
    out: &mut dyn Write,
    quiet: bool,
) -> Result<(), Error> {
    let pending = with_wanted(s, sys, |w| crate::pending::pending(&s.state, w))?;
    let Some(pending) = pending else {
        return Ok(());
    };
    if let Some(holder) = s.state.lock_holder() {
        return Err(Error::Locked {
            path: s.state.root.join("lock"),
            holder,
        });
    }
    if !quiet {
        writeln!(out, "{}", pending.notice())?;
    }
    s.pending = Some(pending);
    Ok(())
}

fn report_recovery(msg: Option<String>, out: &mut dyn Write, quiet: bool) -> Result<(), Error> {
    if let (Some(msg), false) = (msg, quiet) {
        writeln!(out, "{msg}")?;
    }
    Ok(())
}

/// Shows the plan and, unless a dry run, applies it as one operation.
#[allow(clippy::too_many_arguments)]
fn transact(
    session: &Session,
    command: records::Command,
    undoes: Option<u64>,
    dry_run: bool,
    json: bool,
    quiet: bool,
    view: &View,
    out: &mut dyn Write,
    lock: &mut WriterLock,
    progress: Option<&mut dyn Write>,
) -> Result<u8, Error> {
    let plan = &session.plan;
    let counts = plan.counts();
    let report = |out: &mut dyn Write, error: Option<&Error>| -> std::io::Result<()> {
        let mut r = Report::new(plan);
        r.applied = Some(error.is_none() && !dry_run);
        r.dry_run = Some(dry_run);
        r.error = error.map(crate::render::outputs::ErrorDetail::of);
        out.write_all(r.to_json().as_bytes())
    };
    // Under --json the report carries the error: it is not printed again.
    let in_report = |e: Error| {
        if json {
            Error::InReport(Box::new(e))
        } else {
            e
        }
    };
    if !json && !quiet {
        out.write_all(view.entries(plan).as_bytes())?;
    } else if !json && counts.conflict > 0 {
        // Quiet, but not about why nothing was done.
        out.write_all(view.conflicts(plan).as_bytes())?;
    }
    if counts.conflict > 0 || dry_run {
        let refusal = (counts.conflict > 0).then(|| Error::Conflicts {
            count: counts.conflict,
            command: command.to_string(),
        });
        if json {
            report(out, refusal.as_ref())?;
        }
        if let Some(e) = refusal {
            return Err(in_report(e));
        }
        if !json && !quiet {
            writeln!(out, "{}", human::summary(&counts))?;
            writeln!(out, "Dry run: nothing was changed.")?;
        }
        return Ok(EXIT_OK);
    }
    // With no history and nothing to change or take over, there is nothing to record either.
    let records = session.head.is_some() || counts.pending() || !apply::view_after(plan).is_empty();
    if records {
        lock.take(&session.state)?;
    }
    // A bar for long work on a terminal; never in JSON or under -q.
    let bar = (progress.is_some()
        && !json
        && !quiet
        && counts.changes() > crate::progress::PROGRESS_AFTER)
        .then(|| crate::progress::Progress::new(command.as_str()));
    let result = match (bar, progress) {
        (Some(bar), Some(err)) => {
            let result =
                session.apply_telling(command, undoes, &mut |_| Ok(()), &mut |done, total| {
                    bar.step(done, total, err)
                });
            bar.finish(err);
            result
        }
        _ => session.apply(command, undoes, &mut |_| Ok(())),
    };
    if json {
        report(out, result.as_ref().err())?;
    }
    let (outcome, op) = result.map_err(in_report)?;
    if !json && !quiet {
        writeln!(
            out,
            "{}",
            human::applied(&outcome.applied, &counts, op.as_ref())
        )?;
    }
    Ok(EXIT_OK)
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
    let home = given
        .map(Path::to_path_buf)
        .or_else(|| sys.var("LINKFILE_HOME").map(PathBuf::from))
        .or_else(|| sys.var(platform::HOME_VAR).map(PathBuf::from))
        .ok_or(Error::NoHome {
            var: platform::HOME_VAR,
        })?;
    let home = absolute(&sys.cwd, &home);
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
fn refuse_unsafe_adopts(inputs: &mut [plan::Input], repo: &Path) {
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

/// Runs `linkfile completions` and `linkfile man`, which describe the command line itself and
/// need no manifest.
pub(crate) fn without_manifest(cli: &Cli, out: &mut dyn Write) -> Result<u8, Error> {
    use clap::CommandFactory;
    let mut command = Cli::command();
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut command, "linkfile", out);
        }
        Command::Man => man_page(command, out)?,
        _ => unreachable!("only completions and man run without a manifest"),
    }
    Ok(EXIT_OK)
}

/// The manual page: clap_mangen's sections, with every subcommand's examples (its `--help`
/// ends with them) gathered in an EXAMPLES section before VERSION.
fn man_page(command: clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
    let mut examples = String::new();
    for sub in command.get_subcommands() {
        let help = sub
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        let lines = help.lines().skip_while(|l| *l != "Examples:").skip(1);
        for line in lines.map(str::trim).filter(|l| !l.is_empty()) {
            // roff: a backslash is escaped, and `\-` is a minus sign rather than a hyphen.
            examples.push_str(&line.replace('\\', "\\e").replace('-', "\\-"));
            examples.push('\n');
        }
    }
    let man = clap_mangen::Man::new(command);
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    writeln!(
        out,
        ".SH EXAMPLES\nEach command's \\fB\\-\\-help\\fR says more.\n.PP\n.nf\n{examples}.fi"
    )?;
    man.render_version_section(out)
}
