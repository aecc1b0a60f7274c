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
        ERROR_INVALID_FUNCTION => no_links_on_volume(),
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

/// A process token's elevation type (`TokenElevationType`), which says why symlinks are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elevation {
    /// `TokenElevationTypeDefault`: a standard user (or UAC is off).
    Default,
    /// `TokenElevationTypeFull`: an administrator, elevated.
    Full,
    /// `TokenElevationTypeLimited`: an administrator whose shell is not elevated (UAC).
    Limited,
}

impl Elevation {
    /// From the raw `TOKEN_ELEVATION_TYPE` value.
    pub fn from_raw(value: i32) -> Option<Elevation> {
        match value {
            1 => Some(Elevation::Default),
            2 => Some(Elevation::Full),
            3 => Some(Elevation::Limited),
            _ => None,
        }
    }
}

const DEVELOPER_MODE: &str = "turn on Developer Mode (Settings > For developers)";
const USER_RIGHT: &str = "the \"Create symbolic links\" user right (secpol.msc > Local Policies > \
     User Rights Assignment, then sign out and in again)";
const FALLBACK: &str = "or set fallback = [\"junction\", \"hardlink\"] (in [defaults] or on the \
     link) to use a junction for a folder and a hard link for a file instead";

/// Why Windows refused a symlink with raw `code`, and what to do, knowing the token's
/// elevation type and whether Developer Mode is on (each `None` when it could not be read).
/// `None` for a code that says nothing about symlinks.
pub fn symlink_refusal(
    code: i32,
    elevation: Option<Elevation>,
    developer_mode: Option<bool>,
) -> Option<String> {
    if code == codes::ERROR_INVALID_FUNCTION {
        return Some(no_links_on_volume().to_string());
    }
    if code != codes::ERROR_PRIVILEGE_NOT_HELD {
        return None;
    }
    let dev = if developer_mode == Some(true) {
        "Developer Mode is on, yet this Windows refuses symlinks without privilege (it predates \
         Windows 10 1703, or a policy forbids it); "
            .to_string()
    } else {
        format!("{DEVELOPER_MODE}, or ")
    };
    let cause = match elevation {
        Some(Elevation::Limited) => format!(
            "this account is an administrator, but this shell is not elevated (UAC gives it a \
             filtered token without the symlink privilege): {dev}run linkfile in an elevated \
             shell (\"Run as administrator\"); granting {USER_RIGHT} does not help an \
             administrator under UAC"
        ),
        Some(Elevation::Default) => format!(
            "this account is a standard user, without the symlink privilege: {dev}ask an \
             administrator for {USER_RIGHT}"
        ),
        Some(Elevation::Full) => format!(
            "this shell is elevated, yet its token lacks the symlink privilege (a policy took \
             it from Administrators): {dev}ask for {USER_RIGHT}"
        ),
        None => {
            return hint(Os::Windows, code).map(str::to_string);
        }
    };
    Some(format!("{cause}; {FALLBACK}"))
}

/// What a FAT or exFAT volume answers (ERROR_INVALID_FUNCTION) means.
fn no_links_on_volume() -> &'static str {
    "this volume cannot hold links (FAT and exFAT have no symlinks, junctions or hard links): \
     link into a folder on an NTFS volume"
}

/// `doctor`'s one-line conclusion about symlinks on Windows, from what the probe answered
/// (`Err(None)`: success reported and nothing made), the elevation type and Developer Mode.
pub fn symlink_conclusion(
    probe: Result<(), Option<i32>>,
    elevation: Option<Elevation>,
    developer_mode: Option<bool>,
) -> String {
    match probe {
        Ok(()) if developer_mode == Some(true) => {
            "symlinks can be made: Developer Mode is on".into()
        }
        Ok(()) if elevation == Some(Elevation::Full) => {
            "symlinks can be made: this shell is elevated (a shell that is not may be refused)"
                .into()
        }
        Ok(()) => "symlinks can be made: this account holds the symlink privilege".into(),
        Err(None) => format!(
            "symlinks cannot be made: the system reports success and makes nothing (Wine does \
             this); {FALLBACK}"
        ),
        Err(Some(code)) => match symlink_refusal(code, elevation, developer_mode) {
            Some(why) => format!("symlinks cannot be made: {why}"),
            None => format!("symlinks cannot be made here (os error {code}): see below"),
        },
    }
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

    #[test]
    fn privilege_not_held_names_the_cause_by_elevation_type() {
        let code = codes::ERROR_PRIVILEGE_NOT_HELD;
        let limited = symlink_refusal(code, Some(Elevation::Limited), Some(false)).unwrap();
        assert!(
            limited.contains("administrator, but this shell is not elevated"),
            "{limited}"
        );
        assert!(limited.contains("Run as administrator"), "{limited}");
        assert!(limited.contains("Developer Mode"), "{limited}");
        assert!(
            limited.contains("does not help an administrator under UAC"),
            "{limited}"
        );
        let standard = symlink_refusal(code, Some(Elevation::Default), Some(false)).unwrap();
        assert!(standard.contains("standard user"), "{standard}");
        assert!(standard.contains("Developer Mode"), "{standard}");
        assert!(standard.contains("Create symbolic links"), "{standard}");
        assert!(!standard.contains("Run as administrator"), "{standard}");
        let full = symlink_refusal(code, Some(Elevation::Full), None).unwrap();
        assert!(full.contains("elevated, yet"), "{full}");
        // Developer Mode already on is not suggested again.
        let on = symlink_refusal(code, Some(Elevation::Default), Some(true)).unwrap();
        assert!(
            !on.contains(DEVELOPER_MODE) && on.contains("Developer Mode is on"),
            "{on}"
        );
        // Unknown token: the three fixes.
        assert_eq!(
            symlink_refusal(code, None, None).as_deref(),
            hint(Os::Windows, code)
        );
        for e in [Elevation::Default, Elevation::Full, Elevation::Limited] {
            assert!(
                symlink_refusal(code, Some(e), None)
                    .unwrap()
                    .contains("fallback")
            );
        }
        assert_eq!(Elevation::from_raw(3), Some(Elevation::Limited));
        assert_eq!(Elevation::from_raw(1), Some(Elevation::Default));
        assert_eq!(Elevation::from_raw(0), None);
    }

    #[test]
    fn invalid_function_means_a_volume_without_links() {
        let fat = symlink_refusal(codes::ERROR_INVALID_FUNCTION, None, None).unwrap();
        assert!(fat.contains("volume cannot hold links"), "{fat}");
        assert!(fat.contains("FAT"), "{fat}");
        assert_eq!(hint(Os::Windows, 1), Some(fat.as_str()));
        assert_eq!(
            symlink_refusal(codes::ERROR_ACCESS_DENIED, None, None),
            None
        );
    }

    #[test]
    fn doctor_concludes_in_one_line() {
        let dev = symlink_conclusion(Ok(()), Some(Elevation::Limited), Some(true));
        assert_eq!(dev, "symlinks can be made: Developer Mode is on");
        let wine = symlink_conclusion(Err(None), Some(Elevation::Full), Some(false));
        assert!(wine.starts_with("symlinks cannot be made: the system reports success"));
        let limited = symlink_conclusion(
            Err(Some(codes::ERROR_PRIVILEGE_NOT_HELD)),
            Some(Elevation::Limited),
            Some(false),
        );
        assert!(limited.starts_with("symlinks cannot be made: this account is an administrator"));
        let fat = symlink_conclusion(Err(Some(1)), None, None);
        assert!(fat.contains("cannot hold links"), "{fat}");
        assert!(symlink_conclusion(Err(Some(5)), None, None).contains("os error 5"));
        for line in [dev, wine, limited, fat] {
            assert!(!line.contains('\n'), "{line}");
        }
    }
}
