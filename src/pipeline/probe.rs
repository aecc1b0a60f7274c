//! The probe stage: which primitive makes each link that asks for a symlink with a `fallback`
//! (or for a junction by name).
//!
//! The one stage outside the writer that writes: whether this system lets a symlink (or a
//! junction, or a hard link) be made in a folder is known only by making one, under a
//! temporary name that is removed at once ([`primitive::Probes`]). Asking before the plan is
//! made lets the plan say which primitive stands in, and lets apply refuse whole instead of
//! failing half way. Nothing is tried for a link already right, so a plan of a home as the
//! manifest wants it writes nothing.

use std::path::Path;

use super::places::already_right;
use crate::manifest::LinkType;
use crate::observe::Actual;
use crate::plan::Input;
use crate::primitive;

/// Chooses the primitive of every record that may fall back (trying each once per folder), and
/// notes why none fits as the record's obstacle. The places were observed before, as they are
/// whichever primitive is chosen ([`super::place_unprobed`]): only a hard link to the original
/// is seen as such where a hard link is chosen.
pub(super) fn fallbacks(records: &mut [Input], home: &Path) {
    let probed =
        |r: &Input| !r.desired.fallback().is_empty() || r.desired.link_type == LinkType::Junction;
    if !records.iter().any(probed) {
        return;
    }
    let mut probes = primitive::Probes::new(home);
    for r in records.iter_mut() {
        let Some(kind) = r.original else { continue };
        if already_right(&r.desired, r.original, &r.actual) {
            continue;
        }
        r.obstacle = probes.choose(&mut r.desired, kind).map(Box::new);
    }
    for r in records {
        if r.actual == Actual::HardLinked && r.desired.link_type != LinkType::Hardlink {
            r.actual = Actual::File;
        }
    }
}
