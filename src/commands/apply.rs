//! `apply`: makes the filesystem match the manifest, all or nothing.

use std::io::Write;

use super::transact::{Transact, begin, transact};
use super::{Setup, session};
use crate::System;
use crate::cli::ApplyMode;
use crate::color::Palette;
use crate::error::Error;
use crate::exit_code::ExitCode;

pub(super) fn run(
    mut s: Setup,
    mode: &ApplyMode,
    sys: &System,
    style: Palette,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let lock = begin(&mut s, sys, crate::command::Command::Apply, mode.run, out)?;
    let selection = s.selection(&mode.select, sys);
    let session = session(s, sys, mode.on_conflict, &selection)?;
    let t = Transact {
        command: crate::command::Command::Apply,
        undoes: None,
        run: mode.run,
        style,
        lock,
        progress: sys.stderr_is_terminal.then_some(err),
    };
    let code = transact(&session, t, out);
    // Plain data (records, paths): the lock was in `t`, and is released by now.
    crate::discard(session);
    code
}
