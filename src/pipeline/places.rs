//! The places a plan covers, as they are observed: which ones an earlier step of the plan
//! empties, what is in the way, the folder links on the way, and the folders that give way.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::{place, record};
use crate::apply;
use crate::error::Error;
use crate::manifest::{EntryKind, LinkType, OnConflict};
use crate::observe::{self, Actual, FolderEntry, FolderLinks};
use crate::oplog::{Backup, BackupKind, Operation, OwnedLink, State};
use crate::plan::{self, Input, Want};
use crate::platform::Flavour;
use crate::primitive;
use crate::resolve::{self, Desired};

/// Whether `actual` is already the link `d` asks for, made with `d`'s primitive (a quick
/// look for the common case; the planner decides the rest).
pub(super) fn already_right(d: &Desired, kind: Option<EntryKind>, actual: &Actual) -> bool {
    match actual {
        Actual::Link { text, flavour, .. } => {
            crate::platform::same_path(text, d.link_text())
                && d.link_type != LinkType::Hardlink
                && flavour.is_none_or(|f| Some(f) == kind.map(|k| Flavour::of(k, d.link_type)))
        }
        Actual::HardLinked => d.link_type == LinkType::Hardlink,
        _ => false,
    }
}

/// Which records [`settle`] finds observed already.
pub(super) enum Seen {
    /// The wanted links (observed with the originals, before the probe): `plan`, `apply`.
    WantedLinks,
    /// None: `undo`, `unlink`.
    Nothing,
}

/// Settles every record's place: observes what is not observed yet, then what observation of
/// one place alone cannot say. Links linkfile prunes are observed first: whether each still
/// holds linkfile's link decides what the other places are observed through. A wanted link
/// below a place that holds a link linkfile owns and no longer wants (or gives back a backup)
/// is not observed through that link (it is removed before the new link is made): its place
/// counts as empty. Likewise a wanted link where a folder linkfile made is removed
/// (`remove_folders`), and a place a restore takes its content from (undoing an adopt). With an
/// interrupted operation pending (`overlay`), a place its rollback changes is observed as the
/// rollback will leave it.
pub(super) fn settle(
    records: &mut [Input],
    seen: Seen,
    remove_folders: &[PathBuf],
    mut folder_links: FolderLinks,
    overlay: Option<&crate::pending::Overlay>,
) -> Result<(), Error> {
    observe_where(records, |r| r.want == Want::Dropped)?;
    let shadows = Shadows::new(records, remove_folders);
    let unseen = |r: &Input| match seen {
        Seen::WantedLinks => !matches!(r.want, Want::Link | Want::Dropped),
        Seen::Nothing => r.want != Want::Dropped,
    };
    observe_where(records, |r| unseen(r) && !shadows.cover(r))?;
    let mut obstacles = primitive::Obstacles::new(folder_links.home());
    for r in records.iter_mut() {
        if shadows.cover(r) {
            r.actual = Actual::Missing;
        } else {
            settle_seen(r, &mut folder_links, overlay)?;
        }
        // Only a place that will be written can be refused (a right link costs nothing more).
        let right = r.want == Want::Link && already_right(&r.desired, r.original, &r.actual);
        if r.obstacle.is_none() && !right {
            r.obstacle = obstacles.check(&r.desired, &r.want).map(Box::new);
        }
    }
    Ok(())
}

/// Observes the place of each record `which` chooses (asked once per record, in order).
fn observe_where(
    records: &mut [Input],
    mut which: impl FnMut(&Input) -> bool,
) -> Result<(), Error> {
    let chosen: Vec<usize> = (0..records.len()).filter(|&i| which(&records[i])).collect();
    if chosen.is_empty() {
        return Ok(());
    }
    let places: Vec<observe::Place> = chosen.iter().map(|&i| place(&records[i].desired)).collect();
    let observed = observe::link_places(&places)?;
    drop(places);
    for (i, actual) in chosen.into_iter().zip(observed) {
        let r = &mut records[i];
        r.actual = observe::owned_hard_link(actual, &r.desired.at, r.owned_hard_and_text());
    }
    Ok(())
}

/// The places an earlier step of the plan empties.
struct Shadows {
    /// Places of owned links removed (or given back a backup): a pruned place the user changed
    /// is released, not emptied, and what lies below it is seen as it is.
    dropped: HashSet<PathBuf>,
    /// Folders linkfile made that the plan removes.
    folders: HashSet<PathBuf>,
    /// Places restores take their content from.
    sources: HashSet<PathBuf>,
}

impl Shadows {
    fn new(records: &[Input], remove_folders: &[PathBuf]) -> Shadows {
        let dropped = records
            .iter()
            .filter(|r| match &r.want {
                Want::Link => false,
                Want::Dropped => plan::still_owned(r.owned_link().as_deref(), &r.actual),
                _ => true,
            })
            .map(|r| r.desired.at.clone())
            .collect();
        Shadows {
            dropped,
            folders: remove_folders.iter().cloned().collect(),
            sources: apply::restore_sources(records.iter().map(|r| &r.want)),
        }
    }

    /// Whether `r`'s place is empty by the time the plan writes there.
    fn cover(&self, r: &Input) -> bool {
        let at = &r.desired.at;
        // A folder link put back where linkfile made a folder that this plan empties.
        if matches!(&r.want, Want::Restore(b) if b.what == BackupKind::FolderLink) {
            return empties(at, &self.dropped, &self.folders);
        }
        (r.want == Want::Link
            && (apply::at_or_below_any(at, &self.folders)
                || (!self.dropped.is_empty()
                    && at
                        .parent()
                        .is_some_and(|p| apply::at_or_below_any(p, &self.dropped)))))
            // Emptied by an earlier restore that takes its content from there.
            || (!self.sources.is_empty() && self.sources.contains(at))
    }
}

/// What observation of an unshadowed place alone cannot say: the rollback pending, a hard link
/// linkfile made, a folder link on the way, the original itself there, another tool's link to
/// it, and how a file in the way compares with the original.
fn settle_seen(
    r: &mut Input,
    folder_links: &mut FolderLinks,
    overlay: Option<&crate::pending::Overlay>,
) -> Result<(), Error> {
    let d = &r.desired;
    if let Some(o) = overlay
        && let Some(actual) = o.actual(place(d))?
    {
        r.actual = actual;
    }
    let actual = std::mem::replace(&mut r.actual, Actual::Missing);
    r.actual = observe::owned_hard_link(actual, &d.at, r.owned_hard_and_text());
    r.folder_link = folder_links.on_the_way(&d.at);
    let wanted_link = r.want == Want::Link && r.folder_link.is_none();
    r.is_original = wanted_link
        && matches!(r.actual, Actual::File | Actual::Dir)
        && observe::is_original(&d.at, &d.to);
    // Another tool's link: does it lead to the original all the same?
    r.resolves = match &r.actual {
        Actual::Link { text, .. } if wanted_link && text != d.link_text() => {
            observe::resolves_to(&d.at, text, &d.to)
        }
        _ => false,
    };
    let file_over_file = wanted_link
        && r.actual == Actual::File
        && r.original == Some(EntryKind::File)
        && !r.is_original;
    if file_over_file {
        // Where the bytes at each place are (elsewhere while a rollback is pending).
        let (at, to) = match overlay {
            Some(o) => (o.content(&d.at), o.content(&d.to)),
            None => (d.at.as_path(), d.to.as_path()),
        };
        r.same_bytes = observe::same_bytes(at, to);
        if !r.same_bytes {
            r.texts = observe::small_text(at)
                .zip(observe::small_text(to))
                .map(Box::new);
            r.undiffable = r
                .texts
                .is_none()
                .then(|| undiffable(at, to))
                .flatten()
                .map(Box::new);
        }
    }
    Ok(())
}

/// The link linkfile owns at a place, as a [`Desired`] (for removal, undo and display).
pub(super) fn from_owned(o: &OwnedLink) -> Desired {
    let to = crate::paths::normalize(&o.at.parent().unwrap_or(Path::new("/")).join(&o.text));
    Desired {
        text: resolve::text_beside(&to, Some(o.text.clone())),
        at: o.at.clone(),
        to,
        kind: Some(o.kind),
        at_span: 0..0,
        to_span: 0..0,
        on_conflict: OnConflict::Fail,
        link_type: o.link_type(),
        relative: false,
        extra: resolve::Extra {
            fell_back: o.fallback.as_deref().map(str::to_string),
            tags: o.tags.clone(),
            ..resolve::Extra::default()
        }
        .boxed(),
    }
}

/// The folders linkfile made and no later operation removed (`history`: newest first).
pub(super) fn made_folders(history: &[Operation]) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = Vec::new();
    for op in history.iter().rev() {
        folders.retain(|f| !op.removed_folders.contains(f));
        folders.extend(op.folders.iter().cloned());
    }
    folders
}

/// Folders in the way of a wanted link that go away by themselves: linkfile made them, and all
/// they hold is links it prunes in this operation and folders of the same kind (an `each`
/// entry turned into one link to the whole folder). They are removed, deepest first, once
/// emptied, and the link is made in their place. Anything else in such a folder keeps it a
/// `dir-in-the-way` conflict.
pub(super) fn folders_giving_way(records: &[Input], state: &State) -> Result<Vec<PathBuf>, Error> {
    let in_the_way: Vec<&Path> = records
        .iter()
        .filter(|it| it.want == Want::Link && it.actual == Actual::Dir)
        .map(|it| it.desired.at.as_path())
        .collect();
    let pruned: HashMap<&Path, std::borrow::Cow<OwnedLink>> = records
        .iter()
        .filter(|it| it.want == Want::Dropped)
        .filter_map(|it| Some((it.desired.at.as_path(), it.owned_link()?)))
        .collect();
    // The common case reads nothing more.
    if in_the_way.is_empty()
        || !in_the_way
            .iter()
            .any(|d| pruned.keys().any(|p| p.starts_with(d)))
    {
        return Ok(Vec::new());
    }
    let made: HashSet<PathBuf> = made_folders(&state.history()?).into_iter().collect();
    // Whether `dir` holds only pruned links (still as linkfile made them: a changed one is
    // released and stays) and folders like itself; its folders go in `out`.
    fn gives_way(
        dir: &Path,
        made: &HashSet<PathBuf>,
        pruned: &HashMap<&Path, std::borrow::Cow<OwnedLink>>,
        out: &mut Vec<PathBuf>,
    ) -> bool {
        if !made.contains(dir) {
            return false;
        }
        let Some(entries) = observe::listing(dir) else {
            return false;
        };
        let all = entries.into_iter().all(|e| match e {
            FolderEntry::Folder(path) => gives_way(&path, made, pruned, out),
            FolderEntry::Other(path) => pruned
                .get(path.as_path())
                .is_some_and(|o| holds_owned_link(o)),
        });
        if all {
            out.push(dir.to_path_buf());
        }
        all
    }
    let mut out = Vec::new();
    for dir in in_the_way {
        let mut these = Vec::new();
        if gives_way(dir, &made, &pruned, &mut these) {
            out.extend(these);
        }
    }
    Ok(deepest_first(out))
}

pub(super) fn deepest_first(mut folders: Vec<PathBuf>) -> Vec<PathBuf> {
    // By depth, then by path, so that duplicates sit together.
    folders.sort_by(|a, b| (b.components().count(), a).cmp(&(a.components().count(), b)));
    folders.dedup();
    folders
}

/// The place of a folder link that an operation unfolded, to be given back its link.
pub(super) fn folder_link_restore(b: &Backup) -> Input {
    let text = b.text.clone().unwrap_or_default();
    let to = crate::paths::normalize(&b.at.parent().unwrap_or(Path::new("/")).join(&text));
    let place = Desired {
        text: resolve::text_beside(&to, Some(text)),
        at: b.at.clone(),
        to,
        kind: Some(EntryKind::Dir),
        at_span: 0..0,
        to_span: 0..0,
        on_conflict: OnConflict::Fail,
        link_type: LinkType::Symlink,
        relative: false,
        extra: None,
    };
    record(
        place,
        Want::Restore(Box::new(b.clone())),
        None,
        OnConflict::Fail,
        Some(EntryKind::Dir),
    )
}

/// Whether the folder `dir` holds only what this plan removes: links at `removed` places and
/// folders in `folders` that hold the same (then it is removed, and the place is empty).
fn empties(dir: &Path, removed: &HashSet<PathBuf>, folders: &HashSet<PathBuf>) -> bool {
    if !folders.contains(dir) {
        return false;
    }
    let Some(entries) = observe::listing(dir) else {
        return false;
    };
    entries.into_iter().all(|e| match e {
        FolderEntry::Folder(path) => empties(&path, removed, folders),
        FolderEntry::Other(path) => removed.contains(&path),
    })
}

/// Whether the link linkfile made at `o.at` is still there as it made it.
fn holds_owned_link(o: &OwnedLink) -> bool {
    let d = from_owned(o);
    observe::link_place(place(&d))
        .map(|actual| observe::owned_hard_link(actual, &o.at, Some((o.hard, &o.text))))
        .is_ok_and(|actual| plan::still_owned(Some(o), &actual))
}

/// The folders linkfile made for the links this operation prunes, to be removed once emptied:
/// each folder above a pruned place that linkfile made, up to the first it did not make, as
/// long as no wanted link lies in it and it is a real folder reached without passing through a
/// link. A folder that still holds something is left by the removal itself.
pub(super) fn folders_emptied_by_prune(
    records: &[Input],
    state: &State,
    home: &Path,
) -> Result<Vec<PathBuf>, Error> {
    let pruned: Vec<&Path> = records
        .iter()
        .filter(|it| it.want == Want::Dropped)
        .map(|it| it.desired.at.as_path())
        .collect();
    if pruned.is_empty() {
        return Ok(Vec::new());
    }
    let made: HashSet<PathBuf> = made_folders(&state.history()?).into_iter().collect();
    let wanted: HashSet<&Path> = records
        .iter()
        .filter(|it| it.want != Want::Dropped)
        .flat_map(|it| it.desired.at.ancestors())
        .collect();
    let mut out = Vec::new();
    for at in pruned {
        for dir in at.ancestors().skip(1) {
            if !made.contains(dir)
                || wanted.contains(dir)
                || !reached_without_links(dir, home, &made)
            {
                break;
            }
            out.push(dir.to_path_buf());
        }
    }
    Ok(out)
}

/// Whether `dir` and every folder above it are real folders, not links (nor junctions): below
/// the home up to it, elsewhere up to the first folder linkfile did not make.
fn reached_without_links(dir: &Path, home: &Path, made: &HashSet<PathBuf>) -> bool {
    for a in dir.ancestors() {
        if a == home {
            return true;
        }
        if !observe::is_real_folder(a) {
            return false;
        }
        if !made.contains(a) && !a.starts_with(home) {
            return true;
        }
    }
    true
}

/// Two files that differ and are not diffed: whether one is binary, and both sizes.
fn undiffable(there: &Path, original: &Path) -> Option<crate::plan::Undiffable> {
    let (there_size, original_size) = (observe::size(there)?, observe::size(original)?);
    // Two small files that were not both read as text: one of them is not text.
    let small = there_size <= observe::SMALL_TEXT && original_size <= observe::SMALL_TEXT;
    Some(crate::plan::Undiffable {
        binary: small || observe::looks_binary(there) || observe::looks_binary(original),
        there: there_size,
        original: original_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(at: &str) -> OwnedLink {
        OwnedLink {
            at: at.into(),
            text: "/r/d".into(),
            kind: EntryKind::Dir,
            hard: false,
            junction: false,
            fallback: None,
            tags: vec![],
        }
    }

    /// A link linkfile owns at `at`, no longer wanted, observed holding `text`.
    fn dropped(at: &str, text: &str) -> Input {
        let o = owned(at);
        let actual = Actual::Link {
            text: text.into(),
            flavour: None,
            target_exists: true,
        };
        Input {
            actual,
            ..record(
                from_owned(&o),
                Want::Dropped,
                Some(o),
                OnConflict::Fail,
                None,
            )
        }
    }

    fn wanted(at: &str) -> Input {
        let d = Desired {
            at: at.into(),
            ..from_owned(&owned(at))
        };
        record(d, Want::Link, None, OnConflict::Fail, Some(EntryKind::File))
    }

    #[test]
    fn a_place_below_a_link_the_plan_removes_counts_as_empty() {
        let records = [dropped("/h/.d", "/r/d"), wanted("/h/.d/x")];
        let shadows = Shadows::new(&records, &[]);
        assert!(shadows.cover(&records[1]));
        // The removed link's own place is observed as it is.
        assert!(!shadows.cover(&records[0]));
    }

    #[test]
    fn a_place_below_a_link_the_user_changed_is_seen_as_it_is() {
        // Released, not removed: what lies below it stays.
        let records = [dropped("/h/.d", "/elsewhere"), wanted("/h/.d/x")];
        let shadows = Shadows::new(&records, &[]);
        assert!(!shadows.cover(&records[1]));
    }

    #[test]
    fn a_place_in_a_folder_the_plan_removes_counts_as_empty() {
        let records = [wanted("/h/made/x"), wanted("/h/kept/x")];
        let shadows = Shadows::new(&records, &[PathBuf::from("/h/made")]);
        assert!(shadows.cover(&records[0]));
        assert!(!shadows.cover(&records[1]));
    }
}
