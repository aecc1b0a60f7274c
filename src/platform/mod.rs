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

/// The name a probe uses in `dir`: hidden, and unique to this process.
fn probe_name(dir: &Path, what: &str) -> std::path::PathBuf {
    dir.join(format!(".linkfile-doctor-{}-{what}", std::process::id()))
}

/// Whether a symlink to `target` can be made in `dir`: made under a temporary name, read back
/// (some systems report success and make nothing), and removed.
pub fn probe_symlink(dir: &Path, target: &Path, kind: EntryKind) -> io::Result<()> {
    let name = probe_name(dir, "symlink");
    create_symlink(target, &name, kind)?;
    match read_link(&name) {
        ReadLink::Link(text) if text == target => remove_link(&name, kind),
        ReadLink::Missing | ReadLink::ParentProblem => Err(io::Error::other(
            "the system reported success but made no link (Wine does this)",
        )),
        _ => {
            let _ = remove_link(&name, kind);
            Err(io::Error::other(
                "the system made something other than the link asked for",
            ))
        }
    }
}

/// Whether a hard link to the file `original` can be made in `dir` (same volume, a filesystem
/// that has them): made under a temporary name, checked, and its name removed (`original` stays).
pub fn probe_hardlink(dir: &Path, original: &Path) -> io::Result<()> {
    let name = probe_name(dir, "hardlink");
    std::fs::hard_link(original, &name)?;
    let made = std::fs::symlink_metadata(&name).is_ok_and(|m| m.is_file());
    // remove_file removes this one name; the original keeps its other name.
    std::fs::remove_file(&name)?;
    if made {
        Ok(())
    } else {
        Err(io::Error::other(
            "the system reported success but made no hard link",
        ))
    }
}

/// Whether a junction to the folder `target` can be made in `dir`; `None` where junctions do
/// not exist (everywhere but Windows).
pub fn probe_junction(dir: &Path, target: &Path) -> Option<io::Result<()>> {
    imp::probe_junction(&probe_name(dir, "junction"), target)
}

/// Windows: whether Developer Mode is on (symlinks without elevation); `None` elsewhere or when
/// it cannot be read.
pub fn developer_mode() -> Option<bool> {
    imp::developer_mode()
}

/// Windows: whether this process runs elevated; `None` elsewhere or when it cannot be read.
pub fn elevated() -> Option<bool> {
    imp::elevated()
}
