//! `unlink`: removes every link this manifest owns and puts back what was backed up.

use std::io::Write;

use super::Setup;
use super::transact::{Transact, begin, transact};
use crate::System;
use crate::cli::UnlinkMode;
use crate::color::Palette;
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::pipeline::undo::unlink_session;

pub(super) fn run(
    mut s: Setup,
    mode: &UnlinkMode,
    sys: &System,
    style: Palette,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let lock = begin(&mut s, sys, crate::command::Command::Unlink, mode.run, out)?;
    let selection = s.selection(&mode.select, sys);
    let session = unlink_session(s, &selection)?;
    let t = Transact {
        command: crate::command::Command::Unlink,
        undoes: None,
        run: mode.run,
        style,
        lock,
        progress: sys.stderr_is_terminal.then_some(err),
    };
    transact(&session, t, out)
}
