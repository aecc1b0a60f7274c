//! `man`: the manual page (roff), from the command line's own description.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::Error;
use crate::exit_code::ExitCode;

pub(super) fn run(out: &mut dyn Write) -> Result<ExitCode, Error> {
    man_page(Cli::command(), out)?;
    Ok(ExitCode::Ok)
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
