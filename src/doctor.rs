//! `linkfile doctor`: can links be made where the manifest wants them, and if not, why.
//!
//! For each distinct folder the manifest links into (or, when it does not exist yet, the
//! nearest folder above it, where linkfile would make the missing ones), a symlink, a hard link
//! and — on Windows — a junction are made under a temporary name, read back and removed. Every
//! link can be made when each folder can hold the kinds of link the manifest asks there.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::manifest::{EntryKind, LinkType};
use crate::plan::Obstacle;
use crate::platform;
use crate::primitive;
use crate::render::human::View;
use crate::resolve::Desired;
use crate::show::Shown as _;

/// What could be made in one folder.
#[derive(Debug)]
pub struct FolderProbe {
    /// The folder tried.
    pub folder: PathBuf,
    /// How many of the manifest's links go there (or below, in folders yet to be made).
    pub links: usize,
    /// Whether any of them is a symlink.
    pub wants_symlink: bool,
    /// Whether any of them is a hard link.
    pub wants_hardlink: bool,
    /// Whether any of them is a junction.
    pub wants_junction: bool,
    /// What apply would make there: each primitive, how many links, how many of them stand in
    /// for a symlink (`fallback`).
    pub uses: BTreeMap<&'static str, (usize, usize)>,
    /// Links no primitive fits, and why.
    pub refused: Vec<String>,
    /// A symlink to one of those links' originals.
    pub symlink: Result<(), String>,
    /// A hard link to a file original of the manifest (`None`: the manifest has no file).
    pub hardlink: Option<Result<(), String>>,
    /// A junction to a folder original (`None`: no junctions on this platform, or no folder).
    pub junction: Option<Result<(), String>>,
    /// The raw code the symlink probe failed with (`Some(None)`: success reported, nothing
    /// made); `None` when it was made.
    pub symlink_refused: Option<Option<i32>>,
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
    /// Windows: this process token's elevation type.
    pub elevation: Option<platform::explain::Elevation>,
}

impl Report {
    /// Whether every link can be made as the manifest asks.
    pub fn ok(&self) -> bool {
        self.folders.iter().all(FolderProbe::ok)
    }
}

impl FolderProbe {
    /// Whether every link into this folder can be made as the manifest asks.
    pub fn ok(&self) -> bool {
        (!self.wants_symlink || self.symlink.is_ok())
            && (!self.wants_hardlink || matches!(self.hardlink, Some(Ok(()))))
            && (!self.wants_junction || matches!(self.junction, Some(Ok(()))))
            && self.refused.is_empty()
    }
}

fn explain(e: std::io::Error) -> String {
    match platform::hint_for(&e) {
        Some(hint) => format!("{e}\n      hint: {hint}"),
        None => e.to_string(),
    }
}

/// Probes every folder `desired` links into (`kinds[i]` is what `desired[i].to` is), and
/// chooses each link's primitive as apply would (`fallback`).
pub fn probe(desired: &[Desired], kinds: &[Option<EntryKind>], home: &Path) -> Report {
    struct Wanted {
        links: usize,
        first: usize,
        symlink: bool,
        hard: Option<usize>,
        junction: bool,
        uses: BTreeMap<&'static str, (usize, usize)>,
        refused: Vec<String>,
    }
    let mut chosen = desired.to_vec();
    let refusals = primitive::choose_all(&mut chosen, kinds, &vec![false; desired.len()], home);
    let mut folders: BTreeMap<PathBuf, Wanted> = BTreeMap::new();
    for (i, (d, refusal)) in chosen.iter().zip(refusals).enumerate() {
        // The link's own folder, or the nearest one above that exists.
        let folder = d.at.parent().and_then(|p| primitive::probe_folder(p, home));
        if let Some(folder) = folder.map(Path::to_path_buf) {
            let w = folders.entry(folder).or_insert(Wanted {
                links: 0,
                first: i,
                symlink: false,
                hard: None,
                junction: false,
                uses: BTreeMap::new(),
                refused: Vec::new(),
            });
            w.links += 1;
            if let Some(Obstacle::NotPermitted(why)) = refusal {
                w.refused.push(format!("{}: {why}", d.at.shown()));
                continue;
            }
            match d.link_type {
                LinkType::Hardlink => w.hard = w.hard.or(Some(i)),
                LinkType::Junction => w.junction = true,
                LinkType::Symlink => w.symlink = true,
            }
            let uses = w.uses.entry(primitive::name(d.link_type)).or_default();
            uses.0 += 1;
            uses.1 += usize::from(d.fell_back().is_some());
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
        .map(|(folder, w)| {
            let d = &desired[w.first];
            let kind = kinds[w.first].unwrap_or(EntryKind::File);
            // A hard link is tried with the original one of this folder's hard links names.
            let hard_original = w
                .hard
                .map(|i| desired[i].to.clone())
                .or(file_original.clone());
            let symlink = platform::probe_symlink(&folder, &d.to, kind);
            let symlink_refused = symlink.as_ref().err().map(std::io::Error::raw_os_error);
            FolderProbe {
                symlink: symlink.map_err(explain),
                hardlink: hard_original
                    .as_deref()
                    .map(|o| platform::probe_hardlink(&folder, o).map_err(explain)),
                junction: dir_original
                    .as_deref()
                    .and_then(|o| platform::probe_junction(&folder, o))
                    .map(|r| r.map_err(explain)),
                folder,
                links: w.links,
                wants_symlink: w.symlink,
                wants_hardlink: w.hard.is_some(),
                wants_junction: w.junction,
                uses: w.uses,
                refused: w.refused,
                symlink_refused,
            }
        })
        .collect();
    Report {
        folders,
        developer_mode: platform::developer_mode(),
        elevated: platform::elevated(),
        links: desired.len(),
        elevation: platform::elevation(),
    }
}

fn cell(r: &Option<Result<(), String>>, absent: &str) -> String {
    match r {
        None => absent.to_string(),
        Some(Ok(())) => "yes".into(),
        Some(Err(_)) => "NO".into(),
    }
}

/// Whether symlinks can be made and, if not, why, in one line (the first refusal decides).
fn symlink_conclusion(report: &Report) -> String {
    let probe = match report.folders.iter().find_map(|f| f.symlink_refused) {
        Some(code) => Err(code),
        None => Ok(()),
    };
    platform::explain::symlink_conclusion(probe, report.elevation, report.developer_mode)
}

/// The table and the verdict, as printed.
pub fn render(report: &Report, view: &View) -> String {
    let junctions = if cfg!(windows) { "-" } else { "n/a" };
    let rows: Vec<[String; 6]> = report
        .folders
        .iter()
        .map(|f| {
            [
                view.at_path(&f.folder),
                f.links.to_string(),
                cell(&Some(f.symlink.clone()), "-"),
                cell(&f.hardlink, "-"),
                cell(&f.junction, junctions),
                uses(f),
            ]
        })
        .collect();
    let header = [
        "folder",
        "links",
        "symlink",
        "hard link",
        "junction",
        "apply uses",
    ]
    .map(str::to_string);
    let width = |i: usize| {
        rows.iter()
            .chain(std::iter::once(&header))
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..6).map(width).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let _ = writeln!(
            out,
            "  {:<w0$}  {:>w1$}  {:<w2$}  {:<w3$}  {:<w4$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        );
    }
    if cfg!(windows) && !report.folders.is_empty() {
        let _ = writeln!(out, "{}", symlink_conclusion(report));
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
        for why in &f.refused {
            let _ = writeln!(out, "{folder}: cannot link {why}");
        }
    }
    let failing = report.folders.iter().filter(|f| !f.ok()).count();
    if failing == 0 {
        let mut total: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for f in &report.folders {
            for (name, (n, fell_back)) in &f.uses {
                let t = total.entry(name).or_default();
                t.0 += n;
                t.1 += fell_back;
            }
        }
        let _ = writeln!(
            out,
            "apply can make each of the {} link{} as the manifest asks ({}).",
            report.links,
            if report.links == 1 { "" } else { "s" },
            summary(&total)
        );
    } else {
        let _ = writeln!(
            out,
            "apply would fail: the links asked for cannot be made in {failing} folder{} (see above).",
            if failing == 1 { "" } else { "s" }
        );
    }
    out
}

/// What apply would make, e.g. `3 symlinks, 2 hard links (fallback)`.
fn summary(uses: &BTreeMap<&str, (usize, usize)>) -> String {
    let parts: Vec<String> = uses
        .iter()
        .map(|(name, (n, fell_back))| {
            let plural = if *n == 1 { "" } else { "s" };
            match fell_back {
                0 => format!("{n} {name}{plural}"),
                f if f == n => format!("{n} {name}{plural} (fallback)"),
                f => format!("{n} {name}{plural} ({f} by fallback)"),
            }
        })
        .collect();
    if parts.is_empty() {
        "no links".into()
    } else {
        parts.join(", ")
    }
}

/// The "apply uses" cell of a folder.
fn uses(f: &FolderProbe) -> String {
    let mut parts: Vec<String> = f
        .uses
        .iter()
        .map(|(name, (_, fell_back))| {
            if *fell_back > 0 {
                format!("{name} (fallback)")
            } else {
                name.to_string()
            }
        })
        .collect();
    match f.refused.len() {
        0 => {}
        1 => parts.push("NOTHING for 1 link".into()),
        n => parts.push(format!("NOTHING for {n} links")),
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}
