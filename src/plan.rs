//! The planner: a pure function from (what is wanted, what is there) to actions.
//!
//! No filesystem here. Each [`Input`] says what should be at a place ([`Want`]: the manifest's
//! link, nothing any more, or a backup put back), what linkfile recorded owning there, the
//! conflict policy, and what [`crate::observe`] saw; [`plan`] decides one [`Action`], for fixes
//! and conflicts a [`Reason`], and how a conflict is resolved ([`Resolution`]). The table-driven
//! tests at the bottom cover every state.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use schemars::JsonSchema;
use serde::Serialize;

use crate::manifest::{EntryKind, LinkType, OnConflict};
use crate::observe::{Actual, FolderLink};
use crate::oplog::{Backup, OwnedLink};
use crate::platform::{self, CaseRule, Flavour};
use crate::resolve::Desired;

/// What should be at a place after the operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// The link in `desired`.
    Link,
    /// Nothing: linkfile owns a link here that is no longer wanted (undo, unlink); anything
    /// else there is a conflict.
    Nothing,
    /// What this backup holds, put back in place (undo, unlink).
    Restore(Box<Backup>),
    /// Nothing: the manifest no longer lists the link linkfile owns here (prune). Removed while
    /// it is what linkfile made; anything else there is released.
    Dropped,
}

/// The link linkfile recorded making at a place, as a record keeps it. A mark is read back
/// against the record's own `desired`, which is settled before owned links are matched (after
/// the fallback probes) and never changed after; the mark keeps the kind recorded, which
/// observation may find changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owned {
    /// Exactly [`recorded_link`] of the record's own link, its original a `kind`: what apply
    /// records when it makes that link. Kept as this mark instead of a copy of the link's paths
    /// (at 100,000 links, about 20 MB).
    AsWanted(EntryKind),
    /// Any other.
    Link(Box<OwnedLink>),
}

impl Owned {
    /// `o`, found at the place of `d`: marked when it is what apply records for `d`.
    pub fn of(o: OwnedLink, d: &Desired) -> Owned {
        if is_recorded_link(&o, d, o.kind) {
            Owned::AsWanted(o.kind)
        } else {
            Owned::Link(Box::new(o))
        }
    }

    /// The owned link, for the place of `d` (built when it is [`Owned::AsWanted`]).
    pub fn link<'a>(&'a self, d: &Desired) -> std::borrow::Cow<'a, OwnedLink> {
        match self {
            Owned::AsWanted(kind) => std::borrow::Cow::Owned(recorded_link(d, *kind)),
            Owned::Link(o) => std::borrow::Cow::Borrowed(o),
        }
    }

    /// Whether it is a hard link, and its text, for the place of `d` (nothing built).
    pub fn hard_and_text<'a>(&'a self, d: &'a Desired) -> (bool, &'a Path) {
        match self {
            Owned::AsWanted(_) => (d.link_type == LinkType::Hardlink, d.link_text()),
            Owned::Link(o) => (o.hard, &o.text),
        }
    }
}

/// The link apply records for `d` when it makes it, its original a `kind`.
pub fn recorded_link(d: &Desired, kind: EntryKind) -> OwnedLink {
    recorded_link_holding(d, kind, d.link_text())
}

/// The link apply records for `d`, its original a `kind`, holding `text` (the wanted one, or
/// the one a right link already has).
pub fn recorded_link_holding(d: &Desired, kind: EntryKind, text: &Path) -> OwnedLink {
    OwnedLink {
        at: d.at.clone(),
        text: text.to_path_buf(),
        kind,
        hard: d.link_type == LinkType::Hardlink,
        junction: d.link_type == LinkType::Junction,
        fallback: d.fell_back().map(Box::from),
        tags: d.tags().to_vec(),
    }
}

/// Whether `o` is [`recorded_link`]`(d, kind)`, its paths byte for byte (a mark stands for the
/// very bytes recorded), without building it.
pub fn is_recorded_link(o: &OwnedLink, d: &Desired, kind: EntryKind) -> bool {
    o.at.as_os_str() == d.at.as_os_str()
        && o.text.as_os_str() == d.link_text().as_os_str()
        && o.kind == kind
        && o.hard == (d.link_type == LinkType::Hardlink)
        && o.junction == (d.link_type == LinkType::Junction)
        && o.fallback.as_deref() == d.fell_back()
        && o.tags == d.tags()
}

/// What the planner knows about one place.
#[derive(Debug, Clone)]
pub struct Input {
    /// The link the manifest wants (for [`Want::Nothing`] and [`Want::Restore`]: the link
    /// linkfile owns there, for display).
    pub desired: Desired,
    /// What should be there.
    pub want: Want,
    /// The link linkfile recorded making there, if any (read it with [`Input::owned_link`]).
    pub owned: Option<Owned>,
    /// What to do with something in the way.
    pub policy: OnConflict,
    /// Whether a real file in the way has the same bytes as the original.
    pub same_bytes: bool,
    /// What the original is; `None` when it is missing from the repo.
    pub original: Option<EntryKind>,
    /// What is at the link's place.
    pub actual: Actual,
    /// For a file in the way of a file link: the file's text and the original's, when both are
    /// small text files.
    pub texts: Option<Box<(String, String)>>,
    /// What stops the write at this place, found before any write.
    pub obstacle: Option<Box<Obstacle>>,
    /// A folder on the way to the place that is a link: nothing is written through it.
    pub folder_link: Option<Arc<FolderLink>>,
    /// Whether the real file or folder at the place is the original itself (same identity).
    pub is_original: bool,
    /// Whether the link at the place, whose text is not the wanted one, resolves to the
    /// original all the same (another tool's link: stow's relative text, say).
    pub resolves: bool,
    /// Why adopt may not move a file to the original's place: the original is a link in the
    /// repo, or its folder is outside the repo by real path (adopt never writes through a link).
    pub adopt_refused: Option<Box<str>>,
    /// For a file in the way of a file link whose texts are not compared (binary, or too
    /// large): what is known of the two instead.
    pub undiffable: Option<Box<Undiffable>>,
}

impl AsRef<Desired> for Input {
    fn as_ref(&self) -> &Desired {
        &self.desired
    }
}

/// Why a place cannot be written as planned, found before the first write, so that an apply
/// refuses whole instead of failing half way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Obstacle {
    /// The folder the link goes in (or, when it is still to be made, its nearest existing
    /// ancestor) refuses new entries.
    ParentNotWritable { dir: PathBuf, why: String },
    /// A hard link whose original is on another volume than the link's folder.
    CrossVolume,
    /// A junction whose place or original is on a network drive.
    NetworkDrive(PathBuf),
    /// Symlinks cannot be made in the link's folder, and no `fallback` fits: why.
    NotPermitted(String),
    /// Undoing an adopt: the repo's file (here) is no longer what was adopted, so moving it
    /// back out of the repo would take a later change with it.
    NotTheAdoptedFile(PathBuf),
}

impl Obstacle {
    fn reason(&self) -> Reason {
        match self {
            Obstacle::ParentNotWritable { .. } => Reason::ParentNotWritable,
            Obstacle::CrossVolume => Reason::CrossVolume,
            Obstacle::NetworkDrive(_) => Reason::NetworkDrive,
            Obstacle::NotPermitted(_) => Reason::NotPermitted,
            Obstacle::NotTheAdoptedFile(_) => Reason::ChangedSinceApplied,
        }
    }
}

/// What apply will do for one link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The link is already right.
    Ok,
    /// The link is missing and will be made.
    Create,
    /// A link is there but wrong, and will be replaced.
    Fix,
    /// A link linkfile owns is no longer wanted and will be removed.
    Remove,
    /// Something is in the way; apply will not proceed under `on_conflict = "fail"`.
    Conflict,
    /// A place the manifest no longer wants, changed by the user since linkfile made it: left
    /// as it is and no longer owned.
    Release,
}

/// Why a link is to be fixed, or is in conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The link points somewhere else that exists.
    WrongTarget,
    /// The link points somewhere else that does not exist.
    Dangling,
    /// The link has the right text but the wrong flavour (Windows: file vs directory symlink).
    WrongType,
    /// A real file is where the link goes.
    FileInTheWay,
    /// A real folder is where the link goes.
    DirInTheWay,
    /// Something that is neither a file, a folder nor a link is where the link goes.
    OtherInTheWay,
    /// The original (`to`) does not exist in the repo.
    OriginalMissing,
    /// A parent of the link's place is a file.
    ParentIsFile,
    /// The place no longer holds what linkfile made there (someone changed or replaced it).
    ChangedSinceApplied,
    /// A volume is mounted at the link's place: never moved, removed or replaced.
    MountPoint,
    /// The folder the link goes in refuses new entries (read-only, or no permission).
    ParentNotWritable,
    /// A hard link would cross volumes.
    CrossVolume,
    /// A junction on (or to) a network drive.
    NetworkDrive,
    /// Symlinks cannot be made there, and no `fallback` fits.
    NotPermitted,
    /// A folder on the way to the link's place is a link (a folded stow package, a dotbot
    /// folder link): nothing is written through it.
    ParentIsLink,
    /// What is at the link's place is the original itself, by another name (a hard link):
    /// never moved or replaced.
    SameFile,
    /// Adopt would move a file over a link in the repo, or through one out of the repo.
    AdoptThroughLink,
}

/// How something in the way is dealt with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Resolution {
    /// Moved to the backup store, then the link is made (`on_conflict = "backup"`).
    Backup,
    /// Moved into the repo as the original; the repo's version goes to the backup store.
    Adopt,
    /// Same bytes as the original: moved to the backup store under every policy.
    SameContent,
    /// A backup is put back in place (undo, unlink).
    Restore,
}

/// What apply does with one place: one value, so that an action never comes with a resolution
/// it cannot have. Shown (JSON, human) as its [`Action`] and [`Resolution`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Right already: nothing to do.
    Ok,
    /// Nothing in the way: the link is made.
    Create,
    /// What is in the way goes to the backup store, then the link is made.
    Backup,
    /// What is in the way goes into the repo as the original (the repo's version to the
    /// backup store), then the link is made.
    Adopt,
    /// What is in the way has the original's bytes: it goes to the backup store, then the
    /// link is made.
    SameContent,
    /// A wrong link is replaced.
    Fix,
    /// The link linkfile made is removed.
    Remove,
    /// What is there, changed since linkfile made it, goes to the backup store (undo, unlink
    /// under `backup`).
    RemoveToStore,
    /// The link linkfile made (if there) is removed and a backup put back in its place.
    Restore,
    /// Something is in the way: nothing is done, and apply refuses.
    Conflict,
    /// No longer wanted and changed by the user: left as it is, no longer owned.
    Release,
}

impl Decision {
    /// The action it is shown as.
    pub fn action(self) -> Action {
        match self {
            Decision::Ok => Action::Ok,
            Decision::Create | Decision::Backup | Decision::Adopt | Decision::SameContent => {
                Action::Create
            }
            Decision::Fix => Action::Fix,
            Decision::Remove | Decision::RemoveToStore | Decision::Restore => Action::Remove,
            Decision::Conflict => Action::Conflict,
            Decision::Release => Action::Release,
        }
    }

    /// How what is in the way is dealt with, if anything is.
    pub fn resolution(self) -> Option<Resolution> {
        match self {
            Decision::Backup | Decision::RemoveToStore => Some(Resolution::Backup),
            Decision::Adopt => Some(Resolution::Adopt),
            Decision::SameContent => Some(Resolution::SameContent),
            Decision::Restore => Some(Resolution::Restore),
            _ => None,
        }
    }
}

impl Reason {
    /// The reason as written in JSON and in the human plan.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::WrongTarget => "wrong-target",
            Reason::Dangling => "dangling",
            Reason::WrongType => "wrong-type",
            Reason::FileInTheWay => "file-in-the-way",
            Reason::DirInTheWay => "dir-in-the-way",
            Reason::OtherInTheWay => "other-in-the-way",
            Reason::OriginalMissing => "original-missing",
            Reason::ParentIsFile => "parent-is-file",
            Reason::ChangedSinceApplied => "changed-since-applied",
            Reason::MountPoint => "mount-point",
            Reason::ParentNotWritable => "parent-not-writable",
            Reason::CrossVolume => "cross-volume",
            Reason::NetworkDrive => "network-drive",
            Reason::NotPermitted => "not-permitted",
            Reason::ParentIsLink => "parent-is-link",
            Reason::SameFile => "same-file",
            Reason::AdoptThroughLink => "adopt-through-link",
        }
    }
}

/// The planned fate of one place.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The link the manifest wants (or, when removing, the one linkfile owns there).
    pub desired: Desired,
    /// What should be there.
    pub want: Want,
    /// The link linkfile recorded making there, if any (read it with [`Entry::owned_link`]).
    pub owned: Option<Owned>,
    /// What the original is, when it exists.
    pub kind: Option<EntryKind>,
    /// What apply will do.
    pub decision: Decision,
    /// Why, for fixes and conflicts.
    pub reason: Option<Reason>,
    /// What was observed at the link's place; apply checks it still holds before writing.
    pub observed: Actual,
    /// A file in the way and the original, to show as a diff (see [`crate::render::diff`]).
    pub diff: Option<Box<Texts>>,
    /// What the user can do about a conflict (said by [`crate::render::hint`]).
    pub hint: Option<Box<Hint>>,
    /// A folder on the way to the place that is a link (with `parent-is-link`).
    pub folder_link: Option<Arc<FolderLink>>,
    /// A link another tool made that resolves to the original: right as it is, taken over
    /// without being rewritten.
    pub claimed: bool,
    /// A file in the way that differs from the original but is not diffed (binary, or too
    /// large), with both sizes.
    pub undiffable: Option<Box<Undiffable>>,
}

impl Input {
    /// The link linkfile recorded making here, if any.
    pub fn owned_link(&self) -> Option<std::borrow::Cow<'_, OwnedLink>> {
        self.owned.as_ref().map(|o| o.link(&self.desired))
    }

    /// Whether the link linkfile recorded making here is a hard link, and its text.
    pub fn owned_hard_and_text(&self) -> Option<(bool, &Path)> {
        self.owned.as_ref().map(|o| o.hard_and_text(&self.desired))
    }
}

impl Entry {
    /// The link linkfile recorded making here, if any.
    pub fn owned_link(&self) -> Option<std::borrow::Cow<'_, OwnedLink>> {
        self.owned.as_ref().map(|o| o.link(&self.desired))
    }

    /// Whether the link linkfile recorded making here is a hard link, and its text.
    pub fn owned_hard_and_text(&self) -> Option<(bool, &Path)> {
        self.owned.as_ref().map(|o| o.hard_and_text(&self.desired))
    }

    /// What apply will do, as shown.
    pub fn action(&self) -> Action {
        self.decision.action()
    }

    /// How something in the way is dealt with, if anything is.
    pub fn resolution(&self) -> Option<Resolution> {
        self.decision.resolution()
    }

    /// The current text of the link in the way (for fixes).
    pub fn current_text(&self) -> Option<&Path> {
        match &self.observed {
            Actual::Link { text, .. } => Some(text),
            _ => None,
        }
    }
}

/// A text file in the way and the original's text, which differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Texts {
    /// What is in the way.
    pub there: String,
    /// The original.
    pub original: String,
}

/// What a hint is about: the entry's place, what is there and the command planned say the
/// rest (see [`crate::render::hint`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    /// A folder link on the way to the place: nothing is written through it.
    FolderLink(Arc<FolderLink>, Purpose),
    /// What is at the place is the original itself under another name (a hard link).
    SameFile,
    /// Why adopt may not move the file, as found.
    AdoptRefused(String),
    /// A write that cannot be made.
    Obstacle(Obstacle),
    /// A volume is mounted at the place.
    MountPoint,
    /// The original is missing (perhaps `at` and `to` were swapped).
    OriginalMissing,
    /// Something linkfile does not own is in the way, for this command.
    InTheWay(Purpose),
    /// This folder above the place is a file.
    ParentIsFile(PathBuf),
    /// The place changed since linkfile made it, for this command.
    ChangedSinceApplied(Purpose),
}

/// Two files that differ but are not shown as a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Undiffable {
    /// Whether either looks binary (else they are too large to diff).
    pub binary: bool,
    /// The size of the file in the way, in bytes.
    pub there: u64,
    /// The size of the original, in bytes.
    pub original: u64,
}

/// Every link's planned fate, in manifest order.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// One entry per place.
    pub entries: Vec<Entry>,
    /// Folders linkfile made that go once empty (undo, unlink), deepest first.
    pub remove_folders: Vec<PathBuf>,
    /// The manifest's entries that do not apply on this machine (`when`).
    pub skipped: Vec<crate::resolve::Skipped>,
    /// The manifest's vars and their values here (for `plan -v`).
    pub vars: Vec<(String, Result<String, String>)>,
    /// Folder links on the way to wanted links, unfolded under `backup`: each goes to the
    /// backup store (it is only a link) and a real folder is made in its place.
    pub unfold: Vec<Arc<FolderLink>>,
    /// Links owned at places `--only`/`--except` did not choose: left as they are, still owned.
    pub kept: Vec<OwnedLink>,
    /// How many of the manifest's links `--only`/`--except` did not choose.
    pub unselected: usize,
    /// The home folder, when the plan is to mark the links outside it.
    pub home: Option<PathBuf>,
}

/// How many entries take each action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub ok: usize,
    pub create: usize,
    pub fix: usize,
    pub remove: usize,
    pub conflict: usize,
    pub release: usize,
}

impl Plan {
    /// How many entries take each action.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for e in &self.entries {
            match e.action() {
                Action::Ok => c.ok += 1,
                Action::Create => c.create += 1,
                Action::Fix => c.fix += 1,
                Action::Remove => c.remove += 1,
                Action::Conflict => c.conflict += 1,
                Action::Release => c.release += 1,
            }
        }
        c
    }
}

impl Counts {
    /// Writes apply would make.
    pub fn changes(&self) -> usize {
        self.create + self.fix + self.remove
    }

    /// Whether apply has anything to do: writes, conflicts, or places to stop owning.
    pub fn pending(&self) -> bool {
        self.changes() + self.conflict + self.release > 0
    }
}

/// Plans every link, for `apply` (and `plan`, which shows what apply would do).
pub fn plan(inputs: Vec<Input>) -> Plan {
    plan_for(inputs, Purpose::Apply)
}

#[cfg(test)]
fn plan_one(input: Input) -> Entry {
    plan_one_for(input, Purpose::Apply)
}

fn plan_one_for(input: Input, purpose: Purpose) -> Entry {
    let Input {
        desired,
        want,
        owned,
        policy,
        same_bytes,
        original,
        actual,
        texts,
        obstacle,
        folder_link,
        is_original,
        adopt_refused,
        resolves,
        undiffable,
    } = input;
    // Another tool's link to the original is as right as the wanted text.
    let wanted = match (&actual, resolves) {
        (Actual::Link { text, .. }, true) => text.as_path(),
        _ => desired.link_text(),
    };
    // Only a place not wanted as a link is decided by what is owned there (built here when it
    // is kept as a mark).
    let owned_link = match want {
        Want::Link => None,
        _ => owned.as_ref().map(|o| o.link(&desired)),
    };
    let (mut decision, mut reason) = decide_place(&Seen {
        want: &want,
        folder_link: folder_link.as_ref(),
        owned: owned_link.as_deref(),
        actual: &actual,
        original,
        policy,
        same_bytes,
        is_original,
        wanted,
        link_type: desired.link_type,
    });
    // A write that cannot be made is refused under every policy, before anything is written.
    let writes = matches!(
        decision.action(),
        Action::Create | Action::Fix | Action::Remove
    );
    let obstacle = obstacle.filter(|_| writes);
    if let Some(o) = &obstacle {
        (decision, reason) = (Decision::Conflict, Some(o.reason()));
    }
    let adopt_refused = adopt_refused.filter(|_| decision == Decision::Adopt);
    if adopt_refused.is_some() {
        (decision, reason) = (Decision::Conflict, Some(Reason::AdoptThroughLink));
    }
    let hint = hint(
        (decision, reason),
        HintFacts {
            actual: &actual,
            folder_link: folder_link.as_ref(),
            obstacle: obstacle.as_deref(),
            adopt_refused: adopt_refused.map(String::from),
            purpose,
        },
    )
    .map(Box::new);
    let diff = diff(reason, texts, same_bytes);
    let claimed = resolves && decision == Decision::Ok && claims(&actual, owned.as_ref(), &desired);
    Entry {
        desired,
        want,
        owned,
        kind: original,
        decision,
        reason,
        observed: actual,
        diff,
        hint,
        folder_link,
        claimed,
        undiffable: undiffable.filter(|_| reason == Some(Reason::FileInTheWay) && !same_bytes),
    }
}

/// Whether the link at a right place is another tool's (not the text linkfile recorded there):
/// taken over as it is.
fn claims(actual: &Actual, owned: Option<&Owned>, desired: &Desired) -> bool {
    match actual {
        Actual::Link { text, .. } => owned
            .map(|o| o.hard_and_text(desired).1)
            .is_none_or(|t| t != text),
        _ => false,
    }
}

/// What is wanted at a place and what is there, for deciding.
struct Seen<'a> {
    want: &'a Want,
    folder_link: Option<&'a Arc<FolderLink>>,
    /// What linkfile owns there, for a place not wanted as a link (`None` for a wanted link,
    /// whose decision does not depend on it).
    owned: Option<&'a OwnedLink>,
    actual: &'a Actual,
    original: Option<EntryKind>,
    policy: OnConflict,
    same_bytes: bool,
    is_original: bool,
    /// The text that is right there (the wanted one, or another tool's that resolves to it).
    wanted: &'a Path,
    link_type: LinkType,
}

/// The decision for a place, before obstacles and refused adoptions are weighed.
fn decide_place(seen: &Seen) -> Decided {
    let Seen {
        want,
        folder_link,
        owned,
        actual,
        original,
        policy,
        same_bytes,
        is_original,
        wanted,
        link_type,
    } = *seen;
    match (want, folder_link) {
        // Below a folder link nothing was looked at (it would be through the link): the place
        // is empty once the link is unfolded into a real folder, which only `backup` and
        // `adopt` do (a folder link is no content to adopt: it goes to the store).
        (Want::Link, Some(_)) => match (original, policy) {
            (None, _) => (Decision::Conflict, Some(Reason::OriginalMissing)),
            (Some(_), OnConflict::Fail) => (Decision::Conflict, Some(Reason::ParentIsLink)),
            (Some(_), _) => (Decision::Backup, Some(Reason::ParentIsLink)),
        },
        // An owned link beyond a folder link is not there as linkfile made it, and nothing is
        // removed or put back through the folder link: a dropped entry's place is released,
        // and undo and unlink stop on it.
        (Want::Dropped, Some(_)) => (Decision::Release, Some(Reason::ParentIsLink)),
        (Want::Nothing | Want::Restore(_), Some(_)) => {
            (Decision::Conflict, Some(Reason::ParentIsLink))
        }
        (Want::Link, None) if is_original => (Decision::Conflict, Some(Reason::SameFile)),
        (Want::Link, None) => decide(
            original,
            wanted,
            actual,
            policy,
            same_bytes,
            link_type,
            CaseRule::current(),
        ),
        (Want::Nothing, None) => decide_removal(owned, actual, policy),
        (Want::Restore(_), None) => decide_restore(owned, actual),
        (Want::Dropped, None) => decide_prune(owned, actual),
    }
}

/// What a hint is made from.
struct HintFacts<'a> {
    actual: &'a Actual,
    folder_link: Option<&'a Arc<FolderLink>>,
    obstacle: Option<&'a Obstacle>,
    adopt_refused: Option<String>,
    purpose: Purpose,
}

/// What the user can do about a place decided so, as data (said by [`crate::render::hint`]).
fn hint((decision, reason): Decided, facts: HintFacts) -> Option<Hint> {
    let HintFacts {
        actual,
        folder_link,
        obstacle,
        adopt_refused,
        purpose,
    } = facts;
    match (reason, decision.resolution()) {
        (Some(Reason::ParentIsLink), None) => {
            folder_link.map(|l| Hint::FolderLink(l.clone(), purpose))
        }
        (Some(Reason::SameFile), _) => Some(Hint::SameFile),
        (_, Some(_)) => None,
        _ if decision == Decision::Release => None,
        (Some(Reason::AdoptThroughLink), _) => adopt_refused.map(Hint::AdoptRefused),
        (_, None) if obstacle.is_some() => obstacle.map(|o| Hint::Obstacle(o.clone())),
        (Some(Reason::MountPoint), _) => Some(Hint::MountPoint),
        (Some(Reason::OriginalMissing), _) => Some(Hint::OriginalMissing),
        (Some(Reason::FileInTheWay | Reason::DirInTheWay | Reason::OtherInTheWay), _) => {
            Some(Hint::InTheWay(purpose))
        }
        (Some(Reason::ParentIsFile), _) => match actual {
            Actual::ParentIsFile(p) => Some(Hint::ParentIsFile(p.clone())),
            _ => None,
        },
        (Some(Reason::ChangedSinceApplied), _) => Some(Hint::ChangedSinceApplied(purpose)),
        _ => None,
    }
}

/// The texts to diff: a file in the way whose bytes differ from the original's.
fn diff(
    reason: Option<Reason>,
    texts: Option<Box<(String, String)>>,
    same_bytes: bool,
) -> Option<Box<Texts>> {
    match (reason, texts.map(|t| *t)) {
        (Some(Reason::FileInTheWay), Some((there, original))) if !same_bytes => {
            Some(Box::new(Texts { there, original }))
        }
        _ => None,
    }
}

/// A decision, and why (for fixes, conflicts and what is in the way).
type Decided = (Decision, Option<Reason>);

/// The decision table for a wanted link.
fn decide(
    original: Option<EntryKind>,
    wanted: &Path,
    actual: &Actual,
    policy: OnConflict,
    same_bytes: bool,
    link_type: LinkType,
    case: CaseRule,
) -> Decided {
    let hard = link_type == LinkType::Hardlink;
    use Decision::*;
    let Some(kind) = original else {
        return (Conflict, Some(Reason::OriginalMissing));
    };
    let in_the_way = |reason| match policy {
        OnConflict::Fail => (Conflict, Some(reason)),
        OnConflict::Backup => (Backup, Some(reason)),
        OnConflict::Adopt => (Adopt, Some(reason)),
    };
    match actual {
        Actual::Missing => (Create, None),
        Actual::MountPoint => (Conflict, Some(Reason::MountPoint)),
        Actual::HardLinked => (Ok, None),
        Actual::OwnedHardLink if hard => (Fix, Some(Reason::WrongTarget)),
        Actual::OwnedHardLink => (Fix, Some(Reason::WrongType)),
        // A symlink where a hard link is wanted.
        Actual::Link { .. } if hard => (Fix, Some(Reason::WrongType)),
        Actual::Link { text, flavour, .. } if platform::compare(text, wanted, case) => {
            match flavour {
                Some(f) if *f != Flavour::of(kind, link_type) => (Fix, Some(Reason::WrongType)),
                _ => (Ok, None),
            }
        }
        Actual::Link {
            target_exists: false,
            ..
        } => (Fix, Some(Reason::Dangling)),
        Actual::Link { .. } => (Fix, Some(Reason::WrongTarget)),
        Actual::File if same_bytes => (SameContent, Some(Reason::FileInTheWay)),
        Actual::File if kind == EntryKind::File => in_the_way(Reason::FileInTheWay),
        Actual::Dir if kind == EntryKind::Dir => in_the_way(Reason::DirInTheWay),
        // Adopting a file as a folder's original (or the reverse) makes no sense; back it up.
        Actual::File | Actual::Dir if policy == OnConflict::Fail => {
            let reason = if *actual == Actual::File {
                Reason::FileInTheWay
            } else {
                Reason::DirInTheWay
            };
            (Conflict, Some(reason))
        }
        Actual::File => (Backup, Some(Reason::FileInTheWay)),
        Actual::Dir => (Backup, Some(Reason::DirInTheWay)),
        Actual::Other => (Conflict, Some(Reason::OtherInTheWay)),
        Actual::ParentIsFile(_) => (Conflict, Some(Reason::ParentIsFile)),
    }
}

/// Whether the place still holds exactly the link linkfile made there.
pub fn still_owned(owned: Option<&OwnedLink>, actual: &Actual) -> bool {
    match (owned, actual) {
        (Some(o), Actual::Link { text, .. }) => platform::same_path(text, &o.text) && !o.hard,
        (Some(o), Actual::HardLinked | Actual::OwnedHardLink) => o.hard,
        _ => false,
    }
}

/// A link linkfile owns that is no longer wanted: removed only while it is exactly what
/// linkfile made.
fn decide_removal(owned: Option<&OwnedLink>, actual: &Actual, policy: OnConflict) -> Decided {
    match (owned, actual) {
        (_, Actual::Missing | Actual::ParentIsFile(_)) => (Decision::Ok, None),
        (_, Actual::MountPoint) => (Decision::Conflict, Some(Reason::MountPoint)),
        _ if still_owned(owned, actual) => (Decision::Remove, None),
        (_, _) if policy == OnConflict::Backup => {
            (Decision::RemoveToStore, Some(Reason::ChangedSinceApplied))
        }
        _ => (Decision::Conflict, Some(Reason::ChangedSinceApplied)),
    }
}

/// A backup to put back: over nothing, or over the link linkfile made there.
fn decide_restore(owned: Option<&OwnedLink>, actual: &Actual) -> Decided {
    let restore = (Decision::Restore, None);
    match actual {
        Actual::Missing => restore,
        _ if still_owned(owned, actual) => restore,
        _ => (Decision::Conflict, Some(Reason::ChangedSinceApplied)),
    }
}

/// A link whose entry left the manifest: removed while it is what linkfile made; anything else
/// there (a mount point included) is the user's now, left as it is under every policy.
fn decide_prune(owned: Option<&OwnedLink>, actual: &Actual) -> Decided {
    match actual {
        Actual::Missing | Actual::ParentIsFile(_) => (Decision::Ok, None),
        _ if still_owned(owned, actual) => (Decision::Remove, None),
        _ => (Decision::Release, Some(Reason::ChangedSinceApplied)),
    }
}

/// The command a plan is made for: its hints name only what that command accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `apply` (and `plan`): hints may offer `--on-conflict`.
    Apply,
    /// `undo`.
    Undo,
    /// `unlink`.
    Unlink,
}

impl Purpose {
    /// The command's name.
    pub fn command(self) -> &'static str {
        match self {
            Purpose::Apply => "apply",
            Purpose::Undo => "undo",
            Purpose::Unlink => "unlink",
        }
    }
}

/// Plans every link for `purpose`.
pub fn plan_for(inputs: Vec<Input>, purpose: Purpose) -> Plan {
    let entries: Vec<Entry> = inputs
        .into_iter()
        .map(|i| plan_one_for(i, purpose))
        .collect();
    let mut unfold: Vec<Arc<FolderLink>> = Vec::new();
    for e in &entries {
        if let (Some(l), Action::Create) = (&e.folder_link, e.action())
            && !unfold.iter().any(|u| u.at == l.at)
        {
            unfold.push(l.clone());
        }
    }
    Plan {
        entries,
        unfold,
        ..Plan::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired() -> Desired {
        Desired {
            at: "/h/.vimrc".into(),
            to: "/r/vim/vimrc".into(),
            text: None,
            kind: None,
            at_span: 0..1,
            to_span: 0..1,
            on_conflict: OnConflict::Fail,
            link_type: crate::manifest::LinkType::Symlink,
            relative: false,
            extra: None,
        }
    }

    fn input(original: Option<EntryKind>, actual: Actual) -> Input {
        Input {
            desired: desired(),
            want: Want::Link,
            owned: None,
            policy: OnConflict::Fail,
            same_bytes: false,
            original,
            actual,
            texts: None,
            obstacle: None,
            folder_link: None,
            is_original: false,
            adopt_refused: None,
            resolves: false,
            undiffable: None,
        }
    }

    /// Links as the manifest may want them: absolute, with a relative text, a hard link, a
    /// junction, fallen back, with tags.
    fn desireds() -> Vec<Desired> {
        let base = desired();
        let extra = |e: crate::resolve::Extra| e.boxed();
        vec![
            base.clone(),
            Desired {
                text: Some("../r/vim/vimrc".into()),
                relative: true,
                ..base.clone()
            },
            Desired {
                link_type: LinkType::Hardlink,
                ..base.clone()
            },
            Desired {
                link_type: LinkType::Junction,
                ..base.clone()
            },
            Desired {
                link_type: LinkType::Hardlink,
                extra: extra(crate::resolve::Extra {
                    fell_back: Some("no symlinks here".into()),
                    tags: vec!["t".into()],
                    ..Default::default()
                }),
                ..base.clone()
            },
        ]
    }

    #[test]
    fn an_owned_link_is_marked_only_when_it_is_exactly_what_apply_records() {
        let kinds = [EntryKind::File, EntryKind::Dir];
        for d in desireds() {
            for kind in kinds {
                let recorded = recorded_link(&d, kind);
                // The same bytes, and each field changed in turn (a path changed only in its
                // bytes, `//`, compares equal as a path: it is not marked all the same).
                let variants = [
                    recorded.clone(),
                    OwnedLink {
                        at: "/h//.vimrc".into(),
                        ..recorded.clone()
                    },
                    OwnedLink {
                        text: "/r/vim//vimrc".into(),
                        ..recorded.clone()
                    },
                    OwnedLink {
                        text: "/r/other".into(),
                        ..recorded.clone()
                    },
                    OwnedLink {
                        kind: kinds[usize::from(kind == EntryKind::File)],
                        ..recorded.clone()
                    },
                    OwnedLink {
                        hard: !recorded.hard,
                        ..recorded.clone()
                    },
                    OwnedLink {
                        junction: !recorded.junction,
                        ..recorded.clone()
                    },
                    OwnedLink {
                        fallback: Some("other".into()),
                        ..recorded.clone()
                    },
                    OwnedLink {
                        tags: vec!["u".into()],
                        ..recorded.clone()
                    },
                ];
                for (i, o) in variants.into_iter().enumerate() {
                    let exact = o.at.as_os_str() == recorded.at.as_os_str()
                        && o.text.as_os_str() == recorded.text.as_os_str()
                        && o == recorded;
                    assert_eq!(is_recorded_link(&o, &d, kind), exact, "{i}: {o:?}");
                    assert_eq!(exact, i == 0, "{i}: {o:?}");
                    let mark = Owned::of(o.clone(), &d);
                    // The mark keeps the kind recorded: another kind is marked too.
                    assert_eq!(
                        matches!(mark, Owned::AsWanted(k) if k == o.kind),
                        i == 0 || i == 4,
                        "{i}"
                    );
                    // Read back, the mark is the link it stands for, byte for byte.
                    let back = mark.link(&d);
                    assert_eq!(*back, o, "{i}");
                    assert_eq!(back.at.as_os_str(), o.at.as_os_str(), "{i}");
                    assert_eq!(back.text.as_os_str(), o.text.as_os_str(), "{i}");
                    let (hard, text) = mark.hard_and_text(&d);
                    assert_eq!(
                        (hard, text.as_os_str()),
                        (o.hard, o.text.as_os_str()),
                        "{i}"
                    );
                }
            }
        }
    }

    fn folder_link(into_repo: bool) -> Option<Arc<FolderLink>> {
        Some(Arc::new(FolderLink {
            at: "/h/.config".into(),
            text: "/r/config".into(),
            into_repo,
        }))
    }

    #[test]
    fn a_folder_link_on_the_way_is_never_written_through() {
        use Action::*;
        let file = Some(EntryKind::File);
        // What was seen through the link does not count: the repo's own file, say.
        for (policy, into_repo, want) in [
            (
                OnConflict::Fail,
                true,
                (Conflict, Some(Reason::ParentIsLink), None),
            ),
            (
                OnConflict::Fail,
                false,
                (Conflict, Some(Reason::ParentIsLink), None),
            ),
            (
                OnConflict::Backup,
                true,
                (Create, Some(Reason::ParentIsLink), Some(Resolution::Backup)),
            ),
            (
                OnConflict::Adopt,
                false,
                (Create, Some(Reason::ParentIsLink), Some(Resolution::Backup)),
            ),
        ] {
            let mut i = input(file, Actual::File);
            i.policy = policy;
            i.same_bytes = true;
            i.folder_link = folder_link(into_repo);
            let p = plan(vec![i]);
            let e = &p.entries[0];
            assert_eq!((e.action(), e.reason, e.resolution()), want, "{policy:?}");
            assert_eq!(p.unfold.len(), usize::from(e.action() == Create));
            let hint = crate::render::hint::text(e).unwrap_or_default();
            assert_eq!(
                hint.contains("inside this repo"),
                into_repo && e.action() == Conflict,
                "{hint}"
            );
        }
        // A missing original is still that.
        let mut i = input(None, Actual::Missing);
        i.policy = OnConflict::Backup;
        i.folder_link = folder_link(false);
        assert_eq!(
            plan(vec![i]).entries[0].reason,
            Some(Reason::OriginalMissing)
        );
        // A backup is not put back through it.
        let mut i = input(file, Actual::Missing);
        i.want = Want::Restore(Box::new(Backup {
            at: "/h/.config/x".into(),
            what: crate::oplog::BackupKind::File,
            stored: Some("/s/x".into()),
            text: None,
            adopted_from: None,
            adopted_fingerprint: None,
        }));
        i.folder_link = folder_link(true);
        let e = &plan_for(vec![i], Purpose::Undo).entries[0];
        assert_eq!(
            (e.action(), e.reason),
            (Conflict, Some(Reason::ParentIsLink))
        );
        let hint = crate::render::hint::text(e).unwrap();
        assert!(hint.contains("then run `linkfile undo` again"), "{hint}");
        assert!(!hint.contains("--on-conflict"), "{hint}");
    }

    #[test]
    fn the_original_itself_is_never_moved() {
        for policy in [OnConflict::Fail, OnConflict::Backup, OnConflict::Adopt] {
            let mut i = input(Some(EntryKind::File), Actual::File);
            i.policy = policy;
            i.same_bytes = true;
            i.is_original = true;
            let e = &plan(vec![i]).entries[0];
            assert_eq!(
                (e.action(), e.reason, e.resolution()),
                (Action::Conflict, Some(Reason::SameFile), None)
            );
        }
    }

    /// A symlink; `flavour` is what it was made for (Windows), `None` where links have none.
    fn link(text: &str, exists: bool, flavour: Option<EntryKind>) -> Actual {
        Actual::Link {
            text: text.into(),
            flavour: flavour.map(|k| Flavour::of(k, LinkType::Symlink)),
            target_exists: exists,
        }
    }

    fn junction(text: &str) -> Actual {
        Actual::Link {
            text: text.into(),
            flavour: Some(Flavour::Junction),
            target_exists: true,
        }
    }

    #[test]
    fn junctions_are_a_flavour_of_their_own() {
        use Action::*;
        let dir = Some(EntryKind::Dir);
        let want_junction = |actual: Actual| {
            let mut i = input(dir, actual);
            i.desired.link_type = LinkType::Junction;
            let e = plan_one(i);
            (e.action(), e.reason)
        };
        assert_eq!(want_junction(junction("/r/vim/vimrc")), (Ok, None));
        // A directory symlink with the same text is not the junction asked for.
        assert_eq!(
            want_junction(link("/r/vim/vimrc", true, dir)),
            (Fix, Some(Reason::WrongType))
        );
        assert_eq!(
            want_junction(junction("/r/other")),
            (Fix, Some(Reason::WrongTarget))
        );
        // And a junction is not the directory symlink asked for.
        let e = plan_one(input(dir, junction("/r/vim/vimrc")));
        assert_eq!((e.action(), e.reason), (Fix, Some(Reason::WrongType)));
    }

    #[test]
    fn a_mount_point_is_never_touched() {
        use Action::*;
        for policy in [OnConflict::Fail, OnConflict::Backup, OnConflict::Adopt] {
            let mut i = input(Some(EntryKind::Dir), Actual::MountPoint);
            i.policy = policy;
            let e = plan_one(i);
            assert_eq!((e.action(), e.reason), (Conflict, Some(Reason::MountPoint)));
            assert!(crate::render::hint::text(&e).unwrap().contains("mount"));
            // Nor when pruning a link linkfile owned there.
            let mut i = input(Some(EntryKind::Dir), Actual::MountPoint);
            (i.want, i.owned, i.policy) = (Want::Nothing, owned("/r/vim/vimrc"), policy);
            assert_eq!(plan_one(i).action(), Conflict);
        }
    }

    #[test]
    fn an_obstacle_refuses_a_write_under_every_policy_and_only_a_write() {
        use Action::*;
        let cases = [
            (
                Obstacle::ParentNotWritable {
                    dir: "/h".into(),
                    why: "Read-only file system (os error 30)".into(),
                },
                Reason::ParentNotWritable,
                "/h does not accept new entries",
            ),
            (Obstacle::CrossVolume, Reason::CrossVolume, "same volume"),
            (
                Obstacle::NetworkDrive("Z:\\r".into()),
                Reason::NetworkDrive,
                "network drive",
            ),
            (
                Obstacle::NotPermitted("symlinks cannot be made here".into()),
                Reason::NotPermitted,
                "symlinks cannot be made here",
            ),
        ];
        for (obstacle, reason, hint) in cases {
            for (policy, actual) in [
                (OnConflict::Fail, Actual::Missing),
                (OnConflict::Backup, Actual::File),
                (OnConflict::Adopt, link("/elsewhere", true, None)),
            ] {
                let mut i = input(Some(EntryKind::File), actual);
                i.policy = policy;
                i.obstacle = Some(Box::new(obstacle.clone()));
                let e = plan_one(i);
                assert_eq!(
                    (e.action(), e.reason, e.resolution()),
                    (Conflict, Some(reason), None)
                );
                assert!(
                    crate::render::hint::text(&e).unwrap().contains(hint),
                    "{:?}",
                    e.hint
                );
            }
            // A link that is already right needs no write.
            let mut i = input(Some(EntryKind::File), link("/r/vim/vimrc", true, None));
            i.obstacle = Some(Box::new(obstacle.clone()));
            assert_eq!(plan_one(i).action(), Ok);
        }
    }

    fn owned(text: &str) -> Option<Owned> {
        Some(Owned::Link(Box::new(owned_link(text))))
    }

    fn owned_link(text: &str) -> OwnedLink {
        OwnedLink {
            at: "/h/.vimrc".into(),
            text: text.into(),
            kind: EntryKind::File,
            hard: false,
            junction: false,
            fallback: None,
            tags: Vec::new(),
        }
    }

    #[test]
    fn decision_table_for_wanted_links() {
        use Action::*;
        use EntryKind::*;
        let f = Some(File);
        let cases: Vec<(Option<EntryKind>, Actual, Action, Option<Reason>)> = vec![
            (f, Actual::Missing, Create, None),
            (f, link("/r/vim/vimrc", true, None), Ok, None),
            (f, link("/r/vim/vimrc", true, Some(File)), Ok, None),
            (
                f,
                link("/r/vim/vimrc", true, Some(Dir)),
                Fix,
                Some(Reason::WrongType),
            ),
            (
                Some(Dir),
                link("/r/vim/vimrc", true, Some(File)),
                Fix,
                Some(Reason::WrongType),
            ),
            (
                f,
                link("/elsewhere", true, None),
                Fix,
                Some(Reason::WrongTarget),
            ),
            (f, link("/gone", false, None), Fix, Some(Reason::Dangling)),
            (f, Actual::File, Conflict, Some(Reason::FileInTheWay)),
            (f, Actual::Dir, Conflict, Some(Reason::DirInTheWay)),
            (f, Actual::Other, Conflict, Some(Reason::OtherInTheWay)),
            (
                f,
                Actual::ParentIsFile("/h".into()),
                Conflict,
                Some(Reason::ParentIsFile),
            ),
            (
                None,
                Actual::Missing,
                Conflict,
                Some(Reason::OriginalMissing),
            ),
            (
                None,
                link("/r/vim/vimrc", false, None),
                Conflict,
                Some(Reason::OriginalMissing),
            ),
            (None, Actual::File, Conflict, Some(Reason::OriginalMissing)),
        ];
        for (original, actual, action, reason) in cases {
            let e = plan_one(input(original, actual.clone()));
            assert_eq!(
                (e.action(), e.reason),
                (action, reason),
                "{original:?} {actual:?}"
            );
        }
    }

    #[test]
    fn decision_table_for_policies() {
        use Action::*;
        use EntryKind::*;
        use OnConflict as P;
        use Resolution as R;
        let cases = vec![
            (
                P::Backup,
                File,
                Actual::File,
                false,
                Create,
                Some(R::Backup),
            ),
            (P::Adopt, File, Actual::File, false, Create, Some(R::Adopt)),
            (P::Backup, Dir, Actual::Dir, false, Create, Some(R::Backup)),
            (P::Adopt, Dir, Actual::Dir, false, Create, Some(R::Adopt)),
            (P::Adopt, Dir, Actual::File, false, Create, Some(R::Backup)),
            (P::Fail, Dir, Actual::File, false, Conflict, None),
            (
                P::Fail,
                File,
                Actual::File,
                true,
                Create,
                Some(R::SameContent),
            ),
            (
                P::Adopt,
                File,
                Actual::File,
                true,
                Create,
                Some(R::SameContent),
            ),
            (P::Backup, File, Actual::Other, false, Conflict, None),
            (
                P::Backup,
                File,
                Actual::ParentIsFile("/h".into()),
                false,
                Conflict,
                None,
            ),
        ];
        for (policy, kind, actual, same_bytes, action, resolution) in cases {
            let mut i = input(Some(kind), actual.clone());
            i.policy = policy;
            i.same_bytes = same_bytes;
            let e = plan_one(i);
            assert_eq!(
                (e.action(), e.resolution()),
                (action, resolution),
                "{policy:?} {kind:?} {actual:?} {same_bytes}"
            );
        }
    }

    type RemovalCase = (Want, Actual, OnConflict, Action, Option<Resolution>);

    /// Each case planned over the link linkfile owns (to `/r/old`): its action and resolution,
    /// and for a conflict, why.
    fn check_removals(cases: Vec<RemovalCase>) {
        for (want, actual, policy, action, resolution) in cases {
            let mut i = input(Some(EntryKind::File), actual.clone());
            i.want = want.clone();
            i.owned = owned("/r/old");
            i.policy = policy;
            let e = plan_one(i);
            assert_eq!(
                (e.action(), e.resolution()),
                (action, resolution),
                "{want:?} {actual:?}"
            );
            if action == Action::Conflict {
                assert_eq!(e.reason, Some(Reason::ChangedSinceApplied));
            }
        }
    }

    #[test]
    fn decision_table_for_removal() {
        use Action::*;
        let (fail, nothing) = (OnConflict::Fail, Want::Nothing);
        check_removals(vec![
            (
                nothing.clone(),
                link("/r/old", true, None),
                fail,
                Remove,
                None,
            ),
            (nothing.clone(), Actual::Missing, fail, Ok, None),
            (
                nothing.clone(),
                link("/changed", true, None),
                fail,
                Conflict,
                None,
            ),
            (nothing.clone(), Actual::File, fail, Conflict, None),
            (
                nothing,
                Actual::File,
                OnConflict::Backup,
                Remove,
                Some(Resolution::Backup),
            ),
        ]);
    }

    #[test]
    fn decision_table_for_restore() {
        use Action::*;
        let backup = Backup {
            at: "/h/.vimrc".into(),
            what: crate::oplog::BackupKind::File,
            stored: Some("/s/1/.vimrc".into()),
            text: None,
            adopted_from: None,
            adopted_fingerprint: None,
        };
        let (fail, restore) = (OnConflict::Fail, Want::Restore(Box::new(backup)));
        let restored = Some(Resolution::Restore);
        check_removals(vec![
            (
                restore.clone(),
                link("/r/old", true, None),
                fail,
                Remove,
                restored,
            ),
            (restore.clone(), Actual::Missing, fail, Remove, restored),
            (restore.clone(), Actual::File, fail, Conflict, None),
            (
                restore,
                link("/changed", true, None),
                OnConflict::Backup,
                Conflict,
                None,
            ),
        ]);
    }

    #[test]
    fn swapped_at_and_to_is_suggested_when_the_file_is_at_at() {
        let e = plan_one(input(None, Actual::File));
        assert!(
            crate::render::hint::text(&e)
                .unwrap()
                .contains("did you swap at and to?")
        );
        let e = plan_one(input(None, Actual::Missing));
        assert!(!crate::render::hint::text(&e).unwrap().contains("swap"));
    }

    #[test]
    fn file_in_the_way_gets_a_diff() {
        let mut i = input(Some(EntryKind::File), Actual::File);
        i.texts = Some(Box::new(("set nu\n".into(), "set nu\nsyntax on\n".into())));
        let diff = crate::render::diff::unified(&plan_one(i)).unwrap();
        assert!(diff.contains("+syntax on"), "{diff}");
        assert!(diff.contains("--- /h/.vimrc"), "{diff}");
    }

    #[test]
    fn adopt_refused_is_a_conflict_only_where_adopt_would_write() {
        use Action::*;
        use EntryKind::*;
        let refused = Some("no".to_string());
        // (policy, kind, actual, same bytes) -> (action, reason)
        let cases = [
            (
                OnConflict::Adopt,
                File,
                Actual::File,
                false,
                Conflict,
                Some(Reason::AdoptThroughLink),
            ),
            (
                OnConflict::Adopt,
                Dir,
                Actual::Dir,
                false,
                Conflict,
                Some(Reason::AdoptThroughLink),
            ),
            // Same bytes, or a file for a folder: backed up, not adopted.
            (
                OnConflict::Adopt,
                File,
                Actual::File,
                true,
                Create,
                Some(Reason::FileInTheWay),
            ),
            (
                OnConflict::Adopt,
                Dir,
                Actual::File,
                false,
                Create,
                Some(Reason::FileInTheWay),
            ),
            (
                OnConflict::Adopt,
                File,
                Actual::Missing,
                false,
                Create,
                None,
            ),
            (
                OnConflict::Backup,
                File,
                Actual::File,
                false,
                Create,
                Some(Reason::FileInTheWay),
            ),
        ];
        for (policy, kind, actual, same_bytes, action, reason) in cases {
            let mut i = input(Some(kind), actual.clone());
            (i.policy, i.same_bytes, i.adopt_refused) =
                (policy, same_bytes, refused.clone().map(Into::into));
            let e = plan_one(i);
            assert_eq!(
                (e.action(), e.reason),
                (action, reason),
                "{policy:?} {kind:?} {actual:?}"
            );
            if e.reason == Some(Reason::AdoptThroughLink) {
                assert_eq!(
                    (e.resolution(), crate::render::hint::text(&e).as_deref()),
                    (None, Some("no"))
                );
            }
        }
    }

    #[test]
    fn counts() {
        let p = plan(vec![
            input(Some(EntryKind::File), Actual::Missing),
            input(Some(EntryKind::File), Actual::File),
        ]);
        let c = p.counts();
        assert_eq!((c.create, c.conflict, c.changes()), (1, 1, 1));
    }
    #[test]
    fn decision_table_for_prune() {
        use Action::*;
        let hard = Some(Owned::Link(Box::new(OwnedLink {
            hard: true,
            ..owned_link("/r/old")
        })));
        let cases = vec![
            (owned("/r/old"), link("/r/old", true, None), Remove, None),
            (owned("/r/old"), Actual::Missing, Ok, None),
            (owned("/r/old"), Actual::ParentIsFile("/h".into()), Ok, None),
            (hard.clone(), Actual::OwnedHardLink, Remove, None),
            // Whatever the user put there since is theirs: released, under every policy.
            (
                owned("/r/old"),
                link("/changed", true, None),
                Release,
                Some(Reason::ChangedSinceApplied),
            ),
            (
                owned("/r/old"),
                Actual::File,
                Release,
                Some(Reason::ChangedSinceApplied),
            ),
            (
                owned("/r/old"),
                Actual::Dir,
                Release,
                Some(Reason::ChangedSinceApplied),
            ),
            (
                owned("/r/old"),
                Actual::MountPoint,
                Release,
                Some(Reason::ChangedSinceApplied),
            ),
            (
                hard,
                link("/r/old", true, None),
                Release,
                Some(Reason::ChangedSinceApplied),
            ),
        ];
        for (owned, actual, action, reason) in cases {
            for policy in [OnConflict::Fail, OnConflict::Backup, OnConflict::Adopt] {
                let mut i = input(Some(EntryKind::File), actual.clone());
                (i.want, i.owned, i.policy) = (Want::Dropped, owned.clone(), policy);
                // A release writes nothing, so nothing can stop it.
                i.obstacle = Some(Box::new(Obstacle::CrossVolume)).filter(|_| action != Remove);
                let e = plan_one(i);
                assert_eq!(
                    (e.action(), e.reason, e.resolution(), e.hint.is_some()),
                    (action, reason, None, false),
                    "{actual:?} {policy:?}"
                );
            }
        }
        let p = plan(vec![{
            let mut i = input(Some(EntryKind::File), Actual::File);
            (i.want, i.owned) = (Want::Dropped, owned("/r/old"));
            i
        }]);
        let c = p.counts();
        assert_eq!((c.release, c.changes(), c.pending()), (1, 0, true));
    }

    #[test]
    fn hints_name_only_what_the_command_accepts() {
        let changed = Input {
            want: Want::Nothing,
            owned: owned("/r/vim/vimrc"),
            ..input(Some(EntryKind::File), Actual::File)
        };
        let in_the_way = input(Some(EntryKind::File), Actual::File);
        for i in [changed, in_the_way] {
            let apply =
                crate::render::hint::text(&plan_one_for(i.clone(), Purpose::Apply)).unwrap();
            assert!(apply.contains("--on-conflict backup"), "{apply}");
            for purpose in [Purpose::Undo, Purpose::Unlink] {
                let hint = crate::render::hint::text(&plan_one_for(i.clone(), purpose)).unwrap();
                assert!(!hint.contains("--on-conflict"), "{hint}");
                let again = format!("then run `linkfile {}` again", purpose.command());
                assert!(hint.contains(&again), "{hint}");
            }
        }
    }

    #[test]
    fn a_repo_reached_in_another_case_is_ok_on_windows() {
        let wanted = Path::new(r"c:\users\me\Dotfiles\nvim");
        let link = |text: &str, flavour| Actual::Link {
            text: text.into(),
            flavour,
            target_exists: true,
        };
        let dir = Some(EntryKind::Dir);
        let decide_as = |actual: &Actual, case| {
            let d = decide(
                dir,
                wanted,
                actual,
                OnConflict::Fail,
                false,
                LinkType::Symlink,
                case,
            );
            (d.0.action(), d.1)
        };
        for text in [
            r"C:\Users\me\dotfiles\nvim",
            r"\\?\C:\Users\me\dotfiles\nvim",
            "C:/Users/me/DOTFILES/nvim",
        ] {
            let actual = link(text, Some(Flavour::Dir));
            assert_eq!(
                decide_as(&actual, CaseRule::Windows),
                (Action::Ok, None),
                "{text}"
            );
            // Byte for byte elsewhere.
            assert_eq!(
                decide_as(&actual, CaseRule::Exact),
                (Action::Fix, Some(Reason::WrongTarget)),
                "{text}"
            );
            // The flavour is still checked.
            assert_eq!(
                decide_as(&link(text, Some(Flavour::File)), CaseRule::Windows),
                (Action::Fix, Some(Reason::WrongType))
            );
        }
        let other = link(r"C:\Users\me\dotfiles2\nvim", Some(Flavour::Dir));
        assert_eq!(
            decide_as(&other, CaseRule::Windows),
            (Action::Fix, Some(Reason::WrongTarget))
        );
    }
}

#[cfg(test)]
mod decision_tests {
    use super::{Action, Decision, Resolution};

    /// Each decision is shown (JSON, human) as the action and resolution it always was.
    #[test]
    fn each_decision_is_shown_as_its_action_and_resolution() {
        use Decision::*;
        let table = [
            (Ok, Action::Ok, None),
            (Create, Action::Create, None),
            (Backup, Action::Create, Some(Resolution::Backup)),
            (Adopt, Action::Create, Some(Resolution::Adopt)),
            (SameContent, Action::Create, Some(Resolution::SameContent)),
            (Fix, Action::Fix, None),
            (Remove, Action::Remove, None),
            (RemoveToStore, Action::Remove, Some(Resolution::Backup)),
            (Restore, Action::Remove, Some(Resolution::Restore)),
            (Conflict, Action::Conflict, None),
            (Release, Action::Release, None),
        ];
        for (d, action, resolution) in table {
            assert_eq!((d.action(), d.resolution()), (action, resolution), "{d:?}");
        }
    }
}
