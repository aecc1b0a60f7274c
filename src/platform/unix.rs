//! Unix link primitives.

use std::io;
use std::path::Path;

use super::{Flavour, ReadLink};

pub fn classify_read_link_error(e: io::Error) -> ReadLink {
    match e.kind() {
        // readlink(2) answers EINVAL for anything that is not a symlink.
        io::ErrorKind::InvalidInput => ReadLink::NotALink,
        io::ErrorKind::NotFound => ReadLink::Missing,
        io::ErrorKind::NotADirectory => ReadLink::ParentProblem,
        _ => ReadLink::Failed(e),
    }
}

fn no_junctions() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "junctions exist only on Windows",
    )
}

pub fn create_symlink(text: &Path, at: &Path, flavour: Flavour) -> io::Result<()> {
    if flavour == Flavour::Junction {
        return Err(no_junctions());
    }
    std::os::unix::fs::symlink(text, at)
}

pub fn remove_link(at: &Path, _flavour: Flavour) -> io::Result<()> {
    // unlink(2) removes the link itself, whatever it points to.
    std::fs::remove_file(at)
}

pub fn replace_link(temp: &Path, at: &Path, _flavour: Flavour) -> io::Result<()> {
    // rename(2) replaces the old link atomically: there is no moment without a link at `at`.
    std::fs::rename(temp, at)
}

pub fn link_flavour(_path: &Path) -> io::Result<Option<Flavour>> {
    Ok(None)
}

pub fn on_network_drive(_path: &Path) -> bool {
    false
}

pub fn volume_of(path: &Path) -> io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata(path)?.dev())
}

pub fn writable_folder(dir: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `c` is a valid NUL-terminated string.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

pub fn is_mount_point(dir: &Path, meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    // A mounted filesystem has its own device; its folder's parent has the other one.
    dir.parent()
        .and_then(|p| std::fs::symlink_metadata(p).ok())
        .is_some_and(|parent| parent.dev() != meta.dev())
}

/// A folder opened once (`O_PATH` where there is one): links are read and every write is made
/// by name relative to it (`readlinkat`, `symlinkat`, `mkdirat`, `renameat`, `unlinkat`), so
/// the kernel resolves one name instead of the whole path, and never a link on the way.
pub struct Folder {
    fd: std::os::fd::OwnedFd,
    dir: std::path::PathBuf,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
const FOLDER_FLAGS: libc::c_int = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const FOLDER_FLAGS: libc::c_int = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;

fn c_name(name: &std::ffi::OsStr) -> io::Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(name.as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn check(r: libc::c_int) -> io::Result<()> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `renameat2` by its system call (any libc), or `None` where the kernel has none.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn renameat2(
    from: &Folder,
    name: &std::ffi::CStr,
    to: &Folder,
    to_name: &std::ffi::CStr,
    flags: libc::c_uint,
) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: both fds are open and both names NUL-terminated.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            from.fd.as_raw_fd(),
            name.as_ptr(),
            to.fd.as_raw_fd(),
            to_name.as_ptr(),
            flags,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Whether a `renameat2` error says the kernel or filesystem lacks the flag asked for.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
    )
}

impl Folder {
    /// Opens `dir` by its path, following links on the way (the system's, above a home).
    pub fn open(dir: &Path) -> io::Result<Folder> {
        let c = c_name(dir.as_os_str())?;
        // SAFETY: `c` is a valid NUL-terminated string; the returned fd is checked and owned.
        let fd = unsafe { libc::open(c.as_ptr(), FOLDER_FLAGS) };
        Folder::own(fd, dir.to_path_buf())
    }

    fn own(fd: libc::c_int, dir: std::path::PathBuf) -> io::Result<Folder> {
        use std::os::fd::FromRawFd;
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened by us and is not owned elsewhere.
        Ok(Folder {
            fd: unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) },
            dir,
        })
    }

    fn raw(&self) -> libc::c_int {
        use std::os::fd::AsRawFd;
        self.fd.as_raw_fd()
    }

    /// The path this folder was opened by.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The folder `name` in this one, never following a link: a link there is
    /// [`super::tree::link_on_the_way`].
    pub fn open_child(&self, name: &std::ffi::OsStr) -> io::Result<Folder> {
        let c = c_name(name)?;
        // SAFETY: the fd is open and `c` NUL-terminated; the result is checked and owned.
        let fd = unsafe { libc::openat(self.raw(), c.as_ptr(), FOLDER_FLAGS | libc::O_NOFOLLOW) };
        match Folder::own(fd, self.dir.join(name)) {
            // ELOOP (a link, O_NOFOLLOW) or ENOTDIR (O_PATH opens the link itself, then is
            // refused as no folder): tell a link from a file.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR)) => {
                match self.entry(name) {
                    Ok(super::tree::Entry { is_link: true, .. }) => {
                        Err(super::tree::link_on_the_way(&self.dir.join(name)))
                    }
                    _ => Err(e),
                }
            }
            other => other,
        }
    }

    /// The folder `name` in this one, following it if it is a link owned by root (the
    /// system's, like macOS's `/etc -> private/etc`); a link anyone else owns is refused.
    pub fn open_system_child(&self, name: &std::ffi::OsStr) -> io::Result<Folder> {
        match self.open_child(name) {
            Err(e) if super::tree::is_link_on_the_way(&e) && self.owned_by_root(name) => {
                let c = c_name(name)?;
                // SAFETY: as in `open_child`.
                let fd = unsafe { libc::openat(self.raw(), c.as_ptr(), FOLDER_FLAGS) };
                Folder::own(fd, self.dir.join(name))
            }
            other => other,
        }
    }

    fn stat(&self, name: &std::ffi::OsStr) -> io::Result<libc::stat> {
        let c = c_name(name)?;
        // SAFETY: zeroed `stat` is a valid value of a plain C struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: the fd is open, `c` NUL-terminated, `st` writable.
        check(unsafe {
            libc::fstatat(self.raw(), c.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW)
        })?;
        Ok(st)
    }

    fn owned_by_root(&self, name: &std::ffi::OsStr) -> bool {
        self.stat(name).is_ok_and(|st| st.st_uid == 0)
    }

    /// This folder's identity (device, inode).
    #[allow(clippy::unnecessary_cast)] // dev_t and ino_t differ between systems
    pub fn id(&self) -> io::Result<super::tree::FileId> {
        // SAFETY: zeroed `stat` is a valid value of a plain C struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: the fd is open and `st` writable.
        check(unsafe { libc::fstat(self.raw(), &mut st) })?;
        Ok(super::tree::FileId(st.st_dev as u64, st.st_ino as u64))
    }

    /// Whether `name` here is the regular file `original` (by another name: a hard link).
    #[allow(clippy::unnecessary_cast)] // dev_t and ino_t differ between systems
    pub fn same_file(&self, name: &std::ffi::OsStr, original: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Ok(st) = self.stat(name) else {
            return false;
        };
        st.st_mode & libc::S_IFMT == libc::S_IFREG
            && std::fs::metadata(original)
                .is_ok_and(|m| m.dev() == st.st_dev as u64 && m.ino() == st.st_ino as u64)
    }

    /// What `name` is in this folder, never following it.
    pub fn entry(&self, name: &std::ffi::OsStr) -> io::Result<super::tree::Entry> {
        let st = self.stat(name)?;
        let fmt = st.st_mode & libc::S_IFMT;
        Ok(super::tree::Entry {
            is_link: fmt == libc::S_IFLNK,
            is_dir: fmt == libc::S_IFDIR,
            is_file: fmt == libc::S_IFREG,
        })
    }

    /// `mkdirat`: a new folder `name` (never replaces anything).
    pub fn make_dir(&self, name: &std::ffi::OsStr) -> io::Result<()> {
        let c = c_name(name)?;
        // SAFETY: the fd is open and `c` NUL-terminated.
        check(unsafe { libc::mkdirat(self.raw(), c.as_ptr(), 0o777) })
    }

    /// `fchmodat`: gives the folder `name`, just made here, the permission bits `mode`.
    pub fn set_mode(&self, name: &std::ffi::OsStr, mode: u32) -> io::Result<()> {
        let c = c_name(name)?;
        // Opened without following a link, then changed through the handle: a link swapped in
        // since the mkdir is refused, never chmod'ed through.
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: the fd is open and `c` NUL-terminated.
        let fd = unsafe { libc::openat(self.raw(), c.as_ptr(), flags) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and is closed below.
        let result = check(unsafe { libc::fchmod(fd, mode as libc::mode_t) });
        // SAFETY: `fd` is open and owned here.
        unsafe { libc::close(fd) };
        result
    }

    /// `unlinkat(AT_REMOVEDIR)`: removes the folder `name` if it is empty.
    pub fn remove_dir(&self, name: &std::ffi::OsStr) -> io::Result<()> {
        let c = c_name(name)?;
        // SAFETY: the fd is open and `c` NUL-terminated.
        check(unsafe { libc::unlinkat(self.raw(), c.as_ptr(), libc::AT_REMOVEDIR) })
    }

    /// `unlinkat`: removes the link (or file name) `name`, never what it points to.
    pub fn remove_link(&self, name: &std::ffi::OsStr, _flavour: Flavour) -> io::Result<()> {
        let c = c_name(name)?;
        // SAFETY: the fd is open and `c` NUL-terminated.
        check(unsafe { libc::unlinkat(self.raw(), c.as_ptr(), 0) })
    }

    /// A new link `name` in this folder holding `text` (`symlinkat`; never replaces anything).
    pub fn make_link(
        &self,
        name: &std::ffi::OsStr,
        text: &Path,
        flavour: Flavour,
    ) -> io::Result<()> {
        if flavour == Flavour::Junction {
            return Err(no_junctions());
        }
        let (name, text) = (c_name(name)?, c_name(text.as_os_str())?);
        // SAFETY: both strings are NUL-terminated and the fd is open.
        check(unsafe { libc::symlinkat(text.as_ptr(), self.raw(), name.as_ptr()) })
    }

    /// `linkat`: a new name `name` here for the file `original` (never replaces anything; a
    /// link at `original` is not followed).
    pub fn hard_link(&self, original: &Path, name: &std::ffi::OsStr) -> io::Result<()> {
        let (original, name) = (c_name(original.as_os_str())?, c_name(name)?);
        // SAFETY: both strings are NUL-terminated and the fd is open.
        check(unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                original.as_ptr(),
                self.raw(),
                name.as_ptr(),
                0,
            )
        })
    }

    pub fn read_link(&self, name: &std::ffi::OsStr) -> ReadLink {
        use std::os::unix::ffi::OsStringExt;
        let Ok(c) = c_name(name) else {
            return ReadLink::Failed(io::ErrorKind::InvalidInput.into());
        };
        let mut buf = [0u8; 4096];
        // SAFETY: the fd is open, `c` is NUL-terminated, and `buf` has `buf.len()` writable bytes.
        let n =
            unsafe { libc::readlinkat(self.raw(), c.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            return classify_read_link_error(io::Error::last_os_error());
        }
        let n = n as usize;
        if n == buf.len() {
            // Possibly truncated: ask again the long way.
            return match std::fs::read_link(self.dir.join(name)) {
                Ok(t) => ReadLink::Link(t),
                Err(e) => classify_read_link_error(e),
            };
        }
        ReadLink::Link(std::path::PathBuf::from(std::ffi::OsString::from_vec(
            buf[..n].to_vec(),
        )))
    }

    /// The flavour of the link `name` (none on Unix).
    pub fn link_flavour(&self, _name: &std::ffi::OsStr) -> io::Result<Option<Flavour>> {
        Ok(None)
    }

    /// Renames `name` to `to_name` in the folder `to`, never replacing anything there
    /// (`renameat2(RENAME_NOREPLACE)`; elsewhere, a look just before `renameat`).
    pub fn rename_new(
        &self,
        name: &std::ffi::OsStr,
        to: &Folder,
        to_name: &std::ffi::OsStr,
    ) -> io::Result<()> {
        let (c, to_c) = (c_name(name)?, c_name(to_name)?);
        #[cfg(any(target_os = "linux", target_os = "android"))]
        match renameat2(self, &c, to, &to_c, libc::RENAME_NOREPLACE) {
            Err(e) if unsupported(&e) => {}
            done => return done,
        }
        if to.entry(to_name).is_ok() {
            return Err(io::ErrorKind::AlreadyExists.into());
        }
        // SAFETY: both fds are open and both names NUL-terminated.
        check(unsafe { libc::renameat(self.raw(), c.as_ptr(), to.raw(), to_c.as_ptr()) })
    }

    /// Renames `temp` over `name` in this folder (`renameat`: there is no moment without
    /// something at `name`).
    pub fn replace(
        &self,
        temp: &std::ffi::OsStr,
        name: &std::ffi::OsStr,
        _old: Flavour,
    ) -> io::Result<()> {
        let (temp, name) = (c_name(temp)?, c_name(name)?);
        // SAFETY: the fd is open and both names NUL-terminated.
        check(unsafe { libc::renameat(self.raw(), temp.as_ptr(), self.raw(), name.as_ptr()) })
    }

    /// Swaps `a` and `b` in this folder atomically (Linux: `renameat2(RENAME_EXCHANGE)`);
    /// `Unsupported` where the kernel or filesystem cannot.
    pub fn exchange(&self, a: &std::ffi::OsStr, b: &std::ffi::OsStr) -> io::Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let (a, b) = (c_name(a)?, c_name(b)?);
            match renameat2(self, &a, self, &b, libc::RENAME_EXCHANGE) {
                Err(e) if unsupported(&e) => Err(io::ErrorKind::Unsupported.into()),
                done => done,
            }
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            let _ = (a, b);
            Err(io::ErrorKind::Unsupported.into())
        }
    }

    /// Copies the regular file `name` to a new file `to_name` in `to` (never following a link
    /// at either end), with its permissions, fsynced; then removes `name`. Across filesystems.
    pub fn move_file_by_copy(
        &self,
        name: &std::ffi::OsStr,
        to: &Folder,
        to_name: &std::ffi::OsStr,
    ) -> io::Result<()> {
        use std::os::fd::FromRawFd;
        use std::os::unix::fs::PermissionsExt;
        let (c, to_c) = (c_name(name)?, c_name(to_name)?);
        let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: the fd is open and `c` NUL-terminated; the result is checked and owned.
        let fd = unsafe { libc::openat(self.raw(), c.as_ptr(), flags) };
        check(fd)?;
        // SAFETY: `fd` was just opened and is owned by nothing else.
        let mut src = unsafe { std::fs::File::from_raw_fd(fd) };
        let meta = src.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::from(io::ErrorKind::CrossesDevices));
        }
        let flags =
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: as above; the mode is passed as the variadic argument `openat` expects.
        let fd = unsafe { libc::openat(to.raw(), to_c.as_ptr(), flags, 0o600 as libc::c_uint) };
        check(fd)?;
        // SAFETY: `fd` was just opened and is owned by nothing else.
        let mut dst = unsafe { std::fs::File::from_raw_fd(fd) };
        io::copy(&mut src, &mut dst)?;
        dst.set_permissions(std::fs::Permissions::from_mode(meta.permissions().mode()))?;
        dst.sync_all()?;
        self.remove_link(name, Flavour::File)
    }
}

pub fn probe_junction(_name: &Path, _target: &Path) -> Option<io::Result<()>> {
    None
}

pub fn developer_mode() -> Option<bool> {
    None
}

pub fn elevated() -> Option<bool> {
    None
}

pub fn elevation_type() -> Option<i32> {
    None
}

pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` has `buf.len()` writable bytes; the result is NUL-terminated on success
    // (the last byte is kept 0 in case the name was truncated).
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) } != 0 {
        return String::new();
    }
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..len]).into_owned()
}

/// Whether `path` is a file someone may execute (following a link, as a shell does).
pub fn is_program(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

pub fn file_id(path: &Path) -> io::Result<super::volume::FileId> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path)?;
    Ok(super::volume::FileId {
        volume: m.dev(),
        id: u128::from(m.ino()),
        wide: false,
    })
}

pub fn hard_link_refusal(_dir: &Path) -> Option<String> {
    // Unix answers EPERM or EXDEV when trying; the probe and the volume check find those.
    None
}

pub fn without_subst(path: &Path) -> std::path::PathBuf {
    path.to_path_buf()
}
