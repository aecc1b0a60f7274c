//! Containment by real path, not by text: every `to` lies inside the repo, and no `at` lies
//! inside linkfile's state folder or — through the home folder itself — inside the repo, with
//! the links on the way followed as the filesystem will follow them when it writes. The
//! resolver's lexical checks come first; this is where the filesystem is read (one
//! `canonicalize` per distinct folder). A link in the repo is itself a fine `to` (it is linked
//! as it is): only the folders on the way to `to` are followed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::error::Diagnostic;
use crate::resolve::{Context, Desired};
use crate::show::Shown as _;

/// `path` as the filesystem reaches it: its deepest existing ancestor with every link resolved,
/// and the rest (still to be made) appended.
pub(crate) fn real_path(path: &Path) -> PathBuf {
    for ancestor in path.ancestors() {
        if let Some(real) = existing_real_path(ancestor) {
            return real.join(path.strip_prefix(ancestor).unwrap_or(Path::new("")));
        }
    }
    path.to_path_buf()
}

/// The real path of `path`, every link on it resolved; `None` when it does not exist (or
/// cannot be resolved).
pub(crate) fn existing_real_path(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// Where a path (the real path of its folder, its own name kept) really is: the folder's real
/// path is asked once per folder.
#[derive(Default)]
pub(crate) struct Folders(HashMap<PathBuf, PathBuf>);

impl Folders {
    /// The real path of the folder `dir`, as [`real_path`] gives it. Found from its parent's
    /// (asked once per folder too) where `dir` is not a link: its parent's real path and its
    /// name, for one `lstat`; only a link (or what cannot be looked at) is resolved by the
    /// filesystem, whose `realpath` reads every component of the path again. Unix only: on
    /// Windows the filesystem's answer also spells short (8.3) names long.
    pub(crate) fn real(&mut self, dir: &Path) -> PathBuf {
        if let Some(real) = self.0.get(dir) {
            return real.clone();
        }
        let not_a_link = cfg!(unix)
            && match std::fs::symlink_metadata(dir) {
                Ok(meta) => !meta.file_type().is_symlink(),
                Err(e) => e.kind() == std::io::ErrorKind::NotFound,
            };
        let real = match crate::paths::split(dir) {
            Some((parent, name)) if not_a_link && !parent.as_os_str().is_empty() => {
                self.real(parent).join(name)
            }
            _ => real_path(dir),
        };
        self.0.insert(dir.to_path_buf(), real.clone());
        real
    }

    fn place(&mut self, path: &Path) -> PathBuf {
        match crate::paths::split(path) {
            Some((dir, name)) => self.real(dir).join(name),
            None => real_path(path),
        }
    }
}

/// Which folders every link in them passes [`check`] in, whatever its name: a folder is looked
/// at once, and only the links of the other folders are checked one by one. A name adds one
/// component, so a folder inside a root keeps the link inside it, and a folder that neither
/// lies inside a root nor holds it keeps the link outside it.
#[derive(Default)]
struct Clear<'a> {
    /// `to`'s folder: inside the repo by its real path.
    to: HashMap<&'a Path, bool>,
    /// `at`'s folder: neither in nor around the state folder, nor the repo (by real path, through
    /// the home as [`check`] follows it).
    at: HashMap<&'a Path, bool>,
    /// The last two folders asked, so that links folder by folder hash nothing.
    last_to: Option<(&'a Path, bool)>,
    last_at: Option<(&'a Path, bool)>,
}

impl<'a> Clear<'a> {
    fn link(
        &mut self,
        d: &'a Desired,
        walked: bool,
        folders: &mut Folders,
        cx: &Context,
        roots: &Roots,
    ) -> bool {
        let to_clear = walked
            || cached(&mut self.last_to, &mut self.to, &d.to, |to_dir| {
                let real = folders.real(to_dir);
                crate::paths::within(&real, &roots.repo, cx.os)
            });
        to_clear
            && cached(&mut self.last_at, &mut self.at, &d.at, |at_dir| {
                at_folder_clear(at_dir, &folders.real(at_dir), cx, roots)
            })
    }
}

/// What `compute` says of the folder `path` is in, asked once per folder (and the folder asked
/// last known from the bytes); `false` for a path in no folder.
fn cached<'a>(
    last: &mut Option<(&'a Path, bool)>,
    map: &mut HashMap<&'a Path, bool>,
    path: &'a Path,
    compute: impl FnOnce(&'a Path) -> bool,
) -> bool {
    if let Some((dir, v)) = *last
        && crate::paths::in_folder(path, dir)
    {
        return v;
    }
    let Some(dir) = path.parent() else {
        return false;
    };
    let v = *map.entry(dir).or_insert_with(|| compute(dir));
    *last = Some((dir, v));
    v
}

/// Whether every link in `dir` (real path `real`) is clear of the state folder and the repo.
fn at_folder_clear(dir: &Path, real: &Path, cx: &Context, roots: &Roots) -> bool {
    use crate::paths::within;
    let apart = |a: &Path, b: &Path| !within(a, b, cx.os) && !within(b, a, cx.os);
    if !apart(real, &roots.state) {
        return false;
    }
    if within(dir, cx.home, cx.os) {
        let depth = cx.home.components().count();
        let below = dir.components().skip(depth).collect::<PathBuf>();
        apart(&roots.home.join(below), &roots.repo)
    } else {
        !within(cx.home, dir, cx.os) && apart(real, &roots.repo)
    }
}

/// The real paths of the repo, the home and the state folder, which every check compares with.
pub(crate) struct Roots {
    repo: PathBuf,
    home: PathBuf,
    state: PathBuf,
}

impl Roots {
    pub(crate) fn new(cx: &Context) -> Roots {
        Roots {
            repo: real_path(cx.repo),
            home: real_path(cx.home),
            state: real_path(cx.state),
        }
    }
}

/// `Some(real)` when the real path `real` lies outside the repo.
pub(crate) fn outside_repo(real: PathBuf, roots: &Roots, cx: &Context) -> Option<PathBuf> {
    (!crate::paths::within(&real, &roots.repo, cx.os)).then_some(real)
}

/// Checks every link by real path. `walked[i]` is `Some` when the link's original was found by
/// an `each` walk, which follows no link below the folder it walks (that folder is checked by
/// the walk).
pub(crate) fn check(
    links: &[Desired],
    walked: &[Option<crate::manifest::EntryKind>],
    cx: &Context,
    roots: &Roots,
) -> Result<(), Vec<Diagnostic>> {
    let mut folders = Folders::default();
    let mut clear = Clear::default();
    let mut errors = Vec::new();
    // An `each` entry's links share its spans: one error per entry and check.
    let mut reported = HashSet::new();
    for (d, walked) in links.iter().zip(walked) {
        if clear.link(d, walked.is_some(), &mut folders, cx, roots) {
            continue;
        }
        if walked.is_none()
            && let Some(real) = outside_repo(folders.place(&d.to), roots, cx)
            && reported.insert(("to", d.to_span.start))
        {
            errors.push(to_escapes(d, &real, cx));
        }
        let at = folders.place(&d.at);
        if crate::paths::within(&at, &roots.state, cx.os)
            && reported.insert(("state", d.at_span.start))
        {
            errors.push(at_in_state(d, &at, cx));
            continue;
        }
        // Below the home, a link on the way is the planner's to see (a folder link into the
        // repo is a conflict, and is unfolded under `backup`): only the home itself is followed.
        let (at, way) = if crate::paths::within(&d.at, cx.home, cx.os) {
            let depth = cx.home.components().count();
            let below = d.at.components().skip(depth).collect::<PathBuf>();
            (roots.home.join(below), Way::Home)
        } else {
            (at, Way::LinkOnTheWay)
        };
        if crate::paths::within(&at, &roots.repo, cx.os)
            && reported.insert(("repo", d.at_span.start))
        {
            errors.push(at_in_repo(d, &at, way, cx));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// `to` (or the folder an `each` entry walks) leads out of the repo through a link.
pub(crate) fn to_escapes(d: &Desired, real: &Path, cx: &Context) -> Diagnostic {
    cx.diagnostic(
        d.to_span.clone(),
        format!(
            "`to` escapes the repo by its real path: {} is {}, outside {}",
            d.to.shown(),
            real.shown(),
            cx.repo.shown()
        ),
        Some("a link in the repo leads out of it on the way; point `to` at something inside the repo (a link in the repo may itself be `to`: it is linked as it is)".into()),
    )
}

fn at_in_state(d: &Desired, real: &Path, cx: &Context) -> Diagnostic {
    cx.diagnostic(
        d.at_span.clone(),
        format!(
            "`at` is inside linkfile's state folder {} (by its real path, {}): linkfile keeps its log, backups and lock there",
            cx.state.shown(),
            real.shown()
        ),
        Some("put the link elsewhere (LINKFILE_STATE_DIR moves the state folder)".into()),
    )
}

/// How an `at` leads into the repo by its real path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// Through the home folder itself.
    Home,
    /// Through a link on the way, outside the home.
    LinkOnTheWay,
}

fn at_in_repo(d: &Desired, real: &Path, way: Way, cx: &Context) -> Diagnostic {
    let (how, hint) = match way {
        Way::Home => (
            format!("the home folder {} leads into the repo", cx.home.shown()),
            "use a home folder outside the repo (--home, LINKFILE_HOME)",
        ),
        Way::LinkOnTheWay => (
            "a link on the way leads into the repo".to_string(),
            "`at` is where the link goes, outside the repo: change `at`",
        ),
    };
    cx.diagnostic(
        d.at_span.clone(),
        format!(
            "{} is inside the repo by its real path ({}): {how}, so the link would be written into your dotfiles",
            d.at.shown(),
            real.shown(),
        ),
        Some(hint.into()),
    )
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    #[test]
    fn real_paths_found_from_parents_are_the_filesystems() {
        let tmp = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(tmp.path()).unwrap();
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::write(root.join("a/file"), "").unwrap();
        symlink(root.join("a"), root.join("link")).unwrap();
        symlink("link/b", root.join("rel-link")).unwrap();
        symlink(root.join("nowhere"), root.join("dangling")).unwrap();
        let dirs = [
            "a",
            "a/b",
            "a/b/new/deeper",
            "link",
            "link/b",
            "link/b/new",
            "rel-link",
            "rel-link/new",
            "dangling",
            "dangling/new",
            "a/file",
            "a/file/x",
            "missing/x",
        ];
        let mut folders = Folders::default();
        for dir in dirs.iter().chain(dirs.iter().rev()) {
            let dir = root.join(dir);
            assert_eq!(folders.real(&dir), real_path(&dir), "{dir:?}");
        }
    }
}
