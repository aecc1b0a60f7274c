//! linkfile's state folder, trusted only when it is the user's own, and read and written without
//! ever following a link in it.
//!
//! [`check_chain`] is the ssh-style check made before anything is read: the state folder and
//! every folder above it (up to the home when the state is inside it, else up to `/`) must be
//! the user's or root's, and not writable by group or others. A folder *above* the state folder
//! may be world-writable when it is sticky (as `/tmp` is): the sticky bit keeps others from
//! renaming or removing an entry they do not own, and the entry below it is checked in turn. The
//! state folder itself and the folders in it may never be: others could plant files in them.
//!
//! [`Dir`] is a folder of the state opened as a handle (`openat` with `O_NOFOLLOW`): each name in
//! it is opened relative to the handle and never through a link, temporary files are created
//! exclusively (`O_EXCL`) under unpredictable names, and every folder opened is checked again
//! by `fstat` (owner, mode), so one swapped in after the check is refused as well.
//!
//! Windows: ownership and ACLs are not checked (documented in the README); names are still
//! looked at with `symlink_metadata` before use and temporary files created exclusively.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Distrust, Error};

fn state_err(path: &Path, source: io::Error) -> Error {
    Error::State {
        path: path.to_path_buf(),
        source,
    }
}

fn untrusted(path: &Path, why: Distrust) -> Error {
    Error::UntrustedState {
        path: path.to_path_buf(),
        why,
    }
}

/// An error for a name that is a link where linkfile expects its own file or folder.
fn is_a_link(path: &Path) -> Error {
    untrusted(path, Distrust::IsALink)
}

/// Checks that the state folder `root` (made or not) is the user's own, as ssh checks `~/.ssh`.
/// `home` ends the walk when the state lies inside it.
pub(crate) fn check_chain(root: &Path, home: &Path) -> Result<(), Error> {
    imp::check_chain(root, home)
}

/// What opening a folder or lock file of the state does when it is not there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IfMissing {
    /// Make it (folders for the user alone, with their parents).
    Make,
    /// Answer `Ok(None)`.
    ReturnNone,
}

/// A folder of the state, opened without following a link.
#[derive(Debug)]
pub(crate) struct Dir {
    path: PathBuf,
    #[cfg(unix)]
    fd: std::os::fd::OwnedFd,
}

impl Dir {
    /// Opens the folder `path` (made for the user alone, with its parents, when `missing` says
    /// so): by its real path, its last name never followed if it is swapped for a link
    /// meanwhile. `Ok(None)` when it does not exist and is not to be made.
    pub(crate) fn open(path: &Path, missing: IfMissing) -> Result<Option<Dir>, Error> {
        if missing == IfMissing::Make {
            make_private_dirs(path).map_err(|e| state_err(path, e))?;
        }
        let real = match std::fs::canonicalize(path) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(state_err(path, e)),
        };
        imp::open_dir(None, &real, path)
    }

    /// The folder `name` in this one (made when `missing` says so); `Ok(None)` when it does not
    /// exist.
    pub(crate) fn child(&self, name: &str, missing: IfMissing) -> Result<Option<Dir>, Error> {
        let path = self.path.join(name);
        if missing == IfMissing::Make {
            match imp::make_dir(self, name) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(state_err(&path, e)),
            }
        }
        imp::open_dir(Some(self), Path::new(name), &path)
    }

    /// The bytes of the file `name`; `Ok(None)` when there is none. A link, a folder or a FIFO
    /// there is an error, never followed, read through or waited on.
    pub(crate) fn read(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        let Some(mut file) = self.open_read(name)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| state_err(&self.path.join(name), e))?;
        Ok(Some(bytes))
    }

    /// The file `name`, opened for reading as [`Dir::read`] opens it; `Ok(None)` when there is
    /// none.
    pub(crate) fn open_read(&self, name: &str) -> Result<Option<File>, Error> {
        match imp::open_file(self, name, Open::Read) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.file_err(name, e)),
        }
    }

    /// Writes `bytes` as the file `name`: to a temporary file made exclusively under an
    /// unpredictable name, fsynced, renamed into place, and the folder fsynced. Readers see the
    /// old or the new content, never a torn one; a link planted anywhere is never written
    /// through (the rename replaces a link at `name` itself, not what it points to).
    pub(crate) fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        self.write_atomic_as(name, bytes, None)
    }

    /// As [`Dir::write_atomic`], the file given `perms` (through its handle) before it takes
    /// its name: for a file that will replace another, with that one's mode.
    pub(crate) fn write_atomic_as(
        &self,
        name: &str,
        bytes: &[u8],
        perms: Option<std::fs::Permissions>,
    ) -> Result<(), Error> {
        let path = self.path.join(name);
        let (temp, mut file) = self.create_temp(name)?;
        let mut write = || -> io::Result<()> {
            file.write_all(bytes)?;
            if let Some(perms) = perms.clone() {
                file.set_permissions(perms)?;
            }
            file.sync_all()?;
            imp::rename(self, &temp, name)?;
            imp::sync(self)
        };
        write().map_err(|e| {
            let _ = imp::remove_file(self, &temp);
            state_err(&path, e)
        })
    }

    /// Removes the file (or link) `name`; a missing one is fine.
    pub(crate) fn remove_file(&self, name: &str) -> Result<(), Error> {
        match imp::remove_file(self, name) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(state_err(&self.path.join(name), e))
            }
            _ => Ok(()),
        }
    }

    /// Removes the empty folder `name`; a missing one is fine.
    pub(crate) fn remove_dir(&self, name: &str) -> Result<(), Error> {
        match imp::remove_dir(self, name) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(state_err(&self.path.join(name), e))
            }
            _ => Ok(()),
        }
    }

    /// Renames `from` to `to`, both names in this folder.
    pub(crate) fn rename(&self, from: &str, to: &str) -> Result<(), Error> {
        imp::rename(self, from, to).map_err(|e| state_err(&self.path.join(from), e))?;
        imp::sync(self).map_err(|e| state_err(&self.path, e))
    }

    /// The lock file `name`, opened for reading and writing (made when `missing` says so), or
    /// for reading only when it is not to be made; never through a link and only when it is a
    /// regular file.
    pub(crate) fn lock_file(&self, name: &str, missing: IfMissing) -> Result<Option<File>, Error> {
        let how = match missing {
            IfMissing::Make => Open::Lock,
            IfMissing::ReturnNone => Open::Read,
        };
        match imp::open_file(self, name, how) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.file_err(name, e)),
        }
    }

    fn file_err(&self, name: &str, e: io::Error) -> Error {
        let path = self.path.join(name);
        if imp::is_loop(&e) {
            is_a_link(&path)
        } else {
            state_err(&path, e)
        }
    }

    /// A new file beside `name`, made exclusively under a name no other user can guess.
    fn create_temp(&self, name: &str) -> Result<(String, File), Error> {
        let mut last = None;
        for _ in 0..16 {
            let temp = format!(".{name}.{}-{:016x}.tmp", std::process::id(), unguessable());
            match imp::open_file(self, &temp, Open::CreateNew) {
                Ok(f) => return Ok((temp, f)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(self.file_err(&temp, e)),
            }
        }
        Err(state_err(
            &self.path.join(name),
            last.unwrap_or_else(|| io::Error::other("no free temporary name")),
        ))
    }
}

/// How a file of the state is opened.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    /// For reading (and, for the lock, locking).
    Read,
    /// Read and write, made if missing: the lock.
    Lock,
    /// Written, made exclusively: a temporary file.
    CreateNew,
}

/// 64 bits another user cannot predict: std's `RandomState` draws its SipHash keys from the
/// OS's random source (getrandom, BCryptGenRandom), and hashing the time and a counter with them
/// gives a fresh value per call without a new dependency or a file to read.
fn unguessable() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNT.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// Makes `path` and its missing parents, each for the user alone (0700 on Unix, whatever the
/// umask: a group-writable umask would otherwise make a folder this check then refuses).
fn make_private_dirs(path: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(path)
}

fn name_of(path: &Path) -> &OsStr {
    path.file_name().unwrap_or(path.as_os_str())
}

#[cfg(unix)]
mod imp {
    use rustix::fs::{self, AtFlags, Mode, OFlags};
    use rustix::io::Errno;
    use std::ffi::CString;
    use std::fs::File;
    use std::io;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::MetadataExt;
    use std::path::Path;

    use super::{Dir, Open, is_a_link, state_err, untrusted};
    use crate::error::{Distrust, Error, Writers};

    fn cstr(p: &Path) -> io::Result<CString> {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    }

    pub(super) fn is_loop(e: &io::Error) -> bool {
        // O_NOFOLLOW on a link: ELOOP (EMLINK on FreeBSD, EFTYPE on NetBSD).
        let code = e.raw_os_error();
        code == Some(Errno::LOOP.raw_os_error()) || code == Some(Errno::MLINK.raw_os_error())
    }

    fn euid() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    /// Why a folder of the state (`own`) or above it is not to be trusted, if it is not.
    fn distrust(path: &Path, uid: u32, mode: u32, own: bool) -> Option<Error> {
        let me = euid();
        if uid != me && uid != 0 {
            return Some(untrusted(path, Distrust::OtherOwner { uid, me }));
        }
        // S_ISVTX, spelled out: its libc type differs between systems.
        let sticky = mode & 0o1000 != 0;
        if mode & 0o022 != 0 && (own || !sticky) {
            let by = if mode & 0o002 != 0 {
                Writers::Anyone
            } else {
                Writers::Group
            };
            let mode = mode & 0o7777;
            return Some(untrusted(path, Distrust::Writable { by, mode }));
        }
        None
    }

    pub(super) fn check_chain(root: &Path, home: &Path) -> Result<(), Error> {
        let me = euid();
        // A link on the way is followed as its owner says: it must be the user's or root's.
        for a in root.ancestors() {
            if let Ok(m) = std::fs::symlink_metadata(a)
                && m.file_type().is_symlink()
                && m.uid() != me
                && m.uid() != 0
            {
                return Err(untrusted(a, Distrust::OthersLink { uid: m.uid() }));
            }
        }
        let real_root = crate::containment::real_path(root);
        let real_home = crate::containment::real_path(home);
        // Real paths, as the filesystem spells them: compared byte for byte, as a system that
        // folds no case compares them.
        let exact = crate::platform::Os::LINUX;
        let in_home = crate::paths::within(&real_root, &real_home, exact);
        for dir in real_root.ancestors() {
            let Ok(m) = std::fs::symlink_metadata(dir) else {
                continue;
            };
            let own = crate::paths::within(dir, &real_root, exact);
            if let Some(e) = distrust(dir, m.uid(), m.mode(), own) {
                return Err(e);
            }
            if in_home && dir == real_home {
                break;
            }
        }
        Ok(())
    }

    pub(super) fn open_dir(
        at: Option<&Dir>,
        name: &Path,
        shown: &Path,
    ) -> Result<Option<Dir>, Error> {
        let c = cstr(name).map_err(|e| state_err(shown, e))?;
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let opened = match at {
            Some(d) => fs::openat(&d.fd, c.as_c_str(), flags, Mode::empty()),
            None => fs::openat(fs::CWD, c.as_c_str(), flags, Mode::empty()),
        };
        let fd = match opened.map_err(io::Error::from) {
            Ok(fd) => fd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) if is_loop(&e) || e.raw_os_error() == Some(Errno::NOTDIR.raw_os_error()) => {
                return match std::fs::symlink_metadata(shown) {
                    Ok(m) if m.file_type().is_symlink() => Err(is_a_link(shown)),
                    _ => Err(state_err(shown, e)),
                };
            }
            Err(e) => return Err(state_err(shown, e)),
        };
        let m = File::from(fd.try_clone().map_err(|e| state_err(shown, e))?)
            .metadata()
            .map_err(|e| state_err(shown, e))?;
        if let Some(e) = distrust(shown, m.uid(), m.mode(), true) {
            return Err(e);
        }
        Ok(Some(Dir {
            path: shown.to_path_buf(),
            fd,
        }))
    }

    pub(super) fn make_dir(dir: &Dir, name: &str) -> io::Result<()> {
        let c = cstr(Path::new(name))?;
        Ok(fs::mkdirat(
            &dir.fd,
            c.as_c_str(),
            Mode::from_raw_mode(0o700),
        )?)
    }

    pub(super) fn open_file(dir: &Dir, name: &str, how: Open) -> io::Result<File> {
        let c = cstr(Path::new(name))?;
        let base = OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let flags = match how {
            // Never blocks on a FIFO planted there: it is refused below.
            Open::Read => base | OFlags::RDONLY | OFlags::NONBLOCK,
            Open::Lock => base | OFlags::RDWR | OFlags::CREATE | OFlags::NONBLOCK,
            Open::CreateNew => base | OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
        };
        let file = File::from(fs::openat(
            &dir.fd,
            c.as_c_str(),
            flags,
            Mode::from_raw_mode(0o600),
        )?);
        if !file.metadata()?.is_file() {
            return Err(io::Error::other("it is not a regular file"));
        }
        if how != Open::CreateNew {
            // Back to blocking reads and writes on the regular file it is.
            let flags = fs::fcntl_getfl(&file)?;
            fs::fcntl_setfl(&file, flags - OFlags::NONBLOCK)?;
        }
        Ok(file)
    }

    pub(super) fn rename(dir: &Dir, from: &str, to: &str) -> io::Result<()> {
        let (f, t) = (cstr(Path::new(from))?, cstr(Path::new(to))?);
        Ok(fs::renameat(&dir.fd, f.as_c_str(), &dir.fd, t.as_c_str())?)
    }

    pub(super) fn remove_file(dir: &Dir, name: &str) -> io::Result<()> {
        let c = cstr(Path::new(name))?;
        Ok(fs::unlinkat(&dir.fd, c.as_c_str(), AtFlags::empty())?)
    }

    pub(super) fn remove_dir(dir: &Dir, name: &str) -> io::Result<()> {
        let c = cstr(Path::new(name))?;
        Ok(fs::unlinkat(&dir.fd, c.as_c_str(), AtFlags::REMOVEDIR)?)
    }

    pub(super) fn sync(dir: &Dir) -> io::Result<()> {
        File::from(dir.fd.try_clone()?).sync_all()
    }
}

#[cfg(not(unix))]
mod imp {
    //! Path-based: each name is looked at with `symlink_metadata` before use (a narrower check
    //! than a handle; ownership is not checked).
    use std::fs::{self, File, OpenOptions};
    use std::io;
    use std::path::Path;

    use super::{Dir, Open, is_a_link, state_err};
    use crate::error::Error;

    pub(super) fn is_loop(e: &io::Error) -> bool {
        e.kind() == io::ErrorKind::Other && e.to_string().contains("is a link")
    }

    fn not_a_link(p: &Path) -> io::Result<()> {
        match fs::symlink_metadata(p) {
            Ok(m) if m.file_type().is_symlink() => Err(io::Error::other("is a link")),
            _ => Ok(()),
        }
    }

    pub(super) fn check_chain(_root: &Path, _home: &Path) -> Result<(), Error> {
        Ok(())
    }

    pub(super) fn open_dir(
        at: Option<&Dir>,
        name: &Path,
        shown: &Path,
    ) -> Result<Option<Dir>, Error> {
        let path = at.map_or(name.to_path_buf(), |d| d.path.join(name));
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => Err(is_a_link(shown)),
            Ok(m) if m.is_dir() => Ok(Some(Dir {
                path: shown.to_path_buf(),
            })),
            Ok(_) => Err(state_err(shown, io::Error::other("it is not a folder"))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(state_err(shown, e)),
        }
    }

    pub(super) fn make_dir(dir: &Dir, name: &str) -> io::Result<()> {
        fs::create_dir(dir.path.join(name))
    }

    pub(super) fn open_file(dir: &Dir, name: &str, how: Open) -> io::Result<File> {
        let p = dir.path.join(name);
        not_a_link(&p)?;
        let file = match how {
            Open::Read => File::open(&p)?,
            Open::Lock => OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&p)?,
            Open::CreateNew => OpenOptions::new().write(true).create_new(true).open(&p)?,
        };
        if !file.metadata()?.is_file() {
            return Err(io::Error::other("it is not a regular file"));
        }
        Ok(file)
    }

    pub(super) fn rename(dir: &Dir, from: &str, to: &str) -> io::Result<()> {
        fs::rename(dir.path.join(from), dir.path.join(to))
    }

    pub(super) fn remove_file(dir: &Dir, name: &str) -> io::Result<()> {
        fs::remove_file(dir.path.join(name))
    }

    pub(super) fn remove_dir(dir: &Dir, name: &str) -> io::Result<()> {
        fs::remove_dir(dir.path.join(name))
    }

    pub(super) fn sync(_dir: &Dir) -> io::Result<()> {
        Ok(())
    }
}

/// The state folder of `path`'s parent, and `path`'s name in it, for callers that name a state
/// file by its full path.
pub(crate) fn split(path: &Path) -> Result<(Dir, String), Error> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let dir = Dir::open(parent, IfMissing::Make)?
        .ok_or_else(|| state_err(parent, io::Error::from(io::ErrorKind::NotFound)))?;
    Ok((dir, name_of(path).to_string_lossy().into_owned()))
}
