//! `linkfile doctor`: can links be made where the manifest wants them, and if not, why.
//!
//! For each distinct folder the manifest links into (or, when it does not exist yet, the
//! nearest folder above it, where linkfile would make the missing ones), a symlink, a hard link
//! and — on Windows — a junction are made under a temporary name, read back and removed. The
//! manifest's links are all symbolic links in this version, so every link can be made when a
//! symlink can be made in every folder.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::manifest::EntryKind;
use crate::platform;
use crate::render::human::View;
use crate::resolve::Desired;

/// What could be made in one folder.
#[derive(Debug)]
pub struct FolderProbe {
    /// The folder tried.
    pub folder: PathBuf,
    /// How many of the manifest's links go there (or below, in folders yet to be made).
    pub links: usize,
    /// A symlink to one of those links' originals.
    pub symlink: Result<(), String>,
    /// A hard link to a file original of the manifest (`None`: the manifest has no file).
    pub hardlink: Option<Result<(), String>>,
    /// A junction to a folder original (`None`: no junctions on this platform, or no folder).
    pub junction: Option<Result<(), String>>,
}

/// Everything `doctor` found.
#[derive(Debug)]
pub struct Report {
    /// One entry per folder, in path order.
    pub folders: Vec<FolderProbe>,
    /// Windows: Developer Mode on.
    pub developer_mode: Option<bool>,
    /// Windows: this process elevated.
    pub elevated: Option<bool>,
    /// How many links the manifest has.
    pub links: usize,
}

impl Report {
    /// Whether every link can be made as the manifest asks.
    pub fn ok(&self) -> bool {
        self.folders.iter().all(|f| f.symlink.is_ok())
    }
}

fn explain(e: std::io::Error) -> String {
    match platform::hint_for(&e) {
        Some(hint) => format!("{e}\n      hint: {hint}"),
        None => e.to_string(),
    }
}

/// The folder a link's probes go in: its own folder, or the nearest one above that exists.
fn existing_folder(at: &Path) -> Option<PathBuf> {
    at.ancestors()
        .skip(1)
        .find(|d| std::fs::metadata(d).is_ok_and(|m| m.is_dir()))
        .map(Path::to_path_buf)
}

/// Probes every folder `desired` links into (`kinds[i]` is what `desired[i].to` is).
pub fn probe(desired: &[Desired], kinds: &[Option<EntryKind>]) -> Report {
    let mut folders: BTreeMap<PathBuf, (usize, usize)> = BTreeMap::new();
    for (i, d) in desired.iter().enumerate() {
        if let Some(folder) = existing_folder(&d.at) {
            folders.entry(folder).or_insert((0, i)).0 += 1;
        }
    }
    let file_original = desired
        .iter()
        .zip(kinds)
        .find(|(_, k)| **k == Some(EntryKind::File))
        .map(|(d, _)| d.to.clone());
    let dir_original = desired
        .iter()
        .zip(kinds)
        .find(|(_, k)| **k == Some(EntryKind::Dir))
        .map(|(d, _)| d.to.clone());
    let folders = folders
        .into_iter()
        .map(|(folder, (links, first))| {
            let d = &desired[first];
            let kind = kinds[first].unwrap_or(EntryKind::File);
            FolderProbe {
                symlink: platform::probe_symlink(&folder, &d.to, kind).map_err(explain),
                hardlink: file_original
                    .as_deref()
                    .map(|o| platform::probe_hardlink(&folder, o).map_err(explain)),
                junction: dir_original
                    .as_deref()
                    .and_then(|o| platform::probe_junction(&folder, o))
                    .map(|r| r.map_err(explain)),
                folder,
                links,
            }
        })
        .collect();
    Report {
        folders,
        developer_mode: platform::developer_mode(),
        elevated: platform::elevated(),
        links: desired.len(),
    }
}

fn cell(r: &Option<Result<(), String>>, absent: &str) -> String {
    match r {
        None => absent.to_string(),
        Some(Ok(())) => "yes".into(),
        Some(Err(_)) => "NO".into(),
    }
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

/// The table and the verdict, as printed.
pub fn render(report: &Report, view: &View) -> String {
    let junctions = if cfg!(windows) { "-" } else { "n/a" };
    let rows: Vec<[String; 5]> = report
        .folders
        .iter()
        .map(|f| {
            [
                view.at_path(&f.folder),
                f.links.to_string(),
                cell(&Some(f.symlink.clone()), "-"),
                cell(&f.hardlink, "-"),
                cell(&f.junction, junctions),
            ]
        })
        .collect();
    let header = ["folder", "links", "symlink", "hard link", "junction"].map(str::to_string);
    let width = |i: usize| {
        rows.iter()
            .chain(std::iter::once(&header))
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..5).map(width).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let _ = writeln!(
            out,
            "  {:<w0$}  {:>w1$}  {:<w2$}  {:<w3$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
        );
    }
    if cfg!(windows) {
        let _ = writeln!(
            out,
            "Developer Mode: {}; this shell is elevated: {}",
            yes_no(report.developer_mode),
            yes_no(report.elevated)
        );
    }
    for f in &report.folders {
        let folder = view.at_path(&f.folder);
        if let Err(e) = &f.symlink {
            let _ = writeln!(out, "{folder}: symlink: {e}");
        }
        if let Some(Err(e)) = &f.hardlink {
            let _ = writeln!(out, "{folder}: hard link: {e}");
        }
        if let Some(Err(e)) = &f.junction {
            let _ = writeln!(out, "{folder}: junction: {e}");
        }
    }
    let failing = report.folders.iter().filter(|f| f.symlink.is_err()).count();
    if failing == 0 {
        let _ = writeln!(
            out,
            "apply would use a symbolic link for each of the {} link{}.",
            report.links,
            if report.links == 1 { "" } else { "s" }
        );
    } else {
        let _ = writeln!(
            out,
            "apply would fail: symbolic links cannot be made in {failing} folder{} (see above).",
            if failing == 1 { "" } else { "s" }
        );
    }
    out
}
