//! Manifest text (raw, or a valid manifest mutated) through parse, resolve and the checks that
//! need the originals' kinds: no panic, every error inside the text with a hint.
#![no_main]

#[path = "../bodies.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::manifest(data));
