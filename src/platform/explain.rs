//! What to tell the user when the OS refuses, keyed by raw OS error code (never message text).
//!
//! Pure and platform-independent, so the Windows explanations are tested on Linux too.

/// Which OS family a raw error code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// errno values.
    Unix,
    /// Win32 error codes.
    Windows,
}

impl Os {
    /// The platform this binary runs on.
    pub fn current() -> Os {
        if cfg!(windows) { Os::Windows } else { Os::Unix }
    }
}

/// Win32 error codes linkfile recognises.
pub mod codes {
    pub const ERROR_INVALID_FUNCTION: i32 = 1;
    pub const ERROR_FILE_NOT_FOUND: i32 = 2;
    pub const ERROR_PATH_NOT_FOUND: i32 = 3;
    pub const ERROR_ACCESS_DENIED: i32 = 5;
    pub const ERROR_NOT_SAME_DEVICE: i32 = 17;
    pub const ERROR_WRITE_PROTECT: i32 = 19;
    pub const ERROR_NOT_SUPPORTED: i32 = 50;
    pub const ERROR_DISK_FULL: i32 = 112;
    pub const ERROR_ALREADY_EXISTS: i32 = 183;
    pub const ERROR_DIRECTORY: i32 = 267;
    pub const ERROR_PRIVILEGE_NOT_HELD: i32 = 1314;
    pub const ERROR_NOT_A_REPARSE_POINT: i32 = 4390;
}

/// The advice for raw error `code` on `os`, if linkfile has any.
pub fn hint(os: Os, code: i32) -> Option<&'static str> {
    match os {
        Os::Windows => windows_hint(code),
        Os::Unix => unix_hint(code),
    }
}

fn windows_hint(code: i32) -> Option<&'static str> {
    use codes::*;
    Some(match code {
        ERROR_PRIVILEGE_NOT_HELD => {
            "creating symbolic links on Windows needs one of: Developer Mode (Settings > For developers), \
             an elevated shell (an administrator account is not elevated by default under UAC: \
             use \"Run as administrator\"), or the \"Create symbolic links\" user right \
             (secpol.msc > Local Policies > User Rights Assignment, then sign out and in again); \
             or set fallback = [\"junction\", \"hardlink\"] (in [defaults] or on the link) to \
             use a junction for a folder and a hard link for a file instead"
        }
        ERROR_ACCESS_DENIED => {
            "Windows denied access: check that the folder is writable by you and that no program \
             holds the path open"
        }
        ERROR_NOT_SAME_DEVICE => "a hard link must be on the same volume as its original",
        ERROR_NOT_SUPPORTED => {
            "this volume does not support that kind of link (junctions and symlinks do not work on \
             network drives or FAT volumes)"
        }
        ERROR_WRITE_PROTECT => "the volume is write-protected",
        ERROR_DISK_FULL => "the disk is full: free some space and run linkfile again",
        _ => return None,
    })
}

fn unix_hint(code: i32) -> Option<&'static str> {
    // errno values common to Linux and macOS.
    Some(match code {
        1 | 13 => "check that you may write to that folder (ls -ld on it and its parents)",
        30 => "the filesystem is mounted read-only",
        18 => {
            "the two paths are on different filesystems: a hard link must be on the same \
             filesystem as its original (use link_type = \"symlink\"), and a folder is never \
             copied and then deleted into the backup store (set LINKFILE_STATE_DIR to a folder on \
             the same filesystem as your home)"
        }
        28 => "the disk is full: free some space and run linkfile again",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privilege_not_held_names_the_three_fixes() {
        let h = hint(Os::Windows, codes::ERROR_PRIVILEGE_NOT_HELD).unwrap();
        assert!(h.contains("Developer Mode"));
        assert!(h.contains("elevated"));
        assert!(h.contains("Create symbolic links"));
        assert!(h.contains("sign out"));
        assert!(h.contains("fallback"));
    }

    #[test]
    fn codes_are_read_per_os() {
        assert!(hint(Os::Unix, 30).unwrap().contains("read-only"));
        assert!(hint(Os::Windows, 30).is_none());
        assert!(
            hint(Os::Windows, codes::ERROR_NOT_SAME_DEVICE)
                .unwrap()
                .contains("same volume")
        );
        assert!(hint(Os::Unix, 12345).is_none());
    }
}
