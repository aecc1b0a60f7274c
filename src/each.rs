//! `each = true`: one link per file below a repo folder, at the same relative place under
//! `at`. The folders along the way are made as real folders by apply, so applications can
//! write beside the links without writing into the repo.
//!
//! The walk (walkdir) never follows a link: a symlink (or junction) inside the repo folder is
//! linked as itself, as a folder's link when it leads to a folder (a directory symlink on
//! Windows: the forgotten `/D` otherwise) and as a file's link otherwise (dangling included).
//! `.git` and the manifest itself are never linked; `ignore` globs (globset, relative to `to`,
//! `/`-separated; `*` also matches across folders; a final `/` for folders only) skip files and
//! whole folders. One `readdir` per folder, and the walk's file types tell the originals' kinds, so the repo scan
//! does not read these folders again.

use std::collections::HashMap;
use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use crate::error::{Diagnostic, Error};
use crate::manifest::EntryKind;
use crate::resolve::{Context, Desired, Extra};
use crate::show::Shown as _;

/// The links after expansion.
#[derive(Debug, Default)]
pub struct Expanded {
    /// Every link: the entries without `each` as they were, each `each` entry replaced by one
    /// link per file, in walk order (sorted by name).
    pub links: Vec<Desired>,
    /// Whether each link's original was found by the walk (a file, or a symlink linked as
    /// one); the others' kinds come from the repo scan.
    pub walked: Vec<bool>,
    /// The walked links whose original is a link in the repo to a folder (a directory
    /// symlink or junction), by index: linked as a folder, so Windows makes a directory
    /// symlink (a file symlink to a folder does not open).
    pub to_folder: std::collections::HashSet<usize>,
}

impl Expanded {
    /// What each link's original is (`None`: missing), scanning the repo only for the links the
    /// walk did not find.
    pub fn kinds(&self) -> Result<Vec<Option<EntryKind>>, Error> {
        let mut scan = crate::observe::Originals::default();
        self.links
            .iter()
            .zip(&self.walked)
            .enumerate()
            .map(|(i, (d, walked))| {
                if *walked {
                    Ok(Some(walked_kind(self.to_folder.contains(&i))))
                } else {
                    scan.kind(&d.to)
                }
            })
            .collect()
    }
}

/// The kind of an original the walk found: a folder when it is a link in the repo leading to
/// one, a file otherwise (the walk does not enter links, so it never yields a real folder).
fn walked_kind(leads_to_folder: bool) -> EntryKind {
    if leads_to_folder {
        EntryKind::Dir
    } else {
        EntryKind::File
    }
}

/// The `ignore` globs: those that match anything, and those written with a final `/`, which
/// match folders only (as in .gitignore).
struct Ignore {
    any: GlobSet,
    folders: GlobSet,
}

impl Ignore {
    fn new(patterns: &[String]) -> Ignore {
        let (mut any, mut folders) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        for p in patterns {
            // Invalid globs were reported by resolve, with their place in the manifest.
            let Ok(g) = Glob::new(pattern(p)) else {
                continue;
            };
            if p.len() > 1 && p.ends_with('/') {
                folders.add(g);
            } else {
                any.add(g);
            }
        }
        let build = |b: GlobSetBuilder| b.build().unwrap_or_else(|_| GlobSet::empty());
        Ignore {
            any: build(any),
            folders: build(folders),
        }
    }

    fn skips(&self, rel: &Path, is_dir: bool) -> bool {
        self.any.is_match(rel) || (is_dir && self.folders.is_match(rel))
    }
}

/// A glob as matched: paths are matched without a final `/` (`cache/` is the glob `cache`,
/// applied to folders only).
pub fn pattern(glob: &str) -> &str {
    match glob.trim_end_matches('/') {
        "" => glob,
        trimmed => trimmed,
    }
}

/// Expands every `each` entry of `links`, then checks every link by real path
/// ([`crate::containment`]). `manifest` is the manifest file's absolute path.
pub fn expand(links: Vec<Desired>, manifest: &Path, cx: &Context) -> Result<Expanded, Error> {
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
        let walked = vec![false; links.len()];
        return Ok(Expanded {
            links,
            walked,
            ..Expanded::default()
        });
    }
    let mut out = Expanded::default();
    let mut errors = Vec::new();
    // Which entry each link comes from, for messages: its index among `links`.
    let mut from = Vec::new();
    for (entry, d) in links.iter().enumerate() {
        let Some(ignore) = d.each() else {
            out.links.push(d.clone());
            out.walked.push(false);
            from.push(entry);
            continue;
        };
        match std::fs::metadata(&d.to) {
            Ok(m) if m.is_dir() => {}
            found => {
                let what = if found.is_ok() {
                    "is a file"
                } else {
                    "does not exist"
                };
                errors.push(cx.diagnostic(
                    d.to_span.clone(),
                    format!(
                        "each = true links the files below a folder, and {} {what}",
                        d.to.shown()
                    ),
                    Some("point `to` at a folder of the repo, or drop each = true".into()),
                ));
                continue;
            }
        }
        // The walk follows the folder itself when it is a link: it must lead to the repo.
        let real = crate::containment::real_path(&d.to);
        if let Some(real) = crate::containment::outside_repo(real, roots, cx) {
            errors.push(crate::containment::to_escapes(d, &real, cx));
            continue;
        }
        let skip = Ignore::new(ignore);
        // What every file's link shares with the entry (its spans, policy, primitive).
        let mut template = Desired {
            kind: None,
            ..d.clone()
        };
        template.extra = template
            .extra
            .and_then(|x| Extra { each: None, ..*x }.boxed());
        let mut walk = WalkDir::new(&d.to)
            .min_depth(1)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter();
        while let Some(item) = walk.next() {
            let item = item.map_err(|e| Error::Observe {
                path: e.path().unwrap_or(&d.to).to_path_buf(),
                source: e.into(),
            })?;
            let path = item.path();
            let rel = path.strip_prefix(&d.to).unwrap_or(path);
            let is_dir = item.file_type().is_dir();
            if item.file_name() == ".git" || path == manifest || skip.skips(rel, is_dir) {
                if is_dir {
                    walk.skip_current_dir();
                }
                continue;
            }
            if is_dir {
                continue;
            }
            let at = d.at.join(rel);
            let link_text = if d.relative && d.link_type == crate::manifest::LinkType::Symlink {
                crate::paths::relative_path(path, at.parent().unwrap_or(&at))
            } else {
                path.to_path_buf()
            };
            let mut link = template.clone();
            (link.at, link.to, link.link_text) = (at, path.to_path_buf(), link_text);
            // A link in the repo is linked as what it points to (the flavour of the link to it
            // on Windows): one look through it, for links only.
            if item.file_type().is_symlink() && std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
                out.to_folder.insert(out.links.len());
            }
            out.links.push(link);
            out.walked.push(true);
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

/// No two links at one place, and none inside the repo, once folders are expanded.
fn check_places(
    entries: &[Desired],
    links: &[Desired],
    from: &[usize],
    cx: &Context,
    errors: &mut Vec<Diagnostic>,
) {
    let line = |d: &Desired| cx.text[..d.at_span.start].matches('\n').count() + 1;
    let mut seen: HashMap<crate::paths::PathKey, usize> = HashMap::with_capacity(links.len());
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
