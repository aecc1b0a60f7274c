//! Hints: what the user can do about a place, said from what the plan found ([`Hint`]).

use crate::observe::{Actual, FolderLink};
use crate::plan::{Entry, Hint, Obstacle, Purpose};
use crate::resolve::Desired;
use crate::show::Shown as _;

/// The hint for `e`, if it has one.
pub fn text(e: &Entry) -> Option<String> {
    e.hint.as_ref().map(|h| say(h, e))
}

fn say(hint: &Hint, e: &Entry) -> String {
    let d = &e.desired;
    match hint {
        Hint::FolderLink(l, purpose) => folder_link(l, *purpose),
        Hint::SameFile => format!(
            "{} is {} itself under another name (a hard link); linkfile never moves or replaces the repo's files: remove that name yourself (the original keeps its bytes), or use link_type = \"hardlink\"",
            d.at.shown(),
            d.to.shown()
        ),
        Hint::AdoptRefused(why) => why.clone(),
        Hint::Obstacle(o) => obstacle(o, d),
        Hint::MountPoint => format!(
            "a volume is mounted at {}; linkfile never touches a mount point: unmount it, or change `at`",
            d.at.shown()
        ),
        Hint::OriginalMissing => original_missing(d, &e.observed),
        Hint::InTheWay(purpose) => in_the_way(d, *purpose),
        Hint::ParentIsFile(p) => format!(
            "{} is a file, so nothing can be made inside it; move it away or change `at`",
            p.shown()
        ),
        Hint::ChangedSinceApplied(purpose) => changed(d, *purpose),
    }
}

fn in_the_way(d: &Desired, purpose: Purpose) -> String {
    match purpose {
        Purpose::Apply => format!(
            "move {} out of the way (or into the repo as {}), or apply with --on-conflict backup (keeps it in the backup store) or adopt (makes it the repo's version)",
            d.at.shown(),
            d.to.shown()
        ),
        _ => format!(
            "move {} out of the way (linkfile does not own it), then run `linkfile {}` again",
            d.at.shown(),
            purpose.command()
        ),
    }
}

fn changed(d: &Desired, purpose: Purpose) -> String {
    match purpose {
        Purpose::Apply => format!(
            "{} was changed since linkfile made it; move it away yourself (or apply with --on-conflict backup), then run linkfile again",
            d.at.shown()
        ),
        _ => format!(
            "{} was changed since linkfile made it; move it away yourself, then run `linkfile {}` again",
            d.at.shown(),
            purpose.command()
        ),
    }
}

fn obstacle(o: &Obstacle, d: &Desired) -> String {
    match o {
        Obstacle::ParentNotWritable { dir, why } => format!(
            "{} does not accept new entries ({why}); make it writable (or remount it read-write), or change `at`",
            dir.shown()
        ),
        Obstacle::CrossVolume => format!(
            "{} is on another volume than {}, and a hard link must be on the same volume as its original; use link_type = \"symlink\"",
            d.to.shown(),
            d.at.parent().unwrap_or(&d.at).shown()
        ),
        Obstacle::NetworkDrive(p) => format!(
            "{} is on a network drive, where junctions cannot be made; use link_type = \"symlink\" (drop \"junction\" from `fallback`)",
            p.shown()
        ),
        Obstacle::NotPermitted(why) => why.clone(),
        Obstacle::NotTheAdoptedFile(repo) => format!(
            "{} is no longer the file adopted from {} (it changed since), and undo moves only what it adopted out of the repo; put the adopted content back there first (e.g. from version control), or keep things as they are",
            repo.shown(),
            d.at.shown()
        ),
    }
}

fn folder_link(l: &FolderLink, purpose: Purpose) -> String {
    let what = if l.into_repo {
        ", a folder inside this repo (a folded stow package or a dotbot folder link)"
    } else {
        ""
    };
    let head = format!(
        "{} is a link to {}{what}; linkfile never writes through a folder link",
        l.at.shown(),
        l.text.shown()
    );
    match (purpose, l.into_repo) {
        (Purpose::Apply, true) => format!(
            "{head}: apply with --on-conflict backup to unfold it (the link goes to the backup store, a real folder is made and the links are made in it; the repo is untouched; undo folds it back)"
        ),
        (Purpose::Apply, false) => format!(
            "{head}: move it away, or apply with --on-conflict backup (the link goes to the backup store and a real folder is made in its place)"
        ),
        _ => format!(
            "{head}: move it away, then run `linkfile {}` again",
            purpose.command()
        ),
    }
}

fn original_missing(d: &Desired, actual: &Actual) -> String {
    match actual {
        Actual::File | Actual::Dir => format!(
            "{} is not in the repo, but {} exists: did you swap at and to? `at` is where the link goes, `to` the original in the repo; to keep that {}, move it into the repo as {} first",
            d.to.shown(),
            d.at.shown(),
            if *actual == Actual::File {
                "file"
            } else {
                "folder"
            },
            d.to.shown()
        ),
        _ => format!("create {} in the repo, or fix `to`", d.to.shown()),
    }
}
