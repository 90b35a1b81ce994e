#![no_main]
// The body is hotline_app::fuzzing::csv, also replayed on stable by
// crates/app/tests/fuzz_seeds.rs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hotline_app::fuzzing::csv(data));
