//! `linkfile check`: the manifest parsed and resolved for this machine, and nothing else read —
//! not linkfile's state folder, not the home, not the repo's real path.

use std::io::Write;
use std::path::Path;

use super::{find_manifest, home_isolates, home_path, manifest_file, state_root};
use crate::cli::Verbosity;
use crate::error::Error;
use crate::exit_code::ExitCode;
use crate::{System, manifest, platform, resolve};

/// Parses and resolves the manifest as every command does, without the repo scan (`each`) or
/// observing a link's place: the errors it finds are the manifest's own. Says how many entries
/// it holds unless quiet.
pub(super) fn run(
    manifest: Option<&Path>,
    home: Option<&Path>,
    sys: &System,
    verbosity: Verbosity,
    out: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let given = find_manifest(manifest, sys)?;
    let shown = given.strip_prefix(&sys.cwd).unwrap_or(&given).to_path_buf();
    let text = manifest_file::read(&given, &shown)?;
    // The repo as given: its real path would be a read.
    let repo = given.parent().unwrap_or(&sys.cwd);
    let home_given = home;
    let home = home_path(home_given, sys)?;
    let state = state_root(&home, home_given, sys);
    let cx = resolve::Context {
        manifest_path: &shown,
        text: &text,
        repo,
        home: &home,
        env: &*sys.env,
        os: platform::Os::HOST,
        exists: crate::observe::exists_followed,
        host: &sys.host,
        isolated: home_isolates(home_given, sys),
        state: &state,
        on_path: platform::on_path,
    };
    let parsed = manifest::parse(&shown, &text).map_err(Error::Manifest)?;
    resolve::resolve(&parsed, &cx).map_err(Error::Manifest)?;
    if verbosity != Verbosity::Quiet {
        let n = parsed.links.0.len() + parsed.link.len();
        let entries = if n == 1 { "entry" } else { "entries" };
        writeln!(out, "ok: {n} {entries}")?;
    }
    Ok(ExitCode::Ok)
}
