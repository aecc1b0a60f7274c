//! `undo` and `unlink`: plans towards an earlier view of the owned links, through the same
//! plan and apply as any operation.

use super::places::{deepest_first, from_owned, made_folders};
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
    let parent_view = match target.parent {
        Some(p) => s.state.op(p)?.view,
        None => Vec::new(),
    };
    let key = |p: &Path| resolve::path_key(p, platform::CASE_INSENSITIVE);
    let current: HashMap<String, OwnedLink> =
        head.view.iter().map(|o| (key(&o.at), o.clone())).collect();
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
                    },
                );
                originals.push(b.clone());
            }
            _ => {
                restores.insert(key(&b.at), b.clone());
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
        items.push(Item::new(
            from_owned(o),
            Want::Link,
            owned,
            policy,
            Some(o.kind),
        ));
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
        items.push(Item::owned(o, want, OnConflict::Fail));
    }
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
    let mut plan = plan::plan_for(
        observe_all(items, &remove_folders, s.overlay())?,
        plan::Purpose::Undo,
    );
    plan.remove_folders = remove_folders;
    Ok((s.into_session(Some(head), plan), target.id))
}

pub(super) fn unlink_session(s: Setup) -> Result<Session, Error> {
    let head = s.state.head()?;
    let history = s.state.history()?;
    let key = |p: &Path| resolve::path_key(p, platform::CASE_INSENSITIVE);
    // The newest backup of each place that no later operation put back.
    let restored: Vec<&Backup> = history.iter().flat_map(|op| &op.restored).collect();
    let mut pending: HashMap<String, &Backup> = HashMap::new();
    for op in history.iter().rev() {
        for b in &op.backups {
            if b.what != BackupKind::Original && !restored.contains(&b) {
                pending.insert(key(&b.at), b);
            }
        }
    }
    let mut items = Vec::new();
    for o in head.iter().flat_map(|h| &h.view) {
        let want = match pending.get(&key(&o.at)) {
            Some(b) => Want::Restore((*b).clone()),
            None => Want::Nothing,
        };
        items.push(Item::owned(o, want, OnConflict::Fail));
    }
    let remove_folders = deepest_first(made_folders(&history));
    let mut plan = plan::plan_for(
        observe_all(items, &remove_folders, s.overlay())?,
        plan::Purpose::Unlink,
    );
    plan.remove_folders = remove_folders;
    Ok(s.into_session(head, plan))
}
