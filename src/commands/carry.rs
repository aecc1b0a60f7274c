//! One repo, one history: the state is keyed by the manifest's real path, and when a repo moves
//! (or was reached by another path before), the history it left under its old key follows it.
//!
//! Found read-only while planning (`plan` shows the carried history's links as fixes it owns);
//! taken over by the next writer, under the lock, by renaming the old state folder to the new
//! key ([`State::carry_from`]), so that no second history is left to fight over the links.

use super::*;
use crate::apply;
use crate::cli::Effect;
use crate::pipeline::Carried;

/// For a manifest with no history (`state`), the history of the same repo under another key:
/// one whose manifest resolves to this one, or whose manifest no longer exists and whose owned
/// links point into that manifest's old folder, at originals this repo has too. Among several,
/// the one with the most such links. Unreadable state folders of other manifests are skipped.
pub(super) fn find(state: &State, manifest: &Path) -> Option<Carried> {
    let repo = manifest.parent()?;
    let mut best: Option<(usize, Carried)> = None;
    for entry in observe::readable_listing(&state.root)? {
        let observe::FolderEntry::Folder(dir) = entry else {
            continue;
        };
        let is_history = dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("m-"))
            && dir != state.dir;
        if !is_history {
            continue;
        }
        let other = State::at(&state.root, dir);
        let Some(old_manifest) = other.manifest() else {
            continue;
        };
        let same = |a: &Path, b: &Path| {
            crate::paths::PathKey::new(a, platform::Os::HOST)
                == crate::paths::PathKey::new(b, platform::Os::HOST)
        };
        let same_manifest = same(&super::real_manifest_path(&old_manifest), manifest);
        // Another manifest still in its place keeps its history: nothing to carry, and its
        // record (every link it owns) is not read.
        if !same_manifest && observe::exists(&old_manifest) {
            continue;
        }
        let Ok(Some(head)) = other.head() else {
            continue;
        };
        let score = if same_manifest {
            usize::MAX
        } else {
            let Some(old_repo) = old_manifest.parent() else {
                continue;
            };
            moved_links(&head.view, old_repo, repo)
        };
        if score > 0 && best.as_ref().is_none_or(|(s, _)| score > *s) {
            let carried = Carried {
                from: other,
                manifest: old_manifest,
            };
            best = Some((score, carried));
        }
    }
    best.map(|(_, c)| c)
}

/// How many of `view`'s links point into `old_repo` at an original `new_repo` has too.
fn moved_links(view: &[OwnedLink], old_repo: &Path, new_repo: &Path) -> usize {
    view.iter()
        .filter(|o| {
            let target = if o.text.is_absolute() {
                crate::paths::normalize(&o.text)
            } else {
                crate::paths::normalize(&o.at.parent().unwrap_or(Path::new("/")).join(&o.text))
            };
            let Ok(rest) = target.strip_prefix(old_repo) else {
                return false;
            };
            observe::exists(&new_repo.join(rest))
        })
        .count()
}

/// Takes the history over: a writer renames it to this manifest's key (under the lock, after
/// rolling back an interrupted operation of its own); a dry run or a reader only reads it where
/// it is.
pub(super) fn take(s: &mut Setup, sys: &System, effect: Effect) -> Result<Option<String>, Error> {
    let Some(carried) = s.carried.take() else {
        return Ok(None);
    };
    if effect == Effect::Write {
        with_wanted(s, sys, |w| {
            apply::recover(&carried.from, apply::Undecided::Refuse, w)
        })?;
        s.state.carry_from(&carried.from, &s.manifest_path)?;
    } else {
        s.state = carried.from.clone();
    }
    Ok(Some(carried.line()))
}
