//! An interrupted operation, as read-only commands see it: `plan` and the dry runs never roll it
//! back (they write nothing, ever); they say it is pending and plan the world as it will be once
//! the next writer (or `linkfile recover`) has rolled it back.
//!
//! [`after_rollback`] is the pure part: from the intent's steps and what each place they name
//! holds now, what each will hold after recovery undoes the steps newest first. It mirrors
//! [`crate::steps::undo_step`] rule for rule: a step is undone only where its place holds
//! exactly what the step made. [`Overlay`] then answers observation for those places.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::observe::{self, Actual};
use crate::oplog::State;
use crate::platform::{self, Flavour, ReadLink};
use crate::show::Shown as _;
use crate::steps::{Shape, Step};

/// What a place holds, as far as rolling back an operation goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Thing {
    /// Nothing.
    Missing,
    /// A symlink holding `text` (of this flavour, where links have one).
    Link {
        text: PathBuf,
        flavour: Option<Flavour>,
    },
    /// A hard link to the file `original`.
    HardLink { original: PathBuf },
    /// A real folder, listing the entries it holds on disk now.
    Folder { entries: Vec<PathBuf> },
    /// Whatever is at `from` on disk now (a file, a folder moved whole, …).
    Content { from: PathBuf },
}

impl Thing {
    fn holds_something(&self) -> bool {
        *self != Thing::Missing
    }

    fn holds(&self, shape: &Shape) -> bool {
        match (self, shape) {
            (Thing::Link { text, .. }, Shape::Symlink { text: t, .. }) => {
                crate::platform::same_path(text, t)
            }
            (Thing::HardLink { original }, Shape::HardLink { original: o }) => original == o,
            _ => false,
        }
    }

    fn of_shape(shape: &Shape) -> Thing {
        match shape {
            Shape::Symlink { text, kind } => Thing::Link {
                text: text.clone(),
                flavour: Some(*kind),
            },
            Shape::HardLink { original } => Thing::HardLink {
                original: original.clone(),
            },
        }
    }
}

/// What every place `steps` name holds once they are rolled back newest first, given what each
/// holds `now` (a place missing from `now` holds nothing). Also the places whose step recovery
/// could not undo (a moved thing found in neither place).
pub(crate) fn after_rollback(
    steps: &[Step],
    now: &HashMap<PathBuf, Thing>,
) -> (HashMap<PathBuf, Thing>, Vec<PathBuf>) {
    let mut m = now.clone();
    let failures = steps
        .iter()
        .rev()
        .filter_map(|step| roll_back(&mut m, step))
        .collect();
    (m, failures)
}

/// What a place holds in `m` (a place missing from it holds nothing).
fn get(m: &HashMap<PathBuf, Thing>, p: &Path) -> Thing {
    m.get(p).cloned().unwrap_or(Thing::Missing)
}

/// Rolls `step` back in `m`, where its place holds exactly what it made. Returns the place it
/// could not undo, if any.
fn roll_back(m: &mut HashMap<PathBuf, Thing>, step: &Step) -> Option<PathBuf> {
    match step {
        Step::MakeFolder { dir, .. } => remove_made_folder(m, dir),
        Step::Make { at, link } => {
            if get(m, at).holds(link) {
                m.insert(at.clone(), Thing::Missing);
            }
        }
        Step::Replace { at, from, to } => {
            if get(m, at).holds(to) {
                m.insert(at.clone(), Thing::of_shape(from));
            }
        }
        Step::Remove { at, link } => {
            if get(m, at) == Thing::Missing {
                m.insert(at.clone(), Thing::of_shape(link));
            }
        }
        Step::Move { from, to } => match (get(m, from).holds_something(), get(m, to)) {
            (false, Thing::Missing) => return Some(from.clone()),
            (false, there) => {
                m.insert(from.clone(), there);
                m.insert(to.clone(), Thing::Missing);
            }
            (true, _) => {}
        },
        Step::RemoveFolder { dir } => {
            if get(m, dir) == Thing::Missing {
                m.insert(dir.clone(), Thing::Folder { entries: vec![] });
            }
        }
    }
    None
}

/// A folder a step made is removed unless something is in it: on disk and named by no step,
/// or put back by the rollback.
fn remove_made_folder(m: &mut HashMap<PathBuf, Thing>, dir: &Path) {
    let Thing::Folder { entries } = get(m, dir) else {
        return;
    };
    let on_disk = entries
        .iter()
        .any(|e| m.get(e).is_none_or(Thing::holds_something));
    let put_back = m
        .iter()
        .any(|(p, t)| p.parent() == Some(dir) && t.holds_something());
    if !on_disk && !put_back {
        m.insert(dir.to_path_buf(), Thing::Missing);
    }
}

/// An interrupted operation that recovery will roll back.
#[derive(Debug)]
pub(crate) struct Pending {
    /// Its command.
    pub command: String,
    /// The process that was writing it.
    pub pid: u32,
    /// The places rollback changes, and what they will hold.
    pub overlay: Overlay,
    /// Places whose step recovery cannot undo by itself.
    pub failures: Vec<PathBuf>,
}

impl Pending {
    /// What read-only commands say first.
    pub(crate) fn notice(&self) -> String {
        let mut s = format!(
            "An interrupted `linkfile {}` (process {}) is pending: the next apply, undo or unlink (or `linkfile recover`) rolls it back first; shown as it will be then.",
            self.command, self.pid
        );
        if !self.failures.is_empty() {
            let places: Vec<String> = self
                .failures
                .iter()
                .map(|p| p.shown().to_string())
                .collect();
            s.push_str(&format!(
                " Some of it cannot be rolled back by itself ({}): `linkfile recover` leaves those as they are.",
                places.join(", ")
            ));
        }
        s
    }
}

/// The operation a killed run left in `state`, without touching it: `None` when there is none,
/// when its record was committed (nothing to roll back), or when its intent is torn (no step
/// of it ran).
pub(crate) fn pending(
    state: &State,
    wanted: &crate::records::Wanted,
) -> Result<Option<Pending>, Error> {
    let Some(intent) = crate::steps::read_intent(state)? else {
        return Ok(None);
    };
    if state.head()?.is_some_and(|h| h.id == intent.op) {
        return Ok(None);
    }
    crate::records::check_intent(&intent, state, wanted)?;
    let now = look(&intent.steps);
    let (after, failures) = after_rollback(&intent.steps, &now);
    let changed = after
        .into_iter()
        .filter(|(p, t)| now.get(p).unwrap_or(&Thing::Missing) != t)
        .collect();
    Ok(Some(Pending {
        command: intent.command.to_string(),
        pid: intent.pid,
        overlay: Overlay { changed },
        failures,
    }))
}

/// What every place `steps` name holds now.
fn look(steps: &[Step]) -> HashMap<PathBuf, Thing> {
    let mut originals: HashMap<&Path, Vec<&Path>> = HashMap::new();
    let mut places: Vec<&Path> = Vec::new();
    for step in steps {
        match step {
            Step::MakeFolder { dir, .. } | Step::RemoveFolder { dir } => places.push(dir),
            Step::Move { from, to } => places.extend([from.as_path(), to.as_path()]),
            Step::Make { at, link } | Step::Remove { at, link } => {
                places.push(at);
                if let Shape::HardLink { original } = link {
                    originals.entry(at).or_default().push(original);
                }
            }
            Step::Replace { at, from, to } => {
                places.push(at);
                for shape in [from, to] {
                    if let Shape::HardLink { original } = shape {
                        originals.entry(at).or_default().push(original);
                    }
                }
            }
        }
    }
    let mut now = HashMap::new();
    for p in places {
        let thing = match observe::read_link(p) {
            ReadLink::Link(text) => Thing::Link {
                text,
                flavour: observe::link_flavour(p).ok().flatten(),
            },
            ReadLink::Missing | ReadLink::ParentProblem => Thing::Missing,
            _ if observe::is_real_folder(p) => Thing::Folder {
                entries: observe::readable_listing(p)
                    .unwrap_or_default()
                    .iter()
                    .map(|e| e.path().to_path_buf())
                    .collect(),
            },
            _ => match originals
                .get(p)
                .and_then(|os| os.iter().find(|o| observe::same_file(p, o)))
            {
                Some(o) => Thing::HardLink {
                    original: o.to_path_buf(),
                },
                None => Thing::Content {
                    from: p.to_path_buf(),
                },
            },
        };
        now.insert(p.to_path_buf(), thing);
    }
    now
}

/// The places an interrupted operation's rollback changes, and what each will hold.
#[derive(Debug, Default)]
pub(crate) struct Overlay {
    changed: HashMap<PathBuf, Thing>,
}

impl Overlay {
    /// What observing `place` will find after the rollback, when the rollback changes it.
    pub(crate) fn actual(&self, place: observe::Place) -> Result<Option<Actual>, Error> {
        let Some(thing) = self.changed.get(place.at) else {
            return Ok(None);
        };
        let target_exists = |text: &Path| {
            crate::platform::same_path(text, place.text)
                || observe::exists_followed(&place.at.parent().unwrap_or(Path::new("/")).join(text))
        };
        Ok(Some(match thing {
            Thing::Missing => Actual::Missing,
            Thing::Link { text, flavour } => Actual::Link {
                text: text.clone(),
                flavour: flavour.filter(|_| platform::LINKS_HAVE_FLAVOUR),
                target_exists: target_exists(text),
            },
            Thing::HardLink { original } if place.hard_original == Some(original.as_path()) => {
                Actual::HardLinked
            }
            Thing::HardLink { .. } => Actual::File,
            Thing::Folder { .. } => Actual::Dir,
            Thing::Content { from } => {
                let there = observe::Place { at: from, ..place };
                match observe::link_place(there)? {
                    Actual::Link { text, flavour, .. } => Actual::Link {
                        target_exists: target_exists(&text),
                        text,
                        flavour,
                    },
                    other => other,
                }
            }
        }))
    }

    /// Where the bytes that will be at `p` are now.
    pub(crate) fn content<'a>(&'a self, p: &'a Path) -> &'a Path {
        match self.changed.get(p) {
            Some(Thing::Content { from }) => from,
            _ => p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    fn link(text: &str) -> Thing {
        Thing::Link {
            text: p(text),
            flavour: None,
        }
    }

    fn run(steps: &[Step], now: &[(&str, Thing)]) -> HashMap<PathBuf, Thing> {
        let now = now.iter().map(|(k, t)| (p(k), t.clone())).collect();
        let (after, failures) = after_rollback(steps, &now);
        assert!(failures.is_empty(), "{failures:?}");
        after
    }

    fn backup_then_link() -> Vec<Step> {
        vec![
            Step::Move {
                from: p("/h/.b"),
                to: p("/s/1/.b"),
            },
            Step::Make {
                at: p("/h/.b"),
                link: Shape::Symlink {
                    text: p("/r/b"),
                    kind: Flavour::File,
                },
            },
        ]
    }

    #[test]
    fn a_backup_and_its_link_both_done_put_the_users_file_back() {
        let after = run(
            &backup_then_link(),
            &[
                ("/h/.b", link("/r/b")),
                ("/s/1/.b", Thing::Content { from: p("/s/1/.b") }),
            ],
        );
        assert_eq!(after[&p("/h/.b")], Thing::Content { from: p("/s/1/.b") });
        assert_eq!(after[&p("/s/1/.b")], Thing::Missing);
    }

    #[test]
    fn steps_that_never_ran_leave_their_places_alone() {
        let now = [("/h/.b", Thing::Content { from: p("/h/.b") })];
        let after = run(&backup_then_link(), &now);
        assert_eq!(after[&p("/h/.b")], Thing::Content { from: p("/h/.b") });
        assert_eq!(after.get(&p("/s/1/.b")), None);
    }

    #[test]
    fn links_made_replaced_and_removed_are_undone() {
        let steps = vec![
            Step::Remove {
                at: p("/h/.gone"),
                link: Shape::Symlink {
                    text: p("/r/gone"),
                    kind: Flavour::File,
                },
            },
            Step::Replace {
                at: p("/h/.c"),
                from: Shape::Symlink {
                    text: p("/elsewhere"),
                    kind: Flavour::File,
                },
                to: Shape::Symlink {
                    text: p("/r/c"),
                    kind: Flavour::File,
                },
            },
            Step::MakeFolder {
                dir: p("/h/.n"),
                mode: None,
            },
            Step::Make {
                at: p("/h/.n/x"),
                link: Shape::Symlink {
                    text: p("/r/x"),
                    kind: Flavour::File,
                },
            },
        ];
        let after = run(
            &steps,
            &[
                ("/h/.c", link("/r/c")),
                (
                    "/h/.n",
                    Thing::Folder {
                        entries: vec![p("/h/.n/x")],
                    },
                ),
                ("/h/.n/x", link("/r/x")),
            ],
        );
        let with_flavour = |t: &str| Thing::Link {
            text: p(t),
            flavour: Some(Flavour::File),
        };
        assert_eq!(after[&p("/h/.gone")], with_flavour("/r/gone"));
        assert_eq!(after[&p("/h/.c")], with_flavour("/elsewhere"));
        assert_eq!(after[&p("/h/.n/x")], Thing::Missing);
        assert_eq!(after[&p("/h/.n")], Thing::Missing);
    }

    #[test]
    fn a_folder_made_that_holds_something_else_stays() {
        let steps = vec![Step::MakeFolder {
            dir: p("/h/.n"),
            mode: None,
        }];
        let now = [(
            "/h/.n",
            Thing::Folder {
                entries: vec![p("/h/.n/mine")],
            },
        )];
        let after = run(&steps, &now);
        assert!(matches!(after[&p("/h/.n")], Thing::Folder { .. }));
    }

    #[test]
    fn hard_links_are_undone_by_identity() {
        let steps = vec![
            Step::Make {
                at: p("/h/.x"),
                link: Shape::HardLink {
                    original: p("/r/x"),
                },
            },
            Step::Remove {
                at: p("/h/.y"),
                link: Shape::HardLink {
                    original: p("/r/y"),
                },
            },
        ];
        let after = run(
            &steps,
            &[(
                "/h/.x",
                Thing::HardLink {
                    original: p("/r/x"),
                },
            )],
        );
        assert_eq!(after[&p("/h/.x")], Thing::Missing);
        assert_eq!(
            after[&p("/h/.y")],
            Thing::HardLink {
                original: p("/r/y")
            }
        );
    }

    #[test]
    fn a_moved_thing_found_nowhere_is_a_failure() {
        let steps = vec![Step::Move {
            from: p("/h/.b"),
            to: p("/s/1/.b"),
        }];
        let (_, failures) = after_rollback(&steps, &HashMap::new());
        assert_eq!(failures, vec![p("/h/.b")]);
    }
}
