//! `undo` and `unlink`: plans towards an earlier view of the owned links, through the same
//! plan and apply as any operation.

use super::places::{self, deepest_first, folder_link_restore, from_owned, made_folders};
use super::*;

/// The operation `undo` reverts: the newest one not already undone (undo twice walks back two).
pub(super) fn undo_target(state: &State, head: &Operation) -> Result<Option<Operation>, Error> {
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

pub(super) fn undo_session(s: Setup) -> Result<(Session, u64), Error> {
    let head = s
        .state
        .head()?
        .ok_or_else(|| Error::NothingToUndo("no operations yet".into()))?;
    let target = undo_target(&s.state, &head)?
        .ok_or_else(|| Error::NothingToUndo("every operation is already undone".into()))?;
    let history = s.state.history()?;
    crate::records::check_history(&history, &s.state, &s.home, &s.repo)?;
    let parent_view = match target.parent {
        Some(p) => s.state.op(p)?.view,
        None => Vec::new(),
    };
    let key = |p: &Path| crate::paths::path_key(p, platform::CASE_INSENSITIVE);
    let current: HashMap<String, OwnedLink> =
        head.view.iter().map(|o| (key(&o.at), o.clone())).collect();
    // A place the target released was left as the user made it: undo leaves it too, and does
    // not own it again.
    let released: std::collections::HashSet<String> =
        target.released.iter().map(|o| key(&o.at)).collect();
    let parent_view: Vec<OwnedLink> = parent_view
        .into_iter()
        .filter(|o| !released.contains(&key(&o.at)) || current.contains_key(&key(&o.at)))
        .collect();
    let pending = pending_backups(&history, &key);
    let mut not_adopted: HashMap<String, PathBuf> = HashMap::new();
    // What goes back where: a backup to its place; for an adopted original, the file that
    // became the original back to the link's place, then the repo's old version to the repo.
    let mut restores: HashMap<String, Backup> = HashMap::new();
    let mut originals = Vec::new();
    for b in &target.backups {
        match (&b.what, &b.adopted_from) {
            (BackupKind::Original, Some(link_at)) => {
                let what = if b.at.is_dir() {
                    BackupKind::Dir
                } else {
                    BackupKind::File
                };
                restores.insert(
                    key(link_at),
                    Backup {
                        at: link_at.clone(),
                        what,
                        stored: Some(b.at.clone()),
                        text: None,
                        adopted_from: None,
                        adopted_fingerprint: None,
                    },
                );
                if let Some(adopted) = &b.adopted_fingerprint
                    && observe::fingerprint(&b.at).ok().as_ref() != Some(adopted)
                {
                    not_adopted.insert(key(link_at), b.at.clone());
                }
                originals.push(b.clone());
            }
            _ => {
                // Put back and moved away again since (an unlink, then its undo), it is kept
                // elsewhere now; put back for good, there is nothing to restore.
                if let Some(now) = kept_now(&pending, &key(&b.at), target.id, b) {
                    restores.insert(key(&b.at), now.clone());
                }
            }
        }
    }
    // Undoing an unlink: the files it put back go to the backup store again.
    let put_back: std::collections::HashSet<String> =
        target.restored.iter().map(|b| key(&b.at)).collect();
    let mut items = Vec::new();
    for o in &parent_view {
        let owned = current.get(&key(&o.at)).cloned();
        let policy = if put_back.contains(&key(&o.at)) {
            OnConflict::Backup
        } else {
            OnConflict::Fail
        };
        let d = from_owned(o);
        // Never a dangling link: a link to an original gone since is `original-missing` (a
        // link in the repo is an original, as `each` finds it, wherever it points).
        let original = std::fs::symlink_metadata(&d.to).is_ok().then_some(o.kind);
        items.push(Item::new(d, Want::Link, owned, policy, original));
    }
    let wanted: std::collections::HashSet<String> =
        parent_view.iter().map(|o| key(&o.at)).collect();
    for o in &head.view {
        let k = key(&o.at);
        if wanted.contains(&k) {
            continue;
        }
        let want = match restores.get(&k) {
            Some(b) => Want::Restore(b.clone()),
            None => Want::Nothing,
        };
        let mut item = Item::owned(o, want, OnConflict::Fail);
        item.obstacle = not_adopted
            .get(&k)
            .map(|repo| Box::new(Obstacle::NotTheAdoptedFile(repo.clone())));
        items.push(item);
    }
    // Folder links unfolded, back in place of the folders made for them (from where they are
    // kept now).
    let mut folder_links: Vec<&Backup> = restores
        .values()
        .filter(|b| b.what == BackupKind::FolderLink)
        .collect();
    folder_links.sort_by(|a, b| a.at.cmp(&b.at));
    items.extend(folder_links.into_iter().map(folder_link_restore));
    // Last, the repo's old versions of adopted originals, into the places just vacated.
    for b in originals {
        let place = Desired {
            at: b.at.clone(),
            to: b.at.clone(),
            link_text: b.at.clone(),
            kind: None,
            at_span: 0..0,
            to_span: 0..0,
            on_conflict: OnConflict::Fail,
            link_type: LinkType::Symlink,
            relative: false,
            extra: None,
        };
        let kind = if b.at.is_dir() {
            EntryKind::Dir
        } else {
            EntryKind::File
        };
        items.push(Item::new(
            place,
            Want::Restore(b),
            None,
            OnConflict::Fail,
            Some(kind),
        ));
    }
    let remove_folders = deepest_first(target.folders.clone());
    let mut inputs = observe_all(items, &remove_folders, s.folder_links(), s.overlay())?;
    // A right link needs no step: whether its original is there does not matter to undo.
    for i in &mut inputs {
        if i.want == Want::Link
            && i.original.is_none()
            && places::already_right(&i.desired, i.desired.kind, &i.actual)
        {
            i.original = i.desired.kind;
        }
    }
    let mut plan = plan::plan_for(inputs, plan::Purpose::Undo);
    plan.remove_folders = remove_folders;
    Ok((s.into_session(Some(head), plan), target.id))
}

pub(super) fn unlink_session(s: Setup, selection: &Selection) -> Result<Session, Error> {
    let head = s.state.head()?;
    let history = s.state.history()?;
    crate::records::check_history(&history, &s.state, &s.home, &s.repo)?;
    let key = |p: &Path| crate::paths::path_key(p, platform::CASE_INSENSITIVE);
    let pending = pending_backups(&history, &key);
    let mut items = Vec::new();
    for o in head.iter().flat_map(|h| &h.view) {
        // The newest backup of each place still in the store.
        let want = match pending.get(&key(&o.at)).and_then(|kept| kept.last()) {
            Some((_, b)) => Want::Restore(b.clone()),
            None => Want::Nothing,
        };
        items.push(Item::owned(o, want, OnConflict::Fail));
    }
    let (kept, _) = super::select(&mut items, selection)?;
    // A folder link is folded back once no link linkfile keeps owning lies below it.
    let mut folder_links: Vec<&Backup> = pending
        .values()
        .filter_map(|kept| kept.last().map(|(_, b)| b))
        .filter(|b| b.what == BackupKind::FolderLink)
        .filter(|b| !kept.iter().any(|o| o.at.starts_with(&b.at)))
        .collect();
    folder_links.sort_by(|a, b| a.at.cmp(&b.at));
    items.extend(folder_links.into_iter().map(folder_link_restore));
    let remove_folders = deepest_first(made_folders(&history));
    let mut plan = plan::plan_for(
        observe_all(items, &remove_folders, s.folder_links(), s.overlay())?,
        plan::Purpose::Unlink,
    );
    plan.kept = kept;
    plan.remove_folders = remove_folders;
    Ok(s.into_session(head, plan))
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
