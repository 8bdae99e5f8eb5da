//! The stable-toolchain fallback of the `agent_config` fuzz target: mutated and arbitrary
//! configuration text, and a replay of the committed fuzz corpus, through the entry point the
//! target calls (`fuzz/src/agent.rs`, included here by path).

#[path = "../../../fuzz/src/agent.rs"]
mod harness;

use std::path::PathBuf;

use proptest::prelude::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn config_files() -> Vec<String> {
    ["config/quickstart.toml", "config/alerts.toml"]
        .iter()
        .map(|p| std::fs::read_to_string(root().join(p)).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_config_files_load_or_fail_cleanly(
        which in 0..2usize,
        at in any::<prop::sample::Index>(),
        cut in 0..40usize,
        insert in prop_oneof![
            Just(String::new()),
            Just("\u{0}".to_owned()),
            Just("18446744073709551616".to_owned()),
            Just("-1".to_owned()),
            Just("[profiles.x]\nformat = \"regex\"\npattern = \"(?P<a>".to_owned()),
            Just("\n[[sources]]\nname = \"\u{1b}[2J\"\n".to_owned()),
            "\\PC{0,20}",
        ],
    ) {
        let files = config_files();
        let text = &files[which];
        let mut at = at.index(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + cut).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        harness::agent_config(format!("{}{insert}{}", &text[..at], &text[end..]).as_bytes());
    }

    #[test]
    fn arbitrary_config_text_loads_or_fails_cleanly(text in "\\PC{0,300}") {
        harness::agent_config(text.as_bytes());
    }
}

/// Every file of the committed `agent_config` fuzz corpus replays without a panic.
#[test]
fn agent_config_fuzz_corpus_replays() {
    let mut n = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root().join("fuzz").join(dir).join("agent_config"))
        else {
            continue;
        };
        for entry in entries {
            harness::agent_config(&std::fs::read(entry.unwrap().path()).unwrap());
            n += 1;
        }
    }
    assert!(n > 0, "no corpus under fuzz/corpus/agent_config");
}
