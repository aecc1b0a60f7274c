//! linkfile: keep the links a dotfiles repo's manifest asks for in place, on Linux, macOS and
//! Windows.
//!
//! A pure core in an imperative shell (design.md §4). One command runs, in order:
//!
//! ```text
//! cli: arguments --> Invocation (a checked Mode)          commands: dispatch on the Mode
//! pipeline: manifest::parse --> resolve --> each (pure, over observe's listing)
//!           --> observe originals and places --> probe (fallback) --> ownership --> selection
//!           --> one plan::Input per link
//! plan (pure): [Input] --> Plan, one Entry and Decision per place --> render: human / JSON
//! compile (pure): Plan --> [Step]          apply + steps: the steps, all or nothing
//! ```
//!
//! Contracts: [`observe`] is the only reader of the filesystem (with `containment`'s real paths
//! and the state folder's own code), `apply`/`steps` the only writer (the pipeline's probe stage
//! writes throw-away test links, and says so); [`platform`] is the only module that knows Unix
//! from Windows, elsewhere the OS is a value ([`platform::Os`]); `statedir` reads and writes
//! linkfile's own state folder through no-follow handles and checks it is the user's own;
//! `records` checks an intent or operation record before any step of it runs. No module imports
//! another in a cycle (`tests/it/module_graph.rs`), and no module outside the readers reads the
//! filesystem (`tests/it/readers.rs`, which lists the one exception left, with why). [`run`] is the whole command line as a
//! function of arguments, environment and output streams, so tests drive it without a process.
//!
//! # Glossary
//!
//! - **at**: where a link goes, in the home (`~/.gitconfig`): the manifest's key. Never
//!   "target" or "destination", words tools use for both ends.
//! - **to**: what the link points to, in the repo (`git/config`): the manifest's value.
//! - **original**: the file or folder at `to`, the repo's own; linkfile never changes it except
//!   by `adopt` (and `add`, which moves a home file into the repo on purpose).
//! - **place**: one `at` as the manifest resolves it now, or as a view of the history recorded
//!   it; records may name only places, the folders above them, the backup store and originals.
//! - **owned**: a link linkfile made and whose text still equals what it recorded; only an owned
//!   link is ever replaced or removed without a backup. A changed one is **released**.
//! - **view**: the set of links an operation left owned (`at`, link text, primitive), kept in
//!   its operation record; `undo` plans its way back to the parent's view.
//! - **plan**: what differs between the wanted links and the disk, one entry per place with an
//!   action (`ok`, `create`, `fix`, `remove`, `conflict`, `release`), computed without writing.
//! - **step**: one filesystem call of an apply (make a link, move a file to the backup store,
//!   exchange two names…), checked after it runs and undoable from what the disk shows.
//! - **intent**: the steps of an operation, written and synced before the first of them runs,
//!   so that a run killed half way is rolled back by the next one (or `linkfile recover`).
//! - **record**: an operation record (id, parent, command, manifest hash, view, backups), immutable
//!   once written; intents and records are checked against the places before any step runs.
//! - **backup store**: the state folder's `backups/`, where anything linkfile moves out of the
//!   way goes, each time under a fresh name: a backup never overwrites another.

pub mod apply;
pub mod cli;
pub mod color;
pub mod command;
mod commands;
mod containment;
mod doctor;
mod each;
pub mod error;
mod exit_code;
mod init;
pub mod manifest;
pub mod observe;
pub mod oplog;
pub mod paths;
mod pending;
mod pipeline;
pub mod plan;
pub mod platform;
mod primitive;
mod progress;
mod records;
pub mod render;
pub mod resolve;
mod selection;
mod statedir;
mod steps;
mod when;

mod compile;
mod path_serde;
mod refusal;
mod show;

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Parser;

use crate::cli::{Cli, ColorChoice, Invocation};
use crate::color::Palette;

pub use crate::commands::{Session, load};
pub use crate::exit_code::ExitCode;

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
    /// What `--color auto` gives stdout (NO_COLOR, CLICOLOR, CLICOLOR_FORCE, TERM, a terminal).
    pub stdout_palette: Palette,
    /// What `--color auto` gives stderr.
    pub stderr_palette: Palette,
    /// Whether the process ends when [`run`] returns, as the binary's does. Then a command's
    /// plan and records are left to the operating system, which takes their pages back at
    /// once, instead of being freed one allocation at a time (at 10,000 links, several per cent
    /// of a plan's instructions). In-process callers (tests, benches) free them.
    pub exits_after_run: bool,
}

impl System {
    /// The real process: its environment, working folder and terminals. Also sets the
    /// allocator up for it ([`platform::tune_allocator`]): call it first, before any thread.
    pub fn from_process() -> System {
        use std::io::IsTerminal;
        platform::tune_allocator();
        System {
            env: Box::new(|k| std::env::var(k).ok()),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            stdout_is_terminal: io::stdout().is_terminal(),
            stderr_is_terminal: io::stderr().is_terminal(),
            host: platform::hostname(),
            stdout_palette: color::auto_for(&io::stdout()),
            stderr_palette: color::auto_for(&io::stderr()),
            exits_after_run: true,
        }
    }

    pub(crate) fn var(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.is_empty())
    }
}

/// Set by [`run`] for a process that ends when it returns ([`System::exits_after_run`]); never
/// unset, and never set by in-process callers.
static EXITS_AFTER_RUN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Frees `value`, or leaves it to the operating system when the process ends after this run
/// ([`System::exits_after_run`]). Only for plain data (records, steps, paths): never for what
/// acts when it is dropped (a lock, a temporary file), whose drop must run.
pub(crate) fn discard<T>(value: T) {
    if EXITS_AFTER_RUN.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(value);
    }
}

/// How many threads this process runs at once (1 when it cannot be told): asked once, as the
/// answer reads the process's CPU quota from files on Linux.
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs the command line `args` (program name first) and returns the exit code.
pub fn run<I, T>(args: I, sys: &System, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    if sys.exits_after_run {
        EXITS_AFTER_RUN.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let invocation = match Cli::try_parse_from(args) {
        Ok(cli) => cli.invocation(),
        Err(e) => return clap_answer(&e, sys, out, err).into(),
    };
    let out_palette = colours(invocation.color, sys.stdout_palette);
    let err_palette = colours(invocation.color, sys.stderr_palette);
    let mut out = EndsQuietly {
        inner: out,
        closed: false,
    };
    match commands::execute(&invocation, sys, out_palette, &mut out, err) {
        Ok(code) => code.into(),
        Err(e) => report_error(&e, &invocation, err_palette, &mut out, err).into(),
    }
}

/// What clap says when it does not parse the arguments: `--help` and `--version` are answers on
/// stdout, not errors; anything else is an error on stderr.
fn clap_answer(
    e: &clap::Error,
    sys: &System,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    let text = e.render();
    if !e.use_stderr() {
        let _ = write!(out, "{text}");
        return ExitCode::Ok;
    }
    if sys.stderr_palette.is_coloured() {
        let _ = write!(err, "{}", text.ansi());
    } else {
        let _ = write!(err, "{text}");
    }
    ExitCode::Error
}

/// Prints an error on stderr, and under `--json` as a JSON object on stdout too (unless the
/// command's report carried it already).
fn report_error(
    e: &error::Error,
    invocation: &Invocation,
    palette: Palette,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    if invocation.mode.json() && !matches!(e, error::Error::InReport(_)) {
        let report = render::outputs::ErrorReport::of(e);
        let _ = out.write_all(render::outputs::to_json(&report).as_bytes());
    }
    let _ = err.write_all(e.render(palette).as_bytes());
    e.exit_code()
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

/// A stream's colours: `--color always|never` wins over what `auto` found for it.
fn colours(choice: ColorChoice, auto: Palette) -> Palette {
    match choice {
        ColorChoice::Always => Palette::COLOURED,
        ColorChoice::Never => Palette::PLAIN,
        ColorChoice::Auto => auto,
    }
}
