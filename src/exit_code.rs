//! How a run ends, as the process's exit status (design.md §3), in one place as fd keeps it.

/// linkfile's exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Success.
    Ok = 0,
    /// An error: an invalid manifest, a conflict under `fail`, an I/O failure (after rollback).
    Error = 1,
    /// `plan --exit-code` found changes pending.
    Changes = 2,
    /// Another linkfile holds the lock.
    Locked = 3,
}

impl From<ExitCode> for u8 {
    fn from(code: ExitCode) -> u8 {
        code as u8
    }
}
