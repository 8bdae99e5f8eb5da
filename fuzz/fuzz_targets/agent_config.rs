#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| auditlake_fuzz::agent::agent_config(data));
