//! `when`: whether a link applies on this machine. Pure: the machine comes in as a [`Machine`].
//!
//! Every condition given must hold: `os` (`linux`, `macos`, `windows`, or `unix` for any but
//! Windows), `host` (one name or a list; any may match, case-insensitively, with or without
//! the domain), `env` (a variable that must be set, or a table of variables and their values),
//! `cmd` (a program on PATH).
//!
//! `cmd` is the one condition the filesystem answers, by design: [`Machine::program`] is given
//! by the caller (`platform::on_path` looks along PATH), so this module itself reads nothing.

use crate::manifest::{EnvCondition, OneOrMany, OsName, When};
use crate::platform::Os;

/// What `when` is checked against.
pub(crate) struct Machine<'a> {
    /// The operating system: `linux`, `macos`, `windows`, …
    pub os: Os,
    /// This machine's host name.
    pub host: &'a str,
    /// Reads an environment variable.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Whether a program of that name is on PATH.
    pub program: &'a dyn Fn(&str) -> bool,
}

fn os_name(os: OsName) -> &'static str {
    match os {
        OsName::Linux => "linux",
        OsName::Macos => "macos",
        OsName::Windows => "windows",
        OsName::Unix => "unix",
    }
}

/// Whether `host` names this machine: the same name, ignoring case, or the same first label
/// (`laptop` matches `laptop.local`).
fn same_host(wanted: &str, host: &str) -> bool {
    let first = |h: &str| h.split('.').next().unwrap_or("").to_ascii_lowercase();
    wanted.eq_ignore_ascii_case(host) || (!wanted.contains('.') && first(host) == first(wanted))
}

/// `Ok` when every condition holds; otherwise why the link does not apply here.
pub(crate) fn holds(when: &When, m: &Machine) -> Result<(), String> {
    if let Some(os) = when.os {
        let wanted = os_name(os);
        let ok = match os {
            OsName::Unix => !m.os.is_windows(),
            _ => m.os.name() == wanted,
        };
        if !ok {
            return Err(format!("os is {}, not {wanted}", m.os.name()));
        }
    }
    if let Some(host) = &when.host {
        let names: Vec<&str> = match host {
            OneOrMany::One(h) => vec![h.as_str()],
            OneOrMany::Many(hs) => hs.iter().map(String::as_str).collect(),
        };
        if !names.iter().any(|h| same_host(h, m.host)) {
            return Err(format!("host is {}, not {}", m.host, names.join(" or ")));
        }
    }
    match &when.env {
        None => {}
        Some(EnvCondition::Set(name)) if (m.env)(name).is_none() => {
            return Err(format!("{name} is not set"));
        }
        Some(EnvCondition::Set(_)) => {}
        Some(EnvCondition::Equals(wanted)) => {
            for (name, value) in wanted {
                match (m.env)(name) {
                    Some(v) if v == *value => {}
                    Some(v) => return Err(format!("{name} is {v:?}, not {value:?}")),
                    None => return Err(format!("{name} is not set (wanted {value:?})")),
                }
            }
        }
    }
    if let Some(cmd) = &when.cmd
        && !(m.program)(cmd)
    {
        return Err(format!("{cmd} is not on PATH"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn when(toml_text: &str) -> When {
        toml::from_str(toml_text).unwrap()
    }

    fn check(w: &str, os: &'static str, host: &str) -> Result<(), String> {
        let env = |k: &str| match k {
            "EDITOR" => Some("vim".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        holds(
            &when(w),
            &Machine {
                os: Os::named(os),
                host,
                env: &env,
                program: &|p| p == "nvim",
            },
        )
    }

    #[test]
    fn cmd() {
        assert_eq!(check("cmd = \"nvim\"", "linux", "h"), Ok(()));
        assert_eq!(
            check("cmd = \"code\"", "linux", "h"),
            Err("code is not on PATH".into())
        );
    }

    #[test]
    fn os() {
        assert_eq!(check("os = \"linux\"", "linux", "h"), Ok(()));
        assert_eq!(
            check("os = \"windows\"", "linux", "h"),
            Err("os is linux, not windows".into())
        );
        assert_eq!(check("os = \"unix\"", "macos", "h"), Ok(()));
        assert_eq!(check("os = \"unix\"", "freebsd", "h"), Ok(()));
        assert!(check("os = \"unix\"", "windows", "h").is_err());
        assert!(check("os = \"macos\"", "linux", "h").is_err());
    }

    #[test]
    fn host() {
        assert_eq!(check("host = \"Laptop\"", "linux", "laptop"), Ok(()));
        assert_eq!(check("host = \"laptop\"", "linux", "laptop.local"), Ok(()));
        assert_eq!(
            check("host = [\"desk\", \"laptop\"]", "linux", "laptop"),
            Ok(())
        );
        assert_eq!(
            check("host = [\"desk\", \"laptop\"]", "linux", "server"),
            Err("host is server, not desk or laptop".into())
        );
        // A full name must match in full.
        assert!(check("host = \"laptop.example.org\"", "linux", "laptop.local").is_err());
        assert!(check("host = \"lap\"", "linux", "laptop").is_err());
    }

    #[test]
    fn env() {
        assert_eq!(check("env = \"EDITOR\"", "linux", "h"), Ok(()));
        // Set, even to nothing.
        assert_eq!(check("env = \"EMPTY\"", "linux", "h"), Ok(()));
        assert_eq!(
            check("env = \"DISPLAY\"", "linux", "h"),
            Err("DISPLAY is not set".into())
        );
        assert_eq!(check("env = { EDITOR = \"vim\" }", "linux", "h"), Ok(()));
        assert_eq!(
            check("env = { EDITOR = \"emacs\" }", "linux", "h"),
            Err("EDITOR is \"vim\", not \"emacs\"".into())
        );
        assert_eq!(
            check("env = { TERM = \"kitty\" }", "linux", "h"),
            Err("TERM is not set (wanted \"kitty\")".into())
        );
    }

    #[test]
    fn every_condition_must_hold() {
        assert_eq!(
            check(
                "os = \"linux\"\nhost = \"h\"\nenv = \"EDITOR\"",
                "linux",
                "h"
            ),
            Ok(())
        );
        assert!(check("os = \"linux\"\nhost = \"other\"", "linux", "h").is_err());
        assert!(check("os = \"linux\"\nenv = \"NOPE\"", "linux", "h").is_err());
    }
}
