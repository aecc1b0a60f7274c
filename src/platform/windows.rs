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

pub fn probe_junction(name: &Path, target: &Path) -> Option<io::Result<()>> {
    let made = junction::create(target, name);
    if made.is_err() {
        // The junction crate makes the folder first: when the reparse point is refused (Wine:
        // error 50), an empty folder is left. remove_dir removes only an empty one.
        let _ = std::fs::remove_dir(name);
    }
    Some(made.and_then(|()| {
        let made = junction::exists(name).unwrap_or(false);
        // A junction is removed as a directory: the folder it points to is not touched.
        std::fs::remove_dir(name)?;
        if made {
            Ok(())
        } else {
            Err(io::Error::other(
                "the system reported success but made no junction",
            ))
        }
    }))
}

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

pub fn developer_mode() -> Option<bool> {
    use windows_sys::Win32::System::Registry::{
        HKEY_LOCAL_MACHINE, RRF_RT_REG_DWORD, RegGetValueW,
    };
    let key = wide(r"SOFTWARE\Microsoft\Windows\CurrentVersion\AppModelUnlock");
    let value = wide("AllowDevelopmentWithoutDevLicense");
    let mut data: u32 = 0;
    let mut size = std::mem::size_of::<u32>() as u32;
    // SAFETY: the strings are NUL-terminated UTF-16; `data` has `size` writable bytes.
    let status = unsafe {
        RegGetValueW(
            HKEY_LOCAL_MACHINE,
            key.as_ptr(),
            value.as_ptr(),
            RRF_RT_REG_DWORD,
            std::ptr::null_mut(),
            (&mut data as *mut u32).cast(),
            &mut size,
        )
    };
    match status {
        0 => Some(data == 1),
        // The value is absent until Developer Mode has been turned on once.
        2 => Some(false),
        _ => None,
    }
}

pub fn elevated() -> Option<bool> {
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
    use windows_sys::Win32::Security::{
        GetTokenInformation, TOKEN_ELEVATION, TOKEN_QUERY, TokenElevation,
    };
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: GetCurrentProcess returns a pseudo-handle; `token` receives a handle we close.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return None;
    }
    let mut elevation = TOKEN_ELEVATION::default();
    let mut len = 0u32;
    // SAFETY: `elevation` is a TOKEN_ELEVATION of the size passed; `token` is open.
    let ok = unsafe {
        GetTokenInformation(
            token,
            TokenElevation,
            (&mut elevation as *mut TOKEN_ELEVATION).cast(),
            std::mem::size_of::<TOKEN_ELEVATION>() as u32,
            &mut len,
        )
    };
    // SAFETY: `token` was opened above.
    unsafe { CloseHandle(token) };
    (ok != 0).then_some(elevation.TokenIsElevated != 0)
}
