//! Windows link primitives: file vs directory symlinks, removal with directory semantics.

use std::io;
use std::path::Path;

use super::{Flavour, ReadLink, reparse, volume};

pub(super) fn classify_read_link_error(e: io::Error, path: &Path) -> ReadLink {
    // Anything but a missing path is classified by the entry's reparse tag: std cannot read a
    // cloud placeholder, an app execution alias or a WSL symlink as a link (and gives no code
    // for it), and a file on FAT answers ERROR_INVALID_FUNCTION.
    reparse::read_failure(e.raw_os_error(), || attribute_tag(path).ok()).with(e)
}

/// The attributes and reparse tag of the entry at `path`, read without following it
/// (FILE_FLAG_OPEN_REPARSE_POINT): a dangling or unreadable link is looked at itself.
pub(super) fn attribute_tag(path: &Path) -> io::Result<(u32, u32)> {
    use std::os::windows::fs::OpenOptionsExt;
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        FILE_ATTRIBUTE_TAG_INFO, FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT,
        FILE_READ_ATTRIBUTES, FileAttributeTagInfo, GetFileInformationByHandleEx,
    };
    let file = std::fs::OpenOptions::new()
        .access_mode(FILE_READ_ATTRIBUTES)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)?;
    let mut info: FILE_ATTRIBUTE_TAG_INFO = unsafe { std::mem::zeroed() };
    // SAFETY: the handle is open for the duration of the call; `info` has the size passed.
    let ok = unsafe {
        GetFileInformationByHandleEx(
            file.as_raw_handle(),
            FileAttributeTagInfo,
            (&mut info as *mut FILE_ATTRIBUTE_TAG_INFO).cast(),
            std::mem::size_of::<FILE_ATTRIBUTE_TAG_INFO>() as u32,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((info.FileAttributes, info.ReparseTag))
}

pub(super) fn create_symlink(text: &Path, at: &Path, flavour: Flavour) -> io::Result<()> {
    // The flavour must match the original: a file symlink to a folder does not open (the
    // forgotten `mklink /D`).
    match flavour {
        Flavour::File => std::os::windows::fs::symlink_file(text, at),
        Flavour::Dir => std::os::windows::fs::symlink_dir(text, at),
        Flavour::Junction => create_junction(text, at),
    }
}

/// A junction at `at` to the folder `text` (absolute). Nothing is left behind when it fails.
fn create_junction(text: &Path, at: &Path) -> io::Result<()> {
    // The junction crate makes the folder, then its reparse point. It does not refuse an
    // existing folder, so refuse here: a new link never replaces anything.
    if std::fs::symlink_metadata(at).is_ok() {
        return Err(io::Error::from(io::ErrorKind::AlreadyExists));
    }
    junction::create(text, at).inspect_err(|_| {
        // The reparse point was refused (Wine: error 50): the folder made for it is empty,
        // and remove_dir removes only an empty folder.
        let _ = std::fs::remove_dir(at);
    })
}

pub(super) fn remove_link(at: &Path, flavour: Flavour) -> io::Result<()> {
    // A directory symlink or junction is removed as a directory (RemoveDirectoryW), which
    // never touches what it points to; no guessing between remove_file and remove_dir.
    if flavour.is_folder() {
        std::fs::remove_dir(at)
    } else {
        std::fs::remove_file(at)
    }
}

/// Renames the link `temp` over the file symlink `at` (MoveFileEx replaces a file). A folder
/// link (directory symlink, junction) cannot be renamed over: the steps move it aside first
/// (`steps::replace_aside`, chosen by flavour), and never remove it before the new one is in.
pub(super) fn replace_link(temp: &Path, at: &Path, kind: Flavour) -> io::Result<()> {
    if kind != Flavour::File {
        return Err(io::Error::other(
            "a folder link is not renamed over on Windows; it is moved aside first",
        ));
    }
    std::fs::rename(temp, at)
}

pub(super) fn link_flavour(path: &Path) -> io::Result<Option<Flavour>> {
    // The reparse tag tells a junction from a directory symlink without following either
    // (junction::exists follows the link, so a dangling junction looked like a symlink).
    let (attributes, tag) = attribute_tag(path)?;
    Ok(match reparse::classify(attributes, tag) {
        reparse::Reparse::Link(flavour) => Some(flavour),
        reparse::Reparse::None | reparse::Reparse::NotALink => None,
    })
}

pub(super) fn on_network_drive(path: &Path) -> bool {
    use windows_sys::Win32::Storage::FileSystem::GetDriveTypeW;
    let text = path.to_string_lossy();
    if let Some(answer) = super::network_by_form(&text) {
        return answer;
    }
    let plain = match super::plain_form(&text) {
        super::Plain::Path(p) => p,
        _ => text.to_string(),
    };
    // A SUBST drive reports the type of the drive it stands on; ask about that folder.
    let real = volume::resolve_subst(&plain, &query_dos_device);
    if let Some(answer) = super::network_by_form(&real) {
        return answer;
    }
    let drive = real.get(..2).unwrap_or_default();
    if query_dos_device(drive).is_some_and(|t| volume::dos_device(&t) == volume::DosDevice::Network)
    {
        return true;
    }
    let root = wide(&format!("{drive}\\"));
    const DRIVE_REMOTE: u32 = 4;
    // SAFETY: `root` is a NUL-terminated UTF-16 string.
    unsafe { GetDriveTypeW(root.as_ptr()) == DRIVE_REMOTE }
}

/// What `QueryDosDeviceW` says the drive `X:` is (its first target).
fn query_dos_device(drive: &str) -> Option<String> {
    use windows_sys::Win32::Storage::FileSystem::QueryDosDeviceW;
    let name = wide(drive);
    let mut buf = vec![0u16; 1024];
    // SAFETY: `name` is NUL-terminated; `buf` holds `buf.len()` UTF-16 units.
    let n = unsafe { QueryDosDeviceW(name.as_ptr(), buf.as_mut_ptr(), buf.len() as u32) };
    if n == 0 {
        return None;
    }
    let end = buf.iter().position(|&c| c == 0).unwrap_or(n as usize);
    Some(String::from_utf16_lossy(&buf[..end]))
}

pub(super) fn without_subst(path: &Path) -> std::path::PathBuf {
    let text = path.to_string_lossy();
    let real = volume::resolve_subst(&text, &query_dos_device);
    if real == text {
        path.to_path_buf()
    } else {
        std::path::PathBuf::from(real)
    }
}

pub(super) fn file_id(path: &Path) -> io::Result<volume::FileId> {
    use std::os::windows::fs::OpenOptionsExt;
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        BY_HANDLE_FILE_INFORMATION, FILE_FLAG_BACKUP_SEMANTICS, FILE_ID_INFO, FileIdInfo,
        GetFileInformationByHandle, GetFileInformationByHandleEx,
    };
    let file = std::fs::OpenOptions::new()
        .access_mode(0)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(path)?;
    let handle = file.as_raw_handle();
    let mut info: FILE_ID_INFO = unsafe { std::mem::zeroed() };
    // SAFETY: the handle is open for the duration of the call; `info` has the size passed.
    let ok = unsafe {
        GetFileInformationByHandleEx(
            handle,
            FileIdInfo,
            (&mut info as *mut FILE_ID_INFO).cast(),
            std::mem::size_of::<FILE_ID_INFO>() as u32,
        )
    };
    if ok != 0 {
        return Ok(volume::FileId::from_file_id_info(
            info.VolumeSerialNumber,
            info.FileId.Identifier,
        ));
    }
    // A volume without FILE_ID_INFO (before Windows 8, some FAT drivers): the 64-bit index,
    // unique there (ReFS, where it is not, always answers FILE_ID_INFO).
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { GetFileInformationByHandle(handle, &mut info) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(volume::FileId::from_file_index(
        info.dwVolumeSerialNumber,
        info.nFileIndexHigh,
        info.nFileIndexLow,
    ))
}

pub(super) fn hard_link_refusal(dir: &Path) -> Option<String> {
    use windows_sys::Win32::Storage::FileSystem::{GetVolumeInformationW, GetVolumePathNameW};
    let path = wide(&dir.to_string_lossy());
    let mut root = vec![0u16; 1024];
    // SAFETY: `path` is NUL-terminated; `root` holds `root.len()` UTF-16 units.
    if unsafe { GetVolumePathNameW(path.as_ptr(), root.as_mut_ptr(), root.len() as u32) } == 0 {
        return None;
    }
    let mut flags = 0u32;
    let mut name = [0u16; 64];
    // SAFETY: `root` is NUL-terminated (written by the call above); the out buffers are valid
    // for the sizes passed; the unused ones are null.
    let ok = unsafe {
        GetVolumeInformationW(
            root.as_ptr(),
            std::ptr::null_mut(),
            0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut flags,
            name.as_mut_ptr(),
            name.len() as u32,
        )
    };
    if ok == 0 {
        return None;
    }
    let end = name.iter().position(|&c| c == 0).unwrap_or(name.len());
    volume::hard_link_refusal(dir, &String::from_utf16_lossy(&name[..end]), flags)
}

pub(super) fn volume_of(path: &Path) -> io::Result<u64> {
    use std::os::windows::fs::OpenOptionsExt;
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        BY_HANDLE_FILE_INFORMATION, FILE_FLAG_BACKUP_SEMANTICS, GetFileInformationByHandle,
    };
    // Opened without access rights (only its attributes are read), folders included.
    let file = std::fs::OpenOptions::new()
        .access_mode(0)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(path)?;
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: the handle is open for the duration of the call; `info` is writable.
    if unsafe { GetFileInformationByHandle(file.as_raw_handle(), &mut info) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(u64::from(info.dwVolumeSerialNumber))
}

pub(super) fn writable_folder(dir: &Path) -> io::Result<()> {
    use std::os::windows::fs::OpenOptionsExt;
    use windows_sys::Win32::Storage::FileSystem::{
        FILE_ADD_FILE, FILE_ADD_SUBDIRECTORY, FILE_FLAG_BACKUP_SEMANTICS,
    };
    // Opening the folder for the right to add entries makes Windows check its ACL (and a
    // write-protected volume) without creating anything.
    std::fs::OpenOptions::new()
        .access_mode(FILE_ADD_FILE | FILE_ADD_SUBDIRECTORY)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(dir)
        .map(drop)
}

pub(super) fn is_mount_point(_dir: &Path, _meta: &std::fs::Metadata) -> bool {
    // Windows volume mount points are reparse points, found by read_link.
    false
}

/// A folder whose links are read, and written, by name (Windows: by full path; there are no
/// `*at` calls). Opened from its parent with `FILE_FLAG_OPEN_REPARSE_POINT`, a reparse point
/// (symlink, junction, mount point) on the way is refused; and every folder from the anchor down
/// is kept open without `FILE_SHARE_DELETE` while in use, so none of them can be renamed or
/// removed — nor a link put in its place — until the handles are closed: the full paths stay
/// what was walked.
pub struct Folder {
    dir: std::path::PathBuf,
    /// This folder and those above it up to its anchor, held open.
    pins: Vec<std::sync::Arc<std::fs::File>>,
    id: super::tree::FileId,
}

/// What [`pin`] opens at a reparse point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AtReparse {
    /// What it leads to.
    Follow,
    /// The reparse point itself.
    OpenItself,
}

/// Opens `path` (a folder) for its attributes only, without letting it be renamed or removed
/// meanwhile; a reparse point there is followed or opened itself as `reparse` says.
fn pin(path: &Path, reparse: AtReparse) -> io::Result<(std::fs::File, u32, super::tree::FileId)> {
    use std::os::windows::fs::OpenOptionsExt;
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        BY_HANDLE_FILE_INFORMATION, FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT,
        FILE_READ_ATTRIBUTES, FILE_SHARE_READ, FILE_SHARE_WRITE, GetFileInformationByHandle,
    };
    let mut flags = FILE_FLAG_BACKUP_SEMANTICS;
    if reparse == AtReparse::OpenItself {
        flags |= FILE_FLAG_OPEN_REPARSE_POINT;
    }
    let file = std::fs::OpenOptions::new()
        .access_mode(FILE_READ_ATTRIBUTES)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE)
        .custom_flags(flags)
        .open(path)?;
    // SAFETY: zeroed is a valid value of this plain C struct.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: the handle is open for the duration of the call; `info` is writable.
    if unsafe { GetFileInformationByHandle(file.as_raw_handle(), &mut info) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let index = (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow);
    let id = super::tree::FileId(u64::from(info.dwVolumeSerialNumber), index);
    Ok((file, info.dwFileAttributes, id))
}

/// Whether the open reparse point `file` is a name surrogate — a symlink, a junction, a mount
/// point: something that leads elsewhere —, not a placeholder of a cloud drive (OneDrive keeps
/// folders as reparse points of its own; they are folders).
fn leads_elsewhere(file: &std::fs::File) -> io::Result<bool> {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        FILE_ATTRIBUTE_TAG_INFO, FileAttributeTagInfo, GetFileInformationByHandleEx,
    };
    let mut info = FILE_ATTRIBUTE_TAG_INFO {
        FileAttributes: 0,
        ReparseTag: 0,
    };
    // SAFETY: the handle is open; `info` is writable and of the size passed.
    let ok = unsafe {
        GetFileInformationByHandleEx(
            file.as_raw_handle(),
            FileAttributeTagInfo,
            (&mut info as *mut FILE_ATTRIBUTE_TAG_INFO).cast(),
            std::mem::size_of::<FILE_ATTRIBUTE_TAG_INFO>() as u32,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    // IsReparseTagNameSurrogate.
    Ok(info.ReparseTag & 0x2000_0000 != 0)
}

impl Folder {
    /// Opens `dir` by its path, following links on the way (the system's, above a home).
    pub fn open(dir: &Path) -> io::Result<Folder> {
        use windows_sys::Win32::Storage::FileSystem::FILE_ATTRIBUTE_DIRECTORY;
        let (file, attributes, id) = pin(dir, AtReparse::Follow)?;
        if attributes & FILE_ATTRIBUTE_DIRECTORY == 0 {
            return Err(io::Error::from(io::ErrorKind::NotADirectory));
        }
        Ok(Folder {
            dir: dir.to_path_buf(),
            pins: vec![std::sync::Arc::new(file)],
            id,
        })
    }

    /// The path this folder was opened by.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The folder `name` in this one; a reparse point there is
    /// [`super::tree::link_on_the_way`].
    pub fn open_child(&self, name: &std::ffi::OsStr) -> io::Result<Folder> {
        use windows_sys::Win32::Storage::FileSystem::{
            FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_REPARSE_POINT,
        };
        let dir = self.dir.join(name);
        let (file, attributes, id) = pin(&dir, AtReparse::OpenItself)?;
        if attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0 && leads_elsewhere(&file)? {
            return Err(super::tree::link_on_the_way(&dir));
        }
        if attributes & FILE_ATTRIBUTE_DIRECTORY == 0 {
            return Err(io::Error::from(io::ErrorKind::NotADirectory));
        }
        let mut pins = self.pins.clone();
        pins.push(std::sync::Arc::new(file));
        Ok(Folder { dir, pins, id })
    }

    /// Under no anchor: the same as [`Folder::open_child`] (no reparse point is followed).
    pub fn open_system_child(&self, name: &std::ffi::OsStr) -> io::Result<Folder> {
        self.open_child(name)
    }

    /// This folder's identity (volume serial, file index), read when it was opened.
    pub fn id(&self) -> io::Result<super::tree::FileId> {
        Ok(self.id)
    }

    /// What `name` is in this folder, never following it.
    pub fn entry(&self, name: &std::ffi::OsStr) -> io::Result<super::tree::Entry> {
        let meta = std::fs::symlink_metadata(self.dir.join(name))?;
        let is_link = {
            use std::os::windows::fs::FileTypeExt;
            meta.file_type().is_symlink() || meta.file_type().is_symlink_dir()
        };
        Ok(super::tree::Entry {
            is_link,
            is_dir: meta.is_dir() && !is_link,
            is_file: meta.is_file() && !is_link,
        })
    }

    /// Whether `name` here is the regular file `original` (by another name: a hard link).
    pub fn same_file(&self, name: &std::ffi::OsStr, original: &Path) -> bool {
        crate::observe::same_file(&self.dir.join(name), original)
    }

    pub fn make_dir(&self, name: &std::ffi::OsStr) -> io::Result<()> {
        std::fs::create_dir(self.dir.join(name))
    }

    /// Windows folders have ACLs, not modes: `dir_mode` is ignored (the plan says so).
    pub fn set_mode(&self, _name: &std::ffi::OsStr, _mode: u32) -> io::Result<()> {
        Ok(())
    }

    pub fn remove_dir(&self, name: &std::ffi::OsStr) -> io::Result<()> {
        std::fs::remove_dir(self.dir.join(name))
    }

    pub fn remove_link(&self, name: &std::ffi::OsStr, flavour: Flavour) -> io::Result<()> {
        remove_link(&self.dir.join(name), flavour)
    }

    pub fn make_link(
        &self,
        name: &std::ffi::OsStr,
        text: &Path,
        flavour: Flavour,
    ) -> io::Result<()> {
        create_symlink(text, &self.dir.join(name), flavour)
    }

    pub fn hard_link(&self, original: &Path, name: &std::ffi::OsStr) -> io::Result<()> {
        std::fs::hard_link(original, self.dir.join(name))
    }

    pub fn read_link(&self, name: &std::ffi::OsStr) -> ReadLink {
        super::read_link(&self.dir.join(name))
    }

    pub fn link_flavour(&self, name: &std::ffi::OsStr) -> io::Result<Option<Flavour>> {
        link_flavour(&self.dir.join(name))
    }

    /// Renames `name` to `to_name` in `to`, refusing when something is there (a look just before
    /// the rename: Windows has no rename that refuses).
    pub fn rename_new(
        &self,
        name: &std::ffi::OsStr,
        to: &Folder,
        to_name: &std::ffi::OsStr,
    ) -> io::Result<()> {
        let to = to.dir.join(to_name);
        if std::fs::symlink_metadata(&to).is_ok() {
            return Err(io::ErrorKind::AlreadyExists.into());
        }
        std::fs::rename(self.dir.join(name), to)
    }

    pub fn replace(
        &self,
        temp: &std::ffi::OsStr,
        name: &std::ffi::OsStr,
        old: Flavour,
    ) -> io::Result<()> {
        replace_link(&self.dir.join(temp), &self.dir.join(name), old)
    }

    /// Windows cannot swap two names atomically.
    pub fn exchange(&self, _a: &std::ffi::OsStr, _b: &std::ffi::OsStr) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }

    /// Copies the file `name` to a new file `to_name` in `to`, fsynced, then removes `name`.
    pub fn move_file_by_copy(
        &self,
        name: &std::ffi::OsStr,
        to: &Folder,
        to_name: &std::ffi::OsStr,
    ) -> io::Result<()> {
        let from = self.dir.join(name);
        let meta = std::fs::symlink_metadata(&from)?;
        if !meta.is_file() {
            return Err(io::Error::from(io::ErrorKind::CrossesDevices));
        }
        let mut src = std::fs::File::open(&from)?;
        let mut dst = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(to.dir.join(to_name))?;
        io::copy(&mut src, &mut dst)?;
        dst.set_permissions(meta.permissions())?;
        dst.sync_all()?;
        std::fs::remove_file(from)
    }
}

pub(super) fn probe_junction(name: &Path, target: &Path) -> Option<io::Result<()>> {
    let made = create_junction(target, name);
    Some(made.and_then(|()| {
        let made = matches!(link_flavour(name), Ok(Some(Flavour::Junction)));
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

pub(super) fn developer_mode() -> Option<bool> {
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

pub(super) fn elevated() -> Option<bool> {
    use windows_sys::Win32::Security::{TOKEN_ELEVATION, TokenElevation};
    token_information::<TOKEN_ELEVATION>(TokenElevation).map(|e| e.TokenIsElevated != 0)
}

/// One fixed-size piece of this process token's information (`GetTokenInformation`).
fn token_information<T: Default>(
    class: windows_sys::Win32::Security::TOKEN_INFORMATION_CLASS,
) -> Option<T> {
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
    use windows_sys::Win32::Security::{GetTokenInformation, TOKEN_QUERY};
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: GetCurrentProcess returns a pseudo-handle; `token` receives a handle we close.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return None;
    }
    let mut value = T::default();
    let mut len = 0u32;
    // SAFETY: `value` is a `T` of the size passed, the type `class` answers with; `token` is open.
    let ok = unsafe {
        GetTokenInformation(
            token,
            class,
            (&mut value as *mut T).cast(),
            std::mem::size_of::<T>() as u32,
            &mut len,
        )
    };
    // SAFETY: `token` was opened above.
    unsafe { CloseHandle(token) };
    (ok != 0).then_some(value)
}

pub(super) fn hostname() -> String {
    use windows_sys::Win32::System::SystemInformation::{
        ComputerNameDnsHostname, GetComputerNameExW,
    };
    let mut buf = [0u16; 256];
    let mut len = buf.len() as u32;
    // SAFETY: `buf` holds `len` UTF-16 units; on success `len` is the name's length.
    if unsafe { GetComputerNameExW(ComputerNameDnsHostname, buf.as_mut_ptr(), &mut len) } == 0 {
        return std::env::var("COMPUTERNAME").unwrap_or_default();
    }
    String::from_utf16_lossy(&buf[..len as usize])
}

/// Whether `path` is a file (Windows runs what PATHEXT names; the caller adds the extension).
pub(super) fn is_program(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// The raw TOKEN_ELEVATION_TYPE of this process's token.
pub(super) fn elevation_type() -> Option<i32> {
    use windows_sys::Win32::Security::{TOKEN_ELEVATION_TYPE, TokenElevationType};
    token_information::<TOKEN_ELEVATION_TYPE>(TokenElevationType)
}

/// Nothing to tune: see the Unix side (glibc only).
pub(super) fn tune_allocator() {}
