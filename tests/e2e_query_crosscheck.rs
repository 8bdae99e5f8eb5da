//! The cross-check suite of `auditlake query`, `report`, `export` and `ddl`: a generated archive
//! of about 45,000 events over 30 days (four applications and profiles, three tiers, IPv4 and
//! IPv6, failure bursts, lockouts, security keys, changes with before/after values) is built once
//! by `auditlake agent --once`, and every filter and report is asked of DuckDB on the same files.

mod util;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use util::*;

/// The generated archive, shared by every test of this file.
struct Fixture {
    dir: PathBuf,
    /// The end of the generated logs: every event is before it.
    end: DateTime<Utc>,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

const TIERS: &str = r#"
[[tiers]]
name = "security"
retention_days = 2555
match = { categories = ["authentication", "credential", "account", "session", "identity"], actions = ["data.export", "resource.secret_view"] }

[[tiers]]
name = "operational"
retention_days = 90
match = { categories = ["message"], actions = ["system.report.generate"] }

[[tiers]]
name = "standard"
retention_days = 365
"#;

/// Generates the logs and archives them: small batches and row groups, so that a day has
/// several objects and a busy day's objects several row groups for pruning to skip.
fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("query-crosscheck");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        let end = Utc::now();
        run_ok(
            std::process::Command::new(python())
                .arg(repo_root().join("tests/gen_crosscheck_logs.py"))
                .args(["--out", "logs", "--end"])
                .arg(end.timestamp().to_string())
                .current_dir(&dir),
        );
        let mut config = format!(
            "version = 1\n\n[agent]\nstate_dir = \"{d}/state\"\nbatch_max_events = 4000\n\
             row_group_rows = 1024\n\n[archive]\nurl = \"{d}/archive\"\n",
            d = dir.display()
        );
        for (name, file, profile) in [
            ("app", "app.jsonl", "auditlake-json"),
            ("idp", "idp.jsonl", "idp-json"),
            ("assets", "assets.jsonl", "asset-json"),
            ("sshd", "auth.log", "sshd"),
        ] {
            config.push_str(&format!(
                "\n[[sources]]\nname = \"{name}\"\npaths = [\"{}/logs/{file}\"]\nprofile = \"{profile}\"\n",
                dir.display()
            ));
        }
        config.push_str(TIERS);
        std::fs::write(dir.join("config.toml"), config).unwrap();
        run_ok(
            auditlake()
                .args(["agent", "--once", "--config", "config.toml"])
                .current_dir(&dir),
        );
        Fixture { dir, end }
    })
}

const PRELUDE: &str = r#"
import duckdb, json, sys, ipaddress, datetime, collections, csv
con = duckdb.connect()
con.sql("set TimeZone='UTC'")
con.sql("create view a as select * from read_parquet('archive/**/*.parquet', hive_partitioning=true)")
q = lambda s: con.sql(s).fetchall()
iso = lambda t: t.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ') if t is not None else None
"#;

/// Runs Python with DuckDB over the fixture's archive; `body` prints one JSON line.
fn duckdb(body: &str) -> Value {
    python_json(&fixture().dir, &format!("{PRELUDE}\n{body}"))
}

fn stdout(args: &[String]) -> String {
    let out = run_ok(auditlake().args(args).current_dir(&fixture().dir));
    String::from_utf8(out.stdout).unwrap()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// `auditlake query` with `filters`, as JSON lines of `columns`.
fn query_rows(filters: &[String], columns: &str, order: &str) -> Vec<Value> {
    let mut args = strings(&[
        "query",
        "--archive",
        "archive",
        "--format",
        "jsonl",
        "--columns",
        columns,
        "--order",
        order,
    ]);
    args.extend_from_slice(filters);
    stdout(&args)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ids(rows: &[Value]) -> BTreeSet<String> {
    rows.iter()
        .map(|r| r["event_id"].as_str().unwrap().to_string())
        .collect()
}

fn set_of(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

/// A DuckDB timestamp literal.
fn ts(t: DateTime<Utc>) -> String {
    format!("TIMESTAMPTZ '{}'", t.format("%Y-%m-%d %H:%M:%S%.6f+00"))
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// A filter of `query` and the SQL condition that asks DuckDB the same; `{NOW}` in the SQL is
/// the time the command ran, and `{IP:...}` a Python predicate over the parsed `src_ip`.
struct Case {
    args: Vec<String>,
    sql: String,
}

fn case(args: &[&str], sql: &str) -> Case {
    Case {
        args: strings(args),
        sql: sql.to_string(),
    }
}

fn cases(end: DateTime<Utc>) -> Vec<Case> {
    let d10 = day(end - Duration::days(10));
    let d8 = day(end - Duration::days(8));
    let d5 = day(end - Duration::days(5));
    let busy = day(end - Duration::days(4));
    let app_session = format!("s-u-0002-{}", (end - Duration::days(3)).timestamp() / 86400);
    let text = |needle: &str| {
        format!(
            "({})",
            [
                "actor_id",
                "actor_name",
                "actor_email",
                "src_ip",
                "message",
                "raw"
            ]
            .iter()
            .map(|c| format!(
                "contains(lower({c}), lower('{}'))",
                needle.replace('\'', "''")
            ))
            .collect::<Vec<_>>()
            .join(" or ")
        )
    };
    vec![
        // Times: relative, named, dates (a date as --until takes its whole day), RFC 3339.
        case(&["--since", "7d"], "time >= {NOW} - interval 7 day"),
        case(
            &["--since", "36h", "--until", "12h"],
            "time >= {NOW} - interval 36 hour and time < {NOW} - interval 12 hour",
        ),
        case(&["--since", "90m"], "time >= {NOW} - interval 90 minute"),
        case(
            &["--since", "2w", "--until", "1w"],
            "time >= {NOW} - interval 14 day and time < {NOW} - interval 7 day",
        ),
        case(
            &["--since", "3600s"],
            "time >= {NOW} - interval 3600 second",
        ),
        case(&["--since", "today"], "time >= date_trunc('day', {NOW})"),
        case(
            &["--since", "yesterday", "--until", "yesterday"],
            "time >= date_trunc('day', {NOW}) - interval 1 day and time < date_trunc('day', {NOW})",
        ),
        case(
            &["--until", "today"],
            "time < date_trunc('day', {NOW}) + interval 1 day",
        ),
        case(&["--until", "now"], "time < {NOW}"),
        Case {
            args: strings(&["--since", &d10, "--until", &d8]),
            sql: format!("time >= '{d10}' and time < date '{d8}' + interval 1 day"),
        },
        Case {
            args: strings(&[
                "--since",
                &format!("{d5}T10:00:00+02:00"),
                "--until",
                &format!("{d5}T18:30:00.5Z"),
            ]),
            sql: format!("time >= '{d5} 08:00:00+00' and time < '{d5} 18:30:00.5+00'"),
        },
        // Actors: by id, by a name two users share, by e-mail; the id-only fast path.
        case(
            &["--actor", "u-0007"],
            "'u-0007' in (actor_id, actor_name, actor_email)",
        ),
        case(
            &["--actor", "Hana Novak"],
            "'Hana Novak' in (actor_id, actor_name, actor_email)",
        ),
        case(
            &["--actor", "hana.novak33@globex.example"],
            "'hana.novak33@globex.example' in (actor_id, actor_name, actor_email)",
        ),
        case(
            &["--actor", "root"],
            "'root' in (actor_id, actor_name, actor_email)",
        ),
        case(&["--actor-id", "u-0120"], "actor_id = 'u-0120'"),
        case(&["--actor-id", "Hana Novak"], "actor_id = 'Hana Novak'"),
        case(&["--actor", "nobody-at-all"], "false"),
        // Actions: globs, repeated, exact, case-sensitive.
        case(
            &["--action", "authentication.*"],
            "action like 'authentication.%'",
        ),
        case(
            &["--action", "*.update", "--action", "credential.*"],
            "action like '%.update' or action like 'credential.%'",
        ),
        case(&["--action", "account.?ock"], "action in ('account.lock')"),
        case(&["--action", "account.??lock"], "action = 'account.unlock'"),
        case(
            &["--action", "resource.update"],
            "action = 'resource.update'",
        ),
        case(&["--action", "AUTHENTICATION.*"], "false"),
        case(&["--category", "credential"], "category = 'credential'"),
        case(
            &["--category", "session", "--category", "message"],
            "category in ('session', 'message')",
        ),
        case(&["--outcome", "failure"], "outcome = 'failure'"),
        case(
            &["--outcome", "success", "--outcome", "unknown"],
            "outcome in ('success', 'unknown')",
        ),
        // Addresses: exact and CIDR, IPv4 and IPv6, whatever form the application wrote.
        case(
            &["--ip", "203.0.113.6"],
            "{IP:ip == ipaddress.ip_address('203.0.113.6')}",
        ),
        case(
            &["--ip", "2001:db8:bad::66"],
            "{IP:ip == ipaddress.ip_address('2001:db8:bad::66')}",
        ),
        case(
            &["--ip", "2001:db8:7:1::5d"],
            "{IP:ip == ipaddress.ip_address('2001:db8:7:1::5d')}",
        ),
        case(
            &["--ip", "203.0.113.0/24"],
            "{IP:ip in ipaddress.ip_network('203.0.113.0/24')}",
        ),
        case(
            &["--ip", "10.0.0.0/8", "--ip", "192.0.2.200"],
            "{IP:ip in ipaddress.ip_network('10.0.0.0/8') or ip == ipaddress.ip_address('192.0.2.200')}",
        ),
        case(
            &["--ip", "2001:db8:bad::/48"],
            "{IP:ip in ipaddress.ip_network('2001:db8:bad::/48')}",
        ),
        case(
            &["--ip", "2001:db8::/32", "--ip", "45.155.205.0/24"],
            "{IP:ip in ipaddress.ip_network('2001:db8::/32') or ip in ipaddress.ip_network('45.155.205.0/24')}",
        ),
        // Resources, credentials, sessions, tenants, tiers.
        case(&["--resource", "document"], "resource_type = 'document'"),
        case(
            &["--resource", "laptop:17"],
            "resource_type = 'laptop' and resource_id = '17'",
        ),
        case(
            &["--resource", "license:3"],
            "resource_type = 'license' and resource_id = '3'",
        ),
        case(
            &["--resource", "user:u-0014"],
            "resource_type = 'user' and resource_id = 'u-0014'",
        ),
        case(
            &["--credential", "cred-004-0005"],
            "credential_id = 'cred-004-0005'",
        ),
        case(
            &["--credential", "idp-key-00"],
            "credential_id = 'idp-key-00'",
        ),
        case(&["--session", "ses-u4"], "session_id = 'ses-u4'"),
        Case {
            args: strings(&["--session", &app_session]),
            sql: format!("session_id = '{app_session}'"),
        },
        case(&["--tenant", "globex"], "tenant = 'globex'"),
        case(&["--tier", "security"], "tier = 'security'"),
        Case {
            args: strings(&[
                "--tier",
                "operational",
                "--tier",
                "standard",
                "--since",
                &d10,
                "--until",
                &busy,
            ]),
            sql: format!(
                "tier in ('operational', 'standard') and time >= '{d10}' and time < date '{busy}' + interval 1 day"
            ),
        },
        // Free text: case-insensitive, also beyond ASCII.
        Case {
            args: strings(&["--text", "QUARTERLY"]),
            sql: text("QUARTERLY"),
        },
        Case {
            args: strings(&["--text", "zoË"]),
            sql: text("zoË"),
        },
        Case {
            args: strings(&["--text", "ångström"]),
            sql: text("ångström"),
        },
        Case {
            args: strings(&["--text", "203.0.113.6"]),
            sql: text("203.0.113.6"),
        },
        Case {
            args: strings(&["--text", "\"report.csv\""]),
            sql: text("\"report.csv\""),
        },
        Case {
            args: strings(&["--text", "100%"]),
            sql: text("100%"),
        },
        // Everything at once.
        case(
            &[
                "--actor",
                "u-0002",
                "--action",
                "authentication.*",
                "--outcome",
                "failure",
                "--since",
                "14d",
            ],
            "'u-0002' in (actor_id, actor_name, actor_email) and action like 'authentication.%' and outcome = 'failure' and time >= {NOW} - interval 14 day",
        ),
        case(
            &[
                "--tenant",
                "acme",
                "--category",
                "resource",
                "--text",
                "review",
                "--tier",
                "standard",
            ],
            &format!(
                "tenant = 'acme' and category = 'resource' and tier = 'standard' and {}",
                text("review")
            ),
        ),
    ]
}

/// The Python expression that selects event ids for a case's SQL at one `now`.
fn case_query(sql: &str, now: DateTime<Utc>) -> String {
    let sql = sql.replace("{NOW}", &ts(now));
    if let Some(pred) = sql.strip_prefix("{IP:").and_then(|s| s.strip_suffix('}')) {
        format!(
            "sorted(e for e, s in q(\"select event_id, src_ip from a where src_ip is not null\") if (lambda ip: ip is not None and ({pred}))(addr(s)))"
        )
    } else {
        format!(
            "[r[0] for r in q({:?})]",
            format!("select event_id from a where {sql}")
        )
    }
}

const ADDR: &str = r#"
def addr(s):
    try:
        ip = ipaddress.ip_address(s)
    except ValueError:
        return None
    return getattr(ip, 'ipv4_mapped', None) or ip
"#;

#[test]
fn every_filter_selects_what_duckdb_selects() {
    let f = fixture();
    let cases = cases(f.end);
    // Each command runs between `before` and `after`: a relative time is between the two.
    let mut got = Vec::new();
    for c in &cases {
        let before = Utc::now();
        let rows = query_rows(&c.args, "event_id", "none");
        let after = Utc::now();
        assert_eq!(rows.len(), ids(&rows).len(), "{:?}: an event twice", c.args);
        got.push((ids(&rows), before, after));
    }
    let mut exprs = Vec::new();
    for (c, (_, before, after)) in cases.iter().zip(&got) {
        exprs.push(format!(
            "[{}, {}]",
            case_query(&c.sql, *before),
            case_query(&c.sql, *after)
        ));
    }
    let want = duckdb(&format!(
        "{ADDR}\nprint(json.dumps([{}]))",
        exprs.join(",\n")
    ));
    let mut empty = Vec::new();
    for (i, (c, (got, ..))) in cases.iter().zip(&got).enumerate() {
        let (a, b) = (set_of(&want[i][0]), set_of(&want[i][1]));
        let must: BTreeSet<_> = a.intersection(&b).cloned().collect();
        let may: BTreeSet<_> = a.union(&b).cloned().collect();
        let missing: Vec<_> = must.difference(got).take(5).collect();
        let extra: Vec<_> = got.difference(&may).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{:?} vs {}: {} rows, DuckDB {}; missing {missing:?}, extra {extra:?}",
            c.args,
            c.sql,
            got.len(),
            must.len()
        );
        if got.is_empty() {
            empty.push(c.args.join(" "));
        }
    }
    // Only the deliberately empty cases, and the last hour or today just after midnight, may
    // select nothing.
    let may_be_empty = [
        "--actor-id Hana Novak",
        "--actor nobody-at-all",
        "--action AUTHENTICATION.*",
        "--since 90m",
        "--since 3600s",
        "--since today",
    ];
    for e in &empty {
        assert!(
            may_be_empty.contains(&e.as_str()),
            "{e} selects nothing: {empty:?}"
        );
    }
    let total = query_rows(&[], "event_id", "none").len();
    assert!(total > 40_000, "{total} events");
}

#[test]
fn limit_and_order_take_the_newest_or_oldest() {
    let f = fixture();
    let _ = f;
    let runs: Vec<(Vec<String>, &str, &str)> = vec![
        (strings(&["--limit", "25"]), "desc", "true"),
        (strings(&["--limit", "25"]), "asc", "true"),
        (strings(&["--limit", "9000"]), "desc", "true"),
        (
            strings(&[
                "--action",
                "authentication.login",
                "--outcome",
                "failure",
                "--limit",
                "12",
            ]),
            "asc",
            "action = 'authentication.login' and outcome = 'failure'",
        ),
        (
            strings(&["--actor", "u-0003", "--limit", "40"]),
            "desc",
            "'u-0003' in (actor_id, actor_name, actor_email)",
        ),
        (
            strings(&["--actor", "u-0003"]),
            "asc",
            "'u-0003' in (actor_id, actor_name, actor_email)",
        ),
        (
            strings(&["--tier", "standard", "--limit", "1"]),
            "asc",
            "tier = 'standard'",
        ),
    ];
    let mut exprs = Vec::new();
    let mut got = Vec::new();
    for (args, order, sql) in &runs {
        let rows = query_rows(args, "time,event_id", order);
        let limit: Option<usize> = args
            .iter()
            .position(|a| a == "--limit")
            .map(|i| args[i + 1].parse().unwrap());
        let dir = if *order == "asc" { "asc" } else { "desc" };
        exprs.push(format!(
            "[[iso(t), e] for t, e in q(\"select time, event_id from a where {sql} order by time {dir}\")]"
        ));
        got.push((rows, limit));
    }
    let want = duckdb(&format!("print(json.dumps([{}]))", exprs.join(",\n")));
    for (i, ((rows, limit), (args, order, _))) in got.iter().zip(&runs).enumerate() {
        let all = want[i].as_array().unwrap();
        let n = limit.unwrap_or(all.len()).min(all.len());
        assert_eq!(rows.len(), n, "{args:?} {order}");
        let times: Vec<&str> = rows.iter().map(|r| r["time"].as_str().unwrap()).collect();
        let want_times: Vec<String> = all[..n]
            .iter()
            .map(|r| r[0].as_str().unwrap().to_string())
            .collect();
        let times: Vec<String> = times.iter().map(|t| normalize_time(t)).collect();
        assert_eq!(times, want_times, "{args:?} {order}");
        // Ties at the cut may come in any order; every id must hold its time.
        let by_id: BTreeMap<&str, &str> = all
            .iter()
            .map(|r| (r[1].as_str().unwrap(), r[0].as_str().unwrap()))
            .collect();
        for (r, t) in rows.iter().zip(&times) {
            assert_eq!(
                by_id.get(r["event_id"].as_str().unwrap()).copied(),
                Some(t.as_str()),
                "{args:?}"
            );
        }
        assert_eq!(ids(rows).len(), rows.len());
    }
    // As stored, with a limit: that many of the matching events.
    let some = query_rows(
        &strings(&["--actor", "u-0003", "--limit", "30"]),
        "event_id",
        "none",
    );
    assert_eq!(some.len(), 30);
    assert!(ids(&some).is_subset(&ids(&query_rows(
        &strings(&["--actor", "u-0003"]),
        "event_id",
        "none"
    ))));
}

/// A time as the JSON output writes it, in the form Python prints: `...T08:15:30.120000Z`.
fn normalize_time(t: &str) -> String {
    DateTime::parse_from_rfc3339(t)
        .unwrap_or_else(|e| panic!("{t}: {e}"))
        .with_timezone(&Utc)
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

#[test]
fn columns_choose_and_order_the_output() {
    let _ = fixture();
    let cols = "changes,time,actor_email,src_ip,tier,event_id,seq,source_offset";
    let err = auditlake()
        .args(["query", "--archive", "archive", "--columns", cols])
        .current_dir(&fixture().dir)
        .output()
        .unwrap();
    // `tier` is a partition of the path, not a column of the files.
    assert!(!err.status.success());
    assert!(String::from_utf8_lossy(&err.stderr).contains("tier"));
    let cols = "changes,time,actor_email,src_ip,event_id,seq,source_offset";
    let csv_out = stdout(&strings(&[
        "query",
        "--archive",
        "archive",
        "--format",
        "csv",
        "--columns",
        cols,
        "--actor",
        "u-0004",
        "--order",
        "asc",
    ]));
    assert_eq!(csv_out.lines().next().unwrap(), cols);
    std::fs::write(fixture().dir.join("cols.csv"), &csv_out).unwrap();
    let got = duckdb(
        r#"
rows = list(csv.DictReader(open('cols.csv', newline='', encoding='utf-8')))
want = {e: [c or '', iso(t), m or '', ip or '', str(s) if s is not None else '', str(o) if o is not None else '']
        for e, c, t, m, ip, s, o in q("select event_id, changes, time, actor_email, src_ip, seq, source_offset from a where 'u-0004' in (actor_id, actor_name, actor_email)")}
bad = [r['event_id'] for r in rows if want.get(r['event_id']) != [r['changes'], r['time'], r['actor_email'], r['src_ip'], r['seq'], r['source_offset']]]
print(json.dumps({'rows': len(rows), 'want': len(want), 'bad': bad[:5], 'ordered': [r['time'] for r in rows] == sorted(r['time'] for r in rows)}))
"#,
    );
    assert!(got["rows"].as_u64().unwrap() > 100, "{got}");
    assert_eq!(got["rows"], got["want"], "{got}");
    assert_eq!(got["bad"], json!([]), "{got}");
    assert_eq!(got["ordered"], true);
}

#[test]
fn csv_export_parses_back_to_the_json_export_and_both_to_duckdb() {
    let _ = fixture();
    let since = day(fixture().end - Duration::days(10));
    let filters = ["--tenant", "acme", "--since", since.as_str()];
    for (format, file) in [
        ("csv", "x.csv"),
        ("json", "x.json"),
        ("jsonl", "x.jsonl"),
        ("parquet", "x.parquet"),
    ] {
        let mut args = strings(&[
            "export",
            "--archive",
            "archive",
            "--format",
            format,
            "--output",
            file,
        ]);
        args.extend(strings(&filters));
        stdout(&args);
    }
    let got = duckdb(&format!(
        "since = '{since}'\n{}",
        r#"
import pyarrow.parquet as pq
rows = list(csv.DictReader(open('x.csv', newline='', encoding='utf-8')))
js = json.load(open('x.json', encoding='utf-8'))
jl = [json.loads(l) for l in open('x.jsonl', encoding='utf-8')]
pt = pq.read_table('x.parquet').to_pylist()
def text(v):
    # What a CSV cell holds for a JSON value: nothing for null.
    return '' if v is None else str(v)
def when(s):
    return datetime.datetime.fromisoformat(s.replace('Z', '+00:00')) if s else None
TIMES = ('time', 'observed_time')
bad_csv = []
for r, j in zip(rows, js):
    for k, v in j.items():
        same = when(r[k]) == when(v) if k in TIMES else r[k] == text(v)
        if not same:
            bad_csv.append([j['event_id'], k, r[k], v])
# The JSON export against DuckDB, every column.
cur = con.execute(f"select * exclude (tier, event_date) from a where tenant = 'acme' and time >= '{since}'")
names = [d[0] for d in cur.description]
duck = {r[0]: dict(zip(names, r)) for r in cur.fetchall()}
bad_duck = []
for j in js:
    d = duck.get(j['event_id'])
    if d is None:
        bad_duck.append([j['event_id'], 'missing'])
        continue
    for k in names:
        v = j.get(k)
        w = d[k]
        same = when(v) == w if k in TIMES else v == w
        if not same:
            bad_duck.append([j['event_id'], k, v, str(w)])
pq_same = [p['event_id'] for p in pt] == [j['event_id'] for j in js] and all(p['changes'] == j['changes'] and p['raw'] == j['raw'] for p, j in zip(pt, js))
print(json.dumps({
  'csv': len(rows), 'json': len(js), 'jsonl': len(jl), 'parquet': len(pt), 'duck': len(duck),
  'jsonl_same': jl == js, 'pq_same': pq_same, 'cols': list(rows[0].keys()), 'json_cols': list(js[0].keys()),
  'bad_csv': bad_csv[:5], 'bad_duck': bad_duck[:5],
  'with_changes': sum(1 for j in js if j['changes'] not in (None, '[]')),
  'multiline': sum(1 for r in rows if '\n' in (r['raw'] or '') or '\n' in (r['message'] or '')),
  'ordered': [when(j['time']) for j in js] == sorted(when(j['time']) for j in js),
}, default=str))
"#
    ));
    let n = got["json"].as_u64().unwrap();
    assert!(n > 1000, "{got}");
    for k in ["csv", "jsonl", "parquet", "duck"] {
        assert_eq!(got[k].as_u64(), Some(n), "{k}: {got}");
    }
    assert_eq!(got["bad_csv"], json!([]), "{got}");
    assert_eq!(got["bad_duck"], json!([]), "{got}");
    assert_eq!(got["jsonl_same"], true);
    assert_eq!(got["pq_same"], true);
    assert_eq!(got["ordered"], true);
    assert_eq!(got["cols"], got["json_cols"]);
    assert_eq!(got["cols"].as_array().unwrap().len(), 39);
    assert!(got["with_changes"].as_u64().unwrap() > 100, "{got}");
    assert!(got["multiline"].as_u64().unwrap() > 0, "{got}");
}

fn report(args: &[&str]) -> Value {
    let mut a = strings(&["report"]);
    a.extend(strings(args));
    a.extend(strings(&["--archive", "archive", "--format", "json"]));
    serde_json::from_str(&stdout(&a)).unwrap()
}

/// A report's time cell in the form Python prints, or null.
fn t(v: &Value) -> Value {
    match v.as_str() {
        Some(s) => Value::from(normalize_time(s)),
        None => Value::Null,
    }
}

#[test]
fn last_login_statuses_follow_the_product_rules() {
    let _ = fixture();
    let got = report(&["last-login"]);
    let want = duckdb(
        r#"
SUBJECT = "case when action like 'account.%' and resource_type in ('user', 'account') and resource_id is not null then resource_id else actor_id end"
per = collections.defaultdict(list)
for u, t, act, out in q(f"select {SUBJECT}, time, action, outcome from a where {SUBJECT} is not null"):
    per[u].append((t, act, out))
ACTIVATE = ('account.user.create', 'account.user.reenable', 'account.invitation.accept', 'account.user.anonymous_promote')
names = {u: (n, m) for u, n, m in q("select actor_id, any_value(actor_name), any_value(actor_email) from a where actor_id is not null group by 1")}
res = {}
for u, evs in per.items():
    mx = lambda p: max((t for t, a_, o in evs if p(a_, o)), default=None)
    ok = mx(lambda a_, o: a_ == 'authentication.login' and o == 'success')
    fail = mx(lambda a_, o: a_.startswith('authentication.') and o == 'failure')
    lock = mx(lambda a_, o: a_ == 'account.lock' and o != 'failure')
    unlock = mx(lambda a_, o: a_ == 'account.unlock' and o != 'failure')
    act = mx(lambda a_, o: a_ in ACTIVATE and o != 'failure')
    after = lambda x: x is not None and (ok is None or x > ok)
    if after(lock) and (unlock is None or unlock < lock):
        st = 'Locked'
    elif after(fail):
        st = 'Failed'
    elif ok is not None:
        st = 'LoggedIn'
    elif act is not None:
        st = 'Active'
    else:
        st = 'Never'
    n, m = names.get(u, (None, None))
    res[u] = {'actor_id': u, 'actor_name': n, 'actor_email': m, 'status': st, 'last_login': iso(ok), 'last_failure': iso(fail),
              'failures_since_login': sum(1 for t, a_, o in evs if a_.startswith('authentication.') and o == 'failure' and (ok is None or t > ok)),
              'locked_at': iso(lock) if st == 'Locked' else None}
print(json.dumps(res))
"#,
    );
    let rows = got.as_array().unwrap();
    assert_eq!(rows.len(), want.as_object().unwrap().len());
    let mut statuses = BTreeMap::new();
    for r in rows {
        let id = r["actor_id"].as_str().unwrap();
        let w = &want[id];
        let mut r = r.clone();
        for k in ["last_login", "last_failure", "locked_at"] {
            r[k] = t(&r[k]);
        }
        assert_eq!(&r, w, "{id}");
        *statuses
            .entry(r["status"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    for s in ["LoggedIn", "Failed", "Locked", "Active", "Never"] {
        assert!(
            statuses.get(s).copied().unwrap_or(0) >= 3,
            "{s}: {statuses:?}"
        );
    }
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r["actor_id"].as_str().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted by id");
}

/// Python that finds failed-login bursts per key: windows `[t, t + w)` holding at least `n`
/// failures, merged where they share a failure.
const BURSTS: &str = r#"
def canon(s):
    # One client is one key, whichever form its address was written in.
    ip = addr(s) if s is not None else None
    return str(ip) if ip is not None else s
def bursts(key, other, w, n, where='true'):
    per = collections.defaultdict(list)
    for k, t, o in q(f"select {key}, time, {other} from a where action like 'authentication.%' and outcome = 'failure' and {key} is not null and {where}"):
        if key == 'src_ip':
            k = canon(k)
        else:
            o = canon(o)
        per[k].append((t, o))
    out = []
    for k, evs in per.items():
        evs.sort(key=lambda e: e[0])
        ts = [e[0] for e in evs]
        spans = []
        j = 0
        for i in range(len(ts)):
            j = max(j, i)
            while j + 1 < len(ts) and ts[j + 1] - ts[i] < w:
                j += 1
            if j - i + 1 >= n:
                if spans and i <= spans[-1][1]:
                    spans[-1][1] = j
                else:
                    spans.append([i, j])
        for s, e in spans:
            others = {o for t, o in evs if ts[s] <= t <= ts[e] and o is not None}
            out.append([k, iso(ts[s]), iso(ts[e]), e - s + 1, len(others)])
    return sorted(out)
"#;

#[test]
fn failed_login_bursts_by_actor_and_by_ip() {
    let _ = fixture();
    let runs: &[(&[&str], &str)] = &[
        (
            &["--by", "actor"],
            "bursts('actor_id', 'src_ip', datetime.timedelta(minutes=15), 5)",
        ),
        (
            &["--by", "ip"],
            "bursts('src_ip', 'actor_id', datetime.timedelta(minutes=15), 5)",
        ),
        (
            &["--by", "ip", "--window", "1h", "--threshold", "3"],
            "bursts('src_ip', 'actor_id', datetime.timedelta(hours=1), 3)",
        ),
        (
            &[
                "--by",
                "actor",
                "--window",
                "10m",
                "--threshold",
                "3",
                "--since",
                "7d",
            ],
            "bursts('actor_id', 'src_ip', datetime.timedelta(minutes=10), 3, \"time >= now() - interval 7 day\")",
        ),
        (
            &["--window", "2m", "--threshold", "8"],
            "bursts('actor_id', 'src_ip', datetime.timedelta(minutes=2), 8)",
        ),
    ];
    let want = duckdb(&format!(
        "{ADDR}\n{BURSTS}\nprint(json.dumps([{}]))",
        runs.iter().map(|r| r.1).collect::<Vec<_>>().join(",\n")
    ));
    for (i, (args, _)) in runs.iter().enumerate() {
        let mut a = vec!["failed-logins"];
        a.extend_from_slice(args);
        let got = report(&a);
        let rows = got.as_array().unwrap();
        let key = if args.contains(&"ip") {
            "src_ip"
        } else {
            "actor_id"
        };
        let others = if key == "src_ip" { "actors" } else { "ips" };
        let mut mine: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!([
                    r[key],
                    t(&r["first"]),
                    t(&r["last"]),
                    r["failures"],
                    r[others]
                ])
            })
            .collect();
        // Most failures first.
        assert!(
            rows.windows(2)
                .all(|w| w[0]["failures"].as_u64() >= w[1]["failures"].as_u64()),
            "{args:?}"
        );
        mine.sort_by_key(|v| v.to_string());
        let mut theirs = want[i].as_array().unwrap().clone();
        theirs.sort_by_key(|v| v.to_string());
        if i < 3 {
            assert!(!mine.is_empty(), "{args:?}: the logs hold bursts");
        }
        assert_eq!(mine, theirs, "{args:?}");
    }
}

#[test]
fn activity_heatmap_changes_and_credential_reports() {
    let _ = fixture();
    let want = duckdb(
        r#"
LOGIN = "(action = 'authentication.login' and outcome = 'success')"
FAIL = "(action like 'authentication.%' and outcome = 'failure')"
def act(key, distinct, where='true', order='events desc, k'):
    return [[k, n, l, f, d, iso(a_), iso(b)] for k, n, l, f, d, a_, b in q(
        f"select {key} as k, count(*) as events, count(*) filter ({LOGIN}), count(*) filter ({FAIL}), count(distinct {distinct}), min(time), max(time) from a where {where} group by 1 order by {order}")]
heat = {}
for d, h, n in q("select isodow(time) - 1, hour(time), count(*) from a group by 1, 2"):
    heat[f'{d}-{h}'] = n
def changes(rt, rid):
    out = []
    for t, e, act_, actor, name, ch in q(f"select time, event_id, action, actor_id, actor_name, changes from a where resource_type = '{rt}' and resource_id = '{rid}' order by time, event_id"):
        lst = json.loads(ch) if ch else []
        txt = lambda v: None if v is None else (v if isinstance(v, str) else json.dumps(v, separators=(',', ':')))
        if not lst:
            out.append([iso(t), rt, rid, None, None, None, act_, actor, name, e])
        for c in lst:
            out.append([iso(t), rt, rid, txt(c.get('field')), txt(c.get('old')), txt(c.get('new')), act_, actor, name, e])
    return out
cred = lambda c: [[iso(t), a_, o, rp, rn, e] for t, a_, o, rp, rn, e in q(f"select time, action, outcome, rp_id, rp_name, event_id from a where credential_id = '{c}' order by time, event_id")]
print(json.dumps({
  'user': act('actor_id', 'action', 'actor_id is not null'),
  'action': act('action', 'actor_id'),
  'day': act("strftime(time, '%Y-%m-%d')", 'actor_id', 'true', 'k'),
  'user_7d': act('actor_id', 'action', "actor_id is not null and time >= now() - interval 7 day"),
  'heat': heat,
  'laptop': changes('laptop', '17'), 'license': changes('license', '3'), 'doc': changes('document', 'doc-5'),
  'role': changes('user', 'u-0155'),
  'cred': cred('cred-003-0004'), 'idpkey': cred('idp-key-04'),
}))
"#,
    );
    let act_rows = |args: &[&str], key: &str, distinct: &str| -> Vec<Value> {
        let mut a = vec!["activity"];
        a.extend_from_slice(args);
        report(&a)
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                json!([
                    r[key],
                    r["events"],
                    r["logins"],
                    r["failed_logins"],
                    r[distinct],
                    t(&r["first"]),
                    t(&r["last"])
                ])
            })
            .collect()
    };
    assert_eq!(
        Value::from(act_rows(&[], "actor_id", "actions")),
        want["user"]
    );
    assert_eq!(
        Value::from(act_rows(&["--by", "action"], "action", "actors")),
        want["action"]
    );
    assert_eq!(
        Value::from(act_rows(&["--by", "day"], "day", "active_users")),
        want["day"]
    );
    assert_eq!(
        Value::from(act_rows(&["--since", "7d"], "actor_id", "actions")),
        want["user_7d"]
    );
    assert!(want["day"].as_array().unwrap().len() >= 30);

    let heat = report(&["heatmap"]);
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut total = 0;
    for (d, row) in heat.as_array().unwrap().iter().enumerate() {
        assert_eq!(row["weekday"], days[d]);
        let mut sum = 0;
        for h in 0..24 {
            let n = row[format!("h{h:02}")].as_u64().unwrap();
            let w = want["heat"]
                .get(format!("{d}-{h}"))
                .and_then(Value::as_u64)
                .unwrap_or(0);
            assert_eq!(n, w, "{} {h}h", days[d]);
            sum += n;
        }
        assert_eq!(row["total"].as_u64(), Some(sum));
        total += sum;
    }
    assert!(total > 40_000);

    for (resource, k) in [
        ("laptop:17", "laptop"),
        ("license:3", "license"),
        ("document:doc-5", "doc"),
        ("user:u-0155", "role"),
    ] {
        let rows: Vec<Value> = report(&["changes", "--resource", resource])
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                json!([
                    t(&r["time"]),
                    r["resource_type"],
                    r["resource_id"],
                    r["field"],
                    r["old"],
                    r["new"],
                    r["action"],
                    r["actor_id"],
                    r["actor_name"],
                    r["event_id"]
                ])
            })
            .collect();
        assert!(!rows.is_empty(), "{resource}");
        assert_eq!(Value::from(rows), want[k], "{resource}");
    }

    for (id, k) in [("cred-003-0004", "cred"), ("idp-key-04", "idpkey")] {
        let rows: Vec<Value> = report(&["credential", "--id", id])
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                json!([
                    t(&r["time"]),
                    r["action"],
                    r["outcome"],
                    r["rp_id"],
                    r["rp_name"],
                    r["event_id"]
                ])
            })
            .collect();
        let w = want[k].as_array().unwrap();
        assert!(w.len() >= 3, "{id}");
        let acts: BTreeSet<&str> = w.iter().map(|r| r[1].as_str().unwrap()).collect();
        assert!(
            acts.contains("credential.register") && acts.contains("credential.use"),
            "{id}: {acts:?}"
        );
        // Oldest first; events of one instant in any order.
        let key = |v: &Vec<Value>| {
            let mut v = v.clone();
            v.sort_by_key(|r| r.to_string());
            v
        };
        assert_eq!(key(&rows), key(w), "{id}");
        let times: Vec<&Value> = rows.iter().map(|r| &r[0]).collect();
        assert!(
            times.windows(2).all(|p| p[0].as_str() <= p[1].as_str()),
            "{id}"
        );
    }
}

#[test]
fn timeline_and_subject_reports() {
    let _ = fixture();
    let want = duckdb(
        r#"
tl = lambda who: [[iso(t), e] for t, e in q(f"select time, event_id from a where '{who}' in (actor_id, actor_name, actor_email) order by time desc")]
def about(who):
    ids = f"(select actor_id from a where '{who}' in (actor_id, actor_name, actor_email) union select '{who}')"
    return sorted(e for (e,) in q(f"select event_id from a where '{who}' in (actor_id, actor_name, actor_email) or actor_id in {ids} or (action like 'account.%' and resource_type in ('user', 'account') and resource_id in {ids})"))
print(json.dumps({'u5': tl('u-0005'), 'hana': tl('Hana Novak'), 'about14': about('u-0014'), 'about155': about('u-0155'),
                  'about_mail': about('mara.walsh38@initech.example'), 'about_hana': about('Hana Novak')}))
"#,
    );
    for (actor, k) in [("u-0005", "u5"), ("Hana Novak", "hana")] {
        let rows = report(&["timeline", "--actor", actor]);
        let rows = rows.as_array().unwrap();
        let w = want[k].as_array().unwrap();
        assert!(w.len() > 50);
        assert_eq!(rows.len(), w.len(), "{actor}");
        let times: Vec<Value> = rows.iter().map(|r| t(&r["time"])).collect();
        let want_times: Vec<Value> = w.iter().map(|r| r[0].clone()).collect();
        assert_eq!(times, want_times, "{actor}: newest first");
        let got_ids: BTreeSet<String> = ids(rows);
        let want_ids: BTreeSet<String> = w
            .iter()
            .map(|r| r[1].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got_ids, want_ids, "{actor}");
    }
    // A GDPR access request: the person's own events and the account events about them.
    for (actor, k) in [
        ("u-0014", "about14"),
        ("u-0155", "about155"),
        ("mara.walsh38@initech.example", "about_mail"),
        ("Hana Novak", "about_hana"),
    ] {
        let doc: Value = serde_json::from_str(&stdout(&strings(&[
            "report",
            "subject",
            "--actor",
            actor,
            "--archive",
            "archive",
        ])))
        .unwrap();
        assert_eq!(doc["subject"], actor);
        let events = doc["events"].as_array().unwrap();
        assert_eq!(doc["event_count"].as_u64(), Some(events.len() as u64));
        let got: BTreeSet<String> = ids(events);
        assert!(!got.is_empty(), "{actor}");
        assert_eq!(got, set_of(&want[k]), "{actor}");
        let times: Vec<&str> = events.iter().map(|e| e["time"].as_str().unwrap()).collect();
        assert!(
            times
                .windows(2)
                .all(|p| normalize_time(p[0]) <= normalize_time(p[1])),
            "oldest first"
        );
    }
}

#[test]
fn printed_ddl_reads_the_archive_and_matches_its_schema() {
    let _ = fixture();
    let total = query_rows(&[], "event_id", "none").len();
    let ddl = stdout(&strings(&[
        "ddl",
        "--engine",
        "duckdb",
        "--archive",
        "archive",
    ]));
    let athena = stdout(&strings(&[
        "ddl",
        "--engine",
        "athena",
        "--archive",
        "archive",
    ]));
    let trino = stdout(&strings(&[
        "ddl",
        "--engine",
        "trino",
        "--archive",
        "archive",
    ]));
    let location = fixture().dir.join("archive").canonicalize().unwrap();
    let got = duckdb(&format!(
        r#"
import re, glob, pyarrow.parquet as pq
c2 = duckdb.connect()
c2.execute({ddl:?})
n, tiers, days = c2.sql("select count(*), count(distinct tier), count(distinct event_date) from audit_events").fetchall()[0]
per_tier = dict(c2.sql("select tier, count(*) from audit_events group by 1").fetchall())
schema = pq.read_schema(sorted(glob.glob('archive/**/*.parquet', recursive=True))[0])
def cols(text, quote):
    body = text.split('(', 1)[1]
    return re.findall(r'^\s+' + quote + r'(\w+)' + quote + r' ([\w() ]+?),?$', body, re.M)
ath, tri = {athena:?}, {trino:?}
def want_type(engine, t):
    if str(t).startswith('timestamp'):
        return 'timestamp' if engine == 'athena' else 'TIMESTAMP(6) WITH TIME ZONE'
    # Trino's and Athena's Parquet readers: signed 64-bit is bigint, unsigned is decimal(20,0).
    if str(t) == 'int64':
        return 'bigint' if engine == 'athena' else 'BIGINT'
    if str(t) == 'uint64':
        return 'decimal(20,0)' if engine == 'athena' else 'DECIMAL(20,0)'
    return 'string' if engine == 'athena' else 'VARCHAR'
props = dict(re.findall(r"'([\w.]+)' = '([^']*)'", ath))
print(json.dumps({{
  'n': n, 'tiers': tiers, 'days': days, 'per_tier': per_tier,
  'dirs': sorted(d.split('=')[1] for d in glob.glob('archive/tier=*')),
  'schema': [[f.name, str(f.type)] for f in schema],
  'athena': cols(ath, '`'), 'trino': cols(tri, '"'),
  'athena_want': [[f.name, want_type('athena', f.type)] for f in schema],
  'trino_want': [[f.name, want_type('trino', f.type)] for f in schema] + [['tier', 'VARCHAR'], ['event_date', 'VARCHAR']],
  'props': props,
}}))
"#
    ));
    assert_eq!(got["n"].as_u64(), Some(total as u64), "{got}");
    assert_eq!(got["tiers"], 3);
    assert!(got["days"].as_u64().unwrap() >= 30);
    for (tier, n) in got["per_tier"].as_object().unwrap() {
        let rows = query_rows(&strings(&["--tier", tier]), "event_id", "none");
        assert_eq!(Some(rows.len() as u64), n.as_u64(), "{tier}");
    }
    assert_eq!(got["schema"].as_array().unwrap().len(), 39);
    let pairs = |v: &Value| -> Vec<(String, String)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_string(),
                    p[1].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        pairs(&got["athena"]),
        pairs(&got["athena_want"]),
        "{athena}"
    );
    assert_eq!(pairs(&got["trino"]), pairs(&got["trino_want"]), "{trino}");
    assert!(
        athena.contains("PARTITIONED BY (tier string, event_date string)"),
        "{athena}"
    );
    assert!(athena.contains("STORED AS PARQUET"), "{athena}");
    let p = &got["props"];
    assert_eq!(p["projection.enabled"], "true");
    assert_eq!(p["projection.tier.type"], "enum");
    let dirs: Vec<&str> = got["dirs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(p["projection.tier.values"], dirs.join(","));
    assert_eq!(p["projection.event_date.type"], "date");
    assert_eq!(p["projection.event_date.format"], "yyyy-MM-dd");
    assert!(
        p["projection.event_date.range"]
            .as_str()
            .unwrap()
            .ends_with(",NOW")
    );
    assert_eq!(
        p["storage.location.template"],
        format!(
            "{}/tier=${{tier}}/event_date=${{event_date}}/",
            location.display()
        )
    );
    assert!(
        trino.contains("partitioned_by = ARRAY['tier', 'event_date']"),
        "{trino}"
    );
    assert!(
        trino.contains(&format!("external_location = '{}'", location.display())),
        "{trino}"
    );
    assert!(trino.contains("format = 'PARQUET'"), "{trino}");
}

fn scan_stats(args: &[&str]) -> Value {
    let mut a = strings(&[
        "query",
        "--archive",
        "archive",
        "--format",
        "csv",
        "--columns",
        "event_id",
        "--order",
        "none",
        "--stats",
    ]);
    a.extend(strings(args));
    let out = run_ok(auditlake().args(&a).current_dir(&fixture().dir));
    let rows = String::from_utf8(out.stdout).unwrap().lines().count() as u64 - 1;
    let err = String::from_utf8(out.stderr).unwrap();
    let v: Value = serde_json::from_str(err.lines().last().unwrap()).unwrap();
    assert_eq!(v["rows_out"].as_u64(), Some(rows));
    v
}

#[test]
fn pruning_is_proven_by_the_counters() {
    let f = fixture();
    let busy = day(f.end - Duration::days(4));
    let quiet = day(f.end - Duration::days(10));
    let layout = duckdb(&format!(
        r#"
import glob, pyarrow.parquet as pq
files = glob.glob('archive/**/*.parquet', recursive=True)
busy = [p for p in files if 'event_date={busy}' in p]
print(json.dumps({{
  'files': len(files), 'row_groups': sum(pq.ParquetFile(p).num_row_groups for p in files),
  'busy_files': len(busy), 'busy_row_groups': sum(pq.ParquetFile(p).num_row_groups for p in busy),
  'rows': q("select count(*) from a")[0][0],
  'u120': q("select count(*) from a where actor_id = 'u-0120'")[0][0],
  'busy_rows': q("select count(*) from a where event_date = '{busy}'")[0][0],
  'd10_rows': q("select count(*) from a where event_date = '{quiet}'")[0][0],
  'busy_u2': q("select count(*) from a where event_date = '{busy}' and actor_id = 'u-0002'")[0][0],
}}))
"#
    ));
    let all = scan_stats(&[]);
    let files = layout["files"].as_u64().unwrap();
    let row_groups = layout["row_groups"].as_u64().unwrap();
    assert_eq!(all["files_planned"].as_u64(), Some(files), "{all}");
    assert_eq!(all["row_groups_total"].as_u64(), Some(row_groups), "{all}");
    assert_eq!(all["rows_scanned"], layout["rows"]);
    assert_eq!(all["rows_matched"], layout["rows"]);
    assert_eq!(all["row_groups_pruned_stats"], 0);
    assert!(files > 150, "{layout}");
    assert!(
        layout["busy_row_groups"].as_u64().unwrap() > layout["busy_files"].as_u64().unwrap(),
        "{layout}"
    );
    let full_bytes = all["bytes_read"].as_u64().unwrap();

    // One rare actor over 30 days: most row groups ruled out by statistics or bloom filters,
    // before a row is decoded. (The objects here are small: the first read of each, 64 KiB for
    // its footer, takes it whole, so bytes show pruning on the busy day below.)
    {
        let args = ["--actor-id", "u-0120"];
        let one = scan_stats(&args);
        assert_eq!(one["rows_matched"], layout["u120"], "{one}");
        let pruned = one["row_groups_pruned_stats"].as_u64().unwrap()
            + one["row_groups_pruned_bloom"].as_u64().unwrap();
        assert!(pruned * 10 >= row_groups * 8, "{args:?}: {one}");
        assert!(
            one["bytes_read"].as_u64().unwrap() <= full_bytes,
            "{one} vs {all}"
        );
        assert!(
            one["rows_scanned"].as_u64().unwrap() * 2 < layout["rows"].as_u64().unwrap(),
            "{one}"
        );
        // Each row group read holds a match, but for the bloom filters' rare false positives.
        let kept = one["row_groups_total"].as_u64().unwrap() - pruned;
        assert!(
            kept <= one["rows_matched"].as_u64().unwrap() + row_groups / 20,
            "{one}"
        );
    }

    // --actor also compares names and e-mails, which have statistics but no bloom filters:
    // fewer row groups are ruled out, the same rows match.
    let by_any = scan_stats(&["--actor", "u-0120"]);
    assert_eq!(by_any["rows_matched"], layout["u120"], "{by_any}");
    assert!(
        by_any["row_groups_pruned_stats"].as_u64().unwrap() > 0,
        "{by_any}"
    );

    // One day: only that day's partitions are planned and read.
    let d10 = scan_stats(&["--since", &quiet, "--until", &quiet]);
    assert_eq!(d10["rows_matched"], layout["d10_rows"], "{d10}");
    assert!(d10["files_listed"].as_u64().unwrap() >= files, "{d10}");
    assert!(d10["files_planned"].as_u64().unwrap() * 15 < files, "{d10}");
    assert!(
        d10["bytes_read"].as_u64().unwrap() * 15 < full_bytes,
        "{d10} vs {all}"
    );
    let d = scan_stats(&["--since", &busy, "--until", &busy]);
    assert_eq!(d["rows_matched"], layout["busy_rows"], "{d}");
    assert_eq!(d["files_planned"], layout["busy_files"], "{d}");

    // One actor on the busy day: that day's row groups are sorted by actor, so min/max
    // statistics skip most of them before any bloom filter is read.
    let both = scan_stats(&["--since", &busy, "--until", &busy, "--actor-id", "u-0002"]);
    assert_eq!(both["rows_matched"], layout["busy_u2"], "{both}");
    assert!(
        both["row_groups_pruned_stats"].as_u64().unwrap() > 0,
        "{both}"
    );
    assert!(
        both["bytes_read"].as_u64().unwrap() < d["bytes_read"].as_u64().unwrap(),
        "{both} vs {d}"
    );

    // --actor (id, name or e-mail) prunes as well where no column can hold the value.
    let nobody = scan_stats(&["--actor", "zz-nobody"]);
    assert_eq!(nobody["rows_scanned"], 0, "{nobody}");
    // One tier: only that tier's prefix is listed.
    let tier = scan_stats(&["--tier", "operational"]);
    assert!(tier["files_planned"].as_u64().unwrap() < files);
    assert!(
        tier["files_listed"].as_u64().unwrap() < files,
        "listing is per tier: {tier}"
    );
}
