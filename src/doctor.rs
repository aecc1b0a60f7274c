//! `linkfile doctor`: can links be made where the manifest wants them, and if not, why.
//!
//! For each distinct folder the manifest links into (or, when it does not exist yet, the
//! nearest folder above it, where linkfile would make the missing ones), a symlink, a hard link
//! and — on Windows — a junction are made under a temporary name, read back and removed. Every
//! link can be made when each folder can hold the kinds of link the manifest asks there.
//!
//! This module probes; [`crate::render::doctor`] shows what it found.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::manifest::{EntryKind, LinkType};
use crate::plan::Obstacle;
use crate::platform;
use crate::primitive;
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

/// What the manifest wants in one folder: how many links, which kinds, what apply would use.
struct Wanted {
    links: usize,
    /// The first link into the folder (its original is the one the symlink probe links to).
    first: usize,
    symlink: bool,
    /// The first hard link into the folder.
    hard: Option<usize>,
    junction: bool,
    uses: BTreeMap<&'static str, (usize, usize)>,
    refused: Vec<String>,
}

/// Probes every folder `desired` links into (`kinds[i]` is what `desired[i].to` is), and
/// chooses each link's primitive as apply would (`fallback`).
pub(crate) fn probe(desired: &[Desired], kinds: &[Option<EntryKind>], home: &Path) -> Report {
    let originals = Originals {
        file: first_original(desired, kinds, EntryKind::File),
        dir: first_original(desired, kinds, EntryKind::Dir),
    };
    let folders = wanted_by_folder(desired, kinds, home)
        .into_iter()
        .map(|(folder, w)| probe_folder(folder, w, desired, kinds, &originals))
        .collect();
    Report {
        folders,
        developer_mode: platform::developer_mode(),
        elevated: platform::elevated(),
        links: desired.len(),
        elevation: platform::elevation(),
    }
}

/// What each folder is asked to hold: a link's own folder, or the nearest one above it that
/// exists.
fn wanted_by_folder(
    desired: &[Desired],
    kinds: &[Option<EntryKind>],
    home: &Path,
) -> BTreeMap<PathBuf, Wanted> {
    let mut chosen = desired.to_vec();
    let refusals = primitive::choose_all(&mut chosen, kinds, &vec![false; desired.len()], home);
    let mut folders: BTreeMap<PathBuf, Wanted> = BTreeMap::new();
    for (i, (d, refusal)) in chosen.iter().zip(refusals).enumerate() {
        let folder = d.at.parent().and_then(|p| primitive::probe_folder(p, home));
        let Some(folder) = folder.map(Path::to_path_buf) else {
            continue;
        };
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
    folders
}

/// The manifest's first original of each kind, to try hard links and junctions with.
struct Originals {
    file: Option<PathBuf>,
    dir: Option<PathBuf>,
}

fn first_original(
    desired: &[Desired],
    kinds: &[Option<EntryKind>],
    kind: EntryKind,
) -> Option<PathBuf> {
    desired
        .iter()
        .zip(kinds)
        .find(|(_, k)| **k == Some(kind))
        .map(|(d, _)| d.to.clone())
}

/// Makes and removes a link of each kind in `folder`.
fn probe_folder(
    folder: PathBuf,
    w: Wanted,
    desired: &[Desired],
    kinds: &[Option<EntryKind>],
    originals: &Originals,
) -> FolderProbe {
    let d = &desired[w.first];
    let kind = kinds[w.first].unwrap_or(EntryKind::File);
    // A hard link is tried with the original one of this folder's hard links names.
    let hard_original = w
        .hard
        .map(|i| desired[i].to.clone())
        .or(originals.file.clone());
    let symlink = platform::probe_symlink(&folder, &d.to, kind);
    let symlink_refused = symlink.as_ref().err().map(std::io::Error::raw_os_error);
    FolderProbe {
        symlink: symlink.map_err(explain),
        hardlink: hard_original
            .as_deref()
            .map(|o| platform::probe_hardlink(&folder, o).map_err(explain)),
        junction: originals
            .dir
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
}
