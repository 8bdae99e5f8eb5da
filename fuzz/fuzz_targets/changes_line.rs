#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auditlake_fuzz::normalize::changes_line(data));
