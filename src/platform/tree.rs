//! Folders reached from the home (or the repo, or the state folder) downward without following
//! a link: every write of an apply, and of its rollback, goes through one of these.
//!
//! An *anchor* (the home, the repo, the state folder) is opened by its path, following the links
//! at or above it — those are the system's (`/home -> /usr/home`). Below an anchor each folder is
//! opened by name from its parent, never following a link (Unix: `openat(O_NOFOLLOW)`; Windows:
//! `FILE_FLAG_OPEN_REPARSE_POINT`, refusing a reparse point); a folder replaced by a link since
//! the plan makes the walk fail there, so nothing is ever written through it. A place under no
//! anchor is walked from the root of its filesystem, where only links owned by root are followed.
//!
//! Folders are kept open (a few hundred at most) so that a thousand links in one folder cost one
//! walk. A handle keeps writing into the folder it opened even if that folder is moved and a link
//! put in its place meanwhile: [`Tree::check_unchanged`] walks every folder used again, at the
//! end, to find that out (the apply then rolls back, through the same handles).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::imp::Folder;

/// A file's identity on its volume (Unix: device and inode; Windows: volume serial and index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId(pub u64, pub u64);

/// What a name in a folder is, never following it.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub is_link: bool,
    pub is_dir: bool,
    pub is_file: bool,
}

/// A folder on the way that is a link: nothing is written through it.
#[derive(Debug)]
pub struct LinkOnTheWay {
    /// The link's place.
    pub at: PathBuf,
}

impl std::fmt::Display for LinkOnTheWay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is a link, not a folder (replaced since the plan?); linkfile never writes through a link",
            self.at.display()
        )
    }
}

impl std::error::Error for LinkOnTheWay {}

/// The error for a link found at `at` on the way.
pub fn link_on_the_way(at: &Path) -> io::Error {
    io::Error::other(LinkOnTheWay {
        at: at.to_path_buf(),
    })
}

/// The link on the way an error is about, if it is one.
pub fn link_on_the_way_at(e: &io::Error) -> Option<&Path> {
    e.get_ref()?
        .downcast_ref::<LinkOnTheWay>()
        .map(|l| l.at.as_path())
}

/// Whether `e` says a link was found on the way.
pub fn is_link_on_the_way(e: &io::Error) -> bool {
    link_on_the_way_at(e).is_some()
}

/// How many folders stay open at once (file descriptors are a limited resource).
const OPEN_FOLDERS: usize = 256;

/// Folders opened from the anchors downward, kept open, and the identity of every folder used.
pub struct Tree {
    /// Deepest first.
    anchors: Vec<PathBuf>,
    open: BTreeMap<PathBuf, Arc<Folder>>,
    used: BTreeMap<PathBuf, FileId>,
    /// The folder asked last, looked at first (steps come folder by folder): compared by its
    /// bytes, cheaper than the map's comparisons of components.
    last: Option<(PathBuf, Arc<Folder>)>,
    /// How many folders stay open at most.
    most_open: usize,
}

impl Tree {
    pub fn new(anchors: impl IntoIterator<Item = PathBuf>) -> Tree {
        let mut anchors: Vec<PathBuf> = anchors.into_iter().collect();
        anchors.sort_by_key(|a| std::cmp::Reverse(a.components().count()));
        anchors.dedup();
        Tree {
            anchors,
            open: BTreeMap::new(),
            used: BTreeMap::new(),
            last: None,
            most_open: OPEN_FOLDERS,
        }
    }

    /// The open folder holding `path`, and `path`'s name in it.
    pub fn parent_of<'a>(&mut self, path: &'a Path) -> io::Result<(Arc<Folder>, &'a OsStr)> {
        match crate::paths::split(path) {
            Some((parent, name)) => Ok((self.folder(parent)?, name)),
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} names no place in a folder", path.display()),
            )),
        }
    }

    /// The folder `dir`, walked to from its anchor without following a link below it.
    pub fn folder(&mut self, dir: &Path) -> io::Result<Arc<Folder>> {
        if let Some((last, f)) = &self.last
            && last.as_os_str() == dir.as_os_str()
        {
            return Ok(f.clone());
        }
        let folder = self.walk_to(dir)?;
        self.last = Some((dir.to_path_buf(), folder.clone()));
        Ok(folder)
    }

    fn walk_to(&mut self, dir: &Path) -> io::Result<Arc<Folder>> {
        if let Some(f) = self.open.get(dir) {
            return Ok(f.clone());
        }
        let folder = match self.anchor_of(dir) {
            Some(anchor) if anchor == dir => Folder::open(dir)?,
            Some(_) => {
                let (parent, name) = parent_and_name(dir)?;
                self.folder(parent)?.open_child(name)?
            }
            None => match dir.parent() {
                // Under no anchor: from the root, where only the system's links are followed.
                None => Folder::open(dir)?,
                Some(parent) => {
                    let (_, name) = parent_and_name(dir)?;
                    self.folder(parent)?.open_system_child(name)?
                }
            },
        };
        let folder = Arc::new(folder);
        self.used.insert(dir.to_path_buf(), folder.id()?);
        if self.open.len() >= self.most_open {
            self.open.clear();
        }
        self.open.insert(dir.to_path_buf(), folder.clone());
        Ok(folder)
    }

    /// The deepest anchor `dir` lies in (by its text: below it, nothing is followed).
    fn anchor_of(&self, dir: &Path) -> Option<&Path> {
        self.anchors
            .iter()
            .find(|a| dir.starts_with(a))
            .map(PathBuf::as_path)
    }

    /// Forgets the folders at and below `path`: a step of ours moved or removed it (or made
    /// something else there), so what was there is no longer on the way.
    pub fn forget(&mut self, path: &Path) {
        fn below<T>(map: &mut BTreeMap<PathBuf, T>, path: &Path) {
            let gone: Vec<PathBuf> = map
                .range(path.to_path_buf()..)
                .map(|(k, _)| k)
                .take_while(|k| k.starts_with(path))
                .cloned()
                .collect();
            for k in gone {
                map.remove(&k);
            }
        }
        below(&mut self.open, path);
        below(&mut self.used, path);
        if self
            .last
            .as_ref()
            .is_some_and(|(last, _)| last.starts_with(path))
        {
            self.last = None;
        }
    }

    /// Whether the folder `dir` was walked to (and not forgotten) since this tree was made.
    pub fn was_used(&self, dir: &Path) -> bool {
        self.used.contains_key(dir)
    }

    /// The folders walks start at.
    pub fn anchors(&self) -> &[PathBuf] {
        &self.anchors
    }

    /// Keeps at most `most` folders open (instead of [`OPEN_FOLDERS`]).
    pub fn keeping_open(mut self, most: usize) -> Tree {
        self.most_open = most;
        self
    }

    /// Walks again, afresh, to every folder used (and not moved by a step since): each must
    /// still be the folder that was written in. Names the first one that is not.
    pub fn check_unchanged(&self) -> Result<(), (PathBuf, io::Error)> {
        let mut fresh = Tree::new(self.anchors.iter().cloned());
        for (dir, id) in &self.used {
            match fresh.folder(dir).and_then(|f| f.id()) {
                Ok(now) if now == *id => {}
                Ok(_) => {
                    return Err((
                        dir.clone(),
                        io::Error::other(format!(
                            "{} was replaced by another folder while applying",
                            dir.display()
                        )),
                    ));
                }
                Err(e) => return Err((dir.clone(), e)),
            }
        }
        Ok(())
    }
}

/// A folder's parent and its name in it; `..` is never walked.
fn parent_and_name(dir: &Path) -> io::Result<(&Path, &OsStr)> {
    match (dir.parent(), dir.components().next_back()) {
        (Some(parent), Some(Component::Normal(name))) => Ok((parent, name)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not walked (`.` or `..` in it)", dir.display()),
        )),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    /// A link at `at` to `text`, owned by `nobody` when this runs as root (else by whoever runs
    /// it, who is not root either).
    fn users_link(text: &Path, at: &Path) {
        symlink(text, at).unwrap();
        if rustix::process::geteuid().is_root() {
            let nobody = rustix::fs::Uid::from_raw(65534);
            let nogroup = rustix::fs::Gid::from_raw(65534);
            let flags = rustix::fs::AtFlags::SYMLINK_NOFOLLOW;
            rustix::fs::chownat(rustix::fs::CWD, at, Some(nobody), Some(nogroup), flags).unwrap();
        }
    }

    #[test]
    fn links_are_followed_at_and_above_an_anchor_and_never_below() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        fs::create_dir_all(t.join("real-home/a/b")).unwrap();
        fs::create_dir(t.join("elsewhere")).unwrap();
        // The home itself is reached through a link (the system's `/home -> /usr/home`).
        symlink(t.join("real-home"), t.join("home")).unwrap();
        let home = t.join("home");
        let mut tree = Tree::new([home.clone()]);
        let b = tree.folder(&home.join("a/b")).unwrap();
        assert_eq!(b.path(), home.join("a/b"));
        let x = home.join("a/b/x");
        let (_, name) = tree.parent_of(&x).unwrap();
        assert_eq!(name, "x");

        symlink(t.join("elsewhere"), home.join("l")).unwrap();
        for below in ["l", "l/x", "l/x/y"] {
            let e = tree.folder(&home.join(below)).err().unwrap();
            assert_eq!(
                link_on_the_way_at(&e),
                Some(home.join("l").as_path()),
                "{below}"
            );
        }
        // `..` is never walked.
        assert!(tree.folder(&home.join("a/../l")).is_err());
    }

    #[test]
    fn outside_every_anchor_only_roots_links_are_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        fs::create_dir_all(t.join("out")).unwrap();
        fs::create_dir(t.join("elsewhere")).unwrap();
        users_link(&t.join("elsewhere"), &t.join("out/users"));
        let mut tree = Tree::new([t.join("home")]);
        let e = tree.folder(&t.join("out/users")).err().unwrap();
        assert_eq!(link_on_the_way_at(&e), Some(t.join("out/users").as_path()));
        if rustix::process::geteuid().is_root() {
            symlink(t.join("elsewhere"), t.join("out/roots")).unwrap();
            assert!(tree.folder(&t.join("out/roots")).is_ok());
        }
    }

    #[test]
    fn a_folder_swapped_after_it_was_walked_to_is_found_at_the_end() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().to_path_buf();
        fs::create_dir_all(home.join("a/b")).unwrap();
        let mut tree = Tree::new([home.clone()]);
        tree.folder(&home.join("a/b")).unwrap();
        assert!(tree.was_used(&home.join("a/b")));
        assert!(tree.check_unchanged().is_ok());
        // Moved away and a link put in its place: the handle still writes in the moved folder.
        fs::rename(home.join("a"), home.join("moved")).unwrap();
        symlink(home.join("moved"), home.join("a")).unwrap();
        let (dir, e) = tree.check_unchanged().unwrap_err();
        assert_eq!(dir, home.join("a"));
        assert!(is_link_on_the_way(&e), "{e}");
        // A folder replaced by another folder is found too.
        fs::remove_file(home.join("a")).unwrap();
        fs::create_dir_all(home.join("a/b")).unwrap();
        let (dir, e) = tree.check_unchanged().unwrap_err();
        assert_eq!(dir, home.join("a"));
        assert!(e.to_string().contains("replaced"), "{e}");
        // Once our own step moves it, it is no longer checked.
        tree.forget(&home.join("a"));
        assert!(!tree.was_used(&home.join("a/b")));
        assert!(tree.check_unchanged().is_ok());
    }
}
