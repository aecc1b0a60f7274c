//! From a parsed manifest to the links this machine should have.
//!
//! Pure: the environment (variables, home folder, the operating system as a value, so that
//! Windows decisions are tested on Linux) comes in as a [`Context`]; nothing here reads the
//! filesystem (the one question, whether a path exists, for the hint "did you swap at and
//! to?", is [`Context::exists`], which observe answers). The output is a list of [`Desired`]
//! links with absolute, lexically normalised paths, or every problem found, each pointing at
//! its place in the manifest. The `ignore` globs of `each` entries are compiled here, once
//! ([`Ignore`]). Expansion rules: a leading `~` is the home folder; `${VAR}` and
//! `${VAR:-default}` read the environment (an unset variable without a default is an error
//! naming it); `{name}` is a `[vars]` entry, which may use all of the above including other
//! vars (a cycle is an error). `$$`, `{{` and `}}` stand for a literal `$`, `{` and `}`.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

mod expand;
mod ignore;

pub use ignore::Ignore;

use crate::error::Diagnostic;
use crate::manifest::{EntryKind, LinkType, Manifest, OnConflict};
use crate::paths::{KeyMap, PathKey, normalized, relative_path, within};
use crate::platform::Os;
use crate::show::Shown as _;

/// Whether a program is on the PATH an environment reader gives.
pub type OnPath = fn(&str, &dyn Fn(&str) -> Option<String>) -> bool;

/// What resolution needs to know about the machine.
pub struct Context<'a> {
    /// The manifest's path, for error messages.
    pub manifest_path: &'a Path,
    /// The manifest's text, for error positions.
    pub text: &'a str,
    /// The repo: the manifest's folder, absolute.
    pub repo: &'a Path,
    /// What `~` means, absolute.
    pub home: &'a Path,
    /// Reads an environment variable.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The operating system decided for: `when.os`, how paths compare (case-insensitively on
    /// Windows and macOS), Windows path forms, junctions.
    pub os: Os,
    /// This machine's host name, for `when.host`.
    pub host: &'a str,
    /// Whether the home was given (`--home`, `LINKFILE_HOME`): then it is a world of its own.
    /// The home variables expand to it, the XDG base-directory variables count only inside it,
    /// and no link goes outside it.
    pub isolated: bool,
    /// linkfile's state folder, absolute: no link goes in it.
    pub state: &'a Path,
    /// Whether a program is on the PATH the environment reader gives (for `when.cmd`).
    pub on_path: OnPath,
    /// Whether a path exists, as observe sees it: asked only for the hint of an error (did you
    /// swap `at` and `to`?), so that resolving itself reads nothing.
    pub exists: fn(&Path) -> bool,
}

impl Context<'_> {
    /// An error at `span` of the manifest.
    pub fn diagnostic(
        &self,
        span: Range<usize>,
        message: String,
        hint: Option<String>,
    ) -> Diagnostic {
        Diagnostic::new(self.manifest_path, self.text, span, message, hint)
    }
}

/// What the manifest asks of this machine.
#[derive(Debug, Default)]
pub struct Resolved {
    /// The links that apply here (an `each` entry still as one, to be expanded by
    /// `each`).
    pub links: Vec<Desired>,
    /// The entries whose `when` does not hold here.
    pub skipped: Vec<Skipped>,
    /// Every `[vars]` entry and its value here, or why it has none (an environment variable
    /// that is not set here, used by no link that applies here).
    pub vars: Vec<(String, Result<String, String>)>,
}

/// An entry that does not apply on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its `at` and `to`, as written (they may use variables only set on other machines).
    pub at: String,
    pub to: String,
    /// Which condition does not hold.
    pub why: String,
}

/// One link the manifest wants on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    /// Where the link goes (absolute, normalised).
    pub at: PathBuf,
    /// The original it points to (absolute, normalised, inside the repo).
    pub to: PathBuf,
    /// The text the link must hold where it is not `to` itself (a relative symlink's text, a
    /// junction's path without a SUBST drive); `None`: `to`. Read it with
    /// [`Desired::link_text`]. Most links are absolute, and at 100,000 links a copy of `to` in
    /// each is megabytes.
    pub text: Option<PathBuf>,
    /// The `type` the manifest asserts for `to`, if any.
    pub kind: Option<EntryKind>,
    /// The link's place in the manifest: the `at` value (long form) or key (short form).
    pub at_span: Range<usize>,
    /// The `to` value's place in the manifest.
    pub to_span: Range<usize>,
    /// What to do with something in the way (the link's, else the defaults', else `fail`).
    pub on_conflict: OnConflict,
    /// The primitive that makes the link: a symbolic link, a hard link (then `link_text` is
    /// the original's path) or a junction (then `link_text` is `to`, absolute). After
    /// `primitive::choose_all`, the one actually used.
    pub link_type: LinkType,
    /// Whether the link text is relative to the link's folder.
    pub relative: bool,
    /// What few links have (`fallback`, `each`), kept out of line: a plan moves 10,000 links
    /// several times, and they stay small.
    pub extra: Option<Box<Extra>>,
}

/// A link's text as [`Desired::text`] keeps it: `None` where it is `to`, byte for byte.
pub fn text_beside(to: &Path, text: Option<PathBuf>) -> Option<PathBuf> {
    text.filter(|t| t.as_os_str() != to.as_os_str())
}

/// The parts of a [`Desired`] link that few links have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extra {
    /// What may stand in for a symlink where symlinks cannot be made (`fallback`).
    pub fallback: Vec<LinkType>,
    /// Why `link_type` stands in for the symlink the manifest asked for, when it does.
    pub fell_back: Option<String>,
    /// `each = true`: one link per file below `to`, skipping these globs (relative to `to`).
    pub each: Option<Ignore>,
    /// `optional = true`: a missing original skips the link.
    pub optional: bool,
    /// `dir_mode`: the mode of the folders made for the link.
    pub dir_mode: Option<u32>,
    /// `tags`: names to choose the link by (`--only`, `--except`).
    pub tags: Vec<String>,
    /// What the plan warns about this link (a symlink on a network folder).
    pub warning: Option<String>,
}

impl Extra {
    /// Boxed, or nothing when there is nothing in it.
    pub fn boxed(self) -> Option<Box<Extra>> {
        (self != Extra::default()).then(|| Box::new(self))
    }
}

impl AsRef<Desired> for Desired {
    fn as_ref(&self) -> &Desired {
        self
    }
}

impl Desired {
    /// The text the link must hold: `to`, or `to` relative to `at`'s folder (for a hard link,
    /// the original's path; for a junction, `to` without a SUBST drive).
    pub fn link_text(&self) -> &Path {
        self.text.as_deref().unwrap_or(&self.to)
    }

    /// Sets the text the link must hold (kept only where it is not `to`).
    pub fn set_link_text(&mut self, text: PathBuf) {
        self.text = text_beside(&self.to, Some(text));
    }

    /// `tags`: names to choose the link by.
    pub fn tags(&self) -> &[String] {
        self.extra.as_ref().map_or(&[], |x| &x.tags)
    }

    /// `dir_mode`: the mode of the folders made for the link.
    pub fn dir_mode(&self) -> Option<u32> {
        self.extra.as_ref()?.dir_mode
    }

    /// `optional = true`: a missing original skips the link.
    pub fn optional(&self) -> bool {
        self.extra.as_ref().is_some_and(|x| x.optional)
    }

    /// What may stand in for a symlink (`fallback`).
    pub fn fallback(&self) -> &[LinkType] {
        self.extra.as_ref().map_or(&[], |x| &x.fallback)
    }

    /// Why another primitive stands in for the symlink asked for, when one does.
    pub fn fell_back(&self) -> Option<&str> {
        self.extra.as_ref()?.fell_back.as_deref()
    }

    /// `each = true`: the globs to skip.
    pub fn each(&self) -> Option<&Ignore> {
        self.extra.as_ref()?.each.as_ref()
    }

    /// What the plan warns about this link, if anything.
    pub fn warning(&self) -> Option<&str> {
        self.extra.as_ref()?.warning.as_deref()
    }
}

/// Resolves every link of `manifest` for the machine described by `cx`.
pub fn resolve(manifest: &Manifest, cx: &Context) -> Result<Resolved, Vec<Diagnostic>> {
    let mut r = Resolver::new(cx, &manifest.vars);
    r.check_policies(manifest);
    let defaults = Defaults::of(&manifest.defaults);
    let mut raws: Vec<Raw> = manifest
        .links
        .0
        .iter()
        .map(|(at, to)| defaults.short_form(at, to))
        .collect();
    let mut skipped = Vec::new();
    for e in &manifest.link {
        let ignore = r.check_long_form(e, defaults.link_type);
        match skipped_here(e, cx) {
            Some(s) => skipped.push(s),
            None => raws.push(r.long_form(e, &defaults, ignore)),
        }
    }
    // Short and long forms may interleave in the file; show links in the order they are written.
    raws.sort_by_key(|r| r.at.span().start);
    // Room for all at once: doubling would leave up to half again unused (megabytes at
    // 100,000 links).
    let mut links = Vec::with_capacity(raws.len());
    links.extend(raws.into_iter().filter_map(|raw| r.link(raw)));
    r.check_duplicates(&links);
    // Then every var, so that a broken one is reported even when no link uses it — but an
    // environment variable not set here, in a var no link here uses, is no error (it may be
    // for another machine's entries).
    r.lenient = true;
    r.expand_all_vars();
    let vars = r.values_here(manifest);
    if r.errors.is_empty() {
        Ok(Resolved {
            links,
            skipped,
            vars,
        })
    } else {
        Err(r.errors)
    }
}

/// `[defaults]`, with linkfile's own where the manifest gives none.
struct Defaults {
    relative: bool,
    fallback: Vec<LinkType>,
    link_type: LinkType,
    on_conflict: OnConflict,
}

impl Defaults {
    fn of(d: &crate::manifest::Defaults) -> Defaults {
        Defaults {
            relative: d.relative.as_ref().is_some_and(|r| *r.get_ref()),
            fallback: d
                .fallback
                .as_ref()
                .map(|f| f.get_ref().clone())
                .unwrap_or_default(),
            link_type: d
                .link_type
                .as_ref()
                .map_or(LinkType::Symlink, |t| *t.get_ref()),
            on_conflict: d
                .on_conflict
                .as_ref()
                .map_or(OnConflict::Fail, |p| *p.get_ref()),
        }
    }

    /// A `[links]` entry: everything as the defaults say.
    fn short_form<'m>(&self, at: &'m Spanned<String>, to: &'m Spanned<String>) -> Raw<'m> {
        Raw {
            at,
            to,
            kind: None,
            relative: self.relative,
            on_conflict: self.on_conflict,
            link_type: self.link_type,
            extra: Extra {
                fallback: self.fallback.clone(),
                ..Extra::default()
            }
            .boxed(),
        }
    }
}

/// What is wrong with a path the manifest gives, and what to do: an error's message and hint.
type Problem = (String, String);

/// What an entry's `at` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AtNames {
    /// The link itself.
    TheLink,
    /// The folder the links of an `each` entry go below.
    FolderOfLinks,
}

/// An entry of the manifest that applies here, its `at` and `to` not yet expanded.
struct Raw<'m> {
    at: &'m Spanned<String>,
    to: &'m Spanned<String>,
    kind: Option<EntryKind>,
    relative: bool,
    on_conflict: OnConflict,
    link_type: LinkType,
    /// Boxed as in [`Desired`]: a `[links]` entry rarely has any.
    extra: Option<Box<Extra>>,
}

/// Why a `[[link]]` entry does not apply on this machine, when its `when` does not hold.
fn skipped_here(e: &crate::manifest::LinkEntry, cx: &Context) -> Option<Skipped> {
    let when = e.when.as_ref()?;
    let env = |name: &str| expand::env_var(cx, name);
    let program = |name: &str| (cx.on_path)(name, &env);
    let machine = crate::when::Machine {
        os: cx.os,
        host: cx.host,
        env: &env,
        program: &program,
    };
    let why = crate::when::holds(when.get_ref(), &machine).err()?;
    Some(Skipped {
        at: e.at.get_ref().clone(),
        to: e.to.get_ref().clone(),
        why,
    })
}

/// Pairs (first, later) of links with the same `at`.
fn duplicates(links: &[Desired], os: Os) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let mut seen = KeyMap::with_capacity_and_hasher(links.len(), Default::default());
    for (i, d) in links.iter().enumerate() {
        if let Some(first) = seen.insert(PathKey::new(&d.at, os), i) {
            pairs.push((first, i));
        }
    }
    pairs
}

/// Checks what needs the originals' kinds: a link's `type` assertion, no link below another
/// link's directory (it would be written into the repo), and no link at or above another
/// link's folder (a place cannot be a link and a folder). `kinds[i]` is the kind of
/// `desired[i].to`, `None` when it is missing.
pub fn check_with_originals<T: AsRef<Desired>>(
    links: &[T],
    kinds: &[Option<EntryKind>],
    cx: &Context,
) -> Result<(), Vec<Diagnostic>> {
    let desired = |i: usize| links[i].as_ref();
    let mut errors = Vec::new();
    let places: KeyMap<usize> = links
        .iter()
        .enumerate()
        .map(|(i, d)| (PathKey::new(&d.as_ref().at, cx.os), i))
        .collect();
    // Pairs of entries (by the place of their `at`) already reported as overlapping.
    let mut overlapping = std::collections::HashSet::new();
    // Links come folder by folder, and all in one folder have the same outer link.
    let mut last: Option<(&Path, Option<usize>)> = None;
    for (d, kind) in links.iter().map(AsRef::as_ref).zip(kinds) {
        let outer = match last {
            Some((f, outer)) if crate::paths::in_folder(&d.at, f) => outer,
            _ => {
                let outer = outer_link(&d.at, &places, cx.os);
                last = d.at.parent().map(|f| (f, outer));
                outer
            }
        };
        let nested = outer.filter(|&o| kinds[o] == Some(EntryKind::Dir));
        if let Some(o) = outer.filter(|_| nested.is_none())
            && overlapping.insert((desired(o).at_span.start, d.at_span.start))
        {
            errors.push(overlap_error(desired(o), d, cx));
        }
        errors.extend(link_type_error(d, *kind, cx));
        errors.extend(type_error(d, *kind, cx));
        if let Some(o) = nested {
            errors.push(nested_error(desired(o), d, cx));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The nearest link at or above `at`'s folder, by its index in `places`.
fn outer_link(at: &Path, places: &KeyMap<usize>, os: Os) -> Option<usize> {
    let key = PathKey::new(at, os);
    // The common case: the folders' keys are prefixes of the link's, no path parsed or copied.
    if let Some(mut folders) = key.folders(os) {
        return folders.find_map(|f| places.get(f).copied());
    }
    at.ancestors()
        .skip(1)
        .find_map(|a| places.get(PathKey::new(a, os).as_str()).copied())
}

/// A folder hard-linked, or a file behind a junction.
fn link_type_error(d: &Desired, kind: Option<EntryKind>, cx: &Context) -> Option<Diagnostic> {
    let (message, hint) = match (d.link_type, kind?) {
        (LinkType::Hardlink, EntryKind::Dir) => (
            format!(
                "{} is a folder, and a folder cannot be hard-linked",
                d.to.shown()
            ),
            "use link_type = \"symlink\" for folders",
        ),
        (LinkType::Junction, EntryKind::File) => (
            format!(
                "{} is a file, and a junction can only point to a folder",
                d.to.shown()
            ),
            "use link_type = \"symlink\" or \"hardlink\" for files",
        ),
        _ => return None,
    };
    Some(cx.diagnostic(d.to_span.clone(), message, Some(hint.into())))
}

/// A `type` that is not what the original is.
fn type_error(d: &Desired, kind: Option<EntryKind>, cx: &Context) -> Option<Diagnostic> {
    let (asserted, actual) = (d.kind?, kind?);
    (asserted != actual).then(|| {
        cx.diagnostic(
            d.to_span.clone(),
            format!(
                "`type` says {} but {} is a {}",
                kind_name(asserted),
                d.to.shown(),
                kind_name(actual)
            ),
            Some("fix `type`, or point `to` at the right path".into()),
        )
    })
}

/// `d` lies below `outer`, a link to a folder of the repo.
fn nested_error(outer: &Desired, d: &Desired, cx: &Context) -> Diagnostic {
    let line = cx.text[..outer.at_span.start].matches('\n').count() + 1;
    cx.diagnostic(
        d.at_span.clone(),
        format!(
            "{} lies inside {}, which line {line} links to the folder {}: this link would be written into the repo",
            d.at.shown(),
            outer.at.shown(),
            outer.to.shown()
        ),
        Some("remove this entry, or link the files of that folder one by one instead of the whole folder".into()),
    )
}

/// `link` is a link at or above `inner`'s folder, which `inner`'s entry makes as a folder.
fn overlap_error(link: &Desired, inner: &Desired, cx: &Context) -> Diagnostic {
    let line = cx.text[..inner.at_span.start].matches('\n').count() + 1;
    let folder = link.at.shown();
    cx.diagnostic(
        link.at_span.clone(),
        format!(
            "{folder} would be a link, and line {line} makes a folder there for {}: apply would fail half way",
            inner.at.shown()
        ),
        Some("a place is a link or a folder, not both: remove one of the two entries (with each = true, `ignore` can leave that folder out)".into()),
    )
}

fn kind_name(k: EntryKind) -> &'static str {
    match k {
        EntryKind::File => "file",
        EntryKind::Dir => "dir",
    }
}

struct Resolver<'a, 'm> {
    cx: &'a Context<'a>,
    vars: &'m std::collections::BTreeMap<Spanned<String>, Spanned<String>>,
    cache: HashMap<String, std::ffi::OsString>,
    stack: Vec<String>,
    failed: std::collections::HashSet<String>,
    errors: Vec<Diagnostic>,
    /// Expanding the vars no link here used: an unset environment variable is noted, not an
    /// error.
    lenient: bool,
    /// Vars that have no value here, and why.
    unset_here: HashMap<String, String>,
    /// How many vars and defaults are being expanded, one inside the other.
    depth: usize,
    /// Whether nesting beyond [`expand::MAX_NESTING`] was reported (once is enough).
    too_deep_reported: bool,
}

impl<'a, 'm> Resolver<'a, 'm> {
    fn new(
        cx: &'a Context<'a>,
        vars: &'m std::collections::BTreeMap<Spanned<String>, Spanned<String>>,
    ) -> Resolver<'a, 'm> {
        Resolver {
            cx,
            vars,
            cache: HashMap::new(),
            stack: Vec::new(),
            failed: Default::default(),
            errors: Vec::new(),
            lenient: false,
            unset_here: HashMap::new(),
            depth: 0,
            too_deep_reported: false,
        }
    }
}

impl Resolver<'_, '_> {
    fn error(&mut self, span: Range<usize>, message: String, hint: Option<String>) {
        self.errors.push(self.cx.diagnostic(span, message, hint));
    }

    /// A `[[link]]` entry: its own settings, else the defaults. `ignore`: its compiled globs.
    fn long_form<'e>(
        &mut self,
        e: &'e crate::manifest::LinkEntry,
        defaults: &Defaults,
        ignore: Option<Ignore>,
    ) -> Raw<'e> {
        let flag = |v: &Option<Spanned<bool>>| v.as_ref().map(|b| *b.get_ref());
        Raw {
            at: &e.at,
            to: &e.to,
            kind: e.kind.as_ref().map(|k| *k.get_ref()),
            relative: flag(&e.relative).unwrap_or(defaults.relative),
            on_conflict: e
                .on_conflict
                .as_ref()
                .map_or(defaults.on_conflict, |p| *p.get_ref()),
            link_type: e
                .link_type
                .as_ref()
                .map_or(defaults.link_type, |t| *t.get_ref()),
            extra: Extra {
                fallback: e
                    .fallback
                    .as_ref()
                    .map_or_else(|| defaults.fallback.clone(), |f| f.get_ref().clone()),
                each: ignore,
                optional: flag(&e.optional).unwrap_or(false),
                dir_mode: e.dir_mode.as_ref().and_then(|m| self.dir_mode(m)),
                tags: e
                    .tags
                    .as_ref()
                    .map(|t| t.get_ref().clone())
                    .unwrap_or_default(),
                ..Extra::default()
            }
            .boxed(),
        }
    }

    /// The link an entry asks for, once its `at` and `to` are expanded and checked.
    fn link(&mut self, raw: Raw) -> Option<Desired> {
        let names = if raw.extra.as_ref().is_some_and(|x| x.each.is_some()) {
            AtNames::FolderOfLinks
        } else {
            AtNames::TheLink
        };
        let at = self.resolve_at(raw.at, raw.to, names);
        let to = self.resolve_to(raw.to, raw.at);
        let (at, to) = (at?, to?);
        // A hard link has no text: it is the original itself, by another name.
        let text = (raw.relative && raw.link_type == LinkType::Symlink)
            .then(|| relative_path(&to, at.parent().unwrap_or(&at)));
        Some(Desired {
            text: text_beside(&to, text),
            at,
            to,
            kind: raw.kind,
            at_span: raw.at.span(),
            to_span: raw.to.span(),
            on_conflict: raw.on_conflict,
            link_type: raw.link_type,
            relative: raw.relative,
            extra: raw.extra,
        })
    }

    /// No two links at one place. `each` entries may share an `at` (stow's packages, all into
    /// the home): only a file place they both link is an error, found once they are expanded.
    fn check_duplicates(&mut self, links: &[Desired]) {
        let shared =
            |(a, b): &(usize, usize)| links[*a].each().is_some() && links[*b].each().is_some();
        for (first, dup) in duplicates(links, self.cx.os)
            .into_iter()
            .filter(|p| !shared(p))
        {
            let line = self.cx.text[..links[first].at_span.start]
                .matches('\n')
                .count()
                + 1;
            self.error(
                links[dup].at_span.clone(),
                format!(
                    "duplicate link {}: line {line} already makes it",
                    links[dup].at.shown()
                ),
                Some("keep one of the two entries".into()),
            );
        }
    }

    /// Every `[vars]` entry and its value here, or why it has none.
    fn values_here(&self, manifest: &Manifest) -> Vec<(String, Result<String, String>)> {
        manifest
            .vars
            .keys()
            .map(|k| {
                let name = k.get_ref().clone();
                let value = match (self.cache.get(&name), self.unset_here.get(&name)) {
                    (Some(v), _) => Ok(crate::show::path(Path::new(v))),
                    (None, Some(why)) => Err(why.clone()),
                    (None, None) => Err("invalid".to_string()),
                };
                (name, value)
            })
            .collect()
    }

    fn check_policies(&mut self, m: &Manifest) {
        let d = &m.defaults;
        self.check_link_type(d.link_type.as_ref());
        self.check_fallback(d.fallback.as_ref());
    }

    fn check_link_type(&mut self, v: Option<&Spanned<LinkType>>) {
        let Some(v) = v else { return };
        match v.get_ref() {
            LinkType::Symlink => {}
            // Junctions are an NTFS feature: a manifest asking for one elsewhere is wrong here,
            // not merely early.
            LinkType::Junction if !self.cx.os.is_windows() => self.error(
                v.span(),
                format!(
                    "link_type = \"junction\" exists only on Windows, not on {}",
                    self.cx.os.name()
                ),
                Some(
                    "use link_type = \"symlink\" (a symlink to a folder does the same here)".into(),
                ),
            ),
            LinkType::Hardlink | LinkType::Junction => {}
        }
    }

    /// `dir_mode`: an octal mode of permission bits (`"700"`, `"0750"`).
    fn dir_mode(&mut self, v: &Spanned<String>) -> Option<u32> {
        let text = v.get_ref();
        let mode = (!text.is_empty() && text.len() <= 4)
            .then(|| u32::from_str_radix(text, 8).ok())
            .flatten()
            .filter(|m| *m <= 0o7777);
        if mode.is_none() {
            self.error(
                v.span(),
                format!("`dir_mode` must be an octal mode such as \"700\", not `{text}`"),
                Some("write the permission bits in octal: \"700\" (only you), \"755\" (everyone may read)".into()),
            );
        }
        mode
    }

    /// What a `[[link]]` entry says that may be wrong anywhere, checked whether it applies
    /// here or not. Returns its `ignore` globs, compiled, when it has each = true.
    fn check_long_form(
        &mut self,
        e: &crate::manifest::LinkEntry,
        default_type: LinkType,
    ) -> Option<Ignore> {
        let ignore = self.check_each(e, default_type);
        self.check_link_type(e.link_type.as_ref());
        self.check_fallback(e.fallback.as_ref());
        ignore
    }

    /// `each` and `ignore`: globs that compile, `ignore` only with `each`, and no junction
    /// for the files `each` links one by one. Returns the globs, compiled, with each = true.
    fn check_each(
        &mut self,
        e: &crate::manifest::LinkEntry,
        default_type: LinkType,
    ) -> Option<Ignore> {
        let each = e.each.as_ref().is_some_and(|v| *v.get_ref());
        let mut compiled = Ignore::default();
        if let Some(ignore) = &e.ignore {
            if !each {
                self.error(
                    ignore.span(),
                    "`ignore` applies only to an entry with each = true".into(),
                    Some("add each = true, or remove `ignore`".into()),
                );
            }
            let invalid;
            (compiled, invalid) = Ignore::compile(ignore.get_ref().clone());
            for (glob, why) in invalid {
                self.error(
                    ignore.span(),
                    format!("`{glob}` is not a valid glob: {why}"),
                    Some("write globs such as \"*.swp\", \"cache/**\" or \"**/.DS_Store\"".into()),
                );
            }
        }
        let link_type = e.link_type.as_ref().map_or(default_type, |t| *t.get_ref());
        if let Some(v) = e
            .each
            .as_ref()
            .filter(|_| each && link_type == LinkType::Junction)
        {
            self.error(
                v.span(),
                "each = true links the files below `to` one by one, and a junction can only link a folder".into(),
                Some("use link_type = \"symlink\" or \"hardlink\" with each = true, or drop each to link the whole folder".into()),
            );
        }
        each.then_some(compiled)
    }

    /// `fallback` lists what stands in for a symlink: a symlink there means nothing.
    /// A junction in it is allowed everywhere (one manifest serves every machine); off Windows
    /// it never fits.
    fn check_fallback(&mut self, v: Option<&Spanned<Vec<LinkType>>>) {
        let Some(v) = v else { return };
        let list = v.get_ref();
        if list.contains(&LinkType::Symlink) {
            self.error(
                v.span(),
                "`fallback` lists what to use when symlinks cannot be made, so \"symlink\" cannot be in it".into(),
                Some("use fallback = [\"junction\", \"hardlink\"] (or a part of it)".into()),
            );
        } else if list.iter().enumerate().any(|(i, t)| list[..i].contains(t)) {
            self.error(
                v.span(),
                "`fallback` names the same link type twice".into(),
                Some("name each of \"junction\" and \"hardlink\" at most once".into()),
            );
        }
    }

    /// `at`, expanded and checked: absolute, normalised, and a place a link may be.
    fn resolve_at(
        &mut self,
        at: &Spanned<String>,
        to: &Spanned<String>,
        names: AtNames,
    ) -> Option<PathBuf> {
        let expanded = self.expand(at)?;
        let path = self.check_path(expanded, at, "at")?;
        let checked = self
            .absolute_at(path)
            .and_then(|path| self.place_at(path, to, names));
        match checked {
            Ok(path) => Some(path),
            Err((message, hint)) => {
                self.error(at.span(), message, Some(hint));
                None
            }
        }
    }

    /// `at` as an absolute, normalised path other than the root.
    fn absolute_at(&self, path: PathBuf) -> Result<PathBuf, Problem> {
        let expanded = path.shown();
        if drive_relative(&path, self.cx.os) {
            return Err((
                format!("`at` has no drive letter: `{expanded}`"),
                "write a full path such as C:/Users/you/... or start with ~".into(),
            ));
        }
        if !path.is_absolute() {
            let hint = if (self.cx.exists)(&self.cx.repo.join(&path)) {
                format!(
                    "`{expanded}` exists in the repo: did you swap at and to? `at` is where the link goes, `to` the original; write \"~/...\" = \"{expanded}\""
                )
            } else {
                foreign_start_hint(&expanded.to_string(), self.cx.os).unwrap_or_else(|| {
                    format!("write \"~/{expanded}\" for a path in your home folder")
                })
            };
            return Err((
                format!("`at` must be an absolute path or start with ~, not `{expanded}`"),
                hint,
            ));
        }
        let path = normalized(path);
        if path.parent().is_none() {
            return Err((
                format!("`at` cannot be the root folder {}", path.shown()),
                "`at` must name the link itself, e.g. \"~/.vimrc\"".into(),
            ));
        }
        Ok(path)
    }

    /// `at` (absolute, normalised) as a place a link may be: not in the repo nor the state
    /// folder, not a folder that holds the home or the repo, and below a given home.
    fn place_at(
        &self,
        path: PathBuf,
        to: &Spanned<String>,
        names: AtNames,
    ) -> Result<PathBuf, Problem> {
        let (home, repo) = (self.cx.home, self.cx.repo);
        if self.is_within(&path, repo) {
            return Err((
                format!(
                    "`at` is inside the repo ({}): the link would be written into your dotfiles",
                    path.shown()
                ),
                if (self.cx.exists)(&repo.join(to.get_ref())) {
                    "`at` is where the link goes (e.g. \"~/.vimrc\"), `to` the original in the repo"
                        .into()
                } else {
                    "did you swap at and to? `at` is where the link goes (e.g. \"~/.vimrc\"), `to` the original in the repo".into()
                },
            ));
        }
        if self.is_within(&path, self.cx.state) {
            return Err((
                format!(
                    "`at` is inside linkfile's state folder {}: linkfile keeps its log, backups and lock there",
                    self.cx.state.shown()
                ),
                "put the link elsewhere (LINKFILE_STATE_DIR moves the state folder)".into(),
            ));
        }
        let what = match names {
            // The folder the files go below may be the home folder itself (as with stow); the
            // places below it are checked once expanded.
            AtNames::FolderOfLinks => None,
            AtNames::TheLink if self.is_within(&path, home) && self.is_within(home, &path) => {
                Some("your home folder itself".to_string())
            }
            AtNames::TheLink if self.is_within(home, &path) || self.is_within(repo, &path) => {
                Some(format!(
                    "{}, a folder that holds your home or your repo",
                    path.shown()
                ))
            }
            AtNames::TheLink => None,
        };
        if let Some(what) = what {
            return Err((
                format!("`at` is {what}"),
                "`at` must name the link itself, e.g. \"~/.vimrc\"".into(),
            ));
        }
        if self.cx.isolated && !self.is_within(&path, home) {
            return Err((
                format!(
                    "{} is outside the home {}, which --home (or LINKFILE_HOME) gives: a throwaway home never touches the real one",
                    path.shown(),
                    home.shown()
                ),
                "write `at` below ~, or run without --home and LINKFILE_HOME to link outside your home".into(),
            ));
        }
        Ok(path)
    }

    fn resolve_to(&mut self, to: &Spanned<String>, at: &Spanned<String>) -> Option<PathBuf> {
        let expanded = self.expand(to)?;
        let path = self.check_path(expanded, to, "to")?;
        let path = normalized(crate::paths::join_relative(self.cx.repo, &path));
        if !self.is_within(&path, self.cx.repo) {
            let at_looks_like_repo = !at.get_ref().starts_with('~')
                && !Path::new(at.get_ref()).is_absolute()
                && (self.cx.exists)(&self.cx.repo.join(at.get_ref()));
            self.error(
                to.span(),
                format!(
                    "`to` escapes the repo: {} is outside {}",
                    path.shown(),
                    self.cx.repo.shown()
                ),
                Some(if at_looks_like_repo {
                    "did you swap at and to? `at` is where the link goes, `to` the original in the repo (ln -s order is to, at; mklink's is at, to)".into()
                } else {
                    "`to` is the original, relative to the manifest's folder; move the file into the repo and point `to` at it".into()
                }),
            );
            return None;
        }
        Some(path)
    }

    fn check_path(
        &mut self,
        expanded: std::ffi::OsString,
        v: &Spanned<String>,
        key: &str,
    ) -> Option<PathBuf> {
        if expanded.is_empty() {
            let what = if v.get_ref().is_empty() {
                "is empty"
            } else {
                "expands to an empty path"
            };
            self.error(
                v.span(),
                format!("`{key}` {what}"),
                Some(format!("give `{key}` a path")),
            );
            return None;
        }
        if expand::has_nul(&expanded) {
            self.error(
                v.span(),
                format!("`{key}` contains a NUL byte"),
                Some("remove the \\u0000 from the path".into()),
            );
            return None;
        }
        Some(PathBuf::from(expanded))
    }

    fn is_within(&self, path: &Path, dir: &Path) -> bool {
        within(path, dir, self.cx.os)
    }
}

/// Windows: `/x` or `\x` is relative to the current drive. How a path parses is the host's:
/// elsewhere a path with a root is absolute.
fn drive_relative(path: &Path, os: Os) -> bool {
    os.is_windows() && !path.is_absolute() && path.has_root()
}

/// What to say of a relative `at` that is meant as absolute: a Windows path off Windows, or a
/// path that starts with a lookalike of `~` or an invisible character.
fn foreign_start_hint(at: &str, os: Os) -> Option<String> {
    let b = at.as_bytes();
    let drive = b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && b"\\/".contains(&b[2]);
    if drive && !os.is_windows() {
        return Some(format!(
            "`{at}` is a Windows path: on {} write a path below ~ (e.g. \"~/.vimrc\"), and keep the Windows one in an entry with when = {{ os = \"windows\" }}",
            os.name()
        ));
    }
    let first = at.chars().next()?;
    let tilde_like = ['\u{ff5e}', '\u{2dc}', '\u{223c}', '\u{301c}', '\u{2053}'];
    let invisible = matches!(first, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}' | '\u{feff}');
    let hides_start = invisible || (!first.is_ascii() && at[first.len_utf8()..].starts_with('~'));
    (tilde_like.contains(&first) || hides_start).then(|| {
        format!(
            "`at` starts with U+{:04X} (`{first}`), not ~: type the start as the ASCII ~/ (a lookalike or invisible character is not ~)",
            u32::from(first)
        )
    })
}

// The tables write paths the Unix way (`/r`, `/h`): std's `Path` is the host's, and on Windows
// those are not absolute. Windows' own decisions (junctions, `~\`, drive paths, case) are rows
// there too, resolved with `Os::WINDOWS` on a Unix host.
#[cfg(all(test, unix))]
mod tests;
