//! `log`: past operations, newest first.

use std::io::Write;

use super::Setup;
use super::transact::{carry, note_pending};
use crate::System;
use crate::cli::{Effect, Output};
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::render::human;

pub(super) fn run(
    mut s: Setup,
    output: Output,
    sys: &System,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    carry(&mut s, sys, Effect::DryRun, output, out)?;
    note_pending(&mut s, sys, output, out)?;
    let history = s.state.history()?;
    if output.is_json() {
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
    Ok(ExitCode::Ok)
}
