//! A file in the way shown against the original, as a unified diff.

use crate::plan::Entry;
use crate::show::Shown as _;

/// The unified diff of the file in the way at `e`'s place against the original (headed by
/// their paths), when the plan kept their texts.
pub fn unified(e: &Entry) -> Option<String> {
    let t = e.diff.as_ref()?;
    let d = &e.desired;
    Some(
        similar::TextDiff::from_lines(&t.there, &t.original)
            .unified_diff()
            .context_radius(3)
            .header(&d.at.shown().to_string(), &d.to.shown().to_string())
            .to_string(),
    )
}
