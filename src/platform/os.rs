//! The operating system linkfile decides for, as a value: code outside `platform/` takes it
//! from the context instead of asking `cfg!`, so that Windows decisions are tested on Linux.

/// An operating system, by the name `std::env::consts::OS` gives it (`linux`, `macos`,
/// `windows`, `freebsd`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Os(&'static str);

impl Os {
    /// The system this binary runs on.
    pub const HOST: Os = Os(std::env::consts::OS);
    pub const LINUX: Os = Os("linux");
    pub const MACOS: Os = Os("macos");
    pub const WINDOWS: Os = Os("windows");

    /// The system named as `std::env::consts::OS` names it.
    pub const fn named(name: &'static str) -> Os {
        Os(name)
    }

    /// Its name: `linux`, `macos`, `windows`, …
    pub const fn name(self) -> &'static str {
        self.0
    }

    pub const fn is_windows(self) -> bool {
        matches!(self.0.as_bytes(), b"windows")
    }

    /// Whether its usual filesystems compare names without case (NTFS, APFS).
    pub const fn case_insensitive(self) -> bool {
        matches!(self.0.as_bytes(), b"windows" | b"macos")
    }

    /// Whether `b` separates path components (`\` too on Windows).
    pub const fn is_separator(self, b: u8) -> bool {
        b == b'/' || (self.is_windows() && b == b'\\')
    }
}

/// The host, where nothing else is said.
impl Default for Os {
    fn default() -> Os {
        Os::HOST
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_is_what_cfg_says() {
        assert_eq!(Os::HOST.is_windows(), cfg!(windows));
        assert_eq!(
            Os::HOST.case_insensitive(),
            cfg!(any(windows, target_os = "macos"))
        );
    }

    #[test]
    fn decisions_by_system() {
        // (system, windows, case-insensitive, `\` separates)
        let table = [
            (Os::LINUX, false, false, false),
            (Os::MACOS, false, true, false),
            (Os::WINDOWS, true, true, true),
            (Os::named("freebsd"), false, false, false),
        ];
        for (os, windows, folds, backslash) in table {
            assert_eq!(os.is_windows(), windows, "{os:?}");
            assert_eq!(os.case_insensitive(), folds, "{os:?}");
            assert_eq!(os.is_separator(b'\\'), backslash, "{os:?}");
            assert!(os.is_separator(b'/'), "{os:?}");
        }
    }
}
