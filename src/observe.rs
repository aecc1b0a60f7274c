//! Read-only: what is on disk now, at each link's place and in the repo.
//!
//! The hot path. A link costs one `read_link` in the common case: its text when it is a link,
//! "not a link" (EINVAL) or "missing" (ENOENT). `symlink_metadata` is called only for what is in
//! the way, a `metadata` through a link only when its text is not the wanted one (is it dangling?),
//! and the originals' kinds come from one `read_dir` per repo folder, whose entries carry their
//! type without a stat. Nothing here writes, and nothing follows a link except to ask whether the
//! link's target exists.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::manifest::{EntryKind, LinkType};
use crate::platform::{self, ReadLink};
use crate::show::Shown as _;

/// What is at a link's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actual {
    /// Nothing; the link can be made (missing parent folders included).
    Missing,
    /// A symlink.
    Link {
        /// Its text.
        text: PathBuf,
        /// Windows: whether it is a file symlink, a directory symlink or a junction.
        flavour: Option<platform::Flavour>,
        /// Whether what it points to exists.
        target_exists: bool,
    },
    /// A real file.
    File,
    /// A real folder.
    Dir,
    /// Something else (a socket, a fifo, a device).
    Other,
    /// A folder with a volume mounted on it (a Unix mount point, a Windows volume mount
    /// point): never moved, removed or written through.
    MountPoint,
    /// A parent of the path is a file (or a link to one): nothing can be made below it.
    ParentIsFile(PathBuf),
    /// The original itself, by another name: a hard link to it (only looked for where a hard
    /// link is wanted).
    HardLinked,
    /// A hard link linkfile made to the original it recorded, which is not the one wanted now.
    OwnedHardLink,
}

/// A place to observe, and what is wanted there.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// Where the link goes.
    pub at: &'a Path,
    /// The text the link should have (a link holding it needs no further look).
    pub text: &'a Path,
    /// Where a hard link may be wanted: the original a file there is checked against.
    pub hard_original: Option<&'a Path>,
}

impl<'a> Place<'a> {
    /// The place `at` of a link made with `link_type` and holding `text` (a hard link's text
    /// is its original's path).
    pub fn of(at: &'a Path, text: &'a Path, link_type: LinkType) -> Place<'a> {
        Place {
            at,
            text,
            hard_original: (link_type == LinkType::Hardlink).then_some(text),
        }
    }
}

impl Actual {
    /// In words, for messages.
    pub fn describe(&self) -> String {
        match self {
            Actual::Missing => "nothing".into(),
            Actual::Link { text, .. } => format!("a link to {}", text.shown()),
            Actual::File => "a file".into(),
            Actual::Dir => "a folder".into(),
            Actual::Other => "a special file (fifo, socket or device)".into(),
            Actual::MountPoint => "a mount point".into(),
            Actual::ParentIsFile(p) => format!("nothing, below the file {}", p.shown()),
            Actual::HardLinked => "a hard link to the original".into(),
            Actual::OwnedHardLink => "a hard link linkfile made to another original".into(),
        }
    }
}

/// Observes the place of one link. When the link there already has the wanted text, no further
/// syscall is needed.
pub fn link_place(place: Place) -> Result<Actual, Error> {
    classify(place, platform::read_link(place.at))
}

/// What a `read_link` answer means, with the few further looks the uncommon answers need.
fn classify(place: Place, answer: ReadLink) -> Result<Actual, Error> {
    let at = place.at;
    let observe_err = |source| Error::Observe {
        path: at.to_path_buf(),
        source,
    };
    match answer {
        ReadLink::Link(text) => {
            let flavour = if platform::LINKS_HAVE_FLAVOUR {
                platform::link_flavour(at).map_err(observe_err)?
            } else {
                None
            };
            // The wanted text points at the original, whose existence the repo scan knows.
            let target_exists = platform::same_path(&text, place.text) || fs::metadata(at).is_ok();
            Ok(Actual::Link {
                text,
                flavour,
                target_exists,
            })
        }
        ReadLink::MountPoint => Ok(Actual::MountPoint),
        ReadLink::NotALink => {
            let meta = fs::symlink_metadata(at).map_err(observe_err)?;
            let ft = meta.file_type();
            Ok(if ft.is_dir() && platform::is_mount_point(at, &meta) {
                Actual::MountPoint
            } else if ft.is_dir() {
                Actual::Dir
            } else if ft.is_file() && place.hard_original.is_some_and(|o| same_file(at, o)) {
                Actual::HardLinked
            } else if ft.is_file() {
                Actual::File
            } else {
                Actual::Other
            })
        }
        ReadLink::Missing => Ok(Actual::Missing),
        ReadLink::ParentProblem => {
            for ancestor in at.ancestors().skip(1) {
                match fs::metadata(ancestor) {
                    Ok(m) if m.is_dir() => return Ok(Actual::Missing),
                    Ok(_) => return Ok(Actual::ParentIsFile(ancestor.to_path_buf())),
                    Err(_) => continue,
                }
            }
            Ok(Actual::Missing)
        }
        ReadLink::Failed(e) => Err(observe_err(e)),
    }
}

/// Observes many places, in order: in parallel when there are many, and
/// folder by folder — one open per folder, then each link read by its name in it (the kernel
/// walks one path component instead of the whole path), and one look for a whole missing folder.
pub fn link_places(places: &[Place]) -> Result<Vec<Actual>, Error> {
    link_places_of(places, |p| *p)
}

/// As [`link_places`], for the place `place` gives of each of `items`: no list of places is
/// made (at 100,000 links, megabytes), and each thread writes its answers in place.
pub fn link_places_of<'a, T: Sync>(
    items: &'a [T],
    place: impl Fn(&'a T) -> Place<'a> + Sync,
) -> Result<Vec<Actual>, Error> {
    const PER_THREAD: usize = 1024;
    let threads = crate::cores()
        .min(4)
        .min(items.len().div_ceil(PER_THREAD))
        .max(1);
    let mut out = vec![Actual::Missing; items.len()];
    if threads == 1 {
        observe_chunk(items, &place, &mut out)?;
        return Ok(out);
    }
    // Contiguous chunks keep each folder's links together, so each thread's folder cache works.
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let place = &place;
        let handles: Vec<_> = items
            .chunks(chunk)
            .zip(out.chunks_mut(chunk))
            .map(|(c, o)| s.spawn(move || observe_chunk(c, place, o)))
            .collect();
        for h in handles {
            h.join().expect("an observer thread panicked")?;
        }
        Ok::<(), Error>(())
    })?;
    Ok(out)
}

/// A folder of links, as far as observing them goes.
enum FolderState {
    Open(platform::Folder),
    /// Not there: neither is anything in it (one look for all of them).
    Missing,
    /// Not a folder, or unreadable: each link is looked at by its full path.
    ByPath,
}

/// At most this many folders are kept open at once (file descriptors are a limited resource).
const OPEN_FOLDERS: usize = 128;

/// Observes the place of each of `items` into `out`, one answer each.
fn observe_chunk<'a, T>(
    items: &'a [T],
    place: &impl Fn(&'a T) -> Place<'a>,
    out: &mut [Actual],
) -> Result<(), Error> {
    // Links come folder by folder: the current folder is kept aside, and only a change of
    // folder looks one up by its path.
    let mut folders: HashMap<&Path, FolderState> = HashMap::new();
    let mut current: Option<(&Path, FolderState)> = None;
    for (item, out) in items.iter().zip(out) {
        let place = place(item);
        let at = place.at;
        let Some((parent, name)) = crate::paths::split(at) else {
            *out = link_place(place)?;
            continue;
        };
        let state = match &mut current {
            // As bytes: another spelling of the same folder is found in `folders` all the same.
            Some((dir, state)) if dir.as_os_str() == parent.as_os_str() => state,
            _ => {
                if let Some((dir, state)) = current.take() {
                    if folders.len() == OPEN_FOLDERS {
                        folders.clear();
                    }
                    folders.insert(dir, state);
                }
                let state = folders
                    .remove(parent)
                    .unwrap_or_else(|| open_folder(parent));
                &mut current.insert((parent, state)).1
            }
        };
        *out = match state {
            FolderState::Open(f) => classify(place, f.read_link(name))?,
            FolderState::Missing => Actual::Missing,
            FolderState::ByPath => link_place(place)?,
        };
    }
    Ok(())
}

fn open_folder(dir: &Path) -> FolderState {
    match platform::Folder::open(dir) {
        Ok(f) => FolderState::Open(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FolderState::Missing,
        Err(_) => FolderState::ByPath,
    }
}

/// The kinds of the repo's originals, read one folder at a time.
#[derive(Default)]
pub struct Originals {
    folders: HashMap<PathBuf, Listing>,
    /// The folder asked last and its listing, looked at first: links come folder by folder,
    /// and hashing a path for each would cost more than the listing.
    last: Option<(PathBuf, Listing)>,
}

/// Folders' listings by their paths, read ahead (see [`read_ahead`]).
pub(crate) struct Listings(HashMap<PathBuf, Listing>);

/// A folder's entries by name: the names one after another (as their bytes, see
/// [`OsStr::as_encoded_bytes`]) and, sorted by name, where each lies and what it is. One
/// allocation a folder instead of one a name: at 100,000 originals, the listings read ahead
/// took 6 MB more at a plan's peak as a map of names.
#[derive(Default)]
struct Listing {
    names: Vec<u8>,
    entries: Vec<(u32, u32, Entry)>,
}

impl Listing {
    fn name(&self, &(start, end, _): &(u32, u32, Entry)) -> &[u8] {
        &self.names[start as usize..end as usize]
    }

    fn push(&mut self, name: &std::ffi::OsStr, entry: Entry) {
        let start = self.names.len();
        self.names.extend_from_slice(name.as_encoded_bytes());
        let at = |n: usize| u32::try_from(n).expect("a folder's names take under 4 GiB");
        self.entries.push((at(start), at(self.names.len()), entry));
    }

    /// Sorts the entries by name; of two with the same name (as [`name_key`] makes them), the
    /// later read is kept.
    fn sorted(mut self) -> Listing {
        let mut entries = std::mem::take(&mut self.entries);
        entries.sort_by(|a, b| self.name(a).cmp(self.name(b)));
        entries.dedup_by(|later, kept| {
            let same = self.name(later) == self.name(kept);
            if same {
                *kept = *later;
            }
            same
        });
        self.entries = entries;
        self
    }

    fn get(&self, name: &std::ffi::OsStr) -> Option<Entry> {
        let name = name.as_encoded_bytes();
        let i = self
            .entries
            .binary_search_by(|e| self.name(e).cmp(name))
            .ok()?;
        Some(self.entries[i].2)
    }
}

#[derive(Clone, Copy)]
enum Entry {
    Kind(EntryKind),
    Symlink,
    Other,
}

/// The fewest short-form links for the repo's folders to be read ahead on a thread of their
/// own (see [`folders_ahead`]): below it, starting the thread costs more than it saves.
const READ_AHEAD_FROM: usize = 1024;

/// The repo's folders that `tos` (the short-form links' `to`, as written in the manifest,
/// relative to `repo`) lie in, in order, each once in a row: read ahead by [`read_ahead`] on
/// another core while the manifest is resolved, instead of beside observation, where both
/// cores are busy (at 10,000 links the listing took 10-25 ms there). Only plain relative paths
/// are taken: one with a variable, a `~`, a `..` or a root is resolved first and its folder
/// read when asked. A listing read ahead is kept under its folder's path and used only for a
/// resolved original in that very folder, so a wrong guess costs a listing, never an answer.
/// Empty below [`READ_AHEAD_FROM`] links, or on one core.
pub(crate) fn folders_ahead<'a>(
    tos: impl ExactSizeIterator<Item = &'a str>,
    repo: &Path,
) -> Vec<PathBuf> {
    if tos.len() < READ_AHEAD_FROM || crate::cores() < 2 {
        return Vec::new();
    }
    folders_of_plain(tos, repo)
}

/// The folders of [`folders_ahead`], however few.
fn folders_of_plain<'a>(tos: impl Iterator<Item = &'a str>, repo: &Path) -> Vec<PathBuf> {
    let separator = |c: char| c == '/' || (cfg!(windows) && c == '\\');
    let mut folders = Vec::new();
    let mut last: Option<&str> = None;
    for to in tos {
        let resolved_first = to.contains(['$', '~'])
            || to.contains("..")
            || Path::new(to).has_root()
            || (cfg!(windows) && to.contains(':'));
        if resolved_first {
            continue;
        }
        let folder = to.rfind(separator).map_or("", |i| &to[..i]);
        if last != Some(folder) {
            last = Some(folder);
            let path =
                crate::paths::normalized(crate::paths::join_relative(repo, Path::new(folder)));
            // Spelled another way (`./a` after `a`), the same folder.
            if folders.last() != Some(&path) {
                folders.push(path);
            }
        }
    }
    folders
}

/// The listings of `folders`, for [`Originals::read_ahead`]. One that cannot be read is left
/// out: it is read again when asked, and its error told then.
pub(crate) fn read_ahead(folders: Vec<PathBuf>) -> Listings {
    let mut out = HashMap::with_capacity(folders.len());
    for folder in folders {
        if let Ok(listing) = read_folder(&folder) {
            out.insert(folder, listing);
        }
    }
    Listings(out)
}

impl Originals {
    /// Starting from the listings [`read_ahead`] read.
    pub(crate) fn read_ahead(Listings(folders): Listings) -> Originals {
        Originals {
            folders,
            last: None,
        }
    }

    /// What `to` is: `None` when it does not exist (or is a dangling symlink).
    pub fn kind(&mut self, to: &Path) -> Result<Option<EntryKind>, Error> {
        let Some((parent, name)) = crate::paths::split(to) else {
            return Ok(dir_kind(to));
        };
        // Compared as bytes (resolved paths are normal): cheaper than by components.
        if self
            .last
            .as_ref()
            .is_none_or(|(dir, _)| dir.as_os_str() != parent.as_os_str())
        {
            let listing = match self.folders.remove(parent) {
                Some(listing) => listing,
                None => read_folder(parent)?,
            };
            if let Some((dir, old)) = self.last.replace((parent.to_path_buf(), listing)) {
                self.folders.insert(dir, old);
            }
        }
        let listing = &self
            .last
            .as_ref()
            .expect("the listing was just put there")
            .1;
        let entry = if platform::Os::HOST.case_insensitive() {
            listing.get(&name_key(name.to_os_string()))
        } else {
            listing.get(name)
        };
        Ok(match entry {
            None => None,
            Some(Entry::Kind(k)) => Some(k),
            Some(Entry::Other) => Some(EntryKind::File),
            // A link inside the repo: its kind is what it points to.
            Some(Entry::Symlink) => fs::metadata(to).ok().map(|m| {
                if m.is_dir() {
                    EntryKind::Dir
                } else {
                    EntryKind::File
                }
            }),
        })
    }
}

/// What is at `p`, through a link: `None` when nothing is (or a dangling link).
pub fn kind_at(p: &Path) -> Option<EntryKind> {
    dir_kind(p)
}

/// Whether anything is at `p` (a link, dangling or not, counts).
pub fn exists(p: &Path) -> bool {
    fs::symlink_metadata(p).is_ok()
}

fn dir_kind(p: &Path) -> Option<EntryKind> {
    fs::metadata(p).ok().map(|m| {
        if m.is_dir() {
            EntryKind::Dir
        } else {
            EntryKind::File
        }
    })
}

fn name_key(name: OsString) -> OsString {
    if platform::Os::HOST.case_insensitive() {
        name.to_string_lossy().to_lowercase().into()
    } else {
        name
    }
}

fn read_folder(dir: &Path) -> Result<Listing, Error> {
    let mut out = Listing::default();
    let iter = match fs::read_dir(dir) {
        Ok(iter) => iter,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(out);
        }
        Err(source) => {
            return Err(Error::Observe {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    for entry in iter {
        let (entry, ft) = typed(entry, dir)?;
        let kind = if ft.is_symlink() {
            Entry::Symlink
        } else if ft.is_dir() {
            Entry::Kind(EntryKind::Dir)
        } else if ft.is_file() {
            Entry::Kind(EntryKind::File)
        } else {
            Entry::Other
        };
        out.push(&name_key(entry.file_name()), kind);
    }
    Ok(out.sorted())
}

/// The text of a small UTF-8 file, for showing a diff; `None` for anything else.
pub fn small_text(path: &Path) -> Option<String> {
    const LIMIT: u64 = SMALL_TEXT;
    let file = fs::File::open(path).ok()?;
    let mut buf = Vec::new();
    file.take(LIMIT + 1).read_to_end(&mut buf).ok()?;
    if buf.len() as u64 > LIMIT || buf.contains(&0) {
        return None;
    }
    String::from_utf8(buf).ok()
}

/// Whether two regular files hold the same bytes (sizes compared first).
pub fn same_bytes(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (fs::metadata(a), fs::metadata(b)) else {
        return false;
    };
    if !ma.is_file() || !mb.is_file() || ma.len() != mb.len() {
        return false;
    }
    match (fs::read(a), fs::read(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// A file where linkfile recorded making a hard link is still that hard link when it is the
/// same file as the original it recorded: then it is linkfile's, not the user's.
/// `owned`: whether the owned link there is a hard link, and its text.
pub fn owned_hard_link(actual: Actual, at: &Path, owned: Option<(bool, &Path)>) -> Actual {
    match (actual, owned) {
        (Actual::File, Some((true, text))) if same_file(at, text) => Actual::OwnedHardLink,
        (actual, _) => actual,
    }
}

/// Whether two paths name the same file (same device and inode; on Windows, same volume
/// serial and 128-bit file id), without following a link at `a`.
pub fn same_file(a: &Path, b: &Path) -> bool {
    fs::symlink_metadata(a).is_ok_and(|m| m.is_file()) && platform::same_file(a, b)
}

/// A folder on the way to a link's place that is itself a link (a symlink, or a junction on
/// Windows): what GNU Stow's folding and dotbot leave behind. Nothing is ever written through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderLink {
    /// The folder link's own place.
    pub at: PathBuf,
    /// Its text.
    pub text: PathBuf,
    /// Whether it leads into the repo, by real path (then writing through it writes the repo).
    pub into_repo: bool,
}

/// For each place, the topmost folder between `home` (excluded) and the place (excluded) that is
/// a link, if any. Only places below the home are looked at: the folders above the home, and
/// those on the way to places outside it, are the system's. One `readlink` per distinct folder.
pub struct FolderLinks<'a> {
    home: &'a Path,
    /// The repo's real path, to tell whether a folder link leads into it.
    repo: Option<PathBuf>,
    /// How paths compare.
    os: platform::Os,
    known: HashMap<PathBuf, Option<std::sync::Arc<FolderLink>>>,
    /// The folder asked about last, and the answer.
    last: Option<(PathBuf, Option<std::sync::Arc<FolderLink>>)>,
}

impl<'a> FolderLinks<'a> {
    /// Looks below `home`, comparing paths as `os` does; `repo` is the manifest's folder.
    pub fn new(home: &'a Path, repo: &Path, os: platform::Os) -> FolderLinks<'a> {
        FolderLinks {
            home,
            repo: fs::canonicalize(repo).ok(),
            os,
            known: HashMap::new(),
            last: None,
        }
    }

    /// The home folder, below which folder links are looked for.
    pub fn home(&self) -> &'a Path {
        self.home
    }

    /// The topmost folder link on the way to `at`.
    pub fn on_the_way(&mut self, at: &Path) -> Option<std::sync::Arc<FolderLink>> {
        let parent = crate::paths::parent(at)?;
        // Places come folder by folder: the last folder's answer is kept aside.
        if let Some((dir, found)) = &self.last
            && dir.as_os_str() == parent.as_os_str()
        {
            return found.clone();
        }
        let found = if crate::paths::within(parent, self.home, self.os) {
            self.folder(parent)
        } else {
            None
        };
        self.last = Some((parent.to_path_buf(), found.clone()));
        found
    }

    fn folder(&mut self, dir: &Path) -> Option<std::sync::Arc<FolderLink>> {
        if dir.as_os_str().len() <= self.home.as_os_str().len() {
            return None;
        }
        if let Some(known) = self.known.get(dir) {
            return known.clone();
        }
        // The topmost link wins: what lies below it was never looked at through it.
        let found = match dir.parent().and_then(|p| self.folder(p)) {
            Some(above) => Some(above),
            None => match platform::read_link(dir) {
                ReadLink::Link(text) => {
                    let into_repo = self.repo.as_ref().is_some_and(|repo| {
                        fs::canonicalize(dir)
                            .is_ok_and(|real| crate::paths::within(&real, repo, self.os))
                    });
                    Some(std::sync::Arc::new(FolderLink {
                        at: dir.to_path_buf(),
                        text,
                        into_repo,
                    }))
                }
                _ => None,
            },
        };
        self.known.insert(dir.to_path_buf(), found.clone());
        found
    }
}

/// Whether the thing at `at` (a real file or folder, not a link) is `original` itself, reached
/// by another name: a hard link, or the same folder through a bind mount.
pub fn is_original(at: &Path, original: &Path) -> bool {
    fs::symlink_metadata(at).is_ok_and(|m| !m.file_type().is_symlink())
        && platform::same_file(at, original)
}

/// What a file or folder holds, as a short text: a file's size and bytes; for a folder, every
/// entry below it (names, kinds, bytes, link texts), walked in order without following links.
/// Equal fingerprints mean the same content, whatever the file's identity (FNV-1a 64: it tells
/// an edit from none, not an attacker from a friend).
pub fn fingerprint(path: &Path) -> std::io::Result<String> {
    let mut h = Fnv::default();
    let mut size = 0u64;
    let mut stack = vec![(path.to_path_buf(), PathBuf::new())];
    while let Some((full, rel)) = stack.pop() {
        let meta = fs::symlink_metadata(&full)?;
        h.update(rel.as_os_str().as_encoded_bytes());
        if meta.file_type().is_symlink() {
            h.update(b"\0link\0");
            h.update(fs::read_link(&full)?.as_os_str().as_encoded_bytes());
        } else if meta.is_dir() {
            h.update(b"\0dir\0");
            let mut names: Vec<OsString> = fs::read_dir(&full)?
                .map(|e| e.map(|e| e.file_name()))
                .collect::<Result<_, _>>()?;
            // Popped in name order.
            names.sort_unstable_by(|a, b| b.cmp(a));
            for name in names {
                stack.push((full.join(&name), rel.join(&name)));
            }
        } else {
            let bytes = fs::read(&full)?;
            size += bytes.len() as u64;
            h.update(b"\0file\0");
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
    }
    Ok(format!("{size}:{:016x}", h.0))
}

struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf29ce484222325)
    }
}

impl Fnv {
    fn update(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x100000001b3);
        }
    }
}

/// Why adopt may not move a file to `to`, the original's place: `to` is a link (adopt would
/// replace the repo's link), or its folder is outside the repo by real path (`repo_real`; the
/// move would write through a link). `None`: adopt may write there.
pub fn adopt_refusal(to: &Path, repo_real: &Path) -> Option<String> {
    if let Ok(text) = fs::read_link(to) {
        return Some(format!(
            "{} is a link in the repo (to {}), and adopt never replaces a link nor writes through one; move the file in the way yourself, or apply with --on-conflict backup",
            to.shown(),
            text.shown()
        ));
    }
    let folder = crate::containment::real_path(to.parent()?);
    (!crate::paths::within(&folder, repo_real, platform::Os::HOST)).then(|| {
        format!(
            "{} leads out of the repo (its folder is {}), and adopt never writes through a link; move the file in the way yourself, or apply with --on-conflict backup",
            to.shown(),
            folder.shown()
        )
    })
}

/// Whether the link at `at`, holding `text`, resolves to `original` itself: the folder it
/// names, by real path, is the original's folder, and the name is the original's (so a link
/// *to* the original through another spelling — stow's relative `../dotfiles/x`, an absolute
/// path through `..` or a folder link — counts, and a link to what the original points to does
/// not). Asked only of links whose text is not the wanted one.
pub fn resolves_to(at: &Path, text: &Path, original: &Path) -> bool {
    let named = at.parent().unwrap_or(Path::new("/")).join(text);
    let real_folder = |p: &Path| -> Option<(PathBuf, std::ffi::OsString)> {
        let name = p.file_name()?.to_os_string();
        Some((fs::canonicalize(p.parent()?).ok()?, name))
    };
    match (real_folder(&named), real_folder(original)) {
        (Some((a, x)), Some((b, y))) => x == y && a == b,
        _ => false,
    }
}

/// Whether a file looks binary, as git decides: a NUL in its first 8 KiB.
pub fn looks_binary(path: &Path) -> bool {
    let Ok(file) = fs::File::open(path) else {
        return false;
    };
    let mut buf = Vec::new();
    file.take(8192).read_to_end(&mut buf).is_ok() && buf.contains(&0)
}

/// The largest text [`small_text`] reads, in bytes.
pub const SMALL_TEXT: u64 = 256 * 1024;

/// An entry of a folder, as the folder's listing gives it (no stat, no link followed).
pub enum FolderEntry {
    /// A real folder (not a link to one).
    Folder(PathBuf),
    /// Anything else: a file, a link, a special file.
    Other(PathBuf),
}

/// What `dir` holds; `None` when it cannot be listed whole.
pub fn listing(dir: &Path) -> Option<Vec<FolderEntry>> {
    fs::read_dir(dir)
        .ok()?
        .map(|e| FolderEntry::of(&e.ok()?))
        .collect()
}

/// Whether `p` is a real folder: not a link (nor a junction), without following one.
pub fn is_real_folder(p: &Path) -> bool {
    fs::symlink_metadata(p).is_ok_and(|m| m.is_dir() && !m.file_type().is_symlink())
}

/// The size of the file at `p` (through a link), if it can be read.
pub fn size(p: &Path) -> Option<u64> {
    fs::metadata(p).ok().map(|m| m.len())
}

/// Whether something is at `path` through links (a dangling link does not count): for the hints
/// of manifest errors.
pub fn exists_followed(path: &Path) -> bool {
    fs::metadata(path).is_ok()
}

/// One thing below a folder, as [`list_tree`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its path below the folder.
    pub rel: PathBuf,
    pub kind: ListedKind,
}

/// What a [`Listed`] thing is, its links not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListedKind {
    Folder,
    /// A file, or anything else that is not a folder nor a link.
    File,
    /// A symlink (or junction) that leads to a folder.
    LinkToFolder,
    /// A symlink to a file, or dangling.
    Link,
}

/// What `path` is, through links (`None`: nothing there, or a dangling link).
pub fn kind_through_links(path: &Path) -> Option<EntryKind> {
    dir_kind(path)
}

/// The fewest folders right below its root for [`list_tree`] to split the walk over two threads.
const SPLIT_FROM: usize = 8;

/// Lists what is below the folder `root` (through `root` itself when it is a link), each
/// folder before what it holds, sorted by name, following no link below it. `prune` (given the
/// thing and its name) leaves a thing out, and a folder with all it holds: it is not read.
///
/// With [`SPLIT_FROM`] folders or more right below `root` and two cores, the second half of
/// them (with what they hold) is walked on another thread, and the two lists joined in order:
/// the same list, and the same error (the first in the walk's order) as one walk.
pub fn list_tree(
    root: &Path,
    prune: &(dyn Fn(&Listed, &std::ffi::OsStr) -> bool + Sync),
) -> Result<Vec<Listed>, Error> {
    let mut first = sorted_entries(root)?;
    let is_folder = |(_, k): &&(OsString, ListedKind)| *k == ListedKind::Folder;
    let count = first.iter().filter(is_folder).count();
    if count < SPLIT_FROM || crate::cores() < 2 {
        return walk(root, first, prune);
    }
    let split = (first.iter().enumerate())
        .filter(|(_, e)| is_folder(e))
        .nth(count / 2)
        .map(|(i, _)| i)
        .expect("there are that many folders");
    let second = first.split_off(split);
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| walk(root, second, prune));
        let first = walk(root, first, prune);
        (first, second.join().expect("a walk panicked"))
    });
    let mut out = first?;
    out.extend(second?);
    Ok(out)
}

/// The walk of [`list_tree`] below `root`, from `entries` of the root on.
fn walk(
    root: &Path,
    entries: Vec<(OsString, ListedKind)>,
    prune: &dyn Fn(&Listed, &std::ffi::OsStr) -> bool,
) -> Result<Vec<Listed>, Error> {
    // Depth first, one folder's sorted entries per level. Not walkdir's sorted walk: it compares
    // names by parsing each entry's full path again, a tenth of an `each` plan's instructions.
    struct Level {
        rel: PathBuf,
        entries: std::vec::IntoIter<(OsString, ListedKind)>,
    }
    let mut out = Vec::new();
    let mut levels = vec![Level {
        rel: PathBuf::new(),
        entries: entries.into_iter(),
    }];
    while let Some(level) = levels.last_mut() {
        let Some((name, kind)) = level.entries.next() else {
            levels.pop();
            continue;
        };
        let mut listed = Listed {
            rel: crate::paths::join_relative(&level.rel, Path::new(&name)),
            kind,
        };
        if prune(&listed, &name) {
            continue;
        }
        match kind {
            ListedKind::Folder => levels.push(Level {
                rel: listed.rel.clone(),
                entries: sorted_entries(&root.join(&listed.rel))?.into_iter(),
            }),
            // One look through a link, for the links kept only.
            ListedKind::Link if fs::metadata(root.join(&listed.rel)).is_ok_and(|m| m.is_dir()) => {
                listed.kind = ListedKind::LinkToFolder;
            }
            _ => {}
        }
        out.push(listed);
    }
    Ok(out)
}

/// An entry of the folder `dir` as `read_dir` gives it, with what it is (its link not followed;
/// most systems tell it with the name), or the error that names where it failed.
fn typed(
    entry: std::io::Result<fs::DirEntry>,
    dir: &Path,
) -> Result<(fs::DirEntry, fs::FileType), Error> {
    let entry = entry.map_err(|source| Error::Observe {
        path: dir.to_path_buf(),
        source,
    })?;
    let t = entry.file_type().map_err(|source| Error::Observe {
        path: entry.path(),
        source,
    })?;
    Ok((entry, t))
}

/// The entries of the folder `dir`, sorted by name, each with what it is (its link not
/// followed; most systems tell it with the name, without a further look).
fn sorted_entries(dir: &Path) -> Result<Vec<(OsString, ListedKind)>, Error> {
    let err = |source| Error::Observe {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(err)? {
        let (entry, t) = typed(entry, dir)?;
        let kind = if t.is_dir() {
            ListedKind::Folder
        } else if t.is_symlink() {
            ListedKind::Link
        } else {
            ListedKind::File
        };
        entries.push((entry.file_name(), kind));
    }
    // Names are unique in a folder: no order among equals to keep.
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

/// What is at a place, a link there not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Here {
    /// A link (a symlink, or a junction on Windows).
    Link,
    /// A real folder.
    Folder,
    /// A regular file.
    File,
    /// Something else: a FIFO, a socket, a device.
    Special,
}

/// What is at `p`, a link there not followed (for `add`, which looks at a home file as it is).
pub(crate) fn here(p: &Path) -> std::io::Result<Here> {
    let t = fs::symlink_metadata(p)?.file_type();
    Ok(if t.is_symlink() {
        Here::Link
    } else if t.is_dir() {
        Here::Folder
    } else if t.is_file() {
        Here::File
    } else {
        Here::Special
    })
}

/// Whether `p` is a link (a symlink, or a junction on Windows), not followed.
pub(crate) fn is_link(p: &Path) -> bool {
    fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

/// The permissions of what `p` leads to, if it can be read.
pub(crate) fn permissions(p: &Path) -> Option<fs::Permissions> {
    fs::metadata(p).ok().map(|m| m.permissions())
}

/// The bytes of the file at `p` (through links).
pub(crate) fn read_bytes(p: &Path) -> std::io::Result<Vec<u8>> {
    fs::read(p)
}

/// The text of the file at `p` (through links), which must be UTF-8.
pub(crate) fn read_text(p: &Path) -> std::io::Result<String> {
    fs::read_to_string(p)
}

/// Whether `p` is a folder, through links.
pub fn is_folder_followed(p: &Path) -> bool {
    dir_kind(p) == Some(EntryKind::Dir)
}

/// Whether `p` is a file, through links.
pub fn is_file_followed(p: &Path) -> bool {
    fs::metadata(p).is_ok_and(|m| m.is_file())
}

/// Whether nothing is at `p` for sure: not even a link, and not merely unreadable.
pub fn is_missing(p: &Path) -> bool {
    fs::symlink_metadata(p).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
}

/// What `dir` holds as far as it can be listed (an entry that cannot be read is left out);
/// `None` when `dir` cannot be opened.
pub fn readable_listing(dir: &Path) -> Option<Vec<FolderEntry>> {
    let entries = fs::read_dir(dir).ok()?.flatten();
    Some(
        entries
            .map(|e| FolderEntry::of(&e).unwrap_or_else(|| FolderEntry::Other(e.path())))
            .collect(),
    )
}

impl FolderEntry {
    /// A listed entry as a folder or not, as the listing says (no stat); `None` when the listing
    /// cannot say what it is.
    fn of(e: &fs::DirEntry) -> Option<FolderEntry> {
        let folder = e.file_type().ok()?.is_dir();
        Some(if folder {
            FolderEntry::Folder(e.path())
        } else {
            FolderEntry::Other(e.path())
        })
    }

    /// Where the entry is.
    pub fn path(&self) -> &Path {
        match self {
            FolderEntry::Folder(p) | FolderEntry::Other(p) => p,
        }
    }
}

/// What the link at `p` says, or why there is none.
pub fn read_link(p: &Path) -> ReadLink {
    platform::read_link(p)
}

/// The kind of link at `p` where links have kinds (Windows), `None` elsewhere.
pub fn link_flavour(p: &Path) -> std::io::Result<Option<platform::Flavour>> {
    platform::link_flavour(p)
}

/// Everything below `root` (not `root` itself), by name in each folder, links not followed: the
/// walk `init`'s translators make of the other tool's tree.
pub(crate) fn tree_walk(root: &Path) -> walkdir::IntoIter {
    walkdir::WalkDir::new(root)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
}

/// Whether a [`tree_walk`] entry is a real folder (the walk already knows; nothing is read).
pub(crate) fn walked_folder(entry: &walkdir::DirEntry) -> bool {
    entry.file_type().is_dir()
}

/// The names of the real folders in `dir` (links not followed), in no particular order.
pub(crate) fn folders_in(dir: &Path) -> std::io::Result<Vec<std::ffi::OsString>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            out.push(e.file_name());
        }
    }
    Ok(out)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_listing_finds_each_name_it_was_given_and_the_later_of_two_the_same() {
        let mut l = Listing::default();
        let dir = Entry::Kind(EntryKind::Dir);
        let file = Entry::Kind(EntryKind::File);
        for (name, e) in [("b", dir), ("a", file), ("ab", Entry::Symlink), ("", file)] {
            l.push(std::ffi::OsStr::new(name), e);
        }
        l.push(std::ffi::OsStr::new("b"), Entry::Other);
        let l = l.sorted();
        let kind = |n: &str| match l.get(std::ffi::OsStr::new(n)) {
            None => "none",
            Some(Entry::Kind(EntryKind::Dir)) => "dir",
            Some(Entry::Kind(EntryKind::File)) => "file",
            Some(Entry::Symlink) => "symlink",
            Some(Entry::Other) => "other",
        };
        let got = ["a", "ab", "b", "", "c", "a "].map(kind);
        assert_eq!(got, ["file", "symlink", "other", "file", "none", "none"]);
        assert_eq!(l.entries.len(), 4);
    }

    #[test]
    fn a_tree_walked_on_two_threads_is_listed_as_by_one() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        // Twelve folders right below the root (the walk is split from eight on), files between
        // them, one pruned, one empty.
        for i in 0..12 {
            let folder = root.join(format!("d{i:02}"));
            fs::create_dir_all(folder.join("sub")).unwrap();
            fs::write(folder.join("sub/f"), "").unwrap();
            fs::write(folder.join("g"), "").unwrap();
            fs::write(root.join(format!("d{i:02}-file")), "").unwrap();
        }
        fs::create_dir(root.join("empty")).unwrap();
        let prune = |l: &Listed, _: &std::ffi::OsStr| l.rel == Path::new("d07");
        let one = walk(root, sorted_entries(root).unwrap(), &prune).unwrap();
        let split = list_tree(root, &prune).unwrap();
        let rels = |v: &[Listed]| {
            v.iter()
                .map(|l| (l.rel.clone(), l.kind))
                .collect::<Vec<_>>()
        };
        assert_eq!(rels(&split), rels(&one));
        // 11 folders of 4 entries, 12 files, the empty folder.
        assert_eq!(one.len(), 11 * 4 + 12 + 1);
        assert!(!one.iter().any(|l| l.rel.starts_with("d07")));
        assert_eq!(one.last().unwrap().rel, Path::new("empty"));
    }

    #[test]
    fn the_folders_read_ahead_are_those_of_plain_relative_originals_each_once_in_a_row() {
        let tos = [
            "a/1", "a/2", "./a/3", "b/c/1", "top", "$X/1", "~/1", "../out/1", "/abs/1", "a/4",
            "a/../b/1", "a/5",
        ];
        let got = folders_of_plain(tos.into_iter(), Path::new("/r"));
        let want = ["/r/a", "/r/b/c", "/r", "/r/a"];
        assert_eq!(got, want.map(PathBuf::from));
    }

    #[test]
    fn a_tree_is_listed_folder_first_sorted_by_name_links_not_entered_pruned_folders_not_read() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        // Made out of order, so that the order listed is not the order made.
        for d in ["b", "a/y", "skip/deep"] {
            fs::create_dir_all(root.join(d)).unwrap();
        }
        for f in ["b/2", "b/1", "a/z", "a/y/f", "skip/deep/f", "c"] {
            fs::write(root.join(f), "").unwrap();
        }
        std::os::unix::fs::symlink("a", root.join("l-dir")).unwrap();
        std::os::unix::fs::symlink("c", root.join("l-file")).unwrap();
        std::os::unix::fs::symlink("nowhere", root.join("l-none")).unwrap();
        let listed = list_tree(root, &|l, name| {
            assert_eq!(l.rel.file_name(), Some(name));
            l.rel == Path::new("skip")
        })
        .unwrap();
        let got: Vec<(&str, ListedKind)> = listed
            .iter()
            .map(|l| (l.rel.to_str().unwrap(), l.kind))
            .collect();
        use ListedKind::*;
        assert_eq!(
            got,
            [
                ("a", Folder),
                ("a/y", Folder),
                ("a/y/f", File),
                ("a/z", File),
                ("b", Folder),
                ("b/1", File),
                ("b/2", File),
                ("c", File),
                ("l-dir", LinkToFolder),
                ("l-file", Link),
                ("l-none", Link),
            ]
        );
    }

    #[test]
    fn a_folder_that_cannot_be_listed_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("gone");
        let Err(Error::Observe { path, .. }) = list_tree(&missing, &|_, _| false) else {
            panic!("listing a missing folder succeeded");
        };
        assert_eq!(path, missing);
    }
}
