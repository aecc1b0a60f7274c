//! The only place that knows Unix from Windows: link primitives, how the OS says "not a link",
//! and what to tell the user when the OS refuses.
//!
//! Everything else calls these functions and never `std::os::*` directly. The explanations of OS
//! errors ([`explain`]) are pure functions of the raw error code and the platform, so they are
//! unit-tested on every platform.

use std::io;
use std::path::Path;

use crate::manifest::EntryKind;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;

pub mod explain;

/// Whether paths compare case-insensitively on this platform's usual filesystems.
pub const CASE_INSENSITIVE: bool = cfg!(any(windows, target_os = "macos"));

/// Whether symlinks have a file/directory flavour that must match the original (Windows).
pub const LINKS_HAVE_FLAVOUR: bool = cfg!(windows);

/// The environment variable that names the home folder.
pub const HOME_VAR: &str = if cfg!(windows) { "USERPROFILE" } else { "HOME" };

/// What `read_link` on a path said.
#[derive(Debug)]
pub enum ReadLink {
    /// A symlink (or junction) with this text.
    Link(std::path::PathBuf),
    /// Something that is not a link.
    NotALink,
    /// Nothing there; the parent folder exists.
    Missing,
    /// Nothing there because a parent is missing or is not a folder.
    ParentProblem,
    /// Anything else.
    Failed(io::Error),
}

/// Reads the link at `path`: one syscall answers the common cases.
pub fn read_link(path: &Path) -> ReadLink {
    match std::fs::read_link(path) {
        Ok(text) => ReadLink::Link(text),
        Err(e) => imp::classify_read_link_error(e),
    }
}

/// A folder opened once to read the links in it by name.
pub use imp::Folder;

/// Creates a symlink at `at` holding `text`; `kind` is what the original is (Windows needs it).
pub fn create_symlink(text: &Path, at: &Path, kind: EntryKind) -> io::Result<()> {
    imp::create_symlink(text, at, kind)
}

/// Removes the link at `at` (never what it points to, never recursively).
pub fn remove_link(at: &Path, kind: EntryKind) -> io::Result<()> {
    imp::remove_link(at, kind)
}

/// Puts the link `temp` in place of the link `at`, atomically where the OS allows.
pub fn replace_link(temp: &Path, at: &Path, kind: EntryKind) -> io::Result<()> {
    imp::replace_link(temp, at, kind)
}

/// The flavour of the symlink at `path` (Windows: file or directory symlink); `None` on Unix.
pub fn link_flavour(path: &Path) -> io::Result<Option<EntryKind>> {
    imp::link_flavour(path)
}

/// A hint for an OS error met while doing `op` on a path, from its raw code.
pub fn hint_for(err: &io::Error) -> Option<String> {
    let code = err.raw_os_error()?;
    explain::hint(explain::Os::current(), code).map(str::to_string)
}
