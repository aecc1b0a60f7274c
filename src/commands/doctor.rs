//! `doctor`: which kinds of link can be made where the manifest wants them, and if not, why.

use std::io::Write;

use super::Setup;
use crate::System;
use crate::cli::Output;
use crate::color::Palette;
use crate::doctor;
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::render::human::{DIFF_LINES, View};
use crate::render::outputs::{DoctorReport, to_json};

pub(super) fn run(
    s: Setup,
    output: Output,
    sys: &System,
    style: Palette,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let (desired, kinds) = s.links(sys)?;
    let report = doctor::probe(&desired, &kinds, &s.home);
    let code = if report.ok() {
        ExitCode::Ok
    } else {
        ExitCode::Error
    };
    if output.is_json() {
        out.write_all(to_json(&DoctorReport::of(&report)).as_bytes())?;
        return Ok(code);
    }
    let view = View {
        home: &s.home,
        repo: &s.repo,
        palette: style,
        verbose: output.verbose(),
        diff_lines: Some(DIFF_LINES),
    };
    let os = crate::platform::explain::Os::current();
    out.write_all(crate::render::doctor::render(&report, &view, os).as_bytes())?;
    Ok(code)
}
