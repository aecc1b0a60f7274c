//! Random places through the planner: no panic, and the decision table's promises hold.
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::planner(data));
