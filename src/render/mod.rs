//! Showing plans and results: [`human`] for people, [`json`] for programs, [`doctor`]'s table,
//! all in the colours of [`crate::color`].

pub mod diff;
pub mod doctor;
pub mod hint;
pub mod human;
pub mod json;
pub mod outputs;
