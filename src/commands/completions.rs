//! `completions SHELL`: a completion script, from the command line's own description.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::Error;
use crate::exit_code::ExitCode;

pub(super) fn run(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<ExitCode, Error> {
    clap_complete::generate(shell, &mut Cli::command(), "linkfile", out);
    Ok(ExitCode::Ok)
}
