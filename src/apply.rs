//! The only writer: turns a [`Plan`] into links on disk, all or nothing.
//!
//! Order of work: refuse if any entry is a conflict; re-observe every entry that will be written
//! and refuse if it changed since the plan (a stale plan); then run the actions in manifest order,
//! recording each completed step in an in-memory journal. If a step fails, the journal is undone
//! in reverse, so the tree is left as it was found. Every step is a single filesystem operation
//! whose effect can be checked afterwards: a new link is made with `symlink` (which refuses to
//! replace anything), a wrong link is replaced by making a temporary link beside it and renaming
//! it over (atomic on Unix), and every link made is read back to verify it. Missing parent folders
//! are made one `mkdir` at a time and removed (only if still empty) on rollback.
//!
//! No fsync per link: a link is metadata, and the rename/symlink calls are ordered by the kernel.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Rollback};
use crate::manifest::EntryKind;
use crate::observe;
use crate::plan::{Action, Plan};
use crate::platform::{self, ReadLink};

/// What an apply did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Links made where there were none.
    pub created: usize,
    /// Wrong links replaced.
    pub fixed: usize,
    /// Folders made to hold new links.
    pub folders: usize,
}

/// One completed step, and what undoing it takes.
#[derive(Debug)]
enum Step {
    MadeFolder(PathBuf),
    MadeLink {
        at: PathBuf,
        kind: EntryKind,
    },
    ReplacedLink {
        at: PathBuf,
        old_text: PathBuf,
        kind: EntryKind,
    },
}

/// Applies `plan`. On error, nothing is left changed (or the error says what could not be undone).
pub fn apply(plan: &Plan) -> Result<Applied, Error> {
    apply_with_hook(plan, &mut |_| Ok(()))
}

/// [`apply`], calling `before_write` with the path about to be written before every write; an
/// error from it fails the apply at that point (tests use it to inject faults at every step).
pub fn apply_with_hook(
    plan: &Plan,
    before_write: &mut dyn FnMut(&Path) -> io::Result<()>,
) -> Result<Applied, Error> {
    let counts = plan.counts();
    if counts.conflict > 0 {
        return Err(Error::Conflicts {
            count: counts.conflict,
        });
    }
    check_fresh(plan)?;

    let mut journal = Journal {
        steps: Vec::new(),
        known_folders: HashSet::new(),
        before_write,
    };
    let mut applied = Applied::default();
    for entry in &plan.entries {
        let d = &entry.desired;
        let kind = entry.kind.unwrap_or(EntryKind::File);
        let result = match entry.action {
            Action::Ok | Action::Conflict | Action::Remove => continue,
            Action::Create => journal
                .create(&d.at, &d.link_text, kind)
                .map(|()| applied.created += 1),
            Action::Fix => {
                let old = entry.current_text().unwrap_or(Path::new("")).to_path_buf();
                journal
                    .replace(&d.at, &d.link_text, &old, kind)
                    .map(|()| applied.fixed += 1)
            }
        };
        if let Err(failure) = result {
            let rollback = journal.roll_back();
            return Err(failure.into_error(rollback));
        }
    }
    applied.folders = journal
        .steps
        .iter()
        .filter(|s| matches!(s, Step::MadeFolder(_)))
        .count();
    Ok(applied)
}

/// Refuses a plan whose observations no longer hold for the entries that will be written.
fn check_fresh(plan: &Plan) -> Result<(), Error> {
    for entry in &plan.entries {
        if !matches!(entry.action, Action::Create | Action::Fix) {
            continue;
        }
        let d = &entry.desired;
        let now = observe::link_place(&d.at, &d.link_text)?;
        if now != entry.observed {
            return Err(Error::StalePlan {
                path: d.at.clone(),
                detail: format!(
                    "planned with {} there, now {}",
                    entry.observed.describe(),
                    now.describe()
                ),
            });
        }
    }
    Ok(())
}

/// A failed step, before rollback.
struct Failure {
    action: &'static str,
    path: PathBuf,
    source: io::Error,
    hint: Option<String>,
}

impl Failure {
    fn new(action: &'static str, path: &Path, source: io::Error) -> Self {
        let hint = platform::hint_for(&source);
        Failure {
            action,
            path: path.to_path_buf(),
            source,
            hint,
        }
    }

    fn into_error(self, rollback: Rollback) -> Error {
        Error::Apply {
            action: self.action,
            path: self.path,
            source: self.source,
            hint: self.hint,
            rollback,
        }
    }
}

struct Journal<'h> {
    steps: Vec<Step>,
    known_folders: HashSet<PathBuf>,
    before_write: &'h mut dyn FnMut(&Path) -> io::Result<()>,
}

impl Journal<'_> {
    fn before_write(&mut self, action: &'static str, path: &Path) -> Result<(), Failure> {
        (self.before_write)(path).map_err(|e| Failure::new(action, path, e))
    }

    fn create(&mut self, at: &Path, text: &Path, kind: EntryKind) -> Result<(), Failure> {
        if let Some(parent) = at.parent() {
            self.ensure_folder(parent)?;
        }
        self.before_write("create link", at)?;
        platform::create_symlink(text, at, kind).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                Failure {
                    action: "create link",
                    path: at.to_path_buf(),
                    source: e,
                    hint: Some(
                        "something appeared there since the plan; run `linkfile plan` again".into(),
                    ),
                }
            } else {
                Failure::new("create link", at, e)
            }
        })?;
        self.steps.push(Step::MadeLink {
            at: at.to_path_buf(),
            kind,
        });
        verify(at, text, kind)
    }

    fn replace(
        &mut self,
        at: &Path,
        text: &Path,
        old: &Path,
        kind: EntryKind,
    ) -> Result<(), Failure> {
        self.before_write("replace link", at)?;
        let temp = temp_link(at, text, kind)?;
        // Re-read just before the rename: never replace a link someone changed meanwhile.
        match platform::read_link(at) {
            ReadLink::Link(now) if now == old => {}
            _ => {
                let _ = platform::remove_link(&temp, kind);
                return Err(Failure {
                    action: "replace link",
                    path: at.to_path_buf(),
                    source: io::Error::other("the link changed since the plan"),
                    hint: Some("run `linkfile plan` again".into()),
                });
            }
        }
        if let Err(e) = platform::replace_link(&temp, at, kind) {
            let _ = platform::remove_link(&temp, kind);
            return Err(Failure::new("replace link", at, e));
        }
        self.steps.push(Step::ReplacedLink {
            at: at.to_path_buf(),
            old_text: old.to_path_buf(),
            kind,
        });
        verify(at, text, kind)
    }

    /// Makes `dir` and any missing parents, one `mkdir` each, remembering what it made.
    fn ensure_folder(&mut self, dir: &Path) -> Result<(), Failure> {
        if self.known_folders.contains(dir) {
            return Ok(());
        }
        self.before_write("create folder", dir)?;
        match fs::create_dir(dir) {
            Ok(()) => self.steps.push(Step::MadeFolder(dir.to_path_buf())),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let parent = dir
                    .parent()
                    .ok_or_else(|| Failure::new("create folder", dir, e))?;
                self.ensure_folder(parent)?;
                fs::create_dir(dir).map_err(|e| Failure::new("create folder", dir, e))?;
                self.steps.push(Step::MadeFolder(dir.to_path_buf()));
            }
            Err(e) => return Err(Failure::new("create folder", dir, e)),
        }
        self.known_folders.insert(dir.to_path_buf());
        Ok(())
    }

    /// Undoes every recorded step, newest first.
    fn roll_back(self) -> Rollback {
        let steps = self.steps.len();
        let mut failures = Vec::new();
        for step in self.steps.into_iter().rev() {
            let (path, result) = match step {
                Step::MadeFolder(dir) => {
                    // remove_dir only removes an empty folder: never anything the user put there.
                    let r = fs::remove_dir(&dir);
                    (dir, r)
                }
                Step::MadeLink { at, kind } => {
                    let r = remove_own_link(&at, kind);
                    (at, r)
                }
                Step::ReplacedLink { at, old_text, kind } => {
                    let r = temp_link(&at, &old_text, kind)
                        .map_err(|f| f.source)
                        .and_then(|temp| platform::replace_link(&temp, &at, kind));
                    (at, r)
                }
            };
            if let Err(e) = result {
                failures.push(format!("{}: {e}", path.display()));
            }
        }
        if failures.is_empty() {
            Rollback::Complete { steps }
        } else {
            Rollback::Incomplete { failures }
        }
    }
}

/// Removes a link this apply made, only if it is still a link (a verification failure may have
/// left nothing, or a copy someone else could own).
fn remove_own_link(at: &Path, kind: EntryKind) -> io::Result<()> {
    match platform::read_link(at) {
        ReadLink::Link(_) => platform::remove_link(at, kind),
        ReadLink::Missing | ReadLink::ParentProblem => Ok(()),
        ReadLink::NotALink => Err(io::Error::other(
            "expected the link linkfile made, found something else; left in place",
        )),
        ReadLink::Failed(e) => Err(e),
    }
}

/// Makes a link holding `text` under a fresh name beside `at`.
fn temp_link(at: &Path, text: &Path, kind: EntryKind) -> Result<PathBuf, Failure> {
    let name = at.file_name().unwrap_or_default().to_string_lossy();
    let parent = at.parent().unwrap_or(Path::new("."));
    for n in 0..100 {
        let temp = parent.join(format!(".{name}.linkfile-{}-{n}.tmp", std::process::id()));
        match platform::create_symlink(text, &temp, kind) {
            Ok(()) => return Ok(temp),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Failure::new("create link", &temp, e)),
        }
    }
    Err(Failure::new(
        "create link",
        at,
        io::Error::other("no free temporary name beside it"),
    ))
}

/// Reads a new link back: some environments report success and make nothing.
fn verify(at: &Path, text: &Path, kind: EntryKind) -> Result<(), Failure> {
    let problem = match platform::read_link(at) {
        ReadLink::Link(t) if t == text => match platform::link_flavour(at) {
            Ok(Some(f)) if f != kind => {
                Some("the link was made with the wrong flavour".to_string())
            }
            Ok(_) => None,
            Err(e) => Some(e.to_string()),
        },
        ReadLink::Link(t) => Some(format!("the link holds {} instead", t.display())),
        ReadLink::NotALink => Some("the system made something that is not a link (a copy?)".into()),
        ReadLink::Missing | ReadLink::ParentProblem => {
            Some("the system reported success but no link exists".into())
        }
        ReadLink::Failed(e) => Some(e.to_string()),
    };
    match problem {
        None => Ok(()),
        Some(p) => Err(Failure {
            action: "verify link",
            path: at.to_path_buf(),
            source: io::Error::other(p),
            hint: Some(
                "this system does not make symbolic links faithfully (Wine, for one, reports success and creates nothing); run linkfile on a real system or filesystem that supports symlinks".into(),
            ),
        }),
    }
}
