//! For each shape of plan entry, the exact steps it compiles to, and what they apply.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::manifest::OnConflict;
use crate::observe::FolderLink;
use crate::resolve::Desired;

fn p(s: &str) -> PathBuf {
    PathBuf::from(s)
}

/// The entry for `~/.NAME` → `/r/NAME`, a symlink, decided so.
fn entry(name: &str, decision: Decision, observed: Actual) -> Entry {
    let (at, to) = (p(&format!("/h/.{name}")), p(&format!("/r/{name}")));
    Entry {
        desired: Desired {
            at,
            text: None,
            to,
            kind: None,
            at_span: 0..1,
            to_span: 0..1,
            on_conflict: OnConflict::Fail,
            link_type: LinkType::Symlink,
            relative: false,
            extra: None,
        },
        want: Want::Link,
        owned: None,
        kind: Some(EntryKind::File),
        decision,
        reason: None,
        observed,
        diff: None,
        hint: None,
        folder_link: None,
        claimed: false,
        undiffable: None,
    }
}

fn hard(mut e: Entry) -> Entry {
    e.desired.link_type = LinkType::Hardlink;
    e
}

/// Owned by linkfile, holding `text` (a hard link to it, with `hard`).
fn owned(mut e: Entry, text: &str, hard: bool) -> Entry {
    e.owned = Some(crate::plan::Owned::Link(Box::new(
        crate::oplog::OwnedLink {
            at: e.desired.at.clone(),
            text: p(text),
            kind: EntryKind::File,
            hard,
            junction: false,
            fallback: None,
            tags: vec![],
        },
    )));
    e
}

fn link(text: &str) -> Actual {
    Actual::Link {
        text: p(text),
        flavour: None,
        target_exists: true,
    }
}

fn sym(text: &str) -> Shape {
    Shape::Symlink {
        text: p(text),
        kind: Flavour::File,
    }
}

fn make(at: &str, link: Shape) -> Step {
    Step::Make { at: p(at), link }
}

fn mkdir(dir: &str) -> Step {
    Step::MakeFolder {
        dir: p(dir),
        mode: None,
    }
}

fn mv(from: &str, to: &str) -> Step {
    Step::Move {
        from: p(from),
        to: p(to),
    }
}

fn plan(entries: Vec<Entry>) -> Plan {
    Plan {
        entries,
        ..Plan::default()
    }
}

/// Compiles `plan` where `/`, `/h`, `/r`, `/s` and the store `/s/backups` are folders and
/// `~/.x` fingerprints as `fp`.
fn compiled(plan: &Plan) -> Compiled {
    compiled_with(plan, &["/", "/h", "/r", "/s", "/s/backups"])
}

fn compiled_with(plan: &Plan, folders: &[&str]) -> Compiled {
    let folders: HashSet<PathBuf> = folders.iter().copied().map(p).collect();
    let adopted: HashMap<PathBuf, String> = [(p("/h/.x"), "fp".to_string())].into();
    compile(
        plan,
        &Given {
            store: Path::new("/s/backups"),
            op: 7,
            folders: &folders,
            adopted: &adopted,
        },
    )
}

/// Each (what, plan) compiles to these steps, and applies these counts
/// (created, fixed, removed, backed up, restored, folders, released).
fn check(table: Vec<(&str, Plan, Vec<Step>, [usize; 7])>) {
    for (what, plan, steps, counts) in table {
        let c = compiled(&plan);
        assert_eq!(c.steps, steps, "{what}");
        let a = c.outcome(c.steps.len()).applied;
        let got = [
            a.created,
            a.fixed,
            a.removed,
            a.backed_up,
            a.restored,
            a.folders,
            a.released,
        ];
        assert_eq!(got, counts, "{what}");
    }
}

#[test]
fn links_are_made_with_the_folders_missing_above_them() {
    use Decision::*;
    let deep = |mut e: Entry| {
        e.desired.at = p("/h/.config/nvim/x");
        e
    };
    check(vec![
        (
            "create",
            plan(vec![entry("x", Create, Actual::Missing)]),
            vec![make("/h/.x", sym("/r/x"))],
            [1, 0, 0, 0, 0, 0, 0],
        ),
        (
            "create a hard link",
            plan(vec![hard(entry("x", Create, Actual::Missing))]),
            vec![make(
                "/h/.x",
                Shape::HardLink {
                    original: p("/r/x"),
                },
            )],
            [1, 0, 0, 0, 0, 0, 0],
        ),
        (
            "create with folders made, each once",
            plan(vec![
                deep(entry("x", Create, Actual::Missing)),
                deep(entry("x", Create, Actual::Missing)),
            ]),
            vec![
                mkdir("/h/.config"),
                mkdir("/h/.config/nvim"),
                make("/h/.config/nvim/x", sym("/r/x")),
                make("/h/.config/nvim/x", sym("/r/x")),
            ],
            [2, 0, 0, 0, 0, 2, 0],
        ),
        (
            "right already",
            plan(vec![entry("x", Decision::Ok, link("/r/x"))]),
            vec![],
            [0; 7],
        ),
        (
            "conflict",
            plan(vec![entry("x", Conflict, Actual::File)]),
            vec![],
            [0; 7],
        ),
        (
            "release",
            plan(vec![entry("x", Release, link("/mine"))]),
            vec![],
            [0, 0, 0, 0, 0, 0, 1],
        ),
    ]);
}

#[test]
fn wrong_links_are_replaced_as_the_shape_they_are() {
    use Decision::*;
    let replace = |from: Shape, to: Shape| Step::Replace {
        at: p("/h/.x"),
        from,
        to,
    };
    let hard_to = |o: &str| Shape::HardLink { original: p(o) };
    check(vec![
        (
            "fix a link linkfile made",
            plan(vec![owned(entry("x", Fix, link("/old")), "/old", false)]),
            vec![replace(sym("/old"), sym("/r/x"))],
            [0, 1, 0, 0, 0, 0, 0],
        ),
        (
            "fix another's link",
            plan(vec![entry("x", Fix, link("/theirs"))]),
            vec![replace(sym("/theirs"), sym("/r/x"))],
            [0, 1, 0, 0, 0, 0, 0],
        ),
        (
            "a symlink becomes a hard link",
            plan(vec![hard(entry("x", Fix, link("/r/x")))]),
            vec![replace(sym("/r/x"), hard_to("/r/x"))],
            [0, 1, 0, 0, 0, 0, 0],
        ),
        (
            "a hard link linkfile made, to another original",
            plan(vec![owned(
                hard(entry("x", Fix, Actual::OwnedHardLink)),
                "/r/old",
                true,
            )]),
            vec![replace(hard_to("/r/old"), hard_to("/r/x"))],
            [0, 1, 0, 0, 0, 0, 0],
        ),
    ]);
    // Another's link replaced is kept in the record by its text; linkfile's own is not.
    let theirs = compiled(&plan(vec![entry("x", Fix, link("/theirs"))]));
    let backups = theirs.outcome(1).backups;
    assert_eq!(backups.len(), 1);
    assert_eq!(
        (backups[0].what, backups[0].stored.as_ref()),
        (BackupKind::Link, None)
    );
    assert_eq!(backups[0].text, Some(p("/theirs")));
    let ours = owned(entry("x", Fix, link("/old")), "/old", false);
    assert!(compiled(&plan(vec![ours])).outcome(1).backups.is_empty());
}

#[test]
fn links_removed_and_backups_put_back() {
    use Decision::*;
    let remove = |link: Shape| Step::Remove {
        at: p("/h/.x"),
        link,
    };
    let restoring = |stored: Option<&str>, text: Option<&str>| {
        let mut e = owned(entry("x", Restore, link("/r/x")), "/r/x", false);
        e.want = Want::Restore(Box::new(crate::oplog::Backup {
            stored: stored.map(p),
            ..record(Path::new("/h/.x"), BackupKind::File, text.map(p))
        }));
        e
    };
    check(vec![
        (
            "remove",
            plan(vec![owned(entry("x", Remove, link("/r/x")), "/r/x", false)]),
            vec![remove(sym("/r/x"))],
            [0, 0, 1, 0, 0, 0, 0],
        ),
        (
            "remove a hard link",
            plan(vec![owned(
                entry("x", Remove, Actual::HardLinked),
                "/r/x",
                true,
            )]),
            vec![remove(Shape::HardLink {
                original: p("/r/x"),
            })],
            [0, 0, 1, 0, 0, 0, 0],
        ),
        (
            "restore what was stored",
            plan(vec![restoring(Some("/s/backups/00000003-1/.x"), None)]),
            vec![remove(sym("/r/x")), mv("/s/backups/00000003-1/.x", "/h/.x")],
            [0, 0, 1, 0, 1, 0, 0],
        ),
        (
            "restore another's link from its text",
            plan(vec![restoring(None, Some("/theirs"))]),
            vec![remove(sym("/r/x")), make("/h/.x", sym("/theirs"))],
            [0, 0, 1, 0, 1, 0, 0],
        ),
        (
            "a place under backup when removing",
            plan(vec![entry("x", RemoveToStore, Actual::File)]),
            vec![
                mkdir("/s/backups/00000007-1"),
                mv("/h/.x", "/s/backups/00000007-1/.x"),
            ],
            [0, 0, 0, 1, 0, 0, 0],
        ),
    ]);
}

#[test]
fn what_is_in_the_way_is_backed_up_or_adopted_first() {
    use Decision::*;
    let store1 = "/s/backups/00000007-1";
    check(vec![
        (
            "backup",
            plan(vec![entry("x", Backup, Actual::File)]),
            vec![
                mkdir(store1),
                mv("/h/.x", "/s/backups/00000007-1/.x"),
                make("/h/.x", sym("/r/x")),
            ],
            [1, 0, 0, 1, 0, 0, 0],
        ),
        (
            "same content",
            plan(vec![entry("x", SameContent, Actual::File)]),
            vec![
                mkdir(store1),
                mv("/h/.x", "/s/backups/00000007-1/.x"),
                make("/h/.x", sym("/r/x")),
            ],
            [1, 0, 0, 1, 0, 0, 0],
        ),
        (
            "adopt",
            plan(vec![entry("x", Adopt, Actual::File)]),
            vec![
                mkdir(store1),
                mv("/r/x", "/s/backups/00000007-1/x"),
                mv("/h/.x", "/r/x"),
                make("/h/.x", sym("/r/x")),
            ],
            [1, 0, 0, 1, 0, 0, 0],
        ),
    ]);
    let adopt = compiled(&plan(vec![entry("x", Adopt, Actual::File)]));
    let b = &adopt.outcome(4).backups[0];
    assert_eq!(b.what, BackupKind::Original);
    assert_eq!(b.adopted_from, Some(p("/h/.x")));
    assert_eq!(b.adopted_fingerprint.as_deref(), Some("fp"));
    // A folder in the way is stored as a folder; each backup gets a folder of its own.
    let two = compiled(&plan(vec![
        entry("x", Backup, Actual::Dir),
        entry("y", Backup, Actual::File),
    ]));
    let kinds: Vec<_> = two
        .outcome(6)
        .backups
        .iter()
        .map(|b| (b.what, b.stored.clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (BackupKind::Dir, Some(p("/s/backups/00000007-1/.x"))),
            (BackupKind::File, Some(p("/s/backups/00000007-2/.y"))),
        ]
    );
}

#[test]
fn removals_come_first_then_folders_removed_then_folder_links_unfolded() {
    use Decision::*;
    let mut unfolded = entry("x", Backup, Actual::Missing);
    unfolded.desired.at = p("/h/.config/x");
    let folder_link = Arc::new(FolderLink {
        at: p("/h/.config"),
        text: p("/r/config"),
        into_repo: true,
    });
    unfolded.folder_link = Some(folder_link.clone());
    let gone = owned(entry("gone", Remove, link("/r/gone")), "/r/gone", false);
    let mut plan = plan(vec![unfolded, gone]);
    plan.unfold = vec![folder_link];
    plan.remove_folders = vec![p("/h/.old")];
    let c = compiled(&plan);
    assert_eq!(
        c.steps,
        [
            Step::Remove {
                at: p("/h/.gone"),
                link: sym("/r/gone")
            },
            Step::RemoveFolder { dir: p("/h/.old") },
            mkdir("/s/backups/00000007-1"),
            mv("/h/.config", "/s/backups/00000007-1/.config"),
            // The folder link's place was emptied: a real folder is made there.
            mkdir("/h/.config"),
            make("/h/.config/x", sym("/r/x")),
        ]
    );
    let o = c.outcome(c.steps.len());
    assert_eq!(o.backups[0].what, BackupKind::FolderLink);
    assert_eq!(o.backups[0].text, Some(p("/r/config")));
    // Folders made in the store hold backups, not links.
    assert_eq!(o.folders, [p("/h/.config")]);
    // What the steps that ran did, and no more.
    let part = c.outcome(4).applied;
    assert_eq!(
        (part.removed, part.backed_up, part.created, part.folders),
        (1, 1, 0, 0)
    );
}

#[test]
fn a_link_taken_over_is_recorded_without_a_step() {
    let mut e = entry("x", Decision::Ok, link("/other/x"));
    e.claimed = true;
    let c = compiled(&plan(vec![e]));
    assert!(c.steps.is_empty());
    let b = &c.outcome(0).backups[0];
    assert_eq!(
        (b.what, b.text.clone(), b.stored.clone()),
        (BackupKind::Link, Some(p("/other/x")), None)
    );
}

#[test]
fn a_missing_backup_store_is_made_by_the_first_backup_only() {
    use Decision::*;
    let plan = plan(vec![
        entry("x", Backup, Actual::File),
        entry("y", RemoveToStore, Actual::File),
    ]);
    let c = compiled_with(&plan, &["/", "/h", "/r", "/s"]);
    assert_eq!(
        c.steps,
        [
            mkdir("/s/backups"),
            mkdir("/s/backups/00000007-1"),
            mv("/h/.y", "/s/backups/00000007-1/.y"),
            mkdir("/s/backups/00000007-2"),
            mv("/h/.x", "/s/backups/00000007-2/.x"),
            make("/h/.x", sym("/r/x")),
        ]
    );
    // The store holds backups: it is no folder made to hold links.
    assert!(c.outcome(c.steps.len()).folders.is_empty());
}

#[test]
fn the_folders_to_look_at_are_every_folder_above_a_link_to_make() {
    use Decision::*;
    let deep = |name: &str, at: &str| {
        let mut e = entry(name, Create, Actual::Missing);
        e.desired.at = p(at);
        e
    };
    let plan = plan(vec![
        deep("x", "/h/.config/nvim/x"),
        deep("y", "/h/.config/y"),
        // Nothing is made for a link that is right, nor for a conflict.
        deep("z", "/h/.z/z"),
    ]);
    let mut plan = plan;
    plan.entries[2].decision = Conflict;
    let want: HashSet<PathBuf> = ["/", "/h", "/h/.config", "/h/.config/nvim"].map(p).into();
    assert_eq!(folders_to_look_at(&plan), want);
}
