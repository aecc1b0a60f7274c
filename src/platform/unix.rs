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

/// A folder opened once (`O_PATH` where there is one), to read the links in it with
/// `readlinkat`: the kernel then resolves one name instead of the whole path per link.
pub struct Folder {
    fd: std::os::fd::OwnedFd,
    dir: std::path::PathBuf,
    buf: Vec<u8>,
}

impl Folder {
    pub fn open(dir: &Path) -> io::Result<Folder> {
        use std::os::fd::FromRawFd;
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;
        // SAFETY: `c` is a valid NUL-terminated string; the returned fd is checked and owned.
        let fd = unsafe { libc::open(c.as_ptr(), flags) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened by us and is not owned elsewhere.
        Ok(Folder {
            fd: unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) },
            dir: dir.to_path_buf(),
            buf: vec![0; 4096],
        })
    }

    /// A new link `name` in this folder holding `text` (`symlinkat`; never replaces anything).
    pub fn make_link(
        &mut self,
        name: &std::ffi::OsStr,
        text: &Path,
        flavour: Flavour,
    ) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        if flavour == Flavour::Junction {
            return Err(no_junctions());
        }
        use std::os::unix::ffi::OsStrExt;
        let bad = |_| io::Error::from(io::ErrorKind::InvalidInput);
        let name = std::ffi::CString::new(name.as_bytes()).map_err(bad)?;
        let text = std::ffi::CString::new(text.as_os_str().as_bytes()).map_err(bad)?;
        // SAFETY: both strings are NUL-terminated and the fd is open.
        let r = unsafe { libc::symlinkat(text.as_ptr(), self.fd.as_raw_fd(), name.as_ptr()) };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    pub fn read_link(&mut self, name: &std::ffi::OsStr) -> ReadLink {
        use std::os::fd::AsRawFd;
        use std::os::unix::ffi::{OsStrExt, OsStringExt};
        let Ok(c) = std::ffi::CString::new(name.as_bytes()) else {
            return ReadLink::Failed(io::ErrorKind::InvalidInput.into());
        };
        let buf = &mut self.buf;
        // SAFETY: the fd is open, `c` is NUL-terminated, and `buf` has `buf.len()` writable bytes.
        let n = unsafe {
            libc::readlinkat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
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
