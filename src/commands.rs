//! The commands. Each reads the manifest and the state, plans, shows the plan, and — for the
//! writers (`apply`, `undo`, `unlink`) — first rolls back an interrupted operation, then applies
//! the plan under the lock and records the operation. The read-only ones (`plan`, `log`, the dry
//! runs) never recover: they plan around an interrupted operation as its rollback will leave it.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::apply;
use crate::cli::{Cli, Command};
use crate::doctor;
use crate::error::{Error, Style};
use crate::manifest::{self, EntryKind, LinkType};
use crate::observe;
use crate::oplog::{self, Operation, OwnedLink, State};
use crate::platform::{self, Flavour};
use crate::render::human::{self, View};
use crate::render::json::Report;
use crate::resolve::{self, Desired};
use crate::selection::Selection;
use crate::{EXIT_CHANGES, EXIT_OK, System};

mod add;
mod carry;
mod check;
mod init;
mod manifest_file;
mod undo;

pub use crate::pipeline::Session;
use crate::pipeline::undo::{undo_session, unlink_session};
use crate::pipeline::{Setup, session};
pub(crate) use carry::Carried;

/// Reads the manifest (`-m`, else discovered), resolves it for this machine with the home folder
/// (`--home`, else from the environment), observes the filesystem and plans, pruning links
/// linkfile owns that the manifest no longer lists.
pub fn load(manifest: Option<&Path>, home: Option<&Path>, sys: &System) -> Result<Session, Error> {
    let s = setup(manifest, home, sys)?;
    session(s, sys, None, &Selection::default())
}

pub(crate) fn setup(
    manifest: Option<&Path>,
    home_given: Option<&Path>,
    sys: &System,
) -> Result<Setup, Error> {
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
            let mut lock = prepare(&s, sys, "apply", *dry_run, out, *json)?;
            carry(&mut s, !*dry_run, out, cli.quiet || *json)?;
            if *dry_run {
                note_pending(&mut s, sys, out, cli.quiet || *json)?;
            }
            let selection = s.selection(select, sys);
            let session = session(s, sys, *on_conflict, &selection)?;
            transact(
                &session,
                "apply",
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
            let mut lock = prepare(&s, sys, "undo", *dry_run, out, *json)?;
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
                "undo",
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
            let mut lock = prepare(&s, sys, "unlink", *dry_run, out, *json)?;
            carry(&mut s, !*dry_run, out, cli.quiet || *json)?;
            if *dry_run {
                note_pending(&mut s, sys, out, cli.quiet || *json)?;
            }
            let selection = s.selection(select, sys);
            let session = unlink_session(s, &selection)?;
            transact(
                &session,
                "unlink",
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
            let _lock = s.state.lock("recover")?;
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
            let mut lock = prepare(&s, sys, "add", false, out, false)?;
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
    command: &str,
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
        return Ok(WriterLock::Later(command.to_string()));
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
    Later(String),
}

impl WriterLock {
    /// Takes the lock if it was put off. Another writer may have started meanwhile: its state
    /// would make the plan stale, so the run stops rather than write past it.
    fn take(&mut self, state: &State) -> Result<(), Error> {
        let WriterLock::Later(command) = self else {
            return Ok(());
        };
        let lock = state.lock(command)?;
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
    command: &str,
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
        .then(|| crate::progress::Progress::new(command));
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
