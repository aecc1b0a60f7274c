//! `plan`: what apply would do, without touching anything (nor recovering: an interrupted
//! operation is planned around as its rollback will leave it).

use std::io::Write;

use super::transact::{carry, note_pending, view};
use super::{Setup, session};
use crate::System;
use crate::cli::{Effect, Output, PendingExit, PlanMode};
use crate::color::Palette;
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::plan::Plan;
use crate::render::human;
use crate::render::json::Report;

pub(super) fn run(
    mut s: Setup,
    mode: &PlanMode,
    sys: &System,
    style: Palette,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    carry(&mut s, sys, Effect::DryRun, mode.output, out)?;
    note_pending(&mut s, sys, mode.output, out)?;
    let selection = s.selection(&mode.select, sys);
    let session = session(s, sys, None, &selection)?;
    let plan = &session.plan;
    if mode.output.is_json() {
        let mut report = Report::new(plan);
        report.interrupted = session.interrupted.then_some(true);
        out.write_all(report.to_json().as_bytes())?;
    } else {
        if mode.output.notes() {
            let view = view(&session, style, mode.output, mode.diff_lines);
            out.write_all(view.entries(plan).as_bytes())?;
        }
        writeln!(out, "{}", summary_line(plan, mode.output))?;
    }
    let code = match mode.pending {
        PendingExit::Changes if plan.counts().pending() => ExitCode::Changes,
        _ => ExitCode::Ok,
    };
    // Plain data (records, paths): nothing in it acts when dropped.
    crate::discard(session);
    Ok(code)
}

/// The plan's last line: its counts, and the entries left out (unless -v listed them).
fn summary_line(plan: &Plan, output: Output) -> String {
    let mut line = human::plan_line(&plan.counts());
    // Entries for other machines are not changes, but they are not forgotten.
    if let Some(n) = Some(plan.skipped.len()).filter(|n| *n > 0 && !output.verbose()) {
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
    line
}
