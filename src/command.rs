//! Which writing command an operation record, an intent and the lock belong to: a leaf module
//! (it names no other) so that errors, records and the log can all say it.

/// A command that writes, as the intent, the operation log and the lock name it (serialized as
/// its lowercase name, so that state folders written before stay readable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    Apply,
    Undo,
    Unlink,
    Add,
    Recover,
}

impl Command {
    /// Its name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Apply => "apply",
            Command::Undo => "undo",
            Command::Unlink => "unlink",
            Command::Add => "add",
            Command::Recover => "recover",
        }
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Command;

    /// Records and the lock name commands as they were named before the enum: state folders
    /// written then stay readable, and the names shown stay the same.
    #[test]
    fn a_command_is_written_and_read_as_its_lowercase_name() {
        use Command::*;
        for (c, name) in [
            (Apply, "apply"),
            (Undo, "undo"),
            (Unlink, "unlink"),
            (Add, "add"),
            (Recover, "recover"),
        ] {
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<Command>(&format!("\"{name}\"")).unwrap(),
                c
            );
            assert_eq!(c.to_string(), name);
        }
        assert!(serde_json::from_str::<Command>("\"teleport\"").is_err());
    }
}
