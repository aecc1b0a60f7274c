//! The JSON of the commands other than `plan` and `apply`: an error under `--json`, `doctor
//! --json` and `recover --json`. Their schemas (`schemas/error.schema.json`,
//! `schemas/doctor.schema.json`, `schemas/recover.schema.json`) are generated from these types.

use schemars::JsonSchema;
use serde::Serialize;

use crate::error::{Diagnostic, Error};
use crate::show::Shown as _;

/// What a command given `--json` prints on stdout when it fails (exit 1, or 3 when another
/// linkfile holds the lock). `apply`, `undo` and `unlink` refused on conflicts print their
/// report (schemas/plan.schema.json) with this `error` in it instead.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "linkfile error")]
pub struct ErrorReport {
    /// The error (for an invalid manifest, its first problem).
    pub error: ErrorDetail,
    /// Every problem of an invalid manifest, in order (the first is `error`); absent for
    /// other errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ErrorDetail>>,
}

/// One error.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorDetail {
    /// What happened, to which path.
    pub message: String,
    /// What to do about it, when there is something to do.
    pub hint: Option<String>,
    /// For a problem in the manifest: the manifest's path, as shown on stderr.
    pub file: Option<String>,
    /// For a problem in the manifest: the 1-based line.
    pub line: Option<usize>,
    /// For a problem in the manifest: the 1-based column, in characters.
    pub column: Option<usize>,
}

impl ErrorDetail {
    fn of_diagnostic(d: &Diagnostic) -> Self {
        ErrorDetail {
            message: d.message.clone(),
            hint: d.hint.clone(),
            file: Some(d.file.shown().to_string()),
            line: Some(d.line),
            column: Some(d.column),
        }
    }

    /// The error as a program reads it.
    pub fn of(e: &Error) -> Self {
        match e {
            Error::Manifest(ds) if !ds.is_empty() => Self::of_diagnostic(&ds[0]),
            _ => ErrorDetail {
                message: e.to_string(),
                hint: e.hint(),
                file: None,
                line: None,
                column: None,
            },
        }
    }
}

impl ErrorReport {
    /// The report of `e`.
    pub fn of(e: &Error) -> Self {
        let errors = match e {
            Error::Manifest(ds) => Some(ds.iter().map(ErrorDetail::of_diagnostic).collect()),
            _ => None,
        };
        ErrorReport {
            error: ErrorDetail::of(e),
            errors,
        }
    }
}

/// What `recover --json` prints.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "linkfile recover")]
pub struct RecoverReport {
    /// Whether an interrupted operation was found and rolled back.
    pub recovered: bool,
    /// What was done, as `recover` says it without `--json`; absent when nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What `doctor --json` prints.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "linkfile doctor")]
pub struct DoctorReport {
    /// Whether every link can be made as the manifest asks (the exit code is 0 then, else 1).
    pub ok: bool,
    /// How many links the manifest has here.
    pub links: usize,
    /// Windows: whether Developer Mode is on; absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub developer_mode: Option<bool>,
    /// Windows: whether this process is elevated; absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elevated: Option<bool>,
    /// One entry per folder the manifest links into, in path order.
    pub folders: Vec<DoctorFolder>,
}

/// What could be made in one folder.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DoctorFolder {
    /// The folder tried (absolute).
    pub folder: String,
    /// How many of the manifest's links go there.
    pub links: usize,
    /// Whether every link into it can be made as the manifest asks.
    pub ok: bool,
    /// The symlink probe: null when made, else why not.
    pub symlink: Option<String>,
    /// The hard link probe: absent when the manifest has no file original; null when made,
    /// else why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardlink: Option<Option<String>>,
    /// The junction probe (Windows): absent when not tried; null when made, else why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub junction: Option<Option<String>>,
    /// What apply would make there: for each primitive, how many links.
    pub uses: std::collections::BTreeMap<String, usize>,
    /// Links no primitive fits, and why.
    pub refused: Vec<String>,
}

impl DoctorReport {
    /// The report of what `doctor` found.
    pub fn of(r: &crate::doctor::Report) -> Self {
        let why = |p: &Result<(), String>| p.as_ref().err().cloned();
        DoctorReport {
            ok: r.ok(),
            links: r.links,
            developer_mode: r.developer_mode,
            elevated: r.elevated,
            folders: r
                .folders
                .iter()
                .map(|f| DoctorFolder {
                    folder: f.folder.to_string_lossy().into_owned(),
                    links: f.links,
                    ok: f.ok(),
                    symlink: why(&f.symlink),
                    hardlink: f.hardlink.as_ref().map(why),
                    junction: f.junction.as_ref().map(why),
                    uses: f
                        .uses
                        .iter()
                        .map(|(k, (n, _))| (k.to_string(), *n))
                        .collect(),
                    refused: f.refused.clone(),
                })
                .collect(),
        }
    }
}

/// Pretty JSON with a final newline.
pub fn to_json<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("a report always serialises");
    s.push('\n');
    s
}

/// The schema of `T`, as committed in `schemas/`.
fn schema_of<T: JsonSchema>() -> String {
    to_json(&schemars::schema_for!(T))
}

/// `schemas/error.schema.json`.
pub fn error_schema() -> String {
    schema_of::<ErrorReport>()
}

/// `schemas/doctor.schema.json`.
pub fn doctor_schema() -> String {
    schema_of::<DoctorReport>()
}

/// `schemas/recover.schema.json`.
pub fn recover_schema() -> String {
    schema_of::<RecoverReport>()
}

/// What `log --json` prints: the operation records, newest first, as kept in the state folder.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "linkfile log")]
pub struct LogReport(pub Vec<crate::oplog::Operation>);

/// `schemas/log.schema.json`.
pub fn log_schema() -> String {
    schema_of::<LogReport>()
}
