//! Showing plans and results: [`human`] for people, [`json`] for programs.

pub mod doctor;
pub mod human;
pub mod json;
pub mod outputs;
pub mod palette;
