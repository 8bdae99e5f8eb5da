//! Fuzzing entry points for every parser a log line (or a configuration) reaches. The targets in
//! `fuzz_targets/` are one line each; the stable smoke tests include these files by path.

pub mod normalize;

#[cfg(feature = "agent")]
pub mod agent;
