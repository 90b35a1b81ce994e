#![no_main]
// The body is hotline_app::fuzzing::calendar_json, also replayed on stable by
// crates/app/tests/fuzz_seeds.rs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hotline_app::fuzzing::calendar_json(data));
