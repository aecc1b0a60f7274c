//! `each = true`: one link per file below a repo folder, at the same relative place under
//! `at`. The folders along the way are made as real folders by apply, so applications can
//! write beside the links without writing into the repo.
//!
//! [`observe::list_tree`] walks the folder (one `readdir` per folder) and never follows a
//! link; [`entry_links`] turns that listing into links, a pure function. A symlink (or
//! junction) inside the repo folder is linked as itself, as a folder's link when it leads to a
//! folder (a directory symlink on Windows: the forgotten `/D` otherwise) and as a file's link
//! otherwise (dangling included). `.git` and the manifest itself are never linked; the `ignore`
//! globs, compiled by resolve ([`Ignore`]), skip files and whole folders. The walk's file types
//! tell the originals' kinds, so the repo scan does not read these folders again.

use std::ffi::OsStr;
use std::path::Path;

use crate::error::{Diagnostic, Error};
use crate::manifest::{EntryKind, LinkType};
use crate::observe::{self, Listed, ListedKind};
use crate::resolve::{Context, Desired, Extra, Ignore};
use crate::show::Shown as _;

/// The links after expansion.
#[derive(Debug, Default)]
pub(crate) struct Expanded {
    /// Every link: the entries without `each` as they were, each `each` entry replaced by one
    /// link per file, in walk order (sorted by name).
    pub links: Vec<Desired>,
    /// Each link's original's kind when the walk found it: a file, or a link in the repo,
    /// linked as what it leads to (a link to a folder as a folder, so that Windows makes a
    /// directory symlink: a file symlink to a folder does not open). `None`: not walked, the
    /// repo scan tells.
    pub walked: Vec<Option<EntryKind>>,
}

impl Expanded {
    /// What each link's original is (`None`: missing), scanning the repo only for the links the
    /// walk did not find.
    pub(crate) fn kinds(&self) -> Result<Vec<Option<EntryKind>>, Error> {
        let tos = self.links.iter().map(|d| d.to.as_path());
        kinds(observe::Originals::default(), tos, &self.walked)
    }
}

/// What the originals `tos` are, where `walked` does not already say (`None`: missing),
/// scanning the repo one folder at a time (from `scan`'s listings, when it has them).
pub(crate) fn kinds<'a>(
    mut scan: observe::Originals,
    tos: impl Iterator<Item = &'a Path>,
    walked: &[Option<EntryKind>],
) -> Result<Vec<Option<EntryKind>>, Error> {
    tos.zip(walked)
        .map(|(to, walked)| match walked {
            Some(kind) => Ok(Some(*kind)),
            None => scan.kind(to),
        })
        .collect()
}

/// Expands every `each` entry of `links`, then checks every link by real path
/// ([`crate::containment`]). `manifest` is the manifest file's absolute path.
pub(crate) fn expand(
    links: Vec<Desired>,
    manifest: &Path,
    cx: &Context,
) -> Result<Expanded, Error> {
    let roots = crate::containment::Roots::new(cx);
    let out = expand_each(links, manifest, cx, &roots)?;
    crate::containment::check(&out.links, &out.walked, cx, &roots).map_err(Error::Manifest)?;
    Ok(out)
}

fn expand_each(
    links: Vec<Desired>,
    manifest: &Path,
    cx: &Context,
    roots: &crate::containment::Roots,
) -> Result<Expanded, Error> {
    if links.iter().all(|d| d.each().is_none()) {
        let walked = vec![None; links.len()];
        return Ok(Expanded { links, walked });
    }
    let mut out = Expanded::default();
    let mut errors = Vec::new();
    // Which entry each link comes from, for messages: its index among `links`.
    let mut from = Vec::new();
    for (entry, d) in links.iter().enumerate() {
        let Some(ignore) = d.each() else {
            out.links.push(d.clone());
            out.walked.push(None);
            from.push(entry);
            continue;
        };
        let listed = match list_entry(d, ignore, manifest, cx, roots)? {
            Ok(listed) => listed,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        // The walk left out what `leaves_out` says (and all a folder left out holds).
        for (link, kind) in links_of(d, &listed, |_| false) {
            out.links.push(link);
            out.walked.push(Some(kind));
            from.push(entry);
        }
    }
    check_places(&links, &out.links, &from, cx, &mut errors);
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::Manifest(errors))
    }
}

/// What is below an `each` entry's folder (observe walks it), or why it cannot be walked.
fn list_entry(
    d: &Desired,
    ignore: &Ignore,
    manifest: &Path,
    cx: &Context,
    roots: &crate::containment::Roots,
) -> Result<Result<Vec<Listed>, Diagnostic>, Error> {
    let what = match observe::kind_through_links(&d.to) {
        Some(EntryKind::Dir) => None,
        Some(EntryKind::File) => Some("is a file"),
        None => Some("does not exist"),
    };
    if let Some(what) = what {
        return Ok(Err(cx.diagnostic(
            d.to_span.clone(),
            format!(
                "each = true links the files below a folder, and {} {what}",
                d.to.shown()
            ),
            Some("point `to` at a folder of the repo, or drop each = true".into()),
        )));
    }
    // The walk follows the folder itself when it is a link: it must lead to the repo.
    let real = crate::containment::real_path(&d.to);
    if let Some(real) = crate::containment::outside_repo(real, roots, cx) {
        return Ok(Err(crate::containment::to_escapes(d, &real, cx)));
    }
    let manifest = ManifestPlace::below(manifest, &d.to);
    let prune = |l: &Listed, name: &OsStr| leaves_out(l, name, ignore, manifest);
    observe::list_tree(&d.to, &prune).map(Ok)
}

/// Whether the walk of the folder `to` leaves `l` (named `name`) out: `.git`, the manifest
/// itself (at `manifest` below `to`, when it is there), and what `ignore` matches (a folder with
/// all it holds).
fn leaves_out(l: &Listed, name: &OsStr, ignore: &Ignore, manifest: Option<ManifestPlace>) -> bool {
    // Names first: comparing them is cheap, and paths are compared only when they match.
    name == ".git"
        || manifest.is_some_and(|m| name == m.name && l.rel == m.rel)
        || if l.kind == ListedKind::Folder {
            ignore.skips_folder(&l.rel)
        } else {
            ignore.skips_file(&l.rel)
        }
}

/// The manifest's place below an `each` entry's folder, when it is there.
#[derive(Clone, Copy)]
struct ManifestPlace<'a> {
    rel: &'a Path,
    name: &'a OsStr,
}

impl<'a> ManifestPlace<'a> {
    fn below(manifest: &'a Path, folder: &Path) -> Option<ManifestPlace<'a>> {
        let rel = manifest.strip_prefix(folder).ok()?;
        Some(ManifestPlace {
            rel,
            name: rel.file_name()?,
        })
    }
}

/// The links of one `each` entry over what is below its folder, `listed` as
/// [`observe::list_tree`] gives it (each folder before what it holds): one per file or link, at
/// the same place below `at`, with its original's kind. Pure: what the walk prunes is left out
/// here too.
#[cfg(test)]
pub(crate) fn entry_links(
    entry: &Desired,
    listed: &[Listed],
    manifest: &Path,
) -> Vec<(Desired, EntryKind)> {
    let Some(ignore) = entry.each() else {
        return Vec::new();
    };
    let manifest = ManifestPlace::below(manifest, &entry.to);
    links_of(entry, listed, |l| {
        let name = l.rel.file_name().unwrap_or_default();
        leaves_out(l, name, ignore, manifest)
    })
}

/// The links of one `each` entry over `listed`, leaving out what `left_out` says (a folder with
/// all it holds): the walk's listing has been pruned by [`leaves_out`] already.
fn links_of(
    entry: &Desired,
    listed: &[Listed],
    left_out: impl Fn(&Listed) -> bool,
) -> Vec<(Desired, EntryKind)> {
    if entry.each().is_none() {
        return Vec::new();
    }
    // What every file's link shares with the entry (its spans, policy, primitive).
    let mut template = Desired {
        kind: None,
        ..entry.clone()
    };
    template.extra = template
        .extra
        .and_then(|x| Extra { each: None, ..*x }.boxed());
    let mut links = Vec::with_capacity(listed.len());
    // The folder left out last: what it holds follows it, and is left out with it.
    let mut pruned: Option<&Path> = None;
    for l in listed {
        if pruned.is_some_and(|p| l.rel.starts_with(p)) {
            continue;
        }
        if left_out(l) {
            pruned = (l.kind == ListedKind::Folder).then_some(&l.rel);
            continue;
        }
        // The walk does not enter links, so it never yields a real folder: a folder's kind is
        // a link's to a folder, linked as what it leads to.
        let kind = match l.kind {
            ListedKind::Folder => continue,
            ListedKind::LinkToFolder => EntryKind::Dir,
            ListedKind::File | ListedKind::Link => EntryKind::File,
        };
        links.push((file_link(&template, &l.rel), kind));
    }
    links
}

/// The link of the file `rel` below the folder of the entry `template` stands for.
fn file_link(template: &Desired, rel: &Path) -> Desired {
    let (at, to) = (
        crate::paths::join_relative(&template.at, rel),
        crate::paths::join_relative(&template.to, rel),
    );
    let text = (template.relative && template.link_type == LinkType::Symlink)
        .then(|| crate::paths::relative_path(&to, at.parent().unwrap_or(&at)));
    // Field by field: cloning the template whole would copy its paths only to drop them.
    Desired {
        text: crate::resolve::text_beside(&to, text),
        at,
        to,
        kind: template.kind,
        at_span: template.at_span.clone(),
        to_span: template.to_span.clone(),
        on_conflict: template.on_conflict,
        link_type: template.link_type,
        relative: template.relative,
        extra: template.extra.clone(),
    }
}

/// No two links at one place, and none inside the repo, once folders are expanded.
fn check_places(
    entries: &[Desired],
    links: &[Desired],
    from: &[usize],
    cx: &Context,
    errors: &mut Vec<Diagnostic>,
) {
    let line = |d: &Desired| cx.text[..d.at_span.start].matches('\n').count() + 1;
    let mut seen = crate::paths::KeyMap::with_capacity_and_hasher(links.len(), Default::default());
    let mut reported = std::collections::HashSet::new();
    for (i, d) in links.iter().enumerate() {
        let entry = &entries[from[i]];
        if crate::paths::within(&d.at, cx.repo, cx.os) {
            errors.push(cx.diagnostic(
                entry.at_span.clone(),
                format!(
                    "{} would be a link inside the repo (each = true links every file below {})",
                    d.at.shown(),
                    entry.to.shown()
                ),
                Some("put `at` outside the repo, or ignore that part of the folder".into()),
            ));
            continue;
        }
        if let Some(first) = seen.insert(crate::paths::PathKey::new(&d.at, cx.os), i) {
            let (a, b) = (&entries[from[first]], entry);
            if from[first] == from[i] {
                continue;
            }
            // Two plain entries with one `at` were reported by resolve already.
            if (a.each().is_none() && b.each().is_none())
                || !reported.insert((from[first], from[i]))
            {
                continue;
            }
            errors.push(cx.diagnostic(
                b.at_span.clone(),
                format!(
                    "{} is linked twice: to {} by this entry and to {} by line {} (each = true links every file below its `to`)",
                    d.at.shown(),
                    d.to.shown(),
                    links[first].to.shown(),
                    line(a),
                ),
                Some(if a.each().is_some() && b.each().is_some() {
                    "ignore that file in one of the two `each` entries (its `ignore` list)".into()
                } else {
                    "ignore that file in the `each` entry, or remove the other entry".into()
                }),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::manifest::OnConflict;

    /// An `each` entry linking the folder `/r/pkg` into `/h`.
    fn entry(ignore: &[&str]) -> Desired {
        let (ignore, invalid) = Ignore::compile(ignore.iter().map(|g| g.to_string()).collect());
        assert!(invalid.is_empty());
        Desired {
            at: "/h".into(),
            to: "/r/pkg".into(),
            text: None,
            kind: Some(EntryKind::Dir),
            at_span: 1..2,
            to_span: 3..4,
            on_conflict: OnConflict::Backup,
            link_type: LinkType::Symlink,
            relative: false,
            extra: Extra {
                each: Some(ignore),
                tags: vec!["t".into()],
                ..Extra::default()
            }
            .boxed(),
        }
    }

    /// A listing written short: `a/` a folder, `a@` a link, `a@/` a link to a folder, else a
    /// file.
    fn listing(items: &[&str]) -> Vec<Listed> {
        items
            .iter()
            .map(|i| {
                let (rel, kind) = if let Some(r) = i.strip_suffix("@/") {
                    (r, ListedKind::LinkToFolder)
                } else if let Some(r) = i.strip_suffix('@') {
                    (r, ListedKind::Link)
                } else if let Some(r) = i.strip_suffix('/') {
                    (r, ListedKind::Folder)
                } else {
                    (*i, ListedKind::File)
                };
                Listed {
                    rel: rel.into(),
                    kind,
                }
            })
            .collect()
    }

    /// The places below `/h` linked, with their originals' kinds.
    fn linked(entry: &Desired, items: &[&str]) -> Vec<(String, EntryKind)> {
        let manifest = Path::new("/r/pkg/linkfile.toml");
        entry_links(entry, &listing(items), manifest)
            .into_iter()
            .map(|(d, k)| {
                assert_eq!(
                    d.to,
                    Path::new("/r/pkg").join(d.at.strip_prefix("/h").unwrap())
                );
                (d.at.strip_prefix("/h").unwrap().display().to_string(), k)
            })
            .collect()
    }

    /// (ignore, listing, places linked with their originals' kinds)
    type Row = (
        &'static [&'static str],
        &'static [&'static str],
        &'static [(&'static str, EntryKind)],
    );

    #[test]
    fn one_link_per_file_below_the_folder() {
        use EntryKind::{Dir, File};
        let table: &[Row] = &[
            (&[], &[], &[]),
            (&[], &["a", "b/", "b/c"], &[("a", File), ("b/c", File)]),
            // Links are linked as what they lead to; dangling ones as files.
            (&[], &["l@", "m@/"], &[("l", File), ("m", Dir)]),
            // `.git` and the manifest are never linked.
            (
                &[],
                &[".git/", ".git/config", "linkfile.toml", "x"],
                &[("x", File)],
            ),
            (&[], &["a/", "a/.git"], &[]),
            // A folder left out takes what it holds with it.
            (
                &["cache/"],
                &["cache/", "cache/x", "cachet"],
                &[("cachet", File)],
            ),
            (&["cache/"], &["cache"], &[("cache", File)]),
            (
                &["*.swp"],
                &["a.swp", "b/", "b/c.swp", "b/d"],
                &[("b/d", File)],
            ),
            (&["b"], &["b/", "b/d", "c"], &[("c", File)]),
        ];
        for (ignore, items, expected) in table {
            let expected: Vec<(String, EntryKind)> =
                expected.iter().map(|(p, k)| (p.to_string(), *k)).collect();
            assert_eq!(
                linked(&entry(ignore), items),
                expected,
                "{ignore:?} {items:?}"
            );
        }
    }

    #[test]
    fn each_link_keeps_the_entry_but_its_each() {
        let e = entry(&[]);
        let links = entry_links(&e, &listing(&["a/", "a/b"]), Path::new("/r/linkfile.toml"));
        let (link, _) = &links[0];
        assert_eq!(link.at, PathBuf::from("/h/a/b"));
        assert_eq!(link.link_text(), PathBuf::from("/r/pkg/a/b"));
        assert_eq!((link.kind, link.each()), (None, None));
        assert_eq!(link.tags(), ["t"]);
        assert_eq!((link.at_span.clone(), link.to_span.clone()), (1..2, 3..4));
        assert_eq!(link.on_conflict, OnConflict::Backup);
    }

    #[test]
    fn relative_links_are_relative_to_their_folder() {
        let e = Desired {
            relative: true,
            ..entry(&[])
        };
        let links = entry_links(&e, &listing(&["a/", "a/b"]), Path::new("/r/linkfile.toml"));
        assert_eq!(links[0].0.link_text(), PathBuf::from("../../r/pkg/a/b"));
        let hard = Desired {
            link_type: LinkType::Hardlink,
            ..e
        };
        let links = entry_links(&hard, &listing(&["x"]), Path::new("/r/linkfile.toml"));
        assert_eq!(links[0].0.link_text(), PathBuf::from("/r/pkg/x"));
    }

    #[test]
    fn an_entry_without_each_has_no_links() {
        let plain = Desired {
            extra: None,
            ..entry(&[])
        };
        assert!(entry_links(&plain, &listing(&["a"]), Path::new("/r/linkfile.toml")).is_empty());
    }
}
