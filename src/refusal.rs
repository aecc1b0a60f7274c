//! Why a command refused what it was asked ([`Refusal`]), and what it says: the message and the
//! hint of every refusal are written here, from the paths it names.

use std::fmt;
use std::path::{Path, PathBuf};

/// A command's refusal of what it was asked (`add`, `init`, `undo`); nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `add` refused its paths or the places they would go.
    Add(AddRefusal),
    /// Undoing operation `op` (an `add`) while something it made changed since.
    UndoAdd { op: u64, change: AddChange },
    /// `undo --json` of an `add`.
    UndoAddAsJson,
    /// `init` refused to write a manifest.
    Init(InitRefusal),
}

/// Why `add` refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddRefusal {
    /// `--to` with more than one path.
    ToWithSeveralPaths,
    /// Two paths given, one holding the other.
    Nested { path: PathBuf, other: PathBuf },
    /// Two paths given that would go to the same place in the repo.
    SamePlaceInRepo {
        path: PathBuf,
        other: PathBuf,
        to: PathBuf,
    },
    /// An addition's place in the repo lies in an `each` entry's folder.
    InEachFolder { to: PathBuf, folder: PathBuf },
    /// The manifest cannot be edited (it does not parse as TOML, or `links` is not a table).
    CannotEditManifest { manifest: PathBuf, why: String },
    /// The manifest's new entry for `at` does not resolve on this machine.
    NotOnThisMachine { at: PathBuf },
    /// A folder to add, while the manifest's `link_type` is hardlink.
    FolderAsHardLink { at: PathBuf },
    /// `--to` naming a place outside the repo.
    ToOutsideRepo { to: PathBuf },
    /// The place in the repo an addition goes to is taken.
    ExistsInRepo { dest: PathBuf },
    /// A folder in the repo on the way to an addition's place is a file or a link.
    NotARealFolderInRepo { dir: PathBuf },
    /// A path given (made absolute) that cannot be added.
    Given { path: PathBuf, why: NotAddable },
    /// The manifest is a link whose file lies outside the repo.
    ManifestLinkOutOfRepo { manifest: PathBuf },
}

/// Why a path given to `add` cannot be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAddable {
    /// It does not exist.
    Missing,
    /// It names no file (`/`, `..`).
    NamesNoFile,
    /// It lies outside the home (by real path).
    NotBelowHome { home: PathBuf },
    /// A folder link lies on the way from the home to it.
    FolderLinkOnTheWay { link: PathBuf },
    /// It is a link.
    AlreadyALink,
    /// It is a fifo, socket or device.
    SpecialFile,
    /// It lies inside the repo, or holds it.
    InRepo { repo: PathBuf },
    /// It holds linkfile's state folder.
    HoldsState { state: PathBuf },
    /// The manifest or the last operation has a link at, in or above it.
    Managed { link: PathBuf },
    /// Its name (or its place in the repo) is not UTF-8, which TOML cannot hold.
    NotUtf8,
}

/// What changed since an `add`, so that undoing it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddChange {
    /// The manifest was edited since.
    Manifest { manifest: PathBuf },
    /// The manifest's earlier version left the backup store.
    EarlierManifestGone { stored: PathBuf },
    /// linkfile no longer owns the link at `at`.
    NotOwned { at: PathBuf },
    /// The link at `at` is no longer the one `add` made.
    NotTheLink { at: PathBuf },
    /// What `add` moved to `to` is no longer in the repo.
    NotInRepo { to: PathBuf },
}

/// Why `init` refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitRefusal {
    /// A manifest exists where init would write one.
    ManifestExists { manifest: PathBuf },
    /// `--from-stow` in a folder without package folders.
    NoStowPackages { dir: PathBuf },
    /// `--from-stow` packages that cannot be translated (the translator's words).
    StowPackages(String),
    /// A `--from-dotbot` config that cannot be translated (the translator's words).
    DotbotConfig(String),
}

impl Refusal {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Refusal::Add(r) => r.hint(),
            Refusal::UndoAdd { .. } => {
                "put it back as `linkfile add` left it, or undo that part by hand"
            }
            Refusal::UndoAddAsJson => "run `linkfile undo` without --json",
            Refusal::Init(r) => r.hint(),
        }
    }
}

impl AddRefusal {
    fn hint(&self) -> &'static str {
        match self {
            AddRefusal::ToWithSeveralPaths => "add the paths one at a time, each with its --to",
            AddRefusal::Nested { .. } => "add the folder, or the files in it, not both",
            AddRefusal::SamePlaceInRepo { .. } => "give each a place of its own with --to",
            AddRefusal::InEachFolder { .. } => {
                "choose another place with --to (outside the each folders)"
            }
            AddRefusal::CannotEditManifest { .. } => {
                "fix the manifest so that `linkfile plan` reads it (and its line ends are all alike), then add again"
            }
            AddRefusal::NotOnThisMachine { .. } => "check the manifest's defaults",
            AddRefusal::FolderAsHardLink { .. } => {
                "hard links are for files: add the files in it, or set link_type per entry"
            }
            AddRefusal::ToOutsideRepo { .. } => {
                "give a path relative to the manifest's folder, such as nvim or git/config"
            }
            AddRefusal::ExistsInRepo { .. } => {
                "choose another place with --to, or move that one aside"
            }
            AddRefusal::NotARealFolderInRepo { .. } => "choose another place with --to",
            AddRefusal::Given { why, .. } => why.hint(),
            AddRefusal::ManifestLinkOutOfRepo { .. } => {
                "keep the manifest's file in the repo (a link to it may be anywhere), or add the entry and move the file by hand"
            }
        }
    }
}

impl NotAddable {
    fn hint(&self) -> &'static str {
        match self {
            NotAddable::Missing | NotAddable::NamesNoFile => {
                "give a file or folder below your home"
            }
            NotAddable::NotBelowHome { .. } => {
                "linkfile add moves files of your home into the repo; give a path below it"
            }
            NotAddable::FolderLinkOnTheWay { .. } => {
                "add the path where the link leads, or replace the folder link by a real folder"
            }
            NotAddable::AlreadyALink => {
                "linkfile add moves a real file or folder into the repo; a link has nothing to move"
            }
            NotAddable::SpecialFile => "only files and folders can be kept in a repo",
            NotAddable::InRepo { .. } => "add files of your home that are not in the repo",
            NotAddable::HoldsState { .. } => "add the files in it one by one, not the folder",
            NotAddable::Managed { .. } => {
                "it is in the repo already; `linkfile plan` shows its link"
            }
            NotAddable::NotUtf8 => "rename it, or add the folder that holds it",
        }
    }
}

impl InitRefusal {
    fn hint(&self) -> &'static str {
        match self {
            InitRefusal::ManifestExists { .. } => {
                "linkfile init never overwrites a manifest: move it aside, or run init in another folder"
            }
            InitRefusal::NoStowPackages { .. } => {
                "run init --from-stow in your stow directory, or name the packages"
            }
            InitRefusal::StowPackages(_) => "name the package folders of this folder",
            InitRefusal::DotbotConfig(_) => {
                "give the dotbot config (install.conf.yaml) of this repo"
            }
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Add(r) => write!(f, "{r}; nothing was changed"),
            Refusal::UndoAdd { op, change } => write!(
                f,
                "cannot undo operation {op} (add): {change}; nothing was changed"
            ),
            Refusal::UndoAddAsJson => {
                f.write_str("`undo --json` cannot report undoing an `add` yet; nothing was changed")
            }
            Refusal::Init(r) => write!(f, "{r}; nothing was written"),
        }
    }
}

impl fmt::Display for AddRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = Path::display;
        match self {
            AddRefusal::ToWithSeveralPaths => {
                f.write_str("--to names the place of one path, and several were given")
            }
            AddRefusal::Nested { path, other } => write!(
                f,
                "{} and {} were both given, and one holds the other",
                d(path),
                d(other)
            ),
            AddRefusal::SamePlaceInRepo { path, other, to } => write!(
                f,
                "{} and {} would both go to {} in the repo",
                d(path),
                d(other),
                d(to)
            ),
            AddRefusal::InEachFolder { to, folder } => write!(
                f,
                "{} lies in {}, the folder of an `each` entry, which would link it a second time",
                d(to),
                d(folder)
            ),
            AddRefusal::CannotEditManifest { manifest, why } => {
                write!(f, "cannot edit {}: {why}", d(manifest))
            }
            AddRefusal::NotOnThisMachine { at } => write!(
                f,
                "the manifest's new entry for {} does not apply on this machine",
                d(at)
            ),
            AddRefusal::FolderAsHardLink { at } => write!(
                f,
                "{} is a folder, and the manifest's link_type is hardlink",
                d(at)
            ),
            AddRefusal::ToOutsideRepo { to } => {
                write!(f, "--to {} is not a place inside the repo", d(to))
            }
            AddRefusal::ExistsInRepo { dest } => {
                write!(f, "{} exists in the repo already", d(dest))
            }
            AddRefusal::NotARealFolderInRepo { dir } => write!(
                f,
                "{} in the repo is not a real folder (a file or a link)",
                d(dir)
            ),
            AddRefusal::Given { path, why } => not_addable(f, path, why),
            AddRefusal::ManifestLinkOutOfRepo { manifest } => write!(
                f,
                "the manifest {} is a link leading out of the repo, and add writes only in the home and the repo",
                crate::show::path(manifest)
            ),
        }
    }
}

/// Says why the path given as `path` cannot be added.
fn not_addable(f: &mut fmt::Formatter<'_>, path: &Path, why: &NotAddable) -> fmt::Result {
    // Escaped: a name that is not UTF-8 shows its bytes.
    let path = crate::show::path(path);
    match why {
        NotAddable::Missing => write!(f, "{path} does not exist"),
        NotAddable::NamesNoFile => write!(f, "{path} names no file"),
        NotAddable::NotBelowHome { home } => {
            write!(f, "{path} is not below the home {}", home.display())
        }
        NotAddable::FolderLinkOnTheWay { link } => {
            write!(
                f,
                "{} is a folder link on the way to {path}",
                link.display()
            )
        }
        NotAddable::AlreadyALink => write!(f, "{path} is a link already"),
        NotAddable::SpecialFile => {
            write!(f, "{path} is a special file (a fifo, socket or device)")
        }
        NotAddable::InRepo { repo } => {
            write!(
                f,
                "{path} is inside the repo {}, or holds it",
                repo.display()
            )
        }
        NotAddable::HoldsState { state } => {
            write!(
                f,
                "{path} holds linkfile's state folder {}",
                state.display()
            )
        }
        NotAddable::Managed { link } => write!(
            f,
            "{path} is managed already: the manifest (or linkfile's last operation) has a link at {}",
            link.display()
        ),
        NotAddable::NotUtf8 => write!(
            f,
            "the name of {path} is not UTF-8, which the manifest (TOML) cannot hold"
        ),
    }
}

impl fmt::Display for AddChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddChange::Manifest { manifest } => write!(
                f,
                "the manifest {} changed since; undoing would lose those edits",
                manifest.display()
            ),
            AddChange::EarlierManifestGone { stored } => write!(
                f,
                "the manifest's earlier version is no longer at {}",
                stored.display()
            ),
            AddChange::NotOwned { at } => {
                write!(f, "linkfile no longer owns the link at {}", at.display())
            }
            AddChange::NotTheLink { at } => {
                write!(f, "{} is no longer the link `add` made", at.display())
            }
            AddChange::NotInRepo { to } => write!(f, "{} is no longer in the repo", to.display()),
        }
    }
}

impl fmt::Display for InitRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitRefusal::ManifestExists { manifest } => {
                write!(f, "{} already exists", manifest.display())
            }
            InitRefusal::NoStowPackages { dir } => {
                write!(f, "no stow package folders in {}", dir.display())
            }
            InitRefusal::StowPackages(why) | InitRefusal::DotbotConfig(why) => f.write_str(why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    fn given(why: NotAddable) -> Refusal {
        Refusal::Add(AddRefusal::Given {
            path: p("/h/x"),
            why,
        })
    }

    /// Each refusal says its message and its hint.
    fn check(rows: Vec<(Refusal, &str, &str)>) {
        for (refusal, message, hint) in rows {
            assert_eq!(refusal.to_string(), message, "{refusal:?}");
            assert_eq!(refusal.hint(), hint, "{refusal:?}");
        }
    }

    #[test]
    fn add_refuses_the_paths_given() {
        check(vec![
            (
                given(NotAddable::Missing),
                "/h/x does not exist; nothing was changed",
                "give a file or folder below your home",
            ),
            (
                given(NotAddable::NamesNoFile),
                "/h/x names no file; nothing was changed",
                "give a file or folder below your home",
            ),
            (
                given(NotAddable::NotBelowHome { home: p("/h") }),
                "/h/x is not below the home /h; nothing was changed",
                "linkfile add moves files of your home into the repo; give a path below it",
            ),
            (
                given(NotAddable::FolderLinkOnTheWay { link: p("/h/l") }),
                "/h/l is a folder link on the way to /h/x; nothing was changed",
                "add the path where the link leads, or replace the folder link by a real folder",
            ),
            (
                given(NotAddable::AlreadyALink),
                "/h/x is a link already; nothing was changed",
                "linkfile add moves a real file or folder into the repo; a link has nothing to move",
            ),
            (
                given(NotAddable::SpecialFile),
                "/h/x is a special file (a fifo, socket or device); nothing was changed",
                "only files and folders can be kept in a repo",
            ),
            (
                given(NotAddable::InRepo { repo: p("/r") }),
                "/h/x is inside the repo /r, or holds it; nothing was changed",
                "add files of your home that are not in the repo",
            ),
            (
                given(NotAddable::HoldsState { state: p("/h/s") }),
                "/h/x holds linkfile's state folder /h/s; nothing was changed",
                "add the files in it one by one, not the folder",
            ),
            (
                given(NotAddable::Managed { link: p("/h/x/y") }),
                "/h/x is managed already: the manifest (or linkfile's last operation) has a link at /h/x/y; nothing was changed",
                "it is in the repo already; `linkfile plan` shows its link",
            ),
            (
                given(NotAddable::NotUtf8),
                "the name of /h/x is not UTF-8, which the manifest (TOML) cannot hold; nothing was changed",
                "rename it, or add the folder that holds it",
            ),
        ]);
    }

    #[test]
    fn add_refuses_the_places_in_the_repo() {
        let add = Refusal::Add;
        check(vec![
            (
                add(AddRefusal::ToWithSeveralPaths),
                "--to names the place of one path, and several were given; nothing was changed",
                "add the paths one at a time, each with its --to",
            ),
            (
                add(AddRefusal::Nested {
                    path: p("/h/a/b"),
                    other: p("/h/a"),
                }),
                "/h/a/b and /h/a were both given, and one holds the other; nothing was changed",
                "add the folder, or the files in it, not both",
            ),
            (
                add(AddRefusal::SamePlaceInRepo {
                    path: p("/h/a"),
                    other: p("/h/b"),
                    to: p("/r/a"),
                }),
                "/h/a and /h/b would both go to /r/a in the repo; nothing was changed",
                "give each a place of its own with --to",
            ),
            (
                add(AddRefusal::InEachFolder {
                    to: p("/r/e/a"),
                    folder: p("/r/e"),
                }),
                "/r/e/a lies in /r/e, the folder of an `each` entry, which would link it a second time; nothing was changed",
                "choose another place with --to (outside the each folders)",
            ),
            (
                add(AddRefusal::ToOutsideRepo {
                    to: p("/elsewhere"),
                }),
                "--to /elsewhere is not a place inside the repo; nothing was changed",
                "give a path relative to the manifest's folder, such as nvim or git/config",
            ),
            (
                add(AddRefusal::ExistsInRepo { dest: p("/r/a") }),
                "/r/a exists in the repo already; nothing was changed",
                "choose another place with --to, or move that one aside",
            ),
            (
                add(AddRefusal::NotARealFolderInRepo { dir: p("/r/d") }),
                "/r/d in the repo is not a real folder (a file or a link); nothing was changed",
                "choose another place with --to",
            ),
        ]);
    }

    #[test]
    fn add_refuses_a_manifest_it_cannot_extend() {
        let add = Refusal::Add;
        check(vec![
            (
                add(AddRefusal::CannotEditManifest {
                    manifest: p("/r/linkfile.toml"),
                    why: "its `links` is not a table".into(),
                }),
                "cannot edit /r/linkfile.toml: its `links` is not a table; nothing was changed",
                "fix the manifest so that `linkfile plan` reads it (and its line ends are all alike), then add again",
            ),
            (
                add(AddRefusal::NotOnThisMachine { at: p("/h/a") }),
                "the manifest's new entry for /h/a does not apply on this machine; nothing was changed",
                "check the manifest's defaults",
            ),
            (
                add(AddRefusal::FolderAsHardLink { at: p("/h/d") }),
                "/h/d is a folder, and the manifest's link_type is hardlink; nothing was changed",
                "hard links are for files: add the files in it, or set link_type per entry",
            ),
            (
                add(AddRefusal::ManifestLinkOutOfRepo {
                    manifest: p("/r/linkfile.toml"),
                }),
                "the manifest /r/linkfile.toml is a link leading out of the repo, and add writes only in the home and the repo; nothing was changed",
                "keep the manifest's file in the repo (a link to it may be anywhere), or add the entry and move the file by hand",
            ),
        ]);
    }

    #[test]
    fn undo_refuses_an_add_changed_since() {
        let changed = |change| Refusal::UndoAdd { op: 3, change };
        let hint = "put it back as `linkfile add` left it, or undo that part by hand";
        check(vec![
            (
                changed(AddChange::Manifest {
                    manifest: p("/r/linkfile.toml"),
                }),
                "cannot undo operation 3 (add): the manifest /r/linkfile.toml changed since; undoing would lose those edits; nothing was changed",
                hint,
            ),
            (
                changed(AddChange::EarlierManifestGone {
                    stored: p("/s/b/1/linkfile.toml"),
                }),
                "cannot undo operation 3 (add): the manifest's earlier version is no longer at /s/b/1/linkfile.toml; nothing was changed",
                hint,
            ),
            (
                changed(AddChange::NotOwned { at: p("/h/a") }),
                "cannot undo operation 3 (add): linkfile no longer owns the link at /h/a; nothing was changed",
                hint,
            ),
            (
                changed(AddChange::NotTheLink { at: p("/h/a") }),
                "cannot undo operation 3 (add): /h/a is no longer the link `add` made; nothing was changed",
                hint,
            ),
            (
                changed(AddChange::NotInRepo { to: p("/r/a") }),
                "cannot undo operation 3 (add): /r/a is no longer in the repo; nothing was changed",
                hint,
            ),
            (
                Refusal::UndoAddAsJson,
                "`undo --json` cannot report undoing an `add` yet; nothing was changed",
                "run `linkfile undo` without --json",
            ),
        ]);
    }

    #[test]
    fn init_refuses_what_it_cannot_write() {
        let init = Refusal::Init;
        check(vec![
            (
                init(InitRefusal::ManifestExists {
                    manifest: p("/r/linkfile.toml"),
                }),
                "/r/linkfile.toml already exists; nothing was written",
                "linkfile init never overwrites a manifest: move it aside, or run init in another folder",
            ),
            (
                init(InitRefusal::NoStowPackages { dir: p("/r") }),
                "no stow package folders in /r; nothing was written",
                "run init --from-stow in your stow directory, or name the packages",
            ),
            (
                init(InitRefusal::StowPackages(
                    "no package named vim in /r".into(),
                )),
                "no package named vim in /r; nothing was written",
                "name the package folders of this folder",
            ),
            (
                init(InitRefusal::DotbotConfig("no link directive".into())),
                "no link directive; nothing was written",
                "give the dotbot config (install.conf.yaml) of this repo",
            ),
        ]);
    }
}
