//! What a Windows entry is, from its attributes and reparse tag: pure, so every tag is
//! unit-tested on every platform. `read_link` answers only for symlinks and junctions; a
//! OneDrive placeholder, an app execution alias, a WSL symlink or a file on FAT makes it fail,
//! and those are things in the way, not errors that stop the plan.

use super::explain::codes;
use super::{Flavour, ReadLink};

/// File attribute: a folder.
pub const FILE_ATTRIBUTE_DIRECTORY: u32 = 0x10;
/// File attribute: the entry carries a reparse point (its tag says which kind).
pub const FILE_ATTRIBUTE_REPARSE_POINT: u32 = 0x400;

/// A junction or a volume mount point (`mklink /J`, `mountvol`).
pub const IO_REPARSE_TAG_MOUNT_POINT: u32 = 0xA000_0003;
/// A symbolic link (`mklink`, `mklink /D`).
pub const IO_REPARSE_TAG_SYMLINK: u32 = 0xA000_000C;
/// An app execution alias (`%LOCALAPPDATA%\Microsoft\WindowsApps\*.exe`).
pub const IO_REPARSE_TAG_APPEXECLINK: u32 = 0x8000_001B;
/// A symlink made inside WSL on a Windows volume.
pub const IO_REPARSE_TAG_LX_SYMLINK: u32 = 0xA000_001D;
/// A cloud files placeholder (OneDrive); `IO_REPARSE_TAG_CLOUD_1` to `_F` carry a number in
/// bits 12 to 15.
pub const IO_REPARSE_TAG_CLOUD: u32 = 0x9000_001A;
/// Data deduplication.
pub const IO_REPARSE_TAG_DEDUP: u32 = 0x8000_0013;

/// Whether `tag` is one of the cloud files tags (`IO_REPARSE_TAG_CLOUD` and `_1` to `_F`).
pub fn is_cloud(tag: u32) -> bool {
    tag & !0x0000_F000 == IO_REPARSE_TAG_CLOUD
}

/// What the attributes and reparse tag of an entry say it is, as far as links go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reparse {
    /// No reparse point: a plain file or folder.
    None,
    /// A link `read_link` reads (symlink or junction), of this flavour.
    Link(Flavour),
    /// A reparse point that is not a link (cloud placeholder, app execution alias, WSL
    /// symlink, dedup): something in the way, never linkfile's.
    NotALink,
}

/// Classifies an entry by its attributes and reparse tag (the tag is read only when the
/// attributes carry `FILE_ATTRIBUTE_REPARSE_POINT`).
pub fn classify(attributes: u32, tag: u32) -> Reparse {
    if attributes & FILE_ATTRIBUTE_REPARSE_POINT == 0 {
        return Reparse::None;
    }
    let folder = attributes & FILE_ATTRIBUTE_DIRECTORY != 0;
    match tag {
        IO_REPARSE_TAG_MOUNT_POINT => Reparse::Link(Flavour::Junction),
        IO_REPARSE_TAG_SYMLINK if folder => Reparse::Link(Flavour::Dir),
        IO_REPARSE_TAG_SYMLINK => Reparse::Link(Flavour::File),
        _ => Reparse::NotALink,
    }
}

/// What a failed `read_link` means, from its raw error code (`None`: std refused the reparse
/// data itself, e.g. "Unsupported reparse point type") and, for any failure but a missing
/// path, what a look at the entry without following it answered: its (attributes, tag), or
/// `None` when that look failed too.
pub fn read_failure(code: Option<i32>, look: impl FnOnce() -> Option<(u32, u32)>) -> Verdict {
    match code {
        Some(codes::ERROR_FILE_NOT_FOUND) => return Verdict::Missing,
        // Either a parent folder is missing or a parent is a file: the caller looks.
        Some(codes::ERROR_PATH_NOT_FOUND | codes::ERROR_DIRECTORY) => {
            return Verdict::ParentProblem;
        }
        Some(codes::ERROR_NOT_A_REPARSE_POINT) => return Verdict::NotALink,
        _ => {}
    }
    match look().map(|(attributes, tag)| classify(attributes, tag)) {
        // A plain file on a volume without reparse points (FAT answers 1), or a placeholder.
        Some(Reparse::None | Reparse::NotALink) => Verdict::NotALink,
        // A link that could not be read (access denied, ...): the error stands.
        Some(Reparse::Link(_)) | None => Verdict::Failed,
    }
}

/// [`read_failure`]'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Something that is not a link: looked at as a file, folder or other thing in the way.
    NotALink,
    /// Nothing there.
    Missing,
    /// A parent is missing or not a folder.
    ParentProblem,
    /// A real failure: the error is reported.
    Failed,
}

impl Verdict {
    /// As a [`ReadLink`], carrying `e` when it failed.
    pub fn with(self, e: std::io::Error) -> ReadLink {
        match self {
            Verdict::NotALink => ReadLink::NotALink,
            Verdict::Missing => ReadLink::Missing,
            Verdict::ParentProblem => ReadLink::ParentProblem,
            Verdict::Failed => ReadLink::Failed(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: u32 = 0x20 | FILE_ATTRIBUTE_REPARSE_POINT;
    const DIR: u32 = FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT;

    #[test]
    fn each_tag_is_a_link_or_not() {
        assert_eq!(
            classify(DIR, IO_REPARSE_TAG_MOUNT_POINT),
            Reparse::Link(Flavour::Junction)
        );
        assert_eq!(
            classify(DIR, IO_REPARSE_TAG_SYMLINK),
            Reparse::Link(Flavour::Dir)
        );
        assert_eq!(
            classify(FILE, IO_REPARSE_TAG_SYMLINK),
            Reparse::Link(Flavour::File)
        );
        for tag in [
            IO_REPARSE_TAG_CLOUD,
            0x9000_101A, // CLOUD_1
            0x9000_301A, // CLOUD_3 (OneDrive files on demand)
            0x9000_F01A, // CLOUD_F
            IO_REPARSE_TAG_APPEXECLINK,
            IO_REPARSE_TAG_LX_SYMLINK,
            IO_REPARSE_TAG_DEDUP,
        ] {
            assert_eq!(classify(FILE, tag), Reparse::NotALink, "{tag:#x}");
            assert_eq!(classify(DIR, tag), Reparse::NotALink, "{tag:#x}");
        }
        assert!(is_cloud(0x9000_601A) && !is_cloud(IO_REPARSE_TAG_SYMLINK));
        // Without the attribute the tag means nothing (it is not even read).
        assert_eq!(classify(0x20, IO_REPARSE_TAG_SYMLINK), Reparse::None);
        assert_eq!(classify(0x10, 0), Reparse::None);
    }

    #[test]
    fn a_read_failure_that_is_not_a_link_does_not_stop_the_plan() {
        let never = || -> Option<(u32, u32)> { panic!("no look needed") };
        assert_eq!(read_failure(Some(2), never), Verdict::Missing);
        assert_eq!(read_failure(Some(3), never), Verdict::ParentProblem);
        assert_eq!(read_failure(Some(267), never), Verdict::ParentProblem);
        assert_eq!(read_failure(Some(4390), never), Verdict::NotALink);
        // std's "Unsupported reparse point type" has no code: the tag decides.
        let cloud = || Some((FILE, 0x9000_301A));
        assert_eq!(read_failure(None, cloud), Verdict::NotALink);
        let alias = || Some((FILE, IO_REPARSE_TAG_APPEXECLINK));
        assert_eq!(read_failure(None, alias), Verdict::NotALink);
        let wsl = || Some((FILE, IO_REPARSE_TAG_LX_SYMLINK));
        assert_eq!(read_failure(None, wsl), Verdict::NotALink);
        // FAT/exFAT: FSCTL_GET_REPARSE_POINT answers ERROR_INVALID_FUNCTION for a plain file.
        assert_eq!(read_failure(Some(1), || Some((0x20, 0))), Verdict::NotALink);
        // A real link that cannot be read, or an entry that cannot be looked at: reported.
        let junction = || Some((DIR, IO_REPARSE_TAG_MOUNT_POINT));
        assert_eq!(read_failure(Some(5), junction), Verdict::Failed);
        assert_eq!(read_failure(Some(5), || None), Verdict::Failed);
    }
}
