//! `recover`: rolls back an interrupted operation, leaving in place what cannot be decided.

use std::io::Write;

use super::{Setup, with_wanted};
use crate::System;
use crate::apply;
use crate::cli::{Effect, Output};
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::render::outputs::{RecoverReport, to_json};

pub(super) fn run(
    mut s: Setup,
    output: Output,
    sys: &System,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let _lock = s.state.lock(crate::command::Command::Recover)?;
    // Said even under -q, as what is recovered is.
    if let Some(line) = super::carry::take(&mut s, sys, Effect::Write)?
        && !output.is_json()
    {
        writeln!(out, "{line}")?;
    }
    let message = with_wanted(&s, sys, |w| {
        apply::recover(&s.state, apply::Undecided::LeaveInPlace, w)
    })?;
    if output.is_json() {
        let r = RecoverReport {
            recovered: message.is_some(),
            message,
        };
        out.write_all(to_json(&r).as_bytes())?;
        return Ok(ExitCode::Ok);
    }
    match message {
        Some(msg) => writeln!(out, "{msg}")?,
        None => writeln!(out, "Nothing to recover.")?,
    }
    Ok(ExitCode::Ok)
}
