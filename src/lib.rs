//! linkfile: keep the links a dotfiles repo's manifest asks for in place, on Linux, macOS and
//! Windows.
//!
//! The pipeline is a pure core in an imperative shell (design.md §4):
//!
//! ```text
//! manifest text --manifest::parse--> Manifest --resolve--> [Desired]
//! filesystem ----observe (read-only)----> [Actual], original kinds
//! (Desired, Actual) --plan (pure)--> Plan --render--> human / JSON
//! Plan --apply (the only writer)--> links on disk, all or nothing
//! ```
//!
//! [`observe`] is the only reader of the filesystem, [`apply`] the only writer, and [`platform`]
//! the only module that knows Unix from Windows. [`run`] is the whole command line as a function
//! of arguments, environment and output streams, so tests drive it without a process.

pub mod apply;
pub mod cli;
pub mod error;
pub mod manifest;
pub mod observe;
pub mod plan;
pub mod platform;
pub mod render;
pub mod resolve;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::cli::{Cli, ColorChoice, Command};
use crate::error::{Error, Style};
use crate::manifest::{EntryKind, OnConflict};
use crate::observe::{Actual, Originals};
use crate::plan::{Input, Plan};
use crate::render::human::{self, View};
use crate::render::json::Report;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: an error (invalid manifest, conflict under `fail`, I/O failure after rollback).
pub const EXIT_ERROR: u8 = 1;
/// Exit code: `plan --exit-code` found changes pending.
pub const EXIT_CHANGES: u8 = 2;

/// The manifest's file name, looked for in the working folder and the folders above it.
pub const MANIFEST_NAME: &str = "linkfile.toml";

/// Reads an environment variable.
pub type EnvReader = Box<dyn Fn(&str) -> Option<String>>;

/// What linkfile needs from the process it runs in.
pub struct System {
    /// Reads an environment variable.
    pub env: EnvReader,
    /// The working folder.
    pub cwd: PathBuf,
    /// Whether stdout is a terminal (for `--color auto`).
    pub stdout_is_terminal: bool,
    /// Whether stderr is a terminal (for `--color auto`).
    pub stderr_is_terminal: bool,
}

impl System {
    /// The real process: its environment, working folder and terminals.
    pub fn from_process() -> System {
        use std::io::IsTerminal;
        System {
            env: Box::new(|k| std::env::var(k).ok()),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            stdout_is_terminal: io::stdout().is_terminal(),
            stderr_is_terminal: io::stderr().is_terminal(),
        }
    }

    fn var(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.is_empty())
    }
}

/// Runs the command line `args` (program name first) and returns the exit code.
pub fn run<I, T>(args: I, sys: &System, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render();
            // --help and --version are answers, not errors.
            if e.use_stderr() {
                let _ = write!(err, "{}", text.ansi());
                return EXIT_ERROR;
            }
            let _ = write!(out, "{text}");
            return EXIT_OK;
        }
    };
    let no_color = sys.var("NO_COLOR").is_some();
    let color = |terminal: bool| match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !no_color,
    };
    let out_style = Style {
        color: color(sys.stdout_is_terminal),
    };
    let err_style = Style {
        color: color(sys.stderr_is_terminal),
    };
    match execute(&cli, sys, out_style, out) {
        Ok(code) => code,
        Err(e) => {
            let _ = err.write_all(e.render(&err_style).as_bytes());
            e.exit_code()
        }
    }
}

/// Everything a command needs once the manifest is read and the links are planned.
pub struct Session {
    /// What `~` means.
    pub home: PathBuf,
    /// The manifest's folder.
    pub repo: PathBuf,
    /// What apply would do now.
    pub plan: Plan,
}

fn execute(cli: &Cli, sys: &System, style: Style, out: &mut dyn Write) -> Result<u8, Error> {
    if let Command::Apply {
        on_conflict: Some(policy),
        ..
    } = &cli.command
        && *policy != OnConflict::Fail
    {
        return Err(Error::Unsupported {
            what: format!(
                "--on-conflict {}",
                if *policy == OnConflict::Backup {
                    "backup"
                } else {
                    "adopt"
                }
            ),
            hint: "use --on-conflict fail and move what is in the way yourself".into(),
        });
    }
    let session = load(cli.manifest.as_deref(), cli.home.as_deref(), sys)?;
    let view = View {
        home: &session.home,
        repo: &session.repo,
        style,
        verbose: cli.verbose,
    };
    let plan = &session.plan;
    let counts = plan.counts();
    match &cli.command {
        Command::Plan { json, exit_code } => {
            if *json {
                out.write_all(Report::new(plan).to_json().as_bytes())?;
            } else {
                if !cli.quiet {
                    out.write_all(view.entries(plan).as_bytes())?;
                }
                let line = if counts.changes() + counts.conflict == 0 {
                    format!(
                        "No changes: {} link{} already in place.",
                        counts.ok,
                        plural(counts.ok)
                    )
                } else {
                    human::summary(&counts)
                };
                writeln!(out, "{line}")?;
            }
            let pending = counts.changes() + counts.conflict > 0;
            Ok(if *exit_code && pending {
                EXIT_CHANGES
            } else {
                EXIT_OK
            })
        }
        Command::Apply { dry_run, json, .. } => {
            let show_plan = |out: &mut dyn Write| -> io::Result<()> {
                if !*json && !cli.quiet {
                    out.write_all(view.entries(plan).as_bytes())?;
                }
                Ok(())
            };
            let report = |out: &mut dyn Write, applied: bool| -> io::Result<()> {
                let mut r = Report::new(plan);
                r.applied = Some(applied);
                r.dry_run = Some(*dry_run);
                out.write_all(r.to_json().as_bytes())
            };
            if counts.conflict > 0 || *dry_run {
                show_plan(out)?;
                if *json {
                    report(out, false)?;
                }
                if counts.conflict > 0 {
                    return Err(Error::Conflicts {
                        count: counts.conflict,
                    });
                }
                if !*json && !cli.quiet {
                    writeln!(out, "{}", human::summary(&counts))?;
                    writeln!(out, "Dry run: nothing was changed.")?;
                }
                return Ok(EXIT_OK);
            }
            show_plan(out)?;
            let result = apply::apply(plan);
            if *json {
                report(out, result.is_ok())?;
            }
            let applied = result?;
            if !*json && !cli.quiet {
                writeln!(out, "{}", human::applied(&applied, &counts))?;
            }
            Ok(EXIT_OK)
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Reads the manifest (`-m`, else discovered), resolves it for this machine with the home folder
/// (`--home`, else from the environment), observes the filesystem and plans.
pub fn load(manifest: Option<&Path>, home: Option<&Path>, sys: &System) -> Result<Session, Error> {
    let manifest_path = find_manifest(manifest, sys)?;
    let text = std::fs::read_to_string(&manifest_path).map_err(|source| Error::ReadManifest {
        path: manifest_path.clone(),
        source,
    })?;
    let shown = manifest_path
        .strip_prefix(&sys.cwd)
        .unwrap_or(&manifest_path)
        .to_path_buf();
    let manifest = manifest::parse(&shown, &text).map_err(Error::Manifest)?;
    let repo = manifest_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| sys.cwd.clone());
    let home = home_dir(home, sys)?;
    let env = |k: &str| (sys.env)(k);
    let cx = resolve::Context {
        manifest_path: &shown,
        text: &text,
        repo: &repo,
        home: &home,
        env: &env,
        case_insensitive: platform::CASE_INSENSITIVE,
    };
    let desired = resolve::resolve(&manifest, &cx).map_err(Error::Manifest)?;

    let mut originals = Originals::default();
    let kinds = desired
        .iter()
        .map(|d| originals.kind(&d.to))
        .collect::<Result<Vec<_>, _>>()?;
    resolve::check_with_originals(&desired, &kinds, &cx).map_err(Error::Manifest)?;

    let mut inputs = Vec::with_capacity(desired.len());
    for (desired, original) in desired.into_iter().zip(kinds) {
        let actual = observe::link_place(&desired.at, &desired.link_text)?;
        let texts = match (&actual, original) {
            (Actual::File, Some(EntryKind::File)) => {
                observe::small_text(&desired.at).zip(observe::small_text(&desired.to))
            }
            _ => None,
        };
        inputs.push(Input {
            desired,
            original,
            actual,
            texts,
        });
    }
    Ok(Session {
        home,
        repo,
        plan: plan::plan(inputs),
    })
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
        .map(|dir| dir.join(MANIFEST_NAME))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| Error::NoManifest {
            start: sys.cwd.clone(),
        })
}

/// `--home`, else `LINKFILE_HOME`, else the platform's home variable. It must exist.
fn home_dir(given: Option<&Path>, sys: &System) -> Result<PathBuf, Error> {
    let home = given
        .map(Path::to_path_buf)
        .or_else(|| sys.var("LINKFILE_HOME").map(PathBuf::from))
        .or_else(|| sys.var(platform::HOME_VAR).map(PathBuf::from))
        .ok_or(Error::NoHome {
            var: platform::HOME_VAR,
        })?;
    let home = absolute(&sys.cwd, &home);
    if !home.is_dir() {
        return Err(Error::HomeMissing { path: home });
    }
    Ok(home)
}

fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    resolve::normalize(&cwd.join(p))
}
