//! What the writing commands (`apply`, `undo`, `unlink`, `add`) share: the writer's lock and
//! recovery before anything else ([`prepare`]), the pending notice of the read-only runs
//! ([`note_pending`]), and showing a plan then applying it as one operation ([`transact`]).

use std::io::Write;

use super::{Session, Setup, with_wanted};
use crate::System;
use crate::apply;
use crate::cli::{Effect, Output, Writing};
use crate::color::Palette;
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::oplog::{self, State};
use crate::render::human::{self, View};
use crate::render::json::Report;

/// A writer takes the lock and first rolls back an interrupted operation. A dry run writes
/// nothing, not even the lock file, and never recovers (see [`note_pending`]).
pub(super) fn prepare(
    s: &Setup,
    sys: &System,
    command: crate::command::Command,
    run: Writing,
    out: &mut dyn Write,
) -> Result<WriterLock, Error> {
    if run.effect == Effect::DryRun {
        return Ok(WriterLock::None);
    }
    // No state folder yet: nothing to recover, and a run that ends up writing nothing (a
    // conflict, a manifest error) should not leave one behind.
    if crate::observe::is_missing(&s.state.root) {
        return Ok(WriterLock::Later(command));
    }
    let lock = s.state.lock(command)?;
    let recovered = with_wanted(s, sys, |w| {
        apply::recover(&s.state, apply::Undecided::Refuse, w)
    })?;
    // A rollback is said even under -q: it undoes what an earlier run left in place.
    report_recovery(recovered, run.output, out)?;
    Ok(WriterLock::Held(lock))
}

/// The writer's lock: held, not needed (a dry run), or to be taken before the first write
/// because there was no state folder to lock when the command started.
pub(super) enum WriterLock {
    None,
    Held(#[allow(dead_code)] oplog::Lock),
    Later(crate::command::Command),
}

impl WriterLock {
    /// Takes the lock if it was put off. Another writer may have started meanwhile: its state
    /// would make the plan stale, so the run stops rather than write past it.
    pub(super) fn take(&mut self, state: &State) -> Result<(), Error> {
        let WriterLock::Later(command) = self else {
            return Ok(());
        };
        let lock = state.lock(*command)?;
        if state.head_id()?.is_some() || state.read_intent()?.is_some() {
            return Err(Error::StalePlan {
                path: state.root.clone(),
                change: crate::error::Staleness::StateWritten,
            });
        }
        *self = WriterLock::Held(lock);
        Ok(())
    }
}

/// For the read-only commands (`plan`, `log`, the dry runs): an interrupted operation is not
/// rolled back (that writes) but said to be pending, and planned around as the next writer will
/// leave it. One that is still running (its writer holds the lock) is waited for, as before.
pub(super) fn note_pending(
    s: &mut Setup,
    sys: &System,
    output: Output,
    out: &mut dyn Write,
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
    if output.notes() {
        writeln!(out, "{}", pending.notice())?;
    }
    s.pending = Some(pending);
    Ok(())
}

/// Says what a recovery rolled back, unless the output is JSON.
pub(super) fn report_recovery(
    msg: Option<String>,
    output: Output,
    out: &mut dyn Write,
) -> Result<(), Error> {
    if let (Some(msg), false) = (msg, output.is_json()) {
        writeln!(out, "{msg}")?;
    }
    Ok(())
}

/// Takes over a history this repo left under another path ([`super::carry::take`]), saying so
/// in the notes of `output`.
pub(super) fn carry(
    s: &mut Setup,
    sys: &System,
    effect: Effect,
    output: Output,
    out: &mut dyn Write,
) -> Result<(), Error> {
    match super::carry::take(s, sys, effect)? {
        Some(line) if output.notes() => writeln!(out, "{line}").map_err(Error::from),
        _ => Ok(()),
    }
}

/// Before a writing command plans: the lock and recovery for a writer, the carried history,
/// and for a dry run the pending notice.
pub(super) fn begin(
    s: &mut Setup,
    sys: &System,
    command: crate::command::Command,
    run: Writing,
    out: &mut dyn Write,
) -> Result<WriterLock, Error> {
    let lock = prepare(s, sys, command, run, out)?;
    carry(s, sys, run.effect, run.output, out)?;
    if run.effect == Effect::DryRun {
        note_pending(s, sys, run.output, out)?;
    }
    Ok(lock)
}

/// How the human output of a session is shown.
pub(super) fn view(
    s: &Session,
    style: Palette,
    output: Output,
    diff_lines: Option<usize>,
) -> View<'_> {
    View {
        home: &s.home,
        repo: &s.repo,
        palette: style,
        verbose: output.verbose(),
        diff_lines,
    }
}

/// One writing command's run of a session's plan.
pub(super) struct Transact<'a> {
    /// The command, as recorded and as errors name it.
    pub(super) command: crate::command::Command,
    /// For an undo, the operation it reverts.
    pub(super) undoes: Option<u64>,
    pub(super) run: Writing,
    pub(super) style: Palette,
    pub(super) lock: WriterLock,
    /// Stderr, when it is a terminal: a progress bar for long work goes there.
    pub(super) progress: Option<&'a mut dyn Write>,
}

/// Shows the plan and, unless a dry run, applies it as one operation.
pub(super) fn transact(
    session: &Session,
    t: Transact,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let Transact {
        command,
        undoes,
        run,
        style,
        mut lock,
        progress,
    } = t;
    let plan = &session.plan;
    let counts = plan.counts();
    let json = run.output.is_json();
    show_plan(session, run, style, out)?;
    if counts.conflict > 0 || run.effect == Effect::DryRun {
        return refuse_or_stop(session, command, run, out);
    }
    // With no history and nothing to change or take over, there is nothing to record either.
    let records = session.head.is_some() || counts.pending() || !apply::view_after(plan).is_empty();
    if records {
        lock.take(&session.state)?;
    }
    // A bar for long work on a terminal; never in JSON or under -q.
    let bar = (progress.is_some()
        && run.output.notes()
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
        json_report(session, run, result.as_ref().err(), out)?;
    }
    let (outcome, op) = result.map_err(|e| in_report(e, run.output))?;
    if run.output.notes() {
        writeln!(
            out,
            "{}",
            human::applied(&outcome.applied, &counts, op.as_ref())
        )?;
    }
    // Plain data: the operation's record holds a view with one entry per link.
    crate::discard(op);
    Ok(ExitCode::Ok)
}

/// The plan's entries for people; under -q, only the conflicts (not quiet about why nothing was
/// done); nothing under --json (its report comes after the run).
fn show_plan(
    session: &Session,
    run: Writing,
    style: Palette,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let plan = &session.plan;
    let view = view(session, style, run.output, run.diff_lines);
    match run.output {
        Output::Json => {}
        _ if run.output.notes() => out.write_all(view.entries(plan).as_bytes())?,
        _ if plan.counts().conflict > 0 => out.write_all(view.conflicts(plan).as_bytes())?,
        _ => {}
    }
    Ok(())
}

/// A plan with conflicts is refused; a dry run stops after showing it.
fn refuse_or_stop(
    session: &Session,
    command: crate::command::Command,
    run: Writing,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let counts = session.plan.counts();
    let refusal = (counts.conflict > 0).then_some(Error::Conflicts {
        count: counts.conflict,
        command,
    });
    if run.output.is_json() {
        json_report(session, run, refusal.as_ref(), out)?;
    }
    if let Some(e) = refusal {
        return Err(in_report(e, run.output));
    }
    if run.output.notes() {
        writeln!(out, "{}", human::summary(&counts))?;
        writeln!(out, "Dry run: nothing was changed.")?;
    }
    Ok(ExitCode::Ok)
}

/// The `--json` report of a writing command: the plan, whether it was applied, and the error.
fn json_report(
    session: &Session,
    run: Writing,
    error: Option<&Error>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let dry_run = run.effect == Effect::DryRun;
    let mut r = Report::new(&session.plan);
    r.applied = Some(error.is_none() && !dry_run);
    r.dry_run = Some(dry_run);
    r.error = error.map(crate::render::outputs::ErrorDetail::of);
    out.write_all(r.to_json().as_bytes())
}

/// Under --json the report carries the error: it is not printed again.
fn in_report(e: Error, output: Output) -> Error {
    if output.is_json() {
        Error::InReport(Box::new(e))
    } else {
        e
    }
}
