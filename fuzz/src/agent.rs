//! The agent configuration entry point the `agent_config` fuzz target calls, shared with
//! `crates/agent/tests/config_fuzz_corpus.rs` (which includes this file by path).

#![allow(dead_code)]

use auditlake_agent::Config;

/// Parses and validates configuration text; a configuration that validates must give every
/// source a profile that compiles.
pub fn agent_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = Config::parse(text) else {
        return;
    };
    for s in &config.sources {
        let p = config
            .profile(&s.profile)
            .unwrap_or_else(|| panic!("a valid config names a missing profile {}", s.profile));
        auditlake_normalize::Normalizer::new(&s.profile, &p)
            .unwrap_or_else(|e| panic!("a valid config has a profile that does not compile: {e}"));
    }
}
