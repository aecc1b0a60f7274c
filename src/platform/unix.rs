//! Unix link primitives.

use std::io;
use std::path::Path;

use rustix::fs;
use rustix::io::Errno;

use super::{Flavour, ReadLink};

pub(super) fn classify_read_link_error(e: io::Error) -> ReadLink {
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

pub(super) fn create_symlink(text: &Path, at: &Path, flavour: Flavour) -> io::Result<()> {
    if flavour == Flavour::Junction {
        return Err(no_junctions());
    }
    std::os::unix::fs::symlink(text, at)
}

pub(super) fn remove_link(at: &Path, _flavour: Flavour) -> io::Result<()> {
    // unlink(2) removes the link itself, whatever it points to.
    std::fs::remove_file(at)
}

pub(super) fn replace_link(temp: &Path, at: &Path, _flavour: Flavour) -> io::Result<()> {
    // rename(2) replaces the old link atomically: there is no moment without a link at `at`.
    std::fs::rename(temp, at)
}

pub(super) fn link_flavour(_path: &Path) -> io::Result<Option<Flavour>> {
    Ok(None)
}

pub(super) fn on_network_drive(_path: &Path) -> bool {
    false
}

pub(super) fn volume_of(path: &Path) -> io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata(path)?.dev())
}

pub(super) fn writable_folder(dir: &Path) -> io::Result<()> {
    let c = c_name(dir.as_os_str())?;
    Ok(fs::access(c.as_c_str(), fs::Access::WRITE_OK)?)
}

pub(super) fn is_mount_point(dir: &Path, meta: &std::fs::Metadata) -> bool {
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
const FOLDER_FLAGS: fs::OFlags = fs::OFlags::PATH
    .union(fs::OFlags::DIRECTORY)
    .union(fs::OFlags::CLOEXEC);
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const FOLDER_FLAGS: fs::OFlags = fs::OFlags::RDONLY
    .union(fs::OFlags::DIRECTORY)
    .union(fs::OFlags::CLOEXEC);

/// A name as the system calls take it; a NUL inside is `InvalidInput`.
fn c_name(name: &std::ffi::OsStr) -> io::Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(name.as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

/// Whether a `renameat2` error says the kernel or filesystem lacks the flag asked for.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn unsupported(e: Errno) -> bool {
    e == Errno::INVAL || e == Errno::NOSYS || e == Errno::OPNOTSUPP
}

impl Folder {
    /// Opens `dir` by its path, following links on the way (the system's, above a home).
    pub fn open(dir: &Path) -> io::Result<Folder> {
        let c = c_name(dir.as_os_str())?;
        let fd = fs::open(c.as_c_str(), FOLDER_FLAGS, fs::Mode::empty())?;
        Ok(Folder {
            fd,
            dir: dir.to_path_buf(),
        })
    }

    /// The path this folder was opened by.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The folder `name` in this one, never following a link: a link there is
    /// [`super::tree::link_on_the_way`].
    pub fn open_child(&self, name: &std::ffi::OsStr) -> io::Result<Folder> {
        let c = c_name(name)?;
        let flags = FOLDER_FLAGS | fs::OFlags::NOFOLLOW;
        match fs::openat(&self.fd, c.as_c_str(), flags, fs::Mode::empty()) {
            Ok(fd) => Ok(Folder {
                fd,
                dir: self.dir.join(name),
            }),
            // ELOOP (a link, O_NOFOLLOW) or ENOTDIR (O_PATH opens the link itself, then is
            // refused as no folder): tell a link from a file.
            Err(e) if e == Errno::LOOP || e == Errno::NOTDIR => match self.entry(name) {
                Ok(super::tree::Entry { is_link: true, .. }) => {
                    Err(super::tree::link_on_the_way(&self.dir.join(name)))
                }
                _ => Err(e.into()),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// The folder `name` in this one, following it if it is a link owned by root (the
    /// system's, like macOS's `/etc -> private/etc`); a link anyone else owns is refused.
    pub fn open_system_child(&self, name: &std::ffi::OsStr) -> io::Result<Folder> {
        match self.open_child(name) {
            Err(e) if super::tree::is_link_on_the_way(&e) && self.owned_by_root(name) => {
                let c = c_name(name)?;
                let fd = fs::openat(&self.fd, c.as_c_str(), FOLDER_FLAGS, fs::Mode::empty())?;
                Ok(Folder {
                    fd,
                    dir: self.dir.join(name),
                })
            }
            other => other,
        }
    }

    fn stat(&self, name: &std::ffi::OsStr) -> io::Result<fs::Stat> {
        let c = c_name(name)?;
        Ok(fs::statat(
            &self.fd,
            c.as_c_str(),
            fs::AtFlags::SYMLINK_NOFOLLOW,
        )?)
    }

    fn owned_by_root(&self, name: &std::ffi::OsStr) -> bool {
        self.stat(name).is_ok_and(|st| st.st_uid == 0)
    }

    /// This folder's identity (device, inode).
    #[allow(clippy::unnecessary_cast)] // dev_t and ino_t differ between systems
    pub fn id(&self) -> io::Result<super::tree::FileId> {
        let st = fs::fstat(&self.fd)?;
        Ok(super::tree::FileId(st.st_dev as u64, st.st_ino as u64))
    }

    /// Whether `name` here is the regular file `original` (by another name: a hard link).
    #[allow(clippy::unnecessary_cast)] // dev_t and ino_t differ between systems
    pub fn same_file(&self, name: &std::ffi::OsStr, original: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Ok(st) = self.stat(name) else {
            return false;
        };
        fs::FileType::from_raw_mode(st.st_mode) == fs::FileType::RegularFile
            && std::fs::metadata(original)
                .is_ok_and(|m| m.dev() == st.st_dev as u64 && m.ino() == st.st_ino as u64)
    }

    /// What `name` is in this folder, never following it.
    pub fn entry(&self, name: &std::ffi::OsStr) -> io::Result<super::tree::Entry> {
        let kind = fs::FileType::from_raw_mode(self.stat(name)?.st_mode);
        Ok(super::tree::Entry {
            is_link: kind == fs::FileType::Symlink,
            is_dir: kind == fs::FileType::Directory,
            is_file: kind == fs::FileType::RegularFile,
        })
    }

    /// `mkdirat`: a new folder `name` (never replaces anything).
    pub fn make_dir(&self, name: &std::ffi::OsStr) -> io::Result<()> {
        let c = c_name(name)?;
        Ok(fs::mkdirat(
            &self.fd,
            c.as_c_str(),
            fs::Mode::from_raw_mode(0o777),
        )?)
    }

    /// `fchmodat`: gives the folder `name`, just made here, the permission bits `mode`.
    pub fn set_mode(&self, name: &std::ffi::OsStr, mode: u32) -> io::Result<()> {
        let c = c_name(name)?;
        // Opened without following a link, then changed through the handle: a link swapped in
        // since the mkdir is refused, never chmod'ed through.
        let flags =
            fs::OFlags::RDONLY | fs::OFlags::DIRECTORY | fs::OFlags::NOFOLLOW | fs::OFlags::CLOEXEC;
        let fd = fs::openat(&self.fd, c.as_c_str(), flags, fs::Mode::empty())?;
        #[allow(clippy::unnecessary_cast)] // mode_t is u16 on some systems
        Ok(fs::fchmod(
            &fd,
            fs::Mode::from_raw_mode(mode as fs::RawMode),
        )?)
    }

    /// `unlinkat(AT_REMOVEDIR)`: removes the folder `name` if it is empty.
    pub fn remove_dir(&self, name: &std::ffi::OsStr) -> io::Result<()> {
        let c = c_name(name)?;
        Ok(fs::unlinkat(
            &self.fd,
            c.as_c_str(),
            fs::AtFlags::REMOVEDIR,
        )?)
    }

    /// `unlinkat`: removes the link (or file name) `name`, never what it points to.
    pub fn remove_link(&self, name: &std::ffi::OsStr, _flavour: Flavour) -> io::Result<()> {
        let c = c_name(name)?;
        Ok(fs::unlinkat(&self.fd, c.as_c_str(), fs::AtFlags::empty())?)
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
        Ok(fs::symlinkat(text.as_c_str(), &self.fd, name.as_c_str())?)
    }

    /// `linkat`: a new name `name` here for the file `original` (never replaces anything; a
    /// link at `original` is not followed).
    pub fn hard_link(&self, original: &Path, name: &std::ffi::OsStr) -> io::Result<()> {
        let (original, name) = (c_name(original.as_os_str())?, c_name(name)?);
        Ok(fs::linkat(
            fs::CWD,
            original.as_c_str(),
            &self.fd,
            name.as_c_str(),
            fs::AtFlags::empty(),
        )?)
    }

    pub fn read_link(&self, name: &std::ffi::OsStr) -> ReadLink {
        use std::os::unix::ffi::{OsStrExt, OsStringExt};
        // A NUL would end the name early (the kernel's EINVAL would read as "not a link").
        if name.as_bytes().contains(&0) {
            return ReadLink::Failed(io::ErrorKind::InvalidInput.into());
        }
        // Most texts fit a buffer on the stack: one allocation, the text's own. rustix makes
        // the name's C string on the stack too.
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 1024];
        match fs::readlinkat_raw(&self.fd, name, &mut buf) {
            Ok((text, rest)) if !rest.is_empty() => {
                ReadLink::Link(std::path::PathBuf::from(std::ffi::OsStr::from_bytes(text)))
            }
            // It may have been cut: rustix grows its buffer until the whole text fits.
            Ok(_) => match fs::readlinkat(&self.fd, name, Vec::new()) {
                Ok(text) => ReadLink::Link(std::path::PathBuf::from(std::ffi::OsString::from_vec(
                    text.into_bytes(),
                ))),
                Err(e) => classify_read_link_error(e.into()),
            },
            Err(e) => classify_read_link_error(e.into()),
        }
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
        match fs::renameat_with(
            &self.fd,
            c.as_c_str(),
            &to.fd,
            to_c.as_c_str(),
            fs::RenameFlags::NOREPLACE,
        ) {
            Err(e) if unsupported(e) => {}
            done => return Ok(done?),
        }
        if to.entry(to_name).is_ok() {
            return Err(io::ErrorKind::AlreadyExists.into());
        }
        Ok(fs::renameat(
            &self.fd,
            c.as_c_str(),
            &to.fd,
            to_c.as_c_str(),
        )?)
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
        Ok(fs::renameat(
            &self.fd,
            temp.as_c_str(),
            &self.fd,
            name.as_c_str(),
        )?)
    }

    /// Swaps `a` and `b` in this folder atomically (Linux: `renameat2(RENAME_EXCHANGE)`);
    /// `Unsupported` where the kernel or filesystem cannot.
    pub fn exchange(&self, a: &std::ffi::OsStr, b: &std::ffi::OsStr) -> io::Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let (a, b) = (c_name(a)?, c_name(b)?);
            let flags = fs::RenameFlags::EXCHANGE;
            match fs::renameat_with(&self.fd, a.as_c_str(), &self.fd, b.as_c_str(), flags) {
                Err(e) if unsupported(e) => Err(io::ErrorKind::Unsupported.into()),
                done => Ok(done?),
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
        use std::os::unix::fs::PermissionsExt;
        let (c, to_c) = (c_name(name)?, c_name(to_name)?);
        let flags = fs::OFlags::RDONLY | fs::OFlags::NOFOLLOW | fs::OFlags::CLOEXEC;
        let mut src = std::fs::File::from(fs::openat(
            &self.fd,
            c.as_c_str(),
            flags,
            fs::Mode::empty(),
        )?);
        let meta = src.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::from(io::ErrorKind::CrossesDevices));
        }
        let flags = fs::OFlags::WRONLY
            | fs::OFlags::CREATE
            | fs::OFlags::EXCL
            | fs::OFlags::NOFOLLOW
            | fs::OFlags::CLOEXEC;
        let mode = fs::Mode::from_raw_mode(0o600);
        let mut dst = std::fs::File::from(fs::openat(&to.fd, to_c.as_c_str(), flags, mode)?);
        io::copy(&mut src, &mut dst)?;
        dst.set_permissions(std::fs::Permissions::from_mode(meta.permissions().mode()))?;
        dst.sync_all()?;
        self.remove_link(name, Flavour::File)
    }
}

pub(super) fn probe_junction(_name: &Path, _target: &Path) -> Option<io::Result<()>> {
    None
}

pub(super) fn developer_mode() -> Option<bool> {
    None
}

pub(super) fn elevated() -> Option<bool> {
    None
}

pub(super) fn elevation_type() -> Option<i32> {
    None
}

pub(super) fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// Whether `path` is a file someone may execute (following a link, as a shell does).
pub(super) fn is_program(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

pub(super) fn file_id(path: &Path) -> io::Result<super::volume::FileId> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path)?;
    Ok(super::volume::FileId {
        volume: m.dev(),
        id: u128::from(m.ino()),
        wide: false,
    })
}

pub(super) fn hard_link_refusal(_dir: &Path) -> Option<String> {
    // Unix answers EPERM or EXDEV when trying; the probe and the volume check find those.
    None
}

pub(super) fn without_subst(path: &Path) -> std::path::PathBuf {
    path.to_path_buf()
}

/// Keeps allocations of 2 MiB and more mapped on their own, so that each goes back to the
/// system when freed. By default glibc maps blocks from 128 KiB until the first is freed, then
/// raises its threshold to that block's size (up to 32 MiB): later large vectors come from the
/// heap, where freeing one leaves a hole the process keeps. A plan of 100,000 links peaked at
/// 99 MB for it, 81 MB with this (`/usr/bin/time -f %M`); 2 MiB rather than 128 KiB, because
/// at 10,000 links the smaller threshold mapped (and faulted in) every vector afresh: 3,594
/// page faults against 2,795. Set once, before any thread starts; other C libraries (musl,
/// macOS) do not move a threshold.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(super) fn tune_allocator() {
    // glibc's M_MMAP_THRESHOLD: setting it also turns the adjustment off.
    const M_MMAP_THRESHOLD: i32 = -3;
    const THRESHOLD: i32 = 2 * 1024 * 1024;
    unsafe extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
    }
    // SAFETY: mallopt only sets a parameter of glibc's allocator, which this binary uses, and is
    // called by the main thread before any other thread exists.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, THRESHOLD);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(super) fn tune_allocator() {}
