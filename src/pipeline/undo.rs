//! `undo` and `unlink`: plans towards an earlier view of the owned links, through the same
//! records, plan and apply as any operation.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::places::{self, deepest_first, folder_link_restore, from_owned, made_folders};
use super::{Session, Setup, record};
use crate::error::{Error, UndoHistory};
use crate::manifest::{EntryKind, LinkType, OnConflict};
use crate::observe;
use crate::oplog::{Backup, BackupKind, Operation, OwnedLink, State};
use crate::plan::{self, Input, Obstacle, Want};
use crate::platform;
use crate::resolve::Desired;
use crate::selection::Selection;

/// The operation `undo` reverts: the newest one not already undone (undo twice walks back two).
pub(crate) fn undo_target(state: &State, head: &Operation) -> Result<Option<Operation>, Error> {
    let mut cursor = head.clone();
    while let Some(undone) = cursor.undoes {
        let undone = state.op(undone)?;
        match undone.parent {
            Some(p) => cursor = state.op(p)?,
            None => return Ok(None),
        }
    }
    Ok(Some(cursor))
}

/// Plans `undo`: towards the view before the operation it reverts, putting back what that
/// operation moved away. Returns the session and the operation it undoes.
pub(crate) fn undo_session(s: Setup) -> Result<(Session, u64), Error> {
    let head = s
        .state
        .head()?
        .ok_or(Error::NothingToUndo(UndoHistory::Empty))?;
    let target =
        undo_target(&s.state, &head)?.ok_or(Error::NothingToUndo(UndoHistory::AllUndone))?;
    let history = s.state.history()?;
    crate::records::check_history(&history, &s.state, &s.home, &s.repo)?;
    let parent_view = match target.parent {
        Some(p) => s.state.op(p)?.view,
        None => Vec::new(),
    };
    let pending = pending_backups(&history, &key);
    let restores = Restores::of(&target, &pending);
    let mut records = relinked(&head, &target, parent_view);
    let wanted: HashSet<String> = records.iter().map(|r| key(&r.desired.at)).collect();
    for o in head.view.iter().filter(|o| !wanted.contains(&key(&o.at))) {
        let k = key(&o.at);
        let want = match restores.places.get(&k) {
            Some(b) => Want::Restore(Box::new(b.clone())),
            None => Want::Nothing,
        };
        let mut r = owned_record(o, want);
        r.obstacle = restores
            .not_adopted
            .get(&k)
            .map(|repo| Box::new(Obstacle::NotTheAdoptedFile(repo.clone())));
        records.push(r);
    }
    // Folder links unfolded, back in place of the folders made for them (from where they are
    // kept now).
    let mut folder_links: Vec<&Backup> = restores
        .places
        .values()
        .filter(|b| b.what == BackupKind::FolderLink)
        .collect();
    folder_links.sort_by(|a, b| a.at.cmp(&b.at));
    records.extend(folder_links.into_iter().map(folder_link_restore));
    // Last, the repo's old versions of adopted originals, into the places just vacated.
    records.extend(restores.originals.into_iter().map(original_restore));
    let remove_folders = deepest_first(target.folders.clone());
    settle_undone(&mut records, &s, &remove_folders)?;
    let around = super::Around {
        remove_folders,
        ..super::Around::default()
    };
    let plan = super::finish(records, plan::Purpose::Undo, around);
    Ok((s.into_session(Some(head), plan), target.id))
}

/// Where `p` is kept in a map of places.
fn key(p: &Path) -> String {
    crate::paths::PathKey::new(p, platform::Os::HOST).into_string()
}

/// What goes back where when `target` is undone: a backup to its place; for an adopted
/// original, the file that became the original back to the link's place, then the repo's old
/// version to the repo.
#[derive(Default)]
struct Restores {
    /// By place.
    places: HashMap<String, Backup>,
    /// Adopted originals the repo changed since: by the link's place, the repo's file.
    not_adopted: HashMap<String, PathBuf>,
    /// The repo's old versions of adopted originals.
    originals: Vec<Backup>,
}

impl Restores {
    fn of(target: &Operation, pending: &HashMap<String, Vec<(u64, Backup)>>) -> Restores {
        let mut out = Restores::default();
        for b in &target.backups {
            match (&b.what, &b.adopted_from) {
                (BackupKind::Original, Some(link_at)) => out.adopted(b, link_at),
                _ => {
                    // Put back and moved away again since (an unlink, then its undo), it is kept
                    // elsewhere now; put back for good, there is nothing to restore.
                    if let Some(now) = kept_now(pending, &key(&b.at), target.id, b) {
                        out.places.insert(key(&b.at), now.clone());
                    }
                }
            }
        }
        out
    }

    /// An original adopted from `link_at`: what the repo holds goes back there.
    fn adopted(&mut self, b: &Backup, link_at: &Path) {
        let what = match observe::kind_at(&b.at) {
            Some(EntryKind::Dir) => BackupKind::Dir,
            _ => BackupKind::File,
        };
        let back = Backup {
            at: link_at.to_path_buf(),
            what,
            stored: Some(b.at.clone()),
            text: None,
            adopted_from: None,
            adopted_fingerprint: None,
        };
        self.places.insert(key(link_at), back);
        if let Some(adopted) = &b.adopted_fingerprint
            && observe::fingerprint(&b.at).ok().as_ref() != Some(adopted)
        {
            self.not_adopted.insert(key(link_at), b.at.clone());
        }
        self.originals.push(b.clone());
    }
}

/// The links of the view before `target` (`parent_view`), wanted again. A place the target
/// released was left as the user made it: undo leaves it too, and does not own it again.
fn relinked(head: &Operation, target: &Operation, parent_view: Vec<OwnedLink>) -> Vec<Input> {
    let current: HashMap<String, &OwnedLink> = head.view.iter().map(|o| (key(&o.at), o)).collect();
    let released: HashSet<String> = target.released.iter().map(|o| key(&o.at)).collect();
    // Undoing an unlink: the files it put back go to the backup store again.
    let put_back: HashSet<String> = target.restored.iter().map(|b| key(&b.at)).collect();
    parent_view
        .into_iter()
        .filter(|o| !released.contains(&key(&o.at)) || current.contains_key(&key(&o.at)))
        .map(|o| {
            let k = key(&o.at);
            let owned = current.get(&k).map(|o| (*o).clone());
            let policy = if put_back.contains(&k) {
                OnConflict::Backup
            } else {
                OnConflict::Fail
            };
            let d = from_owned(&o);
            // Never a dangling link: a link to an original gone since is `original-missing` (a
            // link in the repo is an original, as `each` finds it, wherever it points).
            let original = observe::exists(&d.to).then_some(o.kind);
            record(d, Want::Link, owned, policy, original)
        })
        .collect()
}

/// The repo's old version of an adopted original, put back in the repo.
fn original_restore(b: Backup) -> Input {
    let place = Desired {
        at: b.at.clone(),
        to: b.at.clone(),
        text: None,
        kind: None,
        at_span: 0..0,
        to_span: 0..0,
        on_conflict: OnConflict::Fail,
        link_type: LinkType::Symlink,
        relative: false,
        extra: None,
    };
    let kind = observe::kind_at(&b.at).unwrap_or(EntryKind::File);
    record(
        place,
        Want::Restore(Box::new(b)),
        None,
        OnConflict::Fail,
        Some(kind),
    )
}

/// Observes and settles undo's records. A right link needs no step: whether its original is
/// there does not matter to undo.
fn settle_undone(
    records: &mut [Input],
    s: &Setup,
    remove_folders: &[PathBuf],
) -> Result<(), Error> {
    let seen = places::Seen::Nothing;
    places::settle(records, seen, remove_folders, s.folder_links(), s.overlay())?;
    for r in records.iter_mut() {
        if r.want == Want::Link
            && r.original.is_none()
            && places::already_right(&r.desired, r.desired.kind, &r.actual)
        {
            r.original = r.desired.kind;
        }
    }
    Ok(())
}

/// Plans `unlink`: every link linkfile owns (that `selection` chooses) removed, and what it
/// moved away put back.
pub(crate) fn unlink_session(s: Setup, selection: &Selection) -> Result<Session, Error> {
    let head = s.state.head()?;
    let history = s.state.history()?;
    crate::records::check_history(&history, &s.state, &s.home, &s.repo)?;
    let pending = pending_backups(&history, &key);
    let mut records = Vec::new();
    for o in head.iter().flat_map(|h| &h.view) {
        // The newest backup of each place still in the store.
        let want = match pending.get(&key(&o.at)).and_then(|kept| kept.last()) {
            Some((_, b)) => Want::Restore(Box::new(b.clone())),
            None => Want::Nothing,
        };
        records.push(owned_record(o, want));
    }
    let (kept, _) = super::select(&mut records, selection)?;
    // A folder link is folded back once no link linkfile keeps owning lies below it.
    let mut folder_links: Vec<&Backup> = pending
        .values()
        .filter_map(|kept| kept.last().map(|(_, b)| b))
        .filter(|b| b.what == BackupKind::FolderLink)
        .filter(|b| !kept.iter().any(|o| o.at.starts_with(&b.at)))
        .collect();
    folder_links.sort_by(|a, b| a.at.cmp(&b.at));
    records.extend(folder_links.into_iter().map(folder_link_restore));
    let remove_folders = deepest_first(made_folders(&history));
    let seen = places::Seen::Nothing;
    places::settle(
        &mut records,
        seen,
        &remove_folders,
        s.folder_links(),
        s.overlay(),
    )?;
    let around = super::Around {
        kept,
        remove_folders,
        ..super::Around::default()
    };
    let plan = super::finish(records, plan::Purpose::Unlink, around);
    Ok(s.into_session(head, plan))
}

/// The place of a link linkfile owns, to be given `want` (removal or a backup put back).
fn owned_record(o: &OwnedLink, want: Want) -> Input {
    record(
        from_owned(o),
        want,
        Some(o.clone()),
        OnConflict::Fail,
        Some(o.kind),
    )
}

/// What each place's backups are that no later operation put back, oldest first, with the
/// operation that made each (`history`: newest first). A restore takes its own backup off its
/// place; what moves the same thing to the store again is a new backup, kept elsewhere.
fn pending_backups(
    history: &[Operation],
    key: &dyn Fn(&Path) -> String,
) -> HashMap<String, Vec<(u64, Backup)>> {
    let mut pending: HashMap<String, Vec<(u64, Backup)>> = HashMap::new();
    for op in history.iter().rev() {
        for b in &op.restored {
            if let Some(kept) = pending.get_mut(&key(&b.at))
                && let Some(i) = kept.iter().rposition(|(_, k)| k == b)
            {
                kept.remove(i);
            }
        }
        for b in op.backups.iter().filter(|b| b.what != BackupKind::Original) {
            pending
                .entry(key(&b.at))
                .or_default()
                .push((op.id, b.clone()));
        }
    }
    pending
}

/// Where what operation `op` moved away (`b`) is kept now: `b` itself while no operation put
/// it back, else the newest backup of its place made after `op`; `None` when there is none.
fn kept_now<'a>(
    pending: &'a HashMap<String, Vec<(u64, Backup)>>,
    place: &str,
    op: u64,
    b: &Backup,
) -> Option<&'a Backup> {
    let kept = pending.get(place)?;
    let newest_since = kept.last().filter(|(id, _)| *id > op);
    kept.iter()
        .rev()
        .find(|(_, k)| k == b)
        .or(newest_since)
        .map(|(_, k)| k)
}
