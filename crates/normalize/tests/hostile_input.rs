//! The stable-toolchain fallback of the fuzz targets in `fuzz/`: bounded property tests over
//! arbitrary bytes and hostile values, a few huge inputs, and a replay of every committed fuzz
//! corpus file, all through the entry points the fuzz targets call (`fuzz/src/normalize.rs`,
//! included here by path). Each must return without panicking; the whole file runs in seconds.

#[path = "../../../fuzz/src/normalize.rs"]
mod harness;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use proptest::prelude::*;

/// A fuzz target by name: its entry point.
type Target = (&'static str, fn(&[u8]));

/// Every line entry point, each given the same bytes.
const LINE_TARGETS: &[Target] = &[
    ("json_line", harness::json_line),
    ("changes_line", harness::changes_line),
    ("logfmt_line", harness::logfmt_line),
    ("regex_line", harness::regex_line),
    ("time_value", harness::time_value),
];

fn every_target(data: &[u8]) {
    for (_, f) in LINE_TARGETS {
        f(data);
    }
}

/// Values hostile users type into fields: terminal escapes, NUL and other controls, bidi and
/// BOM characters, huge and malformed numbers, absurd dates, syslog repetition markers.
fn hostile_value() -> impl Strategy<Value = String> {
    let fragments = prop::sample::select(vec![
        "\u{1b}[2J\u{1b}[H",
        "\u{1b}]0;owned\u{7}",
        "\u{0}",
        "\r",
        "\n",
        "\u{202e}",
        "\u{feff}",
        "\u{10ffff}",
        "\\",
        "\"",
        "\\u0000",
        "\\ud800",
        "=",
        " ",
        "1e400",
        "-0",
        "NaN",
        "18446744073709551616",
        "-9223372036854775809",
        "340282366920938463463374607431768211456",
        "99999999999999999999999999999",
        "0000-01-01T00:00:00Z",
        "0000-00-00T00:00:00",
        "99999-12-31T23:59:59Z",
        "+262143-12-31T23:59:59Z",
        "9999-12-31T23:59:59.999999999-23:59",
        "2026-02-30T25:61:61Z",
        "Feb 29 24:00:00",
        "Dec 31 23:59:60",
        "message repeated 18446744073709551615 times: [ ",
        "message repeated 4294967296 times: [ x]",
        "message repeated 0 times: [",
        "%",
        "{",
        "[",
    ]);
    prop::collection::vec(
        prop_oneof![fragments.prop_map(str::to_owned), ".{0,12}"],
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

/// Lines of each format with a hostile value in the places that matter.
fn hostile_lines(v: &str) -> Vec<Vec<u8>> {
    let j = serde_json::Value::from(v).to_string();
    let mut lines = Vec::new();
    for (sel, line) in [
        (
            0u8,
            format!(r#"{{"time":{j},"action":{j},"actor":{{"id":{j}}},"id":{j}}}"#),
        ),
        (
            1,
            format!(r#"{{"type":"USER_CREATED","context":{{"timestamp":{j},"user_id":{j}}}}}"#),
        ),
        (
            2,
            format!(
                r#"{{"ts":{j},"event":"asset.created","changes":{{{j}:{{"from":{j},"to":{j}}}}}}}"#
            ),
        ),
        (
            3,
            format!(
                r#"{{"ts":{j},"type":{j},"user_id":"u","changes":[{{"field":{j},"old":{j},"new":{v:?}}}]}}"#
            ),
        ),
        (
            3,
            format!(
                r#"{{"ts":"2026-11-22T08:00:01Z","type":"LOGIN","login":{{"user":{j}}},"before":{{{j}:1}},"after":{{{j}:{j}}}}}"#
            ),
        ),
    ] {
        lines.push([&[sel][..], line.as_bytes()].concat());
    }
    for sel in 0..8u8 {
        lines.push(
            [&[sel][..], format!(r#"{{"ts":"2026-11-22T08:00:01Z","type":"a.b","user_id":"u","changes":{{{j}:{j}}},"before":{{"k":{j}}},"after":{{{j}:0}},"field":{j},"old":{j},"new":{j}}}"#).as_bytes()].concat(),
        );
    }
    for sel in 0..2u8 {
        lines.push(
            [
                &[sel][..],
                format!("time={v} ts={v} event={v} user={v} msg=\"{v}").as_bytes(),
            ]
            .concat(),
        );
        lines.push(
            [
                &[sel][..],
                format!("Nov 21 10:15:01 host sshd[1]: {v}").as_bytes(),
            ]
            .concat(),
        );
        lines.push(
            [
                &[sel][..],
                format!(
                    "2026-11-21 10:15:01 host app: message repeated {v} times: [ login ok user={v}]"
                )
                .as_bytes(),
            ]
            .concat(),
        );
    }
    for sel in 0..harness::TIME_FORMATS.len() as u8 {
        lines.push([&[sel, 0][..], v.as_bytes()].concat());
        lines.push([&[sel, 1][..], v.as_bytes()].concat());
    }
    lines
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_reach_every_line_parser(data in prop::collection::vec(any::<u8>(), 0..600)) {
        every_target(&data);
    }

    #[test]
    fn arbitrary_text_reaches_every_line_parser(sel in any::<u8>(), mode in any::<u8>(), text in "\\PC{0,300}") {
        every_target(&[&[sel, mode][..], text.as_bytes()].concat());
    }

    #[test]
    fn hostile_values_in_every_line_shape(v in hostile_value()) {
        for line in hostile_lines(&v) {
            every_target(&line);
        }
    }

    #[test]
    fn absurd_epochs_and_observed_times(sel in any::<u8>(), n in any::<i128>(), f in any::<f64>(), observed in any::<i64>()) {
        for value in [n.to_string(), format!("{f:e}"), format!("\"{n}\""), format!("{f}")] {
            let data = [&[sel, 3][..], &observed.to_le_bytes(), value.as_bytes()].concat();
            harness::time_value(&data);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_profile_files_load_or_fail_cleanly(
        which in 0..5usize,
        at in any::<prop::sample::Index>(),
        cut in 0..40usize,
        insert in hostile_value(),
    ) {
        let files = builtin_files();
        let text = &files[which];
        let mut at = at.index(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + cut).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mutated = format!("{}{insert}{}", &text[..at], &text[end..]);
        harness::profile_config(mutated.as_bytes());
    }

    #[test]
    fn arbitrary_profile_text_loads_or_fails_cleanly(text in "\\PC{0,400}") {
        harness::profile_config(text.as_bytes());
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn builtin_files() -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(root().join("config/profiles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// Runs `f` and fails if it takes longer than `limit` (a debug build; the release agent is far
/// faster): quadratic work on a long line shows as minutes.
fn within(limit: Duration, what: &str, f: impl FnOnce()) {
    let started = Instant::now();
    f();
    let took = started.elapsed();
    assert!(took < limit, "{what} took {took:?}");
}

#[test]
fn deeply_nested_json_is_rejected_without_overflow() {
    for open in ["[", "{\"a\":", "{\"changes\":[", "{\"before\":{\"a\":"] {
        let line = open.repeat(100_000);
        for sel in 0..8u8 {
            harness::json_line(&[&[sel][..], line.as_bytes()].concat());
            harness::changes_line(&[&[sel][..], line.as_bytes()].concat());
        }
    }
    // Nesting within serde_json's limit, under columns, changes and attributes.
    let line = format!(
        r#"{{"ts":"2026-11-22T08:00:01Z","type":"a.b","user_id":"u","changes":{}1{},"x":{}"y"{}}}"#,
        "[".repeat(100),
        "]".repeat(100),
        "{\"a\":".repeat(100),
        "}".repeat(100)
    );
    for sel in 0..8u8 {
        harness::changes_line(&[&[sel][..], line.as_bytes()].concat());
        harness::json_line(&[&[sel][..], line.as_bytes()].concat());
    }
}

#[test]
fn megabyte_lines_through_every_parser() {
    const MB: usize = 1 << 20;
    let big = "x".repeat(MB);
    let lines: Vec<Vec<u8>> = vec![
        big.clone().into_bytes(),
        format!(r#"{{"ts":"2026-11-22T08:00:01Z","type":"a.b","user_id":"{big}"}}"#).into_bytes(),
        format!(r#"{{"ts":"{big}","type":"{big}"}}"#).into_bytes(),
        "{\"a\":1,".repeat(MB / 8).into_bytes(),
        format!("{{{}\"z\":0}}", "\"k\":[1,2,3],".repeat(MB / 12)).into_bytes(),
        format!("time=2026-11-22T08:00:01Z event=login user_id={big} msg=\"{big}").into_bytes(),
        "a=b ".repeat(MB / 4).into_bytes(),
        "k ".repeat(MB / 2).into_bytes(),
        "\\\"".repeat(MB / 2).into_bytes(),
        format!("Nov 21 10:15:01 host sshd[1]: Failed password for {big} from 1.2.3.4 port 1 ssh2").into_bytes(),
        format!("Nov 21 10:15:01 host sshd[1]: message repeated 10000 times: [ Failed password for {big} from 1.2.3.4 port 1 ssh2]").into_bytes(),
        vec![0xff; MB],
        vec![0; MB],
        "\u{1b}[31m".repeat(MB / 5).into_bytes(),
    ];
    for line in &lines {
        within(Duration::from_secs(20), "a 1 MB line", || {
            for sel in 0..8u8 {
                every_target(&[&[sel][..], line].concat());
            }
        });
    }
}

#[test]
fn many_keys_in_before_after_and_map_changes_stay_linear() {
    let keys = |v: u32| {
        let body: Vec<String> = (0..50_000).map(|i| format!(r#""k{i}":{v}"#)).collect();
        body.join(",")
    };
    let line = format!(
        r#"{{"ts":"2026-11-22T08:00:01Z","type":"a.b","user_id":"u","before":{{{}}},"after":{{{}}},"changes":{{{}}}}}"#,
        keys(1),
        keys(2),
        keys(3)
    );
    within(Duration::from_secs(20), "50k changed keys", || {
        for sel in 0..8u8 {
            harness::changes_line(&[&[sel][..], line.as_bytes()].concat());
        }
    });
}

/// Every file of the committed fuzz corpus (and any crash artifact kept as a regression) replays
/// through its target, so what fuzzing found stays fixed on stable.
#[test]
fn fuzz_corpus_replays() {
    let targets: &[Target] = &[
        ("json_line", harness::json_line),
        ("changes_line", harness::changes_line),
        ("logfmt_line", harness::logfmt_line),
        ("regex_line", harness::regex_line),
        ("time_value", harness::time_value),
        ("profile_config", harness::profile_config),
    ];
    for (target, f) in targets {
        let mut n = 0;
        for dir in ["corpus", "regressions"] {
            let dir = root().join("fuzz").join(dir).join(target);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let data = std::fs::read(&path).unwrap();
                let started = Instant::now();
                f(&data);
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "{} is slow",
                    path.display()
                );
                n += 1;
            }
        }
        assert!(n > 0, "no corpus for {target} under fuzz/corpus");
    }
}
