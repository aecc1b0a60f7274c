//! Windows link primitives: file vs directory symlinks, removal with directory semantics.

use std::io;
use std::os::windows::fs::FileTypeExt;
use std::path::Path;

use super::ReadLink;
use super::explain::codes;
use crate::manifest::EntryKind;

pub fn classify_read_link_error(e: io::Error) -> ReadLink {
    match e.raw_os_error() {
        Some(codes::ERROR_NOT_A_REPARSE_POINT) => ReadLink::NotALink,
        Some(codes::ERROR_FILE_NOT_FOUND) => ReadLink::Missing,
        // Either a parent folder is missing or a parent is a file: the caller looks.
        Some(codes::ERROR_PATH_NOT_FOUND) | Some(codes::ERROR_DIRECTORY) => ReadLink::ParentProblem,
        // A reparse point std cannot read as a link (e.g. a cloud placeholder): not our link.
        _ if e.kind() == io::ErrorKind::Other || e.kind() == io::ErrorKind::Unsupported => {
            ReadLink::NotALink
        }
        _ => ReadLink::Failed(e),
    }
}

pub fn create_symlink(text: &Path, at: &Path, kind: EntryKind) -> io::Result<()> {
    // The flavour must match the original: a file symlink to a folder does not open (the
    // forgotten `mklink /D`).
    match kind {
        EntryKind::File => std::os::windows::fs::symlink_file(text, at),
        EntryKind::Dir => std::os::windows::fs::symlink_dir(text, at),
    }
}

pub fn remove_link(at: &Path, kind: EntryKind) -> io::Result<()> {
    // A directory symlink is removed as a directory (RemoveDirectoryW), which never touches
    // what it points to; no guessing between remove_file and remove_dir.
    match kind {
        EntryKind::File => std::fs::remove_file(at),
        EntryKind::Dir => std::fs::remove_dir(at),
    }
}

pub fn replace_link(temp: &Path, at: &Path, kind: EntryKind) -> io::Result<()> {
    match std::fs::rename(temp, at) {
        Ok(()) => Ok(()),
        // Renaming over a directory symlink is refused; remove the old link, then rename.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            remove_link(at, kind)?;
            std::fs::rename(temp, at)
        }
        Err(e) => Err(e),
    }
}

pub fn link_flavour(path: &Path) -> io::Result<Option<EntryKind>> {
    let ft = std::fs::symlink_metadata(path)?.file_type();
    Ok(Some(if ft.is_symlink_dir() {
        EntryKind::Dir
    } else {
        EntryKind::File
    }))
}

/// A folder whose links are read by name (Windows: by full path; there is no readlinkat).
pub struct Folder {
    dir: std::path::PathBuf,
}

impl Folder {
    pub fn open(dir: &Path) -> io::Result<Folder> {
        if !std::fs::metadata(dir)?.is_dir() {
            return Err(io::Error::from(io::ErrorKind::NotADirectory));
        }
        Ok(Folder {
            dir: dir.to_path_buf(),
        })
    }

    pub fn make_link(
        &mut self,
        name: &std::ffi::OsStr,
        text: &Path,
        kind: EntryKind,
    ) -> io::Result<()> {
        create_symlink(text, &self.dir.join(name), kind)
    }

    pub fn read_link(&mut self, name: &std::ffi::OsStr) -> ReadLink {
        super::read_link(&self.dir.join(name))
    }
}
