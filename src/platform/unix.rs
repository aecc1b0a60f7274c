//! Unix link primitives.

use std::io;
use std::path::Path;

use super::ReadLink;
use crate::manifest::EntryKind;

pub fn classify_read_link_error(e: io::Error) -> ReadLink {
    match e.kind() {
        // readlink(2) answers EINVAL for anything that is not a symlink.
        io::ErrorKind::InvalidInput => ReadLink::NotALink,
        io::ErrorKind::NotFound => ReadLink::Missing,
        io::ErrorKind::NotADirectory => ReadLink::ParentProblem,
        _ => ReadLink::Failed(e),
    }
}

pub fn create_symlink(text: &Path, at: &Path, _kind: EntryKind) -> io::Result<()> {
    std::os::unix::fs::symlink(text, at)
}

pub fn remove_link(at: &Path, _kind: EntryKind) -> io::Result<()> {
    // unlink(2) removes the link itself, whatever it points to.
    std::fs::remove_file(at)
}

pub fn replace_link(temp: &Path, at: &Path, _kind: EntryKind) -> io::Result<()> {
    // rename(2) replaces the old link atomically: there is no moment without a link at `at`.
    std::fs::rename(temp, at)
}

pub fn link_flavour(_path: &Path) -> io::Result<Option<EntryKind>> {
    Ok(None)
}
