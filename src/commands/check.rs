//! `linkfile check`: the manifest parsed and resolved for this machine, and nothing else read.

use std::io::Write;

use super::Setup;
use crate::System;
use crate::error::Error;
use crate::manifest;
use crate::resolve;

/// Parses and resolves the manifest as every command does, without the repo scan (`each`) or
/// observing a link's place: the errors it finds are the manifest's own. Says how many entries
/// it holds unless `quiet`.
pub(super) fn run(s: &Setup, sys: &System, quiet: bool, out: &mut dyn Write) -> Result<u8, Error> {
    let parsed = manifest::parse(&s.shown, &s.text).map_err(Error::Manifest)?;
    resolve::resolve(&parsed, &s.context(sys)).map_err(Error::Manifest)?;
    if !quiet {
        let n = parsed.links.0.len() + parsed.link.len();
        let entries = if n == 1 { "entry" } else { "entries" };
        writeln!(out, "ok: {n} {entries}")?;
    }
    Ok(crate::EXIT_OK)
}
