//! Reading the manifest: a regular file of at most [`MAX_MANIFEST`] bytes of UTF-8. The file is
//! opened, then its own metadata is read (no check-then-open race), and it is read with a limit:
//! `-m /dev/zero` or a FIFO is refused instead of read forever or waited on.

use std::io::Read;
use std::path::Path;

use crate::error::{Diagnostic, Error};
use crate::platform::special;

/// The largest manifest read: 16 MiB.
pub(super) const MAX_MANIFEST: u64 = 16 * 1024 * 1024;

/// The manifest's text. `shown` is its path as shown in diagnostics.
pub(super) fn read(path: &Path, shown: &Path) -> Result<String, Error> {
    let read_err = |source| Error::ReadManifest {
        path: path.to_path_buf(),
        source,
    };
    let mut file = special::open_without_waiting(path).map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if !meta.is_file() {
        return Err(Error::ManifestNotRegular {
            path: path.to_path_buf(),
            what: special::kind_of(&meta.file_type()),
        });
    }
    let too_big = |size| Error::ManifestTooBig {
        path: path.to_path_buf(),
        size,
    };
    if meta.len() > MAX_MANIFEST {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&mut file)
        .take(MAX_MANIFEST + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    // It grew while being read.
    if bytes.len() as u64 > MAX_MANIFEST {
        return Err(too_big(bytes.len() as u64));
    }
    text(path, shown, bytes)
}

/// The bytes as UTF-8, or an error naming where they are not.
fn text(path: &Path, shown: &Path, bytes: Vec<u8>) -> Result<String, Error> {
    if let Some(which) = utf16(&bytes) {
        return Err(Error::ManifestEncoding {
            path: path.to_path_buf(),
            utf16: which,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let lossy = String::from_utf8_lossy(bytes);
        // The position in the lossy text is that of the valid prefix.
        let bad = bytes[at];
        Error::Manifest(vec![Diagnostic::new(
            shown,
            &lossy,
            at..at + 1,
            format!(
                "the manifest is not UTF-8: byte {} (0x{bad:02X}) does not belong to a UTF-8 character",
                at + 1
            ),
            Some(
                "save it as UTF-8 (most editors offer it under \"Save with encoding\")".into(),
            ),
        )])
    })
}

/// Which UTF-16 the bytes look like, if any: a byte order mark, or NULs every other byte (ASCII
/// text in UTF-16, as TOML mostly is).
fn utf16(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xff, 0xfe, ..] => return Some("little-endian, with a byte order mark"),
        [0xfe, 0xff, ..] => return Some("big-endian, with a byte order mark"),
        _ => {}
    }
    let head = &bytes[..bytes.len().min(64) & !1];
    if head.len() < 4 {
        return None;
    }
    let nul_at = |parity: usize| head.iter().skip(parity).step_by(2).all(|b| *b == 0);
    if nul_at(1) {
        Some("little-endian")
    } else if nul_at(0) {
        Some("big-endian")
    } else {
        None
    }
}
