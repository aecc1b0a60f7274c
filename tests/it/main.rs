//! The integration tests: one binary, a module per area. Every test works in a throwaway home and
//! repo (see `harness`) and asserts what is on disk, the exit code and the output.

mod harness;

mod apply;
#[cfg(unix)]
mod concurrency;
#[cfg(unix)]
mod crash;
mod doctor;
mod examples;
mod fallback;
#[cfg(target_os = "linux")]
mod faults;
mod hardlinks;
mod manifest_errors;
mod operations;
mod output;
#[cfg(unix)]
mod properties;
mod schema;
mod states;
pub(crate) mod trees;
mod truth;
