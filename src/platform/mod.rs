//! The only place that knows Unix from Windows: link primitives, how the OS says "not a link",
//! and what to tell the user when the OS refuses.
//!
//! Everything else calls these functions and never `std::os::*` directly. The explanations of OS
//! errors ([`explain`]) are pure functions of the raw error code and the platform, so they are
//! unit-tested on every platform.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::manifest::{EntryKind, LinkType};

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;

pub mod case;
pub mod explain;
pub mod os;
pub mod reparse;
pub mod special;
pub mod tree;
pub mod volume;
pub use os::Os;

/// Whether symlinks have a file/directory flavour that must match the original (Windows).
pub const LINKS_HAVE_FLAVOUR: bool = cfg!(windows);

/// Whether a rename puts a link over a folder link (a directory symlink or junction) in one
/// call. Windows refuses (MoveFileEx answers 5, or 183 when the flavours differ): the old link
/// is moved aside first (see `steps::replace_aside`).
pub const RENAME_REPLACES_FOLDER_LINKS: bool = !cfg!(windows);

/// Whether folders have Unix permission bits (`dir_mode`); Windows folders have ACLs.
pub const FOLDER_MODES: bool = cfg!(unix);

/// The environment variable that names the home folder.
pub const HOME_VAR: &str = if cfg!(windows) { "USERPROFILE" } else { "HOME" };

/// What kind of link a link is, where the OS tells them apart (Windows: file symlink,
/// directory symlink, junction). The names match [`EntryKind`]'s for the first two, so records
/// written before junctions existed read the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavour {
    /// A file symlink.
    File,
    /// A directory symlink (`mklink /D`).
    Dir,
    /// A junction (`mklink /J`): a folder's reparse point holding an absolute path.
    Junction,
}

impl Flavour {
    /// The flavour a link of `link_type` to an original of `kind` must have.
    pub fn of(kind: EntryKind, link_type: LinkType) -> Flavour {
        match (link_type, kind) {
            (LinkType::Junction, _) => Flavour::Junction,
            (_, EntryKind::File) => Flavour::File,
            (_, EntryKind::Dir) => Flavour::Dir,
        }
    }

    /// Whether the link is removed as a folder (RemoveDirectoryW semantics on Windows).
    pub fn is_folder(self) -> bool {
        self != Flavour::File
    }
}

/// What `read_link` on a path said.
#[derive(Debug)]
pub enum ReadLink {
    /// A symlink (or junction) with this text (Windows: `\\?\C:\…` read back as `C:\…`).
    Link(std::path::PathBuf),
    /// A volume mounted on a folder (Windows volume mount point, Unix mount point): never
    /// touched.
    MountPoint,
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
        Ok(text) => link_text(text),
        Err(e) => read_link_failed(e, path),
    }
}

#[cfg(unix)]
fn read_link_failed(e: io::Error, _path: &Path) -> ReadLink {
    imp::classify_read_link_error(e)
}

#[cfg(windows)]
fn read_link_failed(e: io::Error, path: &Path) -> ReadLink {
    imp::classify_read_link_error(e, path)
}

/// What a link's text read back means. Windows reads the target of a junction, and of a
/// symlink with an absolute text, back in the verbatim form (`\\?\C:\x`): it is compared in
/// its plain form (`C:\x`), never verbatim with plain; a volume GUID path is a volume mount point.
pub fn link_text(text: PathBuf) -> ReadLink {
    if !cfg!(windows) {
        return ReadLink::Link(text);
    }
    match plain_form(&text.to_string_lossy()) {
        Plain::Same => ReadLink::Link(text),
        Plain::Path(p) => ReadLink::Link(PathBuf::from(p)),
        Plain::Volume => ReadLink::MountPoint,
    }
}

/// A Windows link text in plain form.
#[derive(Debug, PartialEq, Eq)]
pub enum Plain {
    /// Already plain.
    Same,
    /// Its plain form.
    Path(String),
    /// A volume (`\\?\Volume{…}\`): the reparse point is a volume mount point.
    Volume,
}

/// The plain form of a Windows path text (pure, tested on every platform).
pub fn plain_form(text: &str) -> Plain {
    let Some(rest) = text
        .strip_prefix(r"\\?\")
        .or_else(|| text.strip_prefix(r"\??\"))
    else {
        return Plain::Same;
    };
    let b = rest.as_bytes();
    if rest
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("Volume{"))
    {
        Plain::Volume
    } else if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        Plain::Path(rest.to_string())
    } else if let Some(share) = rest
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case(r"UNC\"))
        .and(rest.get(4..))
    {
        Plain::Path(format!(r"\\{share}"))
    } else {
        Plain::Same
    }
}

/// Whether a Windows path text names a network share by its form alone (`\\server\share`);
/// `None` when only the OS can tell (a drive letter may be a mapped network drive).
pub fn network_by_form(text: &str) -> Option<bool> {
    // Windows reads `/` as `\`: `//server/share` is a UNC path too.
    let text = &text.replace('/', "\\");
    let b = text.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return None;
    }
    match plain_form(text) {
        Plain::Path(p) if p.starts_with(r"\\") => Some(true),
        Plain::Path(_) => None,
        Plain::Volume => Some(false),
        Plain::Same => Some(text.starts_with(r"\\") && !text.starts_with(r"\\.\")),
    }
}

/// Whether `path` is on a network drive (Windows: a UNC path or a mapped drive; elsewhere
/// junctions do not exist and this is never asked).
pub fn on_network_drive(path: &Path) -> bool {
    imp::on_network_drive(path)
}

/// An identifier of the volume (filesystem) `path` is on: two paths on the same volume have the
/// same one (Unix: the device; Windows: the volume serial number).
pub fn volume_of(path: &Path) -> io::Result<u64> {
    imp::volume_of(path)
}

/// Whether this process may make entries in the folder `dir`, asked without writing (Unix:
/// `access(W_OK)`, which also answers EROFS for a read-only mount; Windows: opening the folder
/// for the right to add files and folders, which checks its ACL).
pub fn writable_folder(dir: &Path) -> io::Result<()> {
    imp::writable_folder(dir)
}

/// Sets the allocator up for a process that builds one large plan: with glibc, blocks of 2 MiB
/// and more stay mapped on their own and go back to the system when freed (see the Unix side).
/// Call it once, before any thread starts.
pub fn tune_allocator() {
    imp::tune_allocator();
}

/// This machine's host name (empty when the OS does not say).
pub fn hostname() -> String {
    imp::hostname()
}

/// Whether the folder `dir` (whose metadata is `meta`) has a filesystem mounted on it.
pub fn is_mount_point(dir: &Path, meta: &std::fs::Metadata) -> bool {
    imp::is_mount_point(dir, meta)
}

/// A folder opened once to read the links in it, and write in it, by name.
pub use imp::Folder;
/// Folders walked to without following links, for writing.
pub use tree::Tree;

pub use case::{CaseRule, compare, same_path};

/// Creates a link of `flavour` at `at` holding `text` (Windows needs the flavour; a junction
/// exists only there).
pub fn create_symlink(text: &Path, at: &Path, flavour: Flavour) -> io::Result<()> {
    imp::create_symlink(text, at, flavour)
}

/// Removes the link at `at` (never what it points to, never recursively).
pub fn remove_link(at: &Path, flavour: Flavour) -> io::Result<()> {
    imp::remove_link(at, flavour)
}

/// Puts the link `temp` in place of the link `at`, atomically where the OS allows.
pub fn replace_link(temp: &Path, at: &Path, flavour: Flavour) -> io::Result<()> {
    imp::replace_link(temp, at, flavour)
}

/// The flavour of the link at `path` (Windows: file symlink, directory symlink or junction);
/// `None` on Unix.
pub fn link_flavour(path: &Path) -> io::Result<Option<Flavour>> {
    imp::link_flavour(path)
}

/// A hint for an OS error met while doing `op` on a path, from its raw code.
pub fn hint_for(err: &io::Error) -> Option<String> {
    hint_for_code(explain::Os::current(), err.raw_os_error()?)
}

/// A hint for raw error `code` on `os`; on this Windows, a refused symlink names its cause
/// (this token's elevation type, Developer Mode).
pub fn hint_for_code(os: explain::Os, code: i32) -> Option<String> {
    let here = os == explain::Os::Windows && os == explain::Os::current();
    here.then(|| explain::symlink_refusal(code, elevation(), developer_mode()))
        .flatten()
        .or_else(|| explain::hint(os, code).map(str::to_string))
}

/// The name a probe uses in `dir`: hidden, and unique to this process.
fn probe_name(dir: &Path, what: &str) -> std::path::PathBuf {
    dir.join(format!(".linkfile-doctor-{}-{what}", std::process::id()))
}

/// Whether a symlink to `target` can be made in `dir`: made under a temporary name, read back
/// (some systems report success and make nothing), and removed.
pub fn probe_symlink(dir: &Path, target: &Path, kind: EntryKind) -> io::Result<()> {
    let name = probe_name(dir, "symlink");
    let kind = Flavour::of(kind, LinkType::Symlink);
    create_symlink(target, &name, kind)?;
    match read_link(&name) {
        ReadLink::Link(text) if same_path(&text, target) => remove_link(&name, kind),
        ReadLink::Missing | ReadLink::ParentProblem | ReadLink::MountPoint => Err(
            io::Error::other("the system reported success but made no link (Wine does this)"),
        ),
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

/// Whether a program called `name` is on the PATH that `env` gives: a file of that name (on
/// Windows, with one of PATHEXT's extensions too) in one of its folders, executable on Unix.
pub fn on_path(name: &str, env: &dyn Fn(&str) -> Option<String>) -> bool {
    let Some(path) = env("PATH") else {
        return false;
    };
    let exts: Vec<String> = if cfg!(windows) {
        let pathext = env("PATHEXT").unwrap_or_else(|| ".COM;.EXE;.BAT;.CMD".into());
        std::iter::once(String::new())
            .chain(pathext.split(';').map(str::to_string))
            .collect()
    } else {
        vec![String::new()]
    };
    std::env::split_paths(&path).any(|dir| {
        exts.iter()
            .any(|ext| imp::is_program(&dir.join(format!("{name}{ext}"))))
    })
}

/// Windows: this process token's elevation type; `None` elsewhere or when it cannot be read.
pub fn elevation() -> Option<explain::Elevation> {
    imp::elevation_type().and_then(explain::Elevation::from_raw)
}

/// The identity of the file at `path` (following a link to it): equal identities, same file.
/// Windows: the 128-bit file id and 64-bit volume serial (FILE_ID_INFO).
pub fn file_id(path: &Path) -> io::Result<volume::FileId> {
    imp::file_id(path)
}

/// Whether `a` and `b` are the same file, by [`file_id`]; `false` when either cannot be read.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (file_id(a), file_id(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Why a hard link cannot be made in the folder `dir` whatever its original (Windows: its
/// volume has no hard links, FAT and exFAT); `None` when it can, or when the OS does not say.
pub fn hard_link_refusal(dir: &Path) -> Option<String> {
    imp::hard_link_refusal(dir)
}

/// `path` with a SUBST drive replaced by the folder it stands for (Windows): what a junction
/// must hold, since the drive letter exists only in the session that made it. Elsewhere, `path`.
pub fn without_subst(path: &Path) -> PathBuf {
    imp::without_subst(path)
}

/// The variable naming the folder for per-user state, and where it is below the home when unset
/// (XDG base directories on Unix, the local application data on Windows).
const STATE_HOME: (&str, &[&str]) = if cfg!(windows) {
    ("LOCALAPPDATA", &["AppData", "Local"])
} else {
    ("XDG_STATE_HOME", &[".local", "state"])
};

/// Where the home came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeOrigin {
    /// The platform's home variable: the user's real home.
    Found,
    /// `--home` or `LINKFILE_HOME`: a home that isolates, nothing outside it is written.
    Given,
}

/// linkfile's state folder when `LINKFILE_STATE_DIR` is not set: `linkfile` in the platform's
/// per-user state folder. Under a given home that folder counts only when it lies inside the
/// home, as the manifest's XDG variables do, so a test or a throwaway home never writes into
/// the real one.
pub fn default_state_root(
    home: &Path,
    var: &dyn Fn(&str) -> Option<String>,
    origin: HomeOrigin,
) -> PathBuf {
    let (name, below_home) = STATE_HOME;
    let from_var = var(name)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .map(|p| crate::paths::normalize(&p))
        .filter(|p| origin == HomeOrigin::Found || crate::paths::within(p, home, Os::HOST));
    let base =
        from_var.unwrap_or_else(|| below_home.iter().fold(home.to_path_buf(), |p, c| p.join(c)));
    base.join("linkfile")
}

/// Whether a terminal with no `TERM` takes colour: Windows consoles set none and do; on Unix an
/// unset `TERM` is a bare environment that most likely does not (as anstream decides).
pub const UNSET_TERM_HAS_COLOUR: bool = cfg!(windows);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_paths_are_compared_in_their_plain_form() {
        // What Windows reads back from a junction or an absolute symlink.
        assert_eq!(
            plain_form(r"\\?\C:\Users\me\dotfiles\nvim"),
            Plain::Path(r"C:\Users\me\dotfiles\nvim".into())
        );
        assert_eq!(plain_form(r"\??\d:\x"), Plain::Path(r"d:\x".into()));
        assert_eq!(
            plain_form(r"\\?\UNC\server\share\x"),
            Plain::Path(r"\\server\share\x".into())
        );
        // A volume mount point is never a link linkfile made.
        assert_eq!(
            plain_form(r"\\?\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}\"),
            Plain::Volume
        );
        assert_eq!(plain_form(r"\\?\volume{x}\"), Plain::Volume);
        // Plain and relative texts are left alone; so is a device path.
        for same in [
            r"C:\x",
            r"..\x",
            "x",
            r"\\server\share",
            r"\\?\GLOBALROOT\Device\x",
            "",
        ] {
            assert_eq!(plain_form(same), Plain::Same, "{same}");
        }
        // Never a panic on text that is not ASCII.
        assert_eq!(plain_form(r"\\?\é"), Plain::Same);
        assert_eq!(plain_form(r"\\?\Volumé"), Plain::Same);
    }

    #[test]
    fn network_drives_by_their_form() {
        assert_eq!(network_by_form(r"\\server\share\dotfiles"), Some(true));
        assert_eq!(network_by_form(r"\\?\UNC\server\share"), Some(true));
        // A drive letter may be mapped: only the OS knows.
        assert_eq!(network_by_form(r"Z:\dotfiles"), None);
        assert_eq!(network_by_form(r"\\?\Z:\dotfiles"), None);
        assert_eq!(network_by_form(r"\\.\pipe\x"), Some(false));
        assert_eq!(network_by_form("/home/me"), Some(false));
        // Forward slashes are separators on Windows: this is UNC too.
        assert_eq!(network_by_form("//server/share/dotfiles"), Some(true));
        assert_eq!(network_by_form(r"\\server/share"), Some(true));
        assert_eq!(network_by_form("//./pipe/x"), Some(false));
    }

    #[test]
    fn flavours() {
        use EntryKind::*;
        assert_eq!(Flavour::of(File, LinkType::Symlink), Flavour::File);
        assert_eq!(Flavour::of(Dir, LinkType::Symlink), Flavour::Dir);
        assert_eq!(Flavour::of(Dir, LinkType::Junction), Flavour::Junction);
        assert!(Flavour::Junction.is_folder() && Flavour::Dir.is_folder());
        assert!(!Flavour::File.is_folder());
        // Steps written before junctions existed name the kind of the original.
        let f: Flavour = serde_json::from_str("\"dir\"").unwrap();
        assert_eq!(f, Flavour::Dir);
    }
}
