//! Showing plans and results: [`human`] for people, [`json`] for programs.

pub mod diff;
pub mod hint;
pub mod human;
pub mod json;
pub mod outputs;
