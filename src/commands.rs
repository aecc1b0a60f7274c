//! The commands. Each reads the manifest and the state, plans, shows the plan, and — for the
//! writers (`apply`, `undo`, `unlink`) — first rolls back an interrupted operation, then applies
//! the plan under the lock and records the operation. The read-only ones (`plan`, `log`, the dry
//! runs) never recover: they plan around an interrupted operation as its rollback will leave it.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{Invocation, Mode, StateMode};
use crate::color::Palette;
use crate::error::Error;
use crate::manifest::{self, EntryKind, LinkType};
use crate::observe;
use crate::oplog::{self, Operation, OwnedLink, State};
use crate::platform::{self, Flavour};
use crate::resolve::{self, Desired};
use crate::selection::Selection;
use crate::{ExitCode, System};

mod add;
mod apply;
mod carry;
mod check;
mod completions;
mod doctor;
mod init;
mod log;
mod man;
mod manifest_file;
mod plan;
mod recover;
mod transact;
mod undo;
mod unlink;

pub use crate::pipeline::Session;
use crate::pipeline::{Setup, session};

/// Reads the manifest (`-m`, else discovered), resolves it for this machine with the home folder
/// (`--home`, else from the environment), observes the filesystem and plans, pruning links
/// linkfile owns that the manifest no longer lists.
pub fn load(manifest: Option<&Path>, home: Option<&Path>, sys: &System) -> Result<Session, Error> {
    let s = setup(manifest, home, sys)?;
    session(s, sys, None, &Selection::default())
}

pub(crate) fn setup(
    manifest: Option<&Path>,
    home_given: Option<&Path>,
    sys: &System,
) -> Result<Setup, Error> {
    let given = find_manifest(manifest, sys)?;
    let shown = given.strip_prefix(&sys.cwd).unwrap_or(&given).to_path_buf();
    let text = manifest_file::read(&given, &shown)?;
    // One repo, one history: links and the state key use the repo's real path.
    let manifest_path = real_manifest_path(&given);
    let repo = manifest_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| sys.cwd.clone());
    let home = home_dir(home_given, sys)?;
    let isolated = home_isolates(home_given, sys);
    let root = state_root(&home, home_given, sys);
    refuse_state_in_repo(&root, &repo)?;
    let state = State::new(&root, &manifest_path, platform::Os::HOST);
    state.verify(&home)?;
    // Only whether there is a history: its record is read once, by the session.
    let carried = match state.head_id()? {
        None => carry::find(&state, &manifest_path),
        Some(_) => None,
    };
    Ok(Setup {
        manifest_path,
        shown,
        text,
        repo,
        home,
        state,
        isolated,
        state_root: root,
        carried,
        pending: None,
    })
}

/// `check`, `init`, `completions` and `man` read nothing of it.
pub(crate) fn execute(
    invocation: &Invocation,
    sys: &System,
    style: Palette,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitCode, Error> {
    let (manifest, home) = (invocation.manifest.as_deref(), invocation.home.as_deref());
    match &invocation.mode {
        Mode::WithState(mode) => {
            let s = setup(manifest, home, sys)?;
            with_state(mode, s, sys, style, out, err)
        }
        Mode::Check { verbosity } => check::run(manifest, home, sys, *verbosity, out),
        Mode::Init { from, verbosity } => {
            init::run(from, manifest, *verbosity, home, sys, out, err)
        }
        Mode::Completions { shell } => completions::run(*shell, out),
        Mode::Man => man::run(out),
    }
}

/// Runs a command on the manifest and its state, `s`.
fn with_state(
    mode: &StateMode,
    s: Setup,
    sys: &System,
    style: Palette,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitCode, Error> {
    match mode {
        StateMode::Plan(m) => plan::run(s, m, sys, style, out),
        StateMode::Apply(m) => apply::run(s, m, sys, style, out, err),
        StateMode::Undo(run) => undo::run(s, run, sys, style, out, err),
        StateMode::Unlink(m) => unlink::run(s, m, sys, style, out, err),
        StateMode::Log(output) => log::run(s, *output, sys, out),
        StateMode::Recover(output) => recover::run(s, *output, sys, out),
        StateMode::Doctor(output) => doctor::run(s, *output, sys, style, out),
        StateMode::Add(m) => add::run(s, m, sys, out),
    }
}

/// `-m`, else `LINKFILE_MANIFEST`, else `linkfile.toml` here or in the nearest folder above.
fn find_manifest(given: Option<&Path>, sys: &System) -> Result<PathBuf, Error> {
    let given = given
        .map(Path::to_path_buf)
        .or_else(|| sys.var("LINKFILE_MANIFEST").map(PathBuf::from));
    if let Some(path) = given {
        return Ok(absolute(&sys.cwd, &path));
    }
    sys.cwd
        .ancestors()
        .map(|dir| dir.join(crate::MANIFEST_NAME))
        .find(|candidate| observe::is_file_followed(candidate))
        .ok_or_else(|| Error::NoManifest {
            start: sys.cwd.clone(),
        })
}

/// `--home`, else `LINKFILE_HOME`, else the platform's home variable. It must exist.
fn home_dir(given: Option<&Path>, sys: &System) -> Result<PathBuf, Error> {
    let home = home_path(given, sys)?;
    if !observe::is_folder_followed(&home) {
        return Err(Error::HomeMissing { path: home });
    }
    Ok(home)
}

fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    crate::paths::normalize(&cwd.join(p))
}

/// `manifest` (absolute) with its folder resolved to its real path, in plain form on Windows;
/// as it is when the folder cannot be resolved (reading the manifest then says why).
fn real_manifest_path(manifest: &Path) -> PathBuf {
    let (Some(dir), Some(name)) = (manifest.parent(), manifest.file_name()) else {
        return manifest.to_path_buf();
    };
    let Some(real) = crate::containment::existing_real_path(dir) else {
        return manifest.to_path_buf();
    };
    let real = match platform::plain_form(&real.to_string_lossy()) {
        platform::Plain::Path(plain) => PathBuf::from(plain),
        _ => real,
    };
    real.join(name)
}

/// The state folder must not lie inside the repo (by real path: through a link into it too, and
/// so inside any folder an `each` entry walks): its records and backups would be linked or
/// adopted as dotfiles, and every operation would change what the next one plans.
fn refuse_state_in_repo(root: &Path, repo: &Path) -> Result<(), Error> {
    let real = crate::containment::real_path(root);
    let real_repo = crate::containment::real_path(repo);
    if crate::paths::within(&real, &real_repo, platform::Os::HOST) {
        return Err(Error::StateInRepo {
            state: root.to_path_buf(),
            repo: repo.to_path_buf(),
            real,
        });
    }
    Ok(())
}

/// Runs `f` with what recovery checks an intent against: the manifest's links, resolved only
/// when asked (when there is an intent).
fn with_wanted<R>(s: &Setup, sys: &System, f: impl FnOnce(&crate::records::Wanted) -> R) -> R {
    let links = || -> Result<Vec<(PathBuf, PathBuf)>, Error> {
        let (_, expanded) = s.expanded(sys)?;
        Ok(expanded
            .links
            .iter()
            .map(|d| (d.at.clone(), d.to.clone()))
            .collect())
    };
    f(&crate::records::Wanted {
        home: &s.home,
        repo: &s.repo,
        links: &links,
    })
}

/// `--home`, else `LINKFILE_HOME`, else the platform's home variable, absolute; not looked at.
fn home_path(given: Option<&Path>, sys: &System) -> Result<PathBuf, Error> {
    let home = given
        .map(Path::to_path_buf)
        .or_else(|| sys.var("LINKFILE_HOME").map(PathBuf::from))
        .or_else(|| sys.var(platform::HOME_VAR).map(PathBuf::from))
        .ok_or(Error::NoHome {
            var: platform::HOME_VAR,
        })?;
    Ok(absolute(&sys.cwd, &home))
}

/// Whether the home was given (`--home`, `LINKFILE_HOME`) rather than found: then it isolates.
fn home_isolates(given: Option<&Path>, sys: &System) -> bool {
    home_origin(given, sys) == platform::HomeOrigin::Given
}

/// Whether the home was given (`--home`, `LINKFILE_HOME`) or found.
fn home_origin(given: Option<&Path>, sys: &System) -> platform::HomeOrigin {
    if given.is_some() || sys.var("LINKFILE_HOME").is_some() {
        platform::HomeOrigin::Given
    } else {
        platform::HomeOrigin::Found
    }
}

/// The state folder of every manifest: `LINKFILE_STATE_DIR`, else the platform's default for
/// `home` (`home_given` by `--home`, when it was); not looked at.
fn state_root(home: &Path, home_given: Option<&Path>, sys: &System) -> PathBuf {
    let origin = home_origin(home_given, sys);
    sys.var("LINKFILE_STATE_DIR")
        .map(|d| absolute(&sys.cwd, Path::new(&d)))
        .unwrap_or_else(|| platform::default_state_root(home, &|k| sys.var(k), origin))
}
