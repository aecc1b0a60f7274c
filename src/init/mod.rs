//! `linkfile init`: a starter manifest, or one translated from another tool's setup (GNU Stow's
//! package folders, dotbot's `link` directives). Pure text generation over what the caller
//! read; what cannot be translated is collected as notes for the user, never dropped.

pub(crate) mod dotbot;
pub(crate) mod stow;

/// The JSON Schema's file name, written beside a new manifest (editors read the `#:schema`
/// line).
pub(crate) const SCHEMA_NAME: &str = "linkfile.schema.json";

/// The commented starter manifest of a bare `linkfile init`.
pub(crate) fn starter() -> String {
    format!(
        r#"#:schema ./{SCHEMA_NAME}
# linkfile.toml: the links this machine should have. `at` is where a link is made, `to` the
# original, relative to this file's folder. Run `linkfile plan` to see what would change, and
# `linkfile apply` to make it so (`linkfile undo` reverts it). `linkfile add PATH` moves a file
# of your home here and adds its line for you.
version = 1

[defaults]
on_conflict = "fail"       # fail | backup | adopt: what to do when something is in the way
# relative = true          # write link text relative to the link's folder

[vars]
# cfg = "${{XDG_CONFIG_HOME:-~/.config}}"

[links]                    # short form: "at" = "to"
# "~/.gitconfig" = "git/config"
# "{{cfg}}/nvim" = "nvim"

# [[link]]                 # long form, with per-link settings
# at = "~/.config/fish"
# to = "fish"
# each = true              # one link per file below `to`, in real folders
# ignore = ["*.swp", "fish_variables"]
# when = {{ os = "linux" }}  # os, host, env: all must hold
"#
    )
}

/// A manifest being generated.
#[derive(Debug, Default)]
pub(crate) struct Generated {
    /// Comment lines at the top (without `# `).
    pub header: Vec<String>,
    /// `[links]` pairs (at, to).
    pub short: Vec<(String, String)>,
    /// `[[link]]` tables.
    pub long: Vec<LongEntry>,
    /// What could not be translated, for stderr (and as comments in the manifest).
    pub notes: Vec<String>,
}

/// One `[[link]]` table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct LongEntry {
    /// A comment above the table.
    pub comment: Option<String>,
    pub at: String,
    pub to: String,
    pub each: bool,
    pub ignore: Vec<String>,
    pub relative: Option<bool>,
    pub link_type: Option<&'static str>,
    pub on_conflict: Option<&'static str>,
    pub when: Option<Condition>,
    /// Written commented out (a condition that could not be translated).
    pub disabled: bool,
}

impl LongEntry {
    /// Whether only `at` and `to` are set (fits the `[links]` table).
    pub(crate) fn is_short(&self) -> bool {
        *self
            == LongEntry {
                at: self.at.clone(),
                to: self.to.clone(),
                ..LongEntry::default()
            }
    }
}

/// A `when` table: the conditions translated (each one at most once).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Condition {
    /// `linux` or `macos`.
    pub os: Option<&'static str>,
    pub host: Option<String>,
    /// Variables and the values they must have.
    pub env: Vec<(String, String)>,
    /// A program that must be on PATH.
    pub cmd: Option<String>,
}

impl Condition {
    /// As an inline table: `{ os = "linux", cmd = "nvim" }`.
    fn render(&self) -> String {
        let mut parts = Vec::new();
        if let Some(os) = self.os {
            parts.push(format!("os = {}", quote(os)));
        }
        if let Some(host) = &self.host {
            parts.push(format!("host = {}", quote(host)));
        }
        if !self.env.is_empty() {
            let vars: Vec<String> = self
                .env
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), quote(v)))
                .collect();
            parts.push(format!("env = {{ {} }}", vars.join(", ")));
        }
        if let Some(cmd) = &self.cmd {
            parts.push(format!("cmd = {}", quote(cmd)));
        }
        format!("{{ {} }}", parts.join(", "))
    }
}

/// `k` as a TOML key: bare when it can be.
fn key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { k.to_string() } else { quote(k) }
}

/// A name (a file's, a folder's) as the manifest writes it: `$`, `{` and `}` doubled, so that
/// the manifest's expansion gives the name back.
pub(crate) fn literal(name: &str) -> String {
    name.replace('$', "$$")
        .replace('{', "{{")
        .replace('}', "}}")
}

/// A path (`/`-separated) as an `ignore` glob that matches that path only: the characters a
/// glob reads (`*`, `?`, `[`, `]`, `{`, `}`, and `\` where it escapes) each in brackets.
pub(crate) fn glob_literal(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '*' | '?' | '[' | ']' | '{' | '}' => out.extend(['[', c, ']']),
            '\\' if !crate::platform::Os::HOST.is_windows() => out.push_str("[\\]"),
            c => out.push(c),
        }
    }
    out
}

/// A path as a shell-like tool (dotbot, stow's `.stowrc`) expands it, as the manifest writes
/// it: `$VAR` and `${VAR}` as `${VAR}`; any other `$`, `{` or `}` is literal, written escaped.
pub(crate) fn env_path(p: &str) -> String {
    let mut out = String::new();
    let mut rest = p;
    while let Some(c) = rest.chars().next() {
        let var = rest.strip_prefix('$').and_then(|r| {
            let braced = r.strip_prefix('{');
            let body = braced.unwrap_or(r);
            let len = body
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(body.len());
            let name = &body[..len];
            let starts = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
            match braced {
                Some(_) if starts && body[len..].starts_with('}') => Some((name, 1 + 1 + len + 1)),
                None if starts => Some((name, 1 + len)),
                _ => None,
            }
        });
        match var {
            Some((name, used)) => {
                out.push_str(&format!("${{{name}}}"));
                rest = &rest[used..];
            }
            None => {
                out.push_str(&literal(&c.to_string()));
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// `path` with Windows' separators written `/` (on Unix a `\\` is part of a name).
pub(crate) fn slashed(path: &str) -> String {
    if crate::platform::Os::HOST.is_windows() {
        path.replace('\\', "/")
    } else {
        path.to_string()
    }
}

/// `s` as a TOML basic string.
pub(crate) fn quote(s: &str) -> String {
    toml_edit::Value::from(s).to_string().trim().to_string()
}

impl Generated {
    /// Adds `e` to `[links]` when it needs no settings, else as a `[[link]]` table.
    pub(crate) fn push(&mut self, e: LongEntry) {
        if e.is_short() {
            self.short.push((e.at, e.to));
        } else {
            self.long.push(e);
        }
    }

    /// The manifest's text.
    pub(crate) fn render(&self) -> String {
        let mut s = format!("#:schema ./{SCHEMA_NAME}\n");
        for line in &self.header {
            s.push_str(&format!("# {line}\n"));
        }
        if !self.notes.is_empty() {
            s.push_str("#\n# Not translated (see `linkfile init --help`):\n");
            for n in &self.notes {
                s.push_str(&format!("#   - {n}\n"));
            }
        }
        s.push_str("version = 1\n");
        if !self.short.is_empty() {
            s.push_str("\n[links]\n");
            for (at, to) in &self.short {
                s.push_str(&format!("{} = {}\n", quote(at), quote(to)));
            }
        }
        for e in &self.long {
            s.push('\n');
            if let Some(c) = &e.comment {
                for line in c.lines() {
                    s.push_str(&format!("# {line}\n"));
                }
            }
            let hash = if e.disabled { "# " } else { "" };
            s.push_str(&format!("{hash}[[link]]\n"));
            let mut line = |k: &str, v: String| s.push_str(&format!("{hash}{k} = {v}\n"));
            line("at", quote(&e.at));
            line("to", quote(&e.to));
            if e.each {
                line("each", "true".into());
            }
            if !e.ignore.is_empty() {
                let items: Vec<String> = e.ignore.iter().map(|g| quote(g)).collect();
                line("ignore", format!("[{}]", items.join(", ")));
            }
            if let Some(r) = e.relative {
                line("relative", r.to_string());
            }
            if let Some(t) = e.link_type {
                line("link_type", quote(t));
            }
            if let Some(p) = e.on_conflict {
                line("on_conflict", quote(p));
            }
            if let Some(when) = &e.when {
                line("when", when.render());
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_written_so_that_they_read_back() {
        assert_eq!(literal("a{b}$c"), "a{{b}}$$c");
        let weird = [
            "dot-a[1]",
            "x*y",
            "q?",
            "{a,b}",
            "]",
            "back\\slash",
            "plain",
        ];
        // On Windows `\` separates folders: no name holds one, and a glob reads it as `/`.
        let windows = crate::platform::Os::HOST.is_windows();
        for name in weird.into_iter().filter(|n| !(windows && n.contains('\\'))) {
            let glob = globset::Glob::new(&glob_literal(name))
                .unwrap()
                .compile_matcher();
            assert!(glob.is_match(name), "{name} -> {}", glob_literal(name));
            for other in ["dot-a1", "xzy", "qq", "a", "plain2", "back/slash"] {
                assert!(!glob.is_match(other) || other == name, "{name} ~ {other}");
            }
        }
        let c = Condition {
            os: Some("linux"),
            env: vec![("A_1".into(), "x".into()), ("a.b".into(), "y".into())],
            cmd: Some("nvim".into()),
            ..Condition::default()
        };
        assert_eq!(
            c.render(),
            r#"{ os = "linux", env = { A_1 = "x", "a.b" = "y" }, cmd = "nvim" }"#
        );
    }
}
