//! The planner: a pure function from (what is wanted, what is there) to actions.
//!
//! No filesystem here. Each link's [`Input`] is what [`crate::resolve`] wants and what
//! [`crate::observe`] saw; [`plan`] decides, per link, one [`Action`] and, for fixes and
//! conflicts, a [`Reason`]. The table-driven tests at the bottom cover every state.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Serialize;

use crate::manifest::EntryKind;
use crate::observe::Actual;
use crate::resolve::Desired;

/// What the planner knows about one link.
#[derive(Debug, Clone)]
pub struct Input {
    /// The link the manifest wants.
    pub desired: Desired,
    /// What the original is; `None` when it is missing from the repo.
    pub original: Option<EntryKind>,
    /// What is at the link's place.
    pub actual: Actual,
    /// For a file in the way of a file link: the file's text and the original's, when both are
    /// small text files.
    pub texts: Option<(String, String)>,
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
        }
    }
}

/// The planned fate of one link.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The link the manifest wants.
    pub desired: Desired,
    /// What the original is, when it exists.
    pub kind: Option<EntryKind>,
    /// What apply will do.
    pub action: Action,
    /// Why, for fixes and conflicts.
    pub reason: Option<Reason>,
    /// What was observed at the link's place; apply checks it still holds before writing.
    pub observed: Actual,
    /// A unified diff between a file in the way and the original.
    pub diff: Option<String>,
    /// What the user can do about a conflict.
    pub hint: Option<String>,
}

impl Entry {
    /// The current text of the link in the way (for fixes).
    pub fn current_text(&self) -> Option<&Path> {
        match &self.observed {
            Actual::Link { text, .. } => Some(text),
            _ => None,
        }
    }
}

/// Every link's planned fate, in manifest order.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// One entry per wanted link.
    pub entries: Vec<Entry>,
}

/// How many entries take each action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub ok: usize,
    pub create: usize,
    pub fix: usize,
    pub remove: usize,
    pub conflict: usize,
}

impl Plan {
    /// How many entries take each action.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for e in &self.entries {
            match e.action {
                Action::Ok => c.ok += 1,
                Action::Create => c.create += 1,
                Action::Fix => c.fix += 1,
                Action::Remove => c.remove += 1,
                Action::Conflict => c.conflict += 1,
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
}

/// Plans every link.
pub fn plan(inputs: Vec<Input>) -> Plan {
    Plan {
        entries: inputs.into_iter().map(plan_one).collect(),
    }
}

fn plan_one(input: Input) -> Entry {
    let Input {
        desired,
        original,
        actual,
        texts,
    } = input;
    let (action, reason) = decide(original, &desired.link_text, &actual);
    let hint = match reason {
        Some(Reason::OriginalMissing) => Some(original_missing_hint(&desired, &actual)),
        Some(Reason::FileInTheWay | Reason::DirInTheWay | Reason::OtherInTheWay) => Some(format!(
            "move {} out of the way (or into the repo as {}), then apply again",
            desired.at.display(),
            desired.to.display()
        )),
        Some(Reason::ParentIsFile) => match &actual {
            Actual::ParentIsFile(p) => Some(format!(
                "{} is a file, so nothing can be made inside it; move it away or change `at`",
                p.display()
            )),
            _ => None,
        },
        _ => None,
    };
    let same = matches!(&texts, Some((there, original)) if there == original);
    let hint = if same {
        Some(format!(
            "{} has the same contents as the original: remove it, then apply again",
            desired.at.display()
        ))
    } else {
        hint
    };
    let diff = match (reason, texts) {
        (Some(Reason::FileInTheWay), Some((there, original))) if !same => Some(
            similar::TextDiff::from_lines(&there, &original)
                .unified_diff()
                .context_radius(3)
                .header(&desired.at.to_string_lossy(), &desired.to.to_string_lossy())
                .to_string(),
        ),
        _ => None,
    };
    Entry {
        desired,
        kind: original,
        action,
        reason,
        observed: actual,
        diff,
        hint,
    }
}

/// The decision table.
fn decide(original: Option<EntryKind>, wanted: &Path, actual: &Actual) -> (Action, Option<Reason>) {
    use Action::*;
    let Some(kind) = original else {
        return (Conflict, Some(Reason::OriginalMissing));
    };
    match actual {
        Actual::Missing => (Create, None),
        Actual::Link { text, flavour, .. } if text == wanted => match flavour {
            Some(f) if *f != kind => (Fix, Some(Reason::WrongType)),
            _ => (Ok, None),
        },
        Actual::Link {
            target_exists: false,
            ..
        } => (Fix, Some(Reason::Dangling)),
        Actual::Link { .. } => (Fix, Some(Reason::WrongTarget)),
        Actual::File => (Conflict, Some(Reason::FileInTheWay)),
        Actual::Dir => (Conflict, Some(Reason::DirInTheWay)),
        Actual::Other => (Conflict, Some(Reason::OtherInTheWay)),
        Actual::ParentIsFile(_) => (Conflict, Some(Reason::ParentIsFile)),
    }
}

fn original_missing_hint(d: &Desired, actual: &Actual) -> String {
    let shown = PathBuf::from(&d.to_raw);
    match actual {
        Actual::File | Actual::Dir => format!(
            "{} is not in the repo, but {} exists: did you swap at and to? `at` is where the link goes, `to` the original in the repo; to keep that {}, move it into the repo as {} first",
            shown.display(),
            d.at.display(),
            if *actual == Actual::File {
                "file"
            } else {
                "folder"
            },
            d.to.display()
        ),
        _ => format!("create {} in the repo, or fix `to`", d.to.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired() -> Desired {
        Desired {
            at: "/h/.vimrc".into(),
            to: "/r/vim/vimrc".into(),
            link_text: "/r/vim/vimrc".into(),
            kind: None,
            at_span: 0..1,
            to_span: 0..1,
            to_raw: "vim/vimrc".into(),
        }
    }

    fn link(text: &str, exists: bool, flavour: Option<EntryKind>) -> Actual {
        Actual::Link {
            text: text.into(),
            flavour,
            target_exists: exists,
        }
    }

    #[test]
    fn decision_table() {
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
            let e = plan_one(Input {
                desired: desired(),
                original,
                actual: actual.clone(),
                texts: None,
            });
            assert_eq!(
                (e.action, e.reason),
                (action, reason),
                "{original:?} {actual:?}"
            );
        }
    }

    #[test]
    fn swapped_at_and_to_is_suggested_when_the_file_is_at_at() {
        let e = plan_one(Input {
            desired: desired(),
            original: None,
            actual: Actual::File,
            texts: None,
        });
        assert!(e.hint.unwrap().contains("did you swap at and to?"));
        let e = plan_one(Input {
            desired: desired(),
            original: None,
            actual: Actual::Missing,
            texts: None,
        });
        assert!(!e.hint.unwrap().contains("swap"));
    }

    #[test]
    fn file_in_the_way_gets_a_diff() {
        let e = plan_one(Input {
            desired: desired(),
            original: Some(EntryKind::File),
            actual: Actual::File,
            texts: Some(("set nu\n".into(), "set nu\nsyntax on\n".into())),
        });
        let diff = e.diff.unwrap();
        assert!(diff.contains("+syntax on"), "{diff}");
        assert!(diff.contains("--- /h/.vimrc"), "{diff}");
    }

    #[test]
    fn counts() {
        let p = plan(vec![
            Input {
                desired: desired(),
                original: Some(EntryKind::File),
                actual: Actual::Missing,
                texts: None,
            },
            Input {
                desired: desired(),
                original: Some(EntryKind::File),
                actual: Actual::File,
                texts: None,
            },
        ]);
        let c = p.counts();
        assert_eq!((c.create, c.conflict, c.changes()), (1, 1, 1));
    }
}
