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
//! [`observe`] is the only reader of the filesystem besides the manifest's checks ([`each`] walks
//! the repo's folders, [`containment`] asks for real paths), [`apply`] the only writer, and
//! [`platform`] the only module that knows Unix from Windows (besides [`statedir`], which reads
//! and writes linkfile's own state folder through no-follow handles, and checks it is the
//! user's own). [`records`] checks an intent or operation record before any step of it runs. [`run`] is the whole command line as a function
//! of arguments, environment and output streams, so tests drive it without a process.

pub mod apply;
pub mod cli;
mod commands;
pub mod containment;
pub mod doctor;
pub mod each;
pub mod error;
pub mod init;
pub mod manifest;
pub mod observe;
pub mod oplog;
pub mod paths;
pub mod pending;
pub mod plan;
pub mod platform;
pub mod primitive;
pub mod progress;
pub mod records;
pub mod render;
pub mod resolve;
pub mod selection;
pub mod statedir;
mod steps;
pub mod when;

mod compile;
pub mod path_serde;
pub mod show;

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Parser;

use crate::cli::{Cli, ColorChoice};
use crate::error::Style;

pub use crate::commands::{Session, load};

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: an error (invalid manifest, conflict under `fail`, I/O failure after rollback).
pub const EXIT_ERROR: u8 = 1;
/// Exit code: `plan --exit-code` found changes pending.
pub const EXIT_CHANGES: u8 = 2;
/// Exit code: another linkfile holds the lock.
pub const EXIT_LOCKED: u8 = 3;

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
    /// This machine's host name (for `when.host`).
    pub host: String,
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
            host: platform::hostname(),
        }
    }

    pub(crate) fn var(&self, name: &str) -> Option<String> {
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
                if colours(ColorChoice::Auto, sys.stderr_is_terminal, sys) {
                    let _ = write!(err, "{}", text.ansi());
                } else {
                    let _ = write!(err, "{text}");
                }
                return EXIT_ERROR;
            }
            let _ = write!(out, "{text}");
            return EXIT_OK;
        }
    };
    let out_style = Style {
        color: colours(cli.color, sys.stdout_is_terminal, sys),
    };
    let err_style = Style {
        color: colours(cli.color, sys.stderr_is_terminal, sys),
    };
    let mut out = EndsQuietly {
        inner: out,
        closed: false,
    };
    // init writes a manifest where there is none yet, and lists what it could not translate.
    let result = match &cli.command {
        cli::Command::Init { .. } => commands::init(&cli, sys, &mut out, err),
        cli::Command::Completions { .. } | cli::Command::Man => {
            commands::without_manifest(&cli, &mut out)
        }
        _ => commands::execute(&cli, sys, out_style, &mut out, err),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if cli.json() && !matches!(e, error::Error::InReport(_)) {
                let report = render::outputs::ErrorReport::of(&e);
                let _ = out.write_all(render::outputs::to_json(&report).as_bytes());
            }
            let _ = err.write_all(e.render(&err_style).as_bytes());
            e.exit_code()
        }
    }
}

/// Standard output whose reader may leave (`linkfile apply | head -1`): once the pipe is closed,
/// the rest of the output is dropped quietly, and the operation's outcome, not the reader,
/// decides the exit code.
struct EndsQuietly<'a> {
    inner: &'a mut dyn Write,
    closed: bool,
}

impl Write for EndsQuietly<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

/// Whether to colour a stream, by the conventions anstream follows: `--color always|never` wins;
/// under `auto`, NO_COLOR (non-empty) turns colour off, then CLICOLOR_FORCE (other than `0`)
/// turns it on even in a pipe, then CLICOLOR=0 turns it off; otherwise a terminal whose TERM is
/// not `dumb` (or CLICOLOR=1, or CI) is coloured.
fn colours(choice: ColorChoice, terminal: bool, sys: &System) -> bool {
    match choice {
        ColorChoice::Always => return true,
        ColorChoice::Never => return false,
        ColorChoice::Auto => {}
    }
    let clicolor = (sys.env)("CLICOLOR").map(|v| v != "0");
    if sys.var("NO_COLOR").is_some() {
        return false;
    }
    if sys.var("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    if clicolor == Some(false) {
        return false;
    }
    let term_has_colour = match (sys.env)("TERM") {
        None => platform::UNSET_TERM_HAS_COLOUR,
        Some(term) => term != "dumb",
    };
    terminal && (term_has_colour || clicolor == Some(true) || (sys.env)("CI").is_some())
}
