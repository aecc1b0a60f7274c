//! `undo` and `unlink`: their sessions are planned in [`crate::pipeline::undo`].

use std::io::Write;

use crate::System;
use crate::color::Palette;
use crate::error::Error;
use crate::pipeline::Setup;
use crate::pipeline::undo::undo_session;
pub(super) use crate::pipeline::undo::undo_target;

/// Runs `linkfile undo`: an `add` is reverted by its own steps ([`super::add::undo`]), any other
/// operation by planning towards the view before it.
pub(super) fn run(
    mut s: Setup,
    run: &crate::cli::Writing,
    sys: &System,
    style: Palette,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<crate::ExitCode, Error> {
    use super::transact::{Transact, begin, transact};
    let lock = begin(&mut s, sys, crate::command::Command::Undo, *run, out)?;
    if let Some((head, target)) = super::add::undoes_an_add(&s)? {
        if run.output.is_json() {
            return Err(Error::Refused(crate::error::Refusal::UndoAddAsJson));
        }
        return super::add::undo(s, head, target, *run, out);
    }
    let (session, undoes) = undo_session(s)?;
    let t = Transact {
        command: crate::command::Command::Undo,
        undoes: Some(undoes),
        run: *run,
        style,
        lock,
        progress: sys.stderr_is_terminal.then_some(err),
    };
    transact(&session, t, out)
}
