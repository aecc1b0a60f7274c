//! The manifest's data model and its parser.
//!
//! This module owns the *syntax* of `linkfile.toml`, version 1: the serde types (which are also the
//! source of `schemas/linkfile.schema.json`, so a field's `///` doc is its description there) and
//! the step from text to a [`Manifest`]. Every value a user can get wrong is kept as a
//! [`Spanned`] so that later stages ([`crate::resolve`]) can point at the offending line and
//! column. Nothing here looks at the environment or the filesystem.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::error::Diagnostic;

mod pairs;

/// A `linkfile.toml` manifest: which links this machine should have.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "linkfile manifest",
    description = "linkfile.toml: the links a machine should have. `at` is always the link, `to` always the original in the repo."
)]
pub struct Manifest {
    /// Version of the manifest format. Must be 1.
    #[schemars(with = "u32", range(min = 1, max = 1))]
    pub version: Spanned<i64>,
    /// Settings that apply to every link unless the link sets its own.
    #[serde(default)]
    pub defaults: Defaults,
    /// Named values, used in paths as `{name}`. A value may use `~`, `${VAR}`, `${VAR:-default}`
    /// and other vars.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub vars: BTreeMap<Spanned<String>, Spanned<String>>,
    /// Short form: `"<at>" = "<to>"`, the link's path = the original's path relative to the
    /// manifest's folder.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub links: LinkPairs,
    /// Long form: one table per link, with per-link settings.
    #[serde(default)]
    pub link: Vec<LinkEntry>,
}

/// The `[links]` table: (at, to) pairs in key order (the order of the TOML parser's table, which
/// [`pairs`] keeps). Read straight into a list: no second map (a manifest may hold thousands of
/// links, and duplicate keys are already a TOML error).
#[derive(Debug, Default)]
pub struct LinkPairs(pub Vec<(Spanned<String>, Spanned<String>)>);

impl<'de> Deserialize<'de> for LinkPairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> serde::de::Visitor<'de> for Pairs {
            type Value = LinkPairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<LinkPairs, A::Error> {
                let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(LinkPairs(pairs))
            }
        }
        d.deserialize_map(Pairs)
    }
}

/// Settings that apply to every link unless the link sets its own.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// What to do when something other than the wanted link is at `at`. Default: `fail`.
    #[schemars(with = "Option<OnConflict>")]
    pub on_conflict: Option<Spanned<OnConflict>>,
    /// Which kind of link to make. Default: `symlink`.
    #[schemars(with = "Option<LinkType>")]
    pub link_type: Option<Spanned<LinkType>>,
    /// Write the link text relative to the link's folder instead of as an absolute path.
    /// Default: false.
    #[schemars(with = "Option<bool>")]
    pub relative: Option<Spanned<bool>>,
    /// Link types to use, in order, where symbolic links cannot be made (Windows without
    /// Developer Mode or elevation; a filesystem without symlinks): `junction` stands in for a
    /// folder's link (Windows only), `hardlink` for a file's on the same volume. The plan says
    /// which one each link uses and why. Default: none (a refused symlink is an error).
    #[schemars(with = "Option<Vec<LinkType>>")]
    pub fallback: Option<Spanned<Vec<LinkType>>>,
}

/// One link, long form.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkEntry {
    /// Where the link is made: an absolute path or one starting with `~`.
    #[schemars(with = "String")]
    pub at: Spanned<String>,
    /// What the link points to: a path relative to the manifest's folder, inside the repo.
    #[schemars(with = "String")]
    pub to: Spanned<String>,
    /// Optional assertion of what `to` is; when absent it is read from the filesystem.
    #[serde(rename = "type")]
    #[schemars(with = "Option<EntryKind>")]
    pub kind: Option<Spanned<EntryKind>>,
    /// Overrides `defaults.relative` for this link.
    #[schemars(with = "Option<bool>")]
    pub relative: Option<Spanned<bool>>,
    /// Overrides `defaults.link_type` for this link.
    #[schemars(with = "Option<LinkType>")]
    pub link_type: Option<Spanned<LinkType>>,
    /// Overrides `defaults.on_conflict` for this link.
    #[schemars(with = "Option<OnConflict>")]
    pub on_conflict: Option<Spanned<OnConflict>>,
    /// Overrides `defaults.fallback` for this link.
    #[schemars(with = "Option<Vec<LinkType>>")]
    pub fallback: Option<Spanned<Vec<LinkType>>>,
    /// One link per file below the folder `to`, at the same relative place under `at`; the
    /// folders along the way are made as real folders. `.git` and the manifest are never
    /// linked; symlinks inside are linked as files, never followed. Default: false.
    #[schemars(with = "Option<bool>")]
    pub each: Option<Spanned<bool>>,
    /// With `each`: globs, relative to `to` and `/`-separated, of files and folders to skip
    /// (`*` also matches across folders; a final `/` matches folders only).
    #[schemars(with = "Option<Vec<String>>")]
    pub ignore: Option<Spanned<Vec<String>>>,
    /// Conditions under which this link applies on a machine; all that are given must hold.
    /// A link that does not apply is skipped (and pruned if linkfile made it before).
    #[schemars(with = "Option<When>")]
    pub when: Option<Spanned<When>>,
    /// A missing original skips this link (shown by `plan -v`) instead of being a conflict:
    /// for generated or git-ignored files. Default: false.
    #[schemars(with = "Option<bool>")]
    pub optional: Option<Spanned<bool>>,
    /// The mode, in octal, of the folders linkfile makes for this link (e.g. `"700"` for
    /// `~/.ssh`); folders that exist keep theirs. Ignored on Windows (the plan says so).
    #[schemars(with = "Option<String>")]
    pub dir_mode: Option<Spanned<String>>,
    /// Names to choose this link by with `--only TAG` and `--except TAG` (plan, apply, unlink).
    #[schemars(with = "Option<Vec<String>>")]
    pub tags: Option<Spanned<Vec<String>>>,
}

/// Conditions under which a link applies; all that are given must hold.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// The operating system: `linux`, `macos`, `windows` or `unix`.
    pub os: Option<OsName>,
    /// A hostname, or a list of hostnames.
    pub host: Option<OneOrMany>,
    /// A variable that must be set, or a table of variables and the values they must have.
    pub env: Option<EnvCondition>,
    /// A program that must be on PATH (e.g. `"nvim"`; on Windows, PATHEXT's extensions are
    /// tried too).
    pub cmd: Option<String>,
}

/// An operating system name in `when.os`.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OsName {
    /// Linux.
    Linux,
    /// macOS.
    Macos,
    /// Windows.
    Windows,
    /// Linux, macOS and other Unix systems.
    Unix,
}

/// A single string or a list of strings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged, expecting = "expected a host name, or a list of host names")]
pub enum OneOrMany {
    /// One value.
    One(String),
    /// Several values; any may match.
    Many(Vec<String>),
}

/// `when.env`: a variable name that must be set, or variables and their required values.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "expected a variable name (it must be set), or a table of variables and the values they must have"
)]
pub enum EnvCondition {
    /// The variable must be set.
    Set(String),
    /// Each variable must have the given value.
    Equals(BTreeMap<String, String>),
}

/// What to do when something other than the wanted link is at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum OnConflict {
    /// Change nothing and report the conflict (exit code 1).
    Fail,
    /// Move what is in the way to the backup store, then make the link.
    Backup,
    /// Move what is in the way into the repo as the original (the repo's version goes to the
    /// backup store), then make the link.
    Adopt,
}

/// Which kind of link to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LinkType {
    /// A symbolic link (on Windows a file or directory symlink, chosen from `to`).
    Symlink,
    /// A hard link: the original file under a second name (files only, same volume).
    Hardlink,
    /// A junction (Windows only, folders only, on a local volume; holds an absolute path and
    /// needs no privilege).
    Junction,
}

/// What the original (`to`) is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    serde::Serialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
}

/// The JSON Schema of the manifest, as committed in `schemas/linkfile.schema.json`.
pub fn schema() -> String {
    let mut s = serde_json::to_string_pretty(&schemars::schema_for!(Manifest))
        .expect("a schema always serialises");
    s.push('\n');
    s
}

/// Parses manifest text. `path` is only used to label errors.
pub fn parse(path: &Path, text: &str) -> Result<Manifest, Vec<Diagnostic>> {
    let manifest = match quick(text) {
        Some(manifest) => manifest,
        None => parse_toml(path, text)?,
    };
    if *manifest.version.get_ref() != 1 {
        return Err(vec![Diagnostic::new(
            path,
            text,
            manifest.version.span(),
            format!(
                "unsupported manifest version {}",
                manifest.version.get_ref()
            ),
            Some("this linkfile reads version 1; write `version = 1`".into()),
        )]);
    }
    Ok(manifest)
}

/// The `[links]` table read by [`pairs`] when it is plain, the rest by the TOML parser; `None`
/// when the rest does not parse or also holds links (then the whole text is read as TOML, for
/// its errors).
fn quick(text: &str) -> Option<Manifest> {
    let (rest, pairs) = pairs::split(text)?;
    let mut manifest: Manifest = toml::from_str(&rest).ok()?;
    manifest.links.0.is_empty().then(|| {
        manifest.links = pairs;
        manifest
    })
}

/// The whole text read as TOML.
fn parse_toml(path: &Path, text: &str) -> Result<Manifest, Vec<Diagnostic>> {
    toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let spanned = text.get(span.clone()).unwrap_or("");
        let (message, hint) = explain_toml_error(e.message().trim_end(), spanned);
        vec![Diagnostic::new(path, text, span, message, hint)]
    })
}

/// Rewords what the TOML parser said where its words are a Rust type's, and adds what to do.
fn explain_toml_error(message: &str, spanned: &str) -> (String, Option<String>) {
    let m = message;
    let hint = |h: &str| Some(h.to_string());
    if m.starts_with("unknown field") {
        (m.into(), Some(unknown_key_hint(m)))
    } else if m.starts_with("missing field `version`") {
        (m.into(), hint("start the manifest with `version = 1`"))
    } else if m.starts_with("missing field `at`") || m.starts_with("missing field `to`") {
        let h =
            "every [[link]] needs `at` (where the link goes) and `to` (the original in the repo)";
        (m.into(), hint(h))
    } else if m.starts_with("unknown variant") {
        (m.into(), hint("use one of the values listed above"))
    } else if m.contains("expected i64") {
        let h = "write `version = 1` (a number, no quotes)";
        ("`version` must be the number 1".into(), hint(h))
    } else if m.contains("expected a boolean") {
        (m.into(), hint("write true or false, without quotes"))
    } else if m.contains("invalid type: map, expected a sequence") {
        let h = "write [[link]] with two brackets: each link is its own table";
        (m.into(), hint(h))
    } else if m.contains("invalid type: sequence, expected a map") {
        let h = "write [links] with one bracket: one table of \"at\" = \"to\" pairs";
        (m.into(), hint(h))
    } else if m.contains("expected a string") {
        let h = "paths and values are strings: put them in quotes, e.g. \"~/.vimrc\"";
        (m.into(), hint(h))
    } else if m.starts_with("duplicate key") {
        let key = spanned.trim().trim_matches(['"', '\'']);
        let h = "a key may appear once per table: keep one of the two (and write each table header, like [links], once)";
        (format!("`{key}` is defined twice"), hint(h))
    } else if m.starts_with("invalid basic string") || m.starts_with("invalid literal string") {
        (
            m.into(),
            hint("close the string with a matching quote on the same line"),
        )
    } else if m.starts_with("unclosed table") || m.starts_with("unclosed array of tables") {
        (m.into(), hint("close the table header with ]"))
    } else {
        (m.into(), hint("see https://toml.io for the TOML syntax"))
    }
}

/// The hint for an unknown key: the allowed key it most likely stands for, if any. The words
/// other tools use for a link's two ends are answered with `at` and `to` and why linkfile uses
/// neither; other near misses by spelling.
fn unknown_key_hint(message: &str) -> String {
    let mut quoted = message.split('`').skip(1).step_by(2);
    let key = quoted.next().unwrap_or("");
    let allowed: Vec<&str> = quoted.collect();
    let fallback = "remove the key or fix its spelling; the keys allowed here are listed above";
    let has = |k: &str| allowed.contains(&k);
    let why = "linkfile avoids source, target and dest: tools use them in opposite senses \
               and orders (`ln -s TARGET LINK`, `mklink LINK TARGET`; stow and dotbot call \
               the place links go the target)";
    if has("at") && has("to") {
        let at = "`at` (where the link goes)";
        let to = "`to` (the original in the repo)";
        let guess = match key.to_ascii_lowercase().as_str() {
            "source" | "src" | "from" | "original" => Some(to.to_string()),
            "dest" | "destination" | "link" => Some(at.to_string()),
            "target" | "path" => Some(format!("{at} or {to}")),
            _ => None,
        };
        if let Some(guess) = guess {
            return format!("did you mean {guess}? {why}");
        }
    }
    match closest_key(key, &allowed) {
        Some(k) => format!("did you mean `{k}`? The keys allowed here are listed above"),
        None => fallback.to_string(),
    }
}

/// The allowed key `key` is a misspelling of: the same but for case, `-` and `_`, or the
/// nearest by edit distance when that is small for the key's length.
fn closest_key<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let fold = |k: &str| k.to_ascii_lowercase().replace(['-', '_'], "");
    if let Some(k) = allowed.iter().find(|k| fold(k) == fold(key)) {
        return Some(k);
    }
    let (best, distance) = allowed
        .iter()
        .map(|k| (*k, strsim::damerau_levenshtein(key, k)))
        .min_by_key(|(_, d)| *d)?;
    (distance <= (best.chars().count() / 3).max(1)).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::closest_key;

    #[test]
    fn near_misses_find_their_key_and_far_ones_none() {
        let keys = [
            "at",
            "to",
            "link_type",
            "on_conflict",
            "relative",
            "version",
        ];
        assert_eq!(closest_key("verison", &keys), Some("version"));
        assert_eq!(closest_key("linkType", &keys), Some("link_type"));
        assert_eq!(closest_key("on-conflict", &keys), Some("on_conflict"));
        assert_eq!(closest_key("relativ", &keys), Some("relative"));
        assert_eq!(closest_key("colour", &keys), None);
        assert_eq!(closest_key("mode", &keys), None);
    }
}
