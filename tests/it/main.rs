//! The integration tests: one binary, a module per area. Every test works in a throwaway home and
//! repo (see `harness`) and asserts what is on disk, the exit code and the output.

mod harness;

mod add;
mod apply;
mod bounded;
#[cfg(unix)]
mod bytes;
mod check_alone;
mod colour;
#[cfg(unix)]
mod concurrency;
mod containment;
#[cfg(unix)]
mod crash;
mod doctor;
mod examples;
mod fallback;
#[cfg(target_os = "linux")]
mod faults;
#[cfg(unix)]
mod folder_links;
#[cfg(unix)]
mod forged_records;
#[cfg(unix)]
mod fuzz;
mod hardlinks;
mod history;
mod init;
mod intent_format;
mod isolation;
mod man_page;
mod manifest_errors;
mod module_graph;
mod native;
mod operations;
mod output;
mod overlaps;
mod packages;
mod parallel;
mod pipeline;
#[cfg(unix)]
mod properties;
#[cfg(target_os = "linux")]
mod races;
mod readers;
#[cfg(unix)]
mod records;
mod schema;
mod selection;
mod shell;
mod snapshots;
#[cfg(unix)]
mod state_trust;
mod states;
pub(crate) mod trees;
mod truth;
mod windows_real;
mod writer_only;
