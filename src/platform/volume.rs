//! Volumes, drives and file identity, as far as the decisions about them go: pure functions fed
//! with what the OS answered (volume flags, `QueryDosDeviceW` targets, file ids), unit-tested on
//! every platform.

/// `FILE_SUPPORTS_HARD_LINKS` in `GetVolumeInformationW`'s file system flags.
pub const FILE_SUPPORTS_HARD_LINKS: u32 = 0x0040_0000;

/// Whether a volume can hold hard links, from its file system's name and flags. Windows before
/// 7 had no flag for it, and NTFS has always had hard links; FAT and exFAT never do.
pub fn holds_hard_links(fs_name: &str, flags: u32) -> bool {
    flags & FILE_SUPPORTS_HARD_LINKS != 0 || fs_name.eq_ignore_ascii_case("NTFS")
}

/// Why a hard link cannot be made in `dir`, whose volume has file system `fs_name` and `flags`.
pub fn hard_link_refusal(dir: &std::path::Path, fs_name: &str, flags: u32) -> Option<String> {
    (!holds_hard_links(fs_name, flags)).then(|| {
        format!(
            "hard links cannot be made in {}: its volume ({fs_name}) cannot hold them; use \
             link_type = \"symlink\", or link into a folder on an NTFS volume",
            dir.display()
        )
    })
}

/// A file's identity: same identity, same file. Windows: the 64-bit volume serial and the
/// 128-bit file id (FILE_ID_INFO; the 64-bit file index is not unique on ReFS); `wide` tells
/// that form from the older one (32-bit serial, 64-bit index), used only where the volume
/// answers no FILE_ID_INFO, so the two never compare equal. Unix: device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId {
    /// The volume (device) the file is on.
    pub volume: u64,
    /// The file on it.
    pub id: u128,
    /// Whether `id` is a 128-bit FILE_ID_INFO id.
    pub wide: bool,
}

impl FileId {
    /// From FILE_ID_INFO: the volume serial and the 16 bytes of the file id (little-endian).
    pub fn from_file_id_info(volume_serial: u64, id: [u8; 16]) -> FileId {
        FileId {
            volume: volume_serial,
            id: u128::from_le_bytes(id),
            wide: true,
        }
    }

    /// From BY_HANDLE_FILE_INFORMATION: the 32-bit volume serial and the 64-bit index.
    pub fn from_file_index(volume_serial: u32, high: u32, low: u32) -> FileId {
        FileId {
            volume: u64::from(volume_serial),
            id: (u128::from(high) << 32) | u128::from(low),
            wide: false,
        }
    }
}

/// What `QueryDosDeviceW` says a drive letter is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DosDevice {
    /// A SUBST drive for this folder (`\??\C:\work`): a path that exists only in the session
    /// that made it, so a junction must hold the folder's real path.
    Subst(String),
    /// A network redirector (a mapped drive).
    Network,
    /// A local volume, or anything else.
    Local,
}

/// Reads a `QueryDosDeviceW` target.
pub fn dos_device(target: &str) -> DosDevice {
    if let Some(rest) = target.strip_prefix(r"\??\") {
        let b = rest.as_bytes();
        if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            return DosDevice::Subst(rest.to_string());
        }
        if rest
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(r"UNC\"))
        {
            return DosDevice::Network;
        }
        return DosDevice::Local;
    }
    let lower = target.to_ascii_lowercase();
    let redirectors = [
        r"\device\lanmanredirector",
        r"\device\mup",
        r"\device\webdavredirector",
        r"\device\rdpdr",
    ];
    if redirectors.iter().any(|r| lower.starts_with(r)) {
        DosDevice::Network
    } else {
        DosDevice::Local
    }
}

/// `path` with SUBST drives replaced by the folders they stand for (a SUBST of a SUBST
/// included), asking `query` what a drive letter (`X:`) is. Other paths are returned as they are.
pub fn resolve_subst(path: &str, query: &dyn Fn(&str) -> Option<String>) -> String {
    let mut path = path.to_string();
    // SUBST drives can name each other; no chain is longer than the 26 letters.
    for _ in 0..26 {
        let b = path.as_bytes();
        if b.len() < 2 || !b[0].is_ascii_alphabetic() || b[1] != b':' {
            break;
        }
        let Some(DosDevice::Subst(folder)) = query(&path[..2]).map(|t| dos_device(&t)) else {
            break;
        };
        let rest = path[2..].trim_start_matches(['\\', '/']);
        path = if rest.is_empty() {
            folder
        } else {
            format!("{}\\{rest}", folder.trim_end_matches('\\'))
        };
    }
    path
}

/// The warning for a symlink whose place is on a network folder (`at_remote`): Windows
/// clients follow a remote symlink only where `fsutil behavior set SymlinkEvaluation` allows
/// it, and remote-to-remote and remote-to-local are off by default. `None` for a local place
/// (local-to-remote is on by default).
pub fn network_symlink_warning(at_remote: bool, to_remote: bool) -> Option<String> {
    if !at_remote {
        return None;
    }
    let (kind, flag) = if to_remote {
        ("remote-to-remote", "R2R:1")
    } else {
        ("remote-to-local", "R2L:1")
    };
    Some(format!(
        "this symlink is on a network folder: Windows follows {kind} symlinks only where \
         `fsutil behavior set SymlinkEvaluation {flag}` was run (off by default), so programs \
         may not open it; link into a local folder if they must"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn fat_holds_no_hard_links() {
        assert!(holds_hard_links("NTFS", 0x03e7_00ff));
        assert!(holds_hard_links("ReFS", FILE_SUPPORTS_HARD_LINKS));
        // Windows before 7 set no flag; NTFS had them all along.
        assert!(holds_hard_links("NTFS", 0));
        for fat in ["FAT", "FAT32", "exFAT"] {
            // FAT32's flags: case preserved, unicode on disk, no hard links.
            assert!(!holds_hard_links(fat, 0x0000_0206), "{fat}");
            let why = hard_link_refusal(Path::new(r"E:\"), fat, 0x206).unwrap();
            assert!(
                why.contains("cannot hold them") && why.contains(fat),
                "{why}"
            );
        }
        assert_eq!(hard_link_refusal(Path::new("C:"), "NTFS", 0), None);
    }

    #[test]
    fn identity_uses_all_128_bits() {
        let mut a = [0u8; 16];
        a[0] = 7;
        let mut b = a;
        // Differs only above the low 64 bits: the 64-bit index would call them one file.
        b[12] = 1;
        let (x, y) = (
            FileId::from_file_id_info(42, a),
            FileId::from_file_id_info(42, b),
        );
        assert_ne!(x, y);
        assert_eq!(x, FileId::from_file_id_info(42, a));
        // Same file id on another volume: another file.
        assert_ne!(x, FileId::from_file_id_info(43, a));
        // The older form never matches the newer one, even with equal numbers.
        assert_ne!(FileId::from_file_index(42, 0, 7), x);
        assert_eq!(FileId::from_file_index(42, 1, 7).id, (1u128 << 32) | 7);
    }

    #[test]
    fn dos_devices() {
        assert_eq!(
            dos_device(r"\??\C:\Users\me\work"),
            DosDevice::Subst(r"C:\Users\me\work".into())
        );
        assert_eq!(dos_device(r"\Device\HarddiskVolume3"), DosDevice::Local);
        assert_eq!(
            dos_device(r"\Device\LanmanRedirector\;Z:0000000000012345\server\share"),
            DosDevice::Network
        );
        assert_eq!(
            dos_device(r"\Device\Mup\;Z:000\server\share"),
            DosDevice::Network
        );
        assert_eq!(dos_device(r"\??\UNC\server\share"), DosDevice::Network);
    }

    #[test]
    fn subst_drives_are_resolved_before_deciding() {
        let query = |drive: &str| match drive.to_ascii_uppercase().as_str() {
            "S:" => Some(r"\??\C:\Users\me\work".to_string()),
            "T:" => Some(r"\??\S:\nested".to_string()),
            "C:" => Some(r"\Device\HarddiskVolume3".to_string()),
            _ => None,
        };
        assert_eq!(
            resolve_subst(r"S:\dotfiles\nvim", &query),
            r"C:\Users\me\work\dotfiles\nvim"
        );
        assert_eq!(resolve_subst("S:", &query), r"C:\Users\me\work");
        assert_eq!(resolve_subst(r"t:\x", &query), r"C:\Users\me\work\nested\x");
        assert_eq!(resolve_subst(r"C:\x", &query), r"C:\x");
        assert_eq!(
            resolve_subst(r"\\server\share\x", &query),
            r"\\server\share\x"
        );
        assert_eq!(resolve_subst("/home/me", &query), "/home/me");
        // A loop ends.
        let looping = |_: &str| Some(r"\??\L:\x".to_string());
        assert!(resolve_subst(r"L:\y", &looping).starts_with(r"L:\"));
    }

    #[test]
    fn a_symlink_on_a_network_folder_is_warned_about() {
        let r2r = network_symlink_warning(true, true).unwrap();
        assert!(
            r2r.contains("remote-to-remote") && r2r.contains("R2R:1"),
            "{r2r}"
        );
        let r2l = network_symlink_warning(true, false).unwrap();
        assert!(
            r2l.contains("remote-to-local") && r2l.contains("R2L:1"),
            "{r2l}"
        );
        // Local to remote is followed by default.
        assert_eq!(network_symlink_warning(false, true), None);
        assert_eq!(network_symlink_warning(false, false), None);
    }
}
