//! The intent record's format: versioned since the steps became make, replace and remove of a
//! link of any [`Shape`]. An intent without a version was written by an older linkfile; it is
//! read into today's steps, so that recovery after an upgrade still rolls back an interrupted
//! run. One from a newer linkfile is refused, never guessed at (nor thrown away as torn).

use std::path::PathBuf;

use serde::Deserialize;

use super::{Intent, Shape, Step};
use crate::error::{Distrust, Error};
use crate::oplog::State;
use crate::platform::Flavour;

/// The format this linkfile writes, and the newest it reads.
pub(crate) const INTENT_VERSION: u32 = 2;

/// The steps of an intent without a version (format 1).
#[derive(Deserialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
enum OldStep {
    MakeFolder {
        #[serde(with = "crate::path_serde")]
        dir: PathBuf,
        #[serde(default)]
        mode: Option<u32>,
    },
    MakeLink {
        #[serde(with = "crate::path_serde")]
        at: PathBuf,
        #[serde(with = "crate::path_serde")]
        text: PathBuf,
        kind: Flavour,
    },
    ReplaceLink {
        #[serde(with = "crate::path_serde")]
        at: PathBuf,
        #[serde(with = "crate::path_serde")]
        old: PathBuf,
        #[serde(with = "crate::path_serde")]
        new: PathBuf,
        kind: Flavour,
        #[serde(default)]
        old_kind: Option<Flavour>,
    },
    RemoveLink {
        #[serde(with = "crate::path_serde")]
        at: PathBuf,
        #[serde(with = "crate::path_serde")]
        text: PathBuf,
        kind: Flavour,
    },
    Move {
        #[serde(with = "crate::path_serde")]
        from: PathBuf,
        #[serde(with = "crate::path_serde")]
        to: PathBuf,
    },
    RemoveFolder {
        #[serde(with = "crate::path_serde")]
        dir: PathBuf,
    },
    MakeHardLink {
        #[serde(with = "crate::path_serde")]
        at: PathBuf,
        #[serde(with = "crate::path_serde")]
        original: PathBuf,
    },
    Swap {
        #[serde(with = "crate::path_serde")]
        at: PathBuf,
        from: Shape,
        to: Shape,
    },
    RemoveHardLink {
        #[serde(with = "crate::path_serde")]
        at: PathBuf,
        #[serde(with = "crate::path_serde")]
        original: PathBuf,
    },
}

impl From<OldStep> for Step {
    fn from(old: OldStep) -> Step {
        let symlink = |text, kind| Shape::Symlink { text, kind };
        match old {
            OldStep::MakeFolder { dir, mode } => Step::MakeFolder { dir, mode },
            OldStep::MakeLink { at, text, kind } => Step::Make {
                at,
                link: symlink(text, kind),
            },
            OldStep::ReplaceLink {
                at,
                old,
                new,
                kind,
                old_kind,
            } => Step::Replace {
                at,
                from: symlink(old, old_kind.unwrap_or(kind)),
                to: symlink(new, kind),
            },
            OldStep::RemoveLink { at, text, kind } => Step::Remove {
                at,
                link: symlink(text, kind),
            },
            OldStep::Move { from, to } => Step::Move { from, to },
            OldStep::RemoveFolder { dir } => Step::RemoveFolder { dir },
            OldStep::MakeHardLink { at, original } => Step::Make {
                at,
                link: Shape::HardLink { original },
            },
            OldStep::Swap { at, from, to } => Step::Replace { at, from, to },
            OldStep::RemoveHardLink { at, original } => Step::Remove {
                at,
                link: Shape::HardLink { original },
            },
        }
    }
}

/// An intent without a version.
#[derive(Deserialize)]
struct OldIntent {
    op: u64,
    pid: u32,
    command: crate::command::Command,
    steps: Vec<OldStep>,
}

/// Just the version, read first: it says how to read the rest.
#[derive(Deserialize)]
struct Version {
    #[serde(default)]
    version: Option<u32>,
}

/// Reads an intent record's bytes: `Ok(None)` when they are torn (written before the first
/// step through a temporary file renamed into place, so a torn one never ran); an error when a
/// newer linkfile wrote them.
pub(super) fn parse(bytes: &[u8], path: PathBuf) -> Result<Option<Intent>, Error> {
    let Ok(Version { version }) = serde_json::from_slice::<Version>(bytes) else {
        return Ok(None);
    };
    match version {
        None => Ok(serde_json::from_slice::<OldIntent>(bytes)
            .ok()
            .map(|old| Intent {
                op: old.op,
                pid: old.pid,
                command: old.command,
                steps: old.steps.into_iter().map(Step::from).collect(),
                version: INTENT_VERSION,
            })),
        Some(v) if v > INTENT_VERSION => Err(Error::UntrustedState {
            path,
            why: Distrust::NewerIntent {
                version: v,
                reads: INTENT_VERSION,
            },
        }),
        Some(_) => Ok(serde_json::from_slice::<Intent>(bytes).ok()),
    }
}

/// The intent `state` holds, if any (see [`parse`]).
pub(crate) fn read(state: &State) -> Result<Option<Intent>, Error> {
    match state.read_intent()? {
        Some(bytes) => parse(&bytes, state.intent_path()),
        None => Ok(None),
    }
}
