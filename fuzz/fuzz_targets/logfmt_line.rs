#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auditlake_fuzz::normalize::logfmt_line(data));
