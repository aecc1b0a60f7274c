//! The JSON report of `plan --json` and `apply --json` (a contract: design.md §3). Its schema,
//! `schemas/plan.schema.json`, is generated from these types.

use schemars::JsonSchema;
use serde::Serialize;

use crate::manifest::{EntryKind, LinkType};
use crate::plan::{Action, Plan, Reason, Resolution};

/// The report `plan --json` and `apply --json` print.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "linkfile plan")]
pub struct Report {
    /// Version of this report format: 1.
    pub version: u32,
    /// How many links apply creates, fixes or removes.
    pub changes: usize,
    /// How many links are in conflict.
    pub conflicts: usize,
    /// `apply --json` only: whether the changes were made (false for a dry run or an error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<bool>,
    /// `apply --json` only: whether this was a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// One entry per link in the manifest, in manifest order, then one per link linkfile owns
    /// that is no longer wanted.
    pub entries: Vec<ReportEntry>,
    /// The manifest's entries that do not apply on this machine (`when`), as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedEntry>,
    /// Present (true) when an interrupted operation is pending: the next apply, undo or unlink
    /// (or `linkfile recover`) rolls it back first, and this plan is as it will be then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<bool>,
    /// `apply`, `undo`, `unlink --json`: why nothing was changed (conflicts, a failed write
    /// rolled back), as in schemas/error.schema.json; absent on success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::render::outputs::ErrorDetail>,
}

/// An entry whose `when` does not hold on this machine.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SkippedEntry {
    /// Its `at`, as written in the manifest.
    pub at: String,
    /// Its `to`, as written in the manifest.
    pub to: String,
    /// Which condition does not hold, e.g. `os is linux, not windows`.
    pub why: String,
}

/// One link in the report.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReportEntry {
    /// Where the link goes (absolute).
    pub at: String,
    /// The original it points to (absolute).
    pub to: String,
    /// The text the link holds when right (equals `to` unless `relative`).
    pub link_text: String,
    /// What makes the link: `symlink`, `hardlink` (then `link_text` is the original's path)
    /// or `junction` (then `link_text` is `to`); with `fallback`, the one that stands in.
    pub link_type: LinkType,
    /// Why `link_type` stands in for the symlink the manifest asked for (`fallback`): what
    /// refused the symlink.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// What the original is; absent when it is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<EntryKind>,
    /// What apply does for this link.
    pub action: Action,
    /// Why, for `fix` and `conflict`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// How something in the way is dealt with (`backup`, `adopt`, `same-content`), or
    /// `restore` when a backup is put back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// The text of the link there now, when a link is there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_text: Option<String>,
    /// For a file in the way of a file link: a unified diff from that file to the original.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// What to do about a conflict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// With `parent-is-link`: the folder on the way that is a link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder_link: Option<FolderLinkEntry>,
    /// `at` lies outside the home folder (present only then). Under `--home` or
    /// `LINKFILE_HOME` such a link is a manifest error instead.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outside_home: bool,
    /// What the plan warns about (Windows: a symlink on a network folder, which Windows does
    /// not follow by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// A folder on the way to a link's place that is itself a link.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FolderLinkEntry {
    /// Where the folder link is (absolute).
    pub at: String,
    /// Its text.
    pub text: String,
    /// Whether it leads into this repo (by real path).
    pub into_repo: bool,
}

impl Report {
    /// The report of `plan`.
    pub fn new(plan: &Plan) -> Report {
        let c = plan.counts();
        Report {
            version: 1,
            changes: c.changes(),
            conflicts: c.conflict,
            applied: None,
            dry_run: None,
            entries: plan
                .entries
                .iter()
                .map(|e| ReportEntry {
                    at: e.desired.at.to_string_lossy().into_owned(),
                    to: e.desired.to.to_string_lossy().into_owned(),
                    link_text: e.desired.link_text().to_string_lossy().into_owned(),
                    link_type: e.desired.link_type,
                    fallback: e.desired.fell_back().map(str::to_string),
                    kind: e.kind,
                    action: e.action(),
                    reason: e.reason,
                    resolution: e.resolution(),
                    current_text: e.current_text().map(|t| t.to_string_lossy().into_owned()),
                    diff: super::diff::unified(e),
                    hint: super::hint::text(e),
                    folder_link: e.folder_link.as_ref().map(|l| FolderLinkEntry {
                        at: l.at.to_string_lossy().into_owned(),
                        text: l.text.to_string_lossy().into_owned(),
                        into_repo: l.into_repo,
                    }),
                    outside_home: plan.home.as_ref().is_some_and(|home| {
                        !crate::paths::within(&e.desired.at, home, crate::platform::Os::HOST)
                    }),
                    warning: e.desired.warning().map(str::to_string),
                })
                .collect(),
            skipped: plan
                .skipped
                .iter()
                .map(|s| SkippedEntry {
                    at: s.at.clone(),
                    to: s.to.clone(),
                    why: s.why.clone(),
                })
                .collect(),
            interrupted: None,
            error: None,
        }
    }

    /// The JSON text, pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report always serialises");
        s.push('\n');
        s
    }
}

/// The JSON Schema of [`Report`], as committed in `schemas/plan.schema.json`.
pub fn schema() -> String {
    let mut s = serde_json::to_string_pretty(&schemars::schema_for!(Report))
        .expect("a schema always serialises");
    s.push('\n');
    s
}
