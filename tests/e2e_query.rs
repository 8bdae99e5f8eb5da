//! `auditlake query`, `export`, `report` and `ddl` on the archived samples, each answer checked
//! against DuckDB's answer to the same question on the same files.

mod util;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};
use util::*;

/// Archives the samples into `dir/archive`.
fn archive(dir: &Path) {
    let config = quickstart_config(dir);
    run_ok(
        auditlake()
            .args(["agent", "--once", "--config"])
            .arg(&config),
    );
}

fn stdout(args: &[&str], dir: &Path) -> String {
    let out = run_ok(auditlake().args(args).current_dir(dir));
    String::from_utf8(out.stdout).unwrap()
}

/// The event ids `auditlake query` selects with `filters`.
fn query_ids(dir: &Path, filters: &[&str]) -> BTreeSet<String> {
    let mut args = vec![
        "query",
        "--archive",
        "archive",
        "--format",
        "jsonl",
        "--columns",
        "event_id",
        "--order",
        "none",
    ];
    args.extend_from_slice(filters);
    stdout(&args, dir)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["event_id"].as_str().unwrap().to_string()
        })
        .collect()
}

const DUCKDB_PRELUDE: &str = r#"
import duckdb, json, sys, ipaddress
con = duckdb.connect()
con.sql("set TimeZone='UTC'")
con.sql("create view a as select * from read_parquet('archive/**/*.parquet', hive_partitioning=true)")
q = lambda s: con.sql(s).fetchall()
"#;

fn duckdb(dir: &Path, body: &str) -> Value {
    python_json(dir, &format!("{DUCKDB_PRELUDE}\n{body}"))
}

/// Each filter of `query`, and DuckDB's SQL for the same question.
const CASES: &[(&[&str], &str)] = &[
    (
        &["--actor", "alice"],
        "'alice' in (actor_id, actor_name, actor_email)",
    ),
    (
        &["--actor", "bob@example.com"],
        "'bob@example.com' in (actor_id, actor_name, actor_email)",
    ),
    (
        &["--action", "authentication.*"],
        "action like 'authentication.%'",
    ),
    (
        &["--action", "session.*", "--action", "data.export"],
        "action like 'session.%' or action = 'data.export'",
    ),
    (&["--action", "account.?ock"], "action in ('account.lock')"),
    (&["--outcome", "failure"], "outcome = 'failure'"),
    (
        &["--category", "account", "--category", "credential"],
        "category in ('account', 'credential')",
    ),
    (
        &["--since", "2026-11-21", "--until", "2026-11-22"],
        "time >= '2026-11-21' and time < '2026-11-23'",
    ),
    (
        &["--since", "2026-11-22T06:00:00Z"],
        "time >= '2026-11-22 06:00:00+00'",
    ),
    (
        &["--resource", "license:9"],
        "resource_type = 'license' and resource_id = '9'",
    ),
    (&["--resource", "laptop"], "resource_type = 'laptop'"),
    (&["--tier", "security"], "tier = 'security'"),
    (
        &[
            "--tier",
            "standard",
            "--tier",
            "operational",
            "--since",
            "2026-11-20",
            "--until",
            "2026-11-22",
        ],
        "tier in ('standard', 'operational') and cast(time as date) between '2026-11-20' and '2026-11-22'",
    ),
    (
        &["--text", "ALICE"],
        "contains(lower(concat_ws('|', actor_id, actor_name, actor_email, src_ip, message, raw)), 'alice')",
    ),
    (
        &["--text", "203.0.113"],
        "contains(lower(concat_ws('|', actor_id, actor_name, actor_email, src_ip, message, raw)), '203.0.113')",
    ),
    (&["--ip", "192.0.2.10"], "src_ip = '192.0.2.10'"),
    (
        &[
            "--action",
            "authentication.login",
            "--outcome",
            "success",
            "--since",
            "2026-11-21",
        ],
        "action = 'authentication.login' and outcome = 'success' and time >= '2026-11-21'",
    ),
    (&["--actor", "nobody-at-all"], "false"),
];

#[test]
fn every_filter_selects_what_duckdb_selects() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let wheres: Vec<&str> = CASES.iter().map(|c| c.1).collect();
    let want = duckdb(
        dir.path(),
        &format!(
            "wheres = json.loads({w:?})\nout = [sorted(r[0] for r in q(f'select event_id from a where {{w}}')) for w in wheres]\n\
             # CIDR: checked with Python's ipaddress over every address\n\
             net = ipaddress.ip_network('203.0.113.0/24')\n\
             out.append(sorted(r[0] for r in q('select event_id, src_ip from a where src_ip is not null') if False) )\n\
             cidr = sorted(e for e, ip in q('select event_id, src_ip from a where src_ip is not null') if ipaddress.ip_address(ip) in net)\n\
             print(json.dumps({{'cases': out, 'cidr': cidr}}))",
            w = serde_json::to_string(&wheres).unwrap()
        ),
    );
    let mut nonempty = 0;
    for (i, (args, sql)) in CASES.iter().enumerate() {
        let got = query_ids(dir.path(), args);
        let expected: BTreeSet<String> = want["cases"][i]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(got, expected, "{args:?} vs {sql}");
        nonempty += usize::from(!got.is_empty());
    }
    assert!(nonempty >= CASES.len() - 2, "too many empty cases");
    let cidr = query_ids(dir.path(), &["--ip", "203.0.113.0/24"]);
    let expected: BTreeSet<String> = want["cidr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(!cidr.is_empty());
    assert_eq!(cidr, expected);
}

#[test]
fn limit_and_order_take_the_newest_or_oldest() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let want = duckdb(
        dir.path(),
        "print(json.dumps({'desc': [str(r[0]) for r in q(\"select strftime(time, '%Y-%m-%dT%H:%M:%S.%fZ') from a order by time desc limit 7\")], 'asc': [str(r[0]) for r in q(\"select strftime(time, '%Y-%m-%dT%H:%M:%S.%fZ') from a order by time limit 7\")]}))",
    );
    for order in ["desc", "asc"] {
        let out = stdout(
            &[
                "query",
                "--archive",
                "archive",
                "--format",
                "csv",
                "--columns",
                "time",
                "--limit",
                "7",
                "--order",
                order,
            ],
            dir.path(),
        );
        let times: Vec<&str> = out.lines().skip(1).collect();
        let expected: Vec<&str> = want[order]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(times, expected, "{order}");
    }
}

#[test]
fn csv_json_and_parquet_exports_agree() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    for (format, file) in [
        ("csv", "out.csv"),
        ("json", "out.json"),
        ("jsonl", "out.jsonl"),
        ("parquet", "out.parquet"),
    ] {
        run_ok(
            auditlake()
                .args([
                    "export",
                    "--archive",
                    "archive",
                    "--format",
                    format,
                    "--output",
                    file,
                    "--action",
                    "authentication.*",
                ])
                .current_dir(dir.path()),
        );
    }
    let got = duckdb(
        dir.path(),
        r#"
import csv, pyarrow.parquet as pq
rows = list(csv.DictReader(open('out.csv', newline='')))
js = json.load(open('out.json'))
jl = [json.loads(l) for l in open('out.jsonl')]
pt = pq.read_table('out.parquet')
same = all(r['event_id'] == j['event_id'] and (r['raw'] or None) == j['raw'] and (r['actor_email'] or None) == j['actor_email'] for r, j in zip(rows, js))
print(json.dumps({
  'csv': len(rows), 'json': len(js), 'jsonl': len(jl), 'parquet': pt.num_rows,
  'same': same, 'ids': sorted(r['event_id'] for r in rows) == sorted(pt.column('event_id').to_pylist()),
  'cols': len(rows[0]), 'pq_cols': pt.num_columns,
  'codec': pq.ParquetFile('out.parquet').metadata.row_group(0).column(0).compression,
  'duck': q("select count(*) from a where action like 'authentication.%'")[0][0],
}))
"#,
    );
    let n = got["duck"].as_u64().unwrap();
    assert!(n > 10);
    for k in ["csv", "json", "jsonl", "parquet"] {
        assert_eq!(got[k].as_u64(), Some(n), "{k}: {got}");
    }
    assert_eq!(got["same"], true, "{got}");
    assert_eq!(got["ids"], true, "{got}");
    assert_eq!(got["cols"], 39);
    assert_eq!(got["pq_cols"], 39);
    assert_eq!(got["codec"], "ZSTD");
}

fn report(dir: &Path, args: &[&str]) -> Value {
    let mut a = vec!["report"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--archive", "archive", "--format", "json"]);
    serde_json::from_str(&stdout(&a, dir)).unwrap()
}

#[test]
fn reports_agree_with_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let d = dir.path();
    let want = duckdb(
        d,
        r#"
fmt = lambda t: t.strftime('%Y-%m-%dT%H:%M:%S') if t else None
out = {
  'last': {u: fmt(t) for u, t in q("select actor_id, max(time) from a where action='authentication.login' and outcome='success' and actor_id is not null group by 1")},
  'activity': {u: n for u, n in q("select actor_id, count(*) from a where actor_id is not null group by 1")},
  'days': {str(dd): n for dd, n in q("select cast(time as date), count(*) from a group by 1")},
  'total': q("select count(*) from a")[0][0],
  'changes': q("select count(*) from a, unnest(cast(json(changes) as json[])) as c(x) where resource_type='license' and resource_id='9'")[0][0],
  'changed_events': q("select count(*) from a where resource_type='license' and resource_id='9'")[0][0],
  'empty_change_events': q("select count(*) from a where resource_type='license' and resource_id='9' and (changes is null or changes = '[]')")[0][0],
  'timeline': [e for (e,) in q("select event_id from a where 'u-1001' in (actor_id, actor_name, actor_email) order by time desc")],
  'fail_ip': {},
}
# failed-logins by ip, window 1h, threshold 3, by brute force over every failure time
import collections, datetime
per = collections.defaultdict(list)
for ip, t in q("select src_ip, time from a where outcome='failure' and action like 'authentication.%' and src_ip is not null"):
    per[ip].append(t)
w = datetime.timedelta(hours=1)
for ip, ts in per.items():
    ts.sort()
    hit = set()
    for i in range(len(ts)):
        j = i
        while j < len(ts) and ts[j] - ts[i] < w: j += 1
        if j - i >= 3: hit.update(range(i, j))
    if hit: out['fail_ip'][ip] = len(hit)
print(json.dumps(out, default=str))
"#,
    );

    let ll = report(d, &["last-login"]);
    let mut checked = 0;
    for row in ll.as_array().unwrap() {
        let user = row["actor_id"].as_str().unwrap();
        let expected = want["last"].get(user).and_then(Value::as_str);
        let got = row["last_login"].as_str().map(|s| &s[..19]);
        if row["status"] != "Active" && row["status"] != "Never" || expected.is_some() {
            assert_eq!(got, expected, "{user}: {row}");
            checked += 1;
        }
        let status = row["status"].as_str().unwrap();
        assert!(["LoggedIn", "Failed", "Locked", "Active", "Never"].contains(&status));
        if status == "LoggedIn" {
            assert_eq!(row["failures_since_login"], 0, "{row}");
        }
    }
    assert!(checked >= 5);
    assert_eq!(
        want["last"].as_object().unwrap().len(),
        ll.as_array()
            .unwrap()
            .iter()
            .filter(|r| !r["last_login"].is_null())
            .count()
    );

    let act = report(d, &["activity"]);
    let rows = act.as_array().unwrap();
    assert_eq!(rows.len(), want["activity"].as_object().unwrap().len());
    for r in rows {
        assert_eq!(
            r["events"],
            want["activity"][r["actor_id"].as_str().unwrap()],
            "{r}"
        );
    }
    assert!(
        rows.windows(2)
            .all(|w| w[0]["events"].as_u64() >= w[1]["events"].as_u64())
    );
    let days = report(d, &["activity", "--by", "day"]);
    for r in days.as_array().unwrap() {
        assert_eq!(r["events"], want["days"][r["day"].as_str().unwrap()], "{r}");
    }

    let heat = report(d, &["heatmap"]);
    let total: u64 = heat
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["total"].as_u64().unwrap())
        .sum();
    assert_eq!(Some(total), want["total"].as_u64());

    let ch = report(d, &["changes", "--resource", "license:9"]);
    let n = ch.as_array().unwrap().len() as u64;
    let expected =
        want["changes"].as_u64().unwrap() + want["empty_change_events"].as_u64().unwrap();
    assert_eq!(n, expected, "{ch}");

    let tl = report(d, &["timeline", "--actor", "u-1001"]);
    let ids: Vec<&str> = tl
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["event_id"].as_str().unwrap())
        .collect();
    let want_ids: Vec<&str> = want["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), want_ids.len());
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>(),
        want_ids.iter().collect::<BTreeSet<_>>()
    );

    let fl = report(
        d,
        &[
            "failed-logins",
            "--by",
            "ip",
            "--window",
            "1h",
            "--threshold",
            "3",
        ],
    );
    let mut got = serde_json::Map::new();
    for r in fl.as_array().unwrap() {
        let ip = r["src_ip"].as_str().unwrap().to_string();
        let n = r["failures"].as_u64().unwrap() + got.get(&ip).and_then(Value::as_u64).unwrap_or(0);
        got.insert(ip, json!(n));
    }
    assert!(
        !got.is_empty(),
        "the samples hold a password-guessing burst"
    );
    assert_eq!(Value::Object(got), want["fail_ip"]);

    let subject: Value = serde_json::from_str(&stdout(
        &[
            "report",
            "subject",
            "--actor",
            "u-1001",
            "--archive",
            "archive",
        ],
        d,
    ))
    .unwrap();
    assert_eq!(subject["subject"], "u-1001");
    assert_eq!(subject["event_count"].as_u64(), Some(want_ids.len() as u64));
    assert_eq!(subject["events"].as_array().unwrap().len(), want_ids.len());
}

#[test]
fn pruning_shows_in_the_counters() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let stats = |args: &[&str]| -> Value {
        let mut a = vec![
            "query",
            "--archive",
            "archive",
            "--format",
            "csv",
            "--stats",
        ];
        a.extend_from_slice(args);
        let out = run_ok(auditlake().args(&a).current_dir(dir.path()));
        let err = String::from_utf8(out.stderr).unwrap();
        serde_json::from_str(err.lines().last().unwrap()).unwrap()
    };
    let all = stats(&[]);
    let files = all["files_planned"].as_u64().unwrap();
    assert!(files >= 10, "{all}");
    // One tier and one day: only that partition is listed.
    let part = stats(&[
        "--tier",
        "security",
        "--since",
        "2026-11-22",
        "--until",
        "2026-11-22",
    ]);
    assert!(part["files_listed"].as_u64().unwrap() < files, "{part}");
    // An actor nobody is: every row group is ruled out before any row is decoded.
    let none = stats(&["--actor", "zz-nobody"]);
    assert_eq!(none["rows_scanned"], 0, "{none}");
    assert_eq!(
        none["row_groups_pruned_stats"].as_u64().unwrap()
            + none["row_groups_pruned_bloom"].as_u64().unwrap(),
        none["row_groups_total"].as_u64().unwrap()
    );
    assert!(none["bytes_read"].as_u64().unwrap() < all["bytes_read"].as_u64().unwrap());
}

#[test]
fn duckdb_reads_the_archive_with_the_printed_ddl() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let ddl = stdout(
        &["ddl", "--engine", "duckdb", "--archive", "archive"],
        dir.path(),
    );
    let got = python_json(
        dir.path(),
        &format!(
            "import duckdb, json\ncon = duckdb.connect()\ncon.execute({ddl:?})\nprint(json.dumps(con.sql('select count(*), count(distinct tier), min(event_date) is not null from audit_events').fetchall()[0]))"
        ),
    );
    assert_eq!(got[0], 168);
    assert!(got[1].as_u64().unwrap() >= 2);
    let athena = stdout(
        &["ddl", "--engine", "athena", "--archive", "archive"],
        dir.path(),
    );
    assert!(
        athena.contains("'projection.tier.values' = 'operational,security,standard'"),
        "{athena}"
    );
}

#[test]
fn bad_arguments_name_the_option() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    for (args, needle) in [
        (&["--since", "last tuesday"][..], "--since"),
        (&["--ip", "10.0.0"][..], "--ip"),
        (&["--columns", "nope"][..], "nope"),
    ] {
        let mut a = vec!["query", "--archive", "archive"];
        a.extend_from_slice(args);
        let out = auditlake()
            .args(&a)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn s3_archive_answers_like_the_local_one() {
    let endpoint = s3_endpoint();
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let bucket = format!("q{}", std::process::id());
    python_json(
        dir.path(),
        &format!(
            r#"
import boto3, glob, json, os
s3 = boto3.client('s3', endpoint_url={endpoint:?}, region_name='us-east-1', aws_access_key_id='x', aws_secret_access_key='x')
s3.create_bucket(Bucket={bucket:?})
n = 0
for f in glob.glob('archive/**/*.parquet', recursive=True):
    s3.upload_file(f, {bucket:?}, 'audit/' + os.path.relpath(f, 'archive')); n += 1
print(json.dumps(n))
"#
        ),
    );
    let url = format!("s3://{bucket}/audit");
    let run = |args: &[&str]| {
        let mut a = vec![
            "query",
            "--archive",
            &url,
            "--s3-endpoint",
            &endpoint,
            "--s3-region",
            "us-east-1",
            "--s3-path-style",
            "--format",
            "jsonl",
            "--columns",
            "event_id",
            "--order",
            "none",
        ];
        a.extend_from_slice(args);
        let out = run_ok(
            auditlake()
                .args(&a)
                .env("AWS_ACCESS_KEY_ID", "x")
                .env("AWS_SECRET_ACCESS_KEY", "x")
                .current_dir(dir.path()),
        );
        String::from_utf8(out.stdout).unwrap().lines().count()
    };
    assert_eq!(run(&[]), 168);
    assert_eq!(
        run(&["--actor", "alice"]),
        query_ids(dir.path(), &["--actor", "alice"]).len()
    );
}

/// `--by-person`: ids that events carry together are one person, computed here from DuckDB's
/// reading of the archive with a union-find of our own.
#[test]
fn last_login_and_activity_by_person_agree_with_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let d = dir.path();
    let want = duckdb(
        d,
        r#"
import collections
pairs = q("""select alias, actor_id from (
    select actor_name as alias, actor_id from a union all select actor_email, actor_id from a)
  where alias is not null and actor_id is not null and alias <> '' and alias <> actor_id""")
claim = collections.defaultdict(set)
for alias, i in pairs: claim[alias].add(i)
parent = {}
def root(x):
    parent.setdefault(x, x)
    while parent[x] != x: x = parent[x]
    return x
for alias, ids in claim.items():
    if len(ids) == 1:
        ra, rb = root(alias), root(next(iter(ids)))
        if ra != rb: parent[max(ra, rb)] = min(ra, rb)
members = collections.defaultdict(set)
for x in list(parent): members[root(x)].add(x)
events = {i: n for i, n in q("select actor_id, count(*) from a where actor_id is not null group by 1")}
def person(i):
    return frozenset(members[root(i)]) if i in parent else frozenset([i])
fmt = lambda t: t.strftime('%Y-%m-%dT%H:%M:%S') if t else None
last, activity = {}, collections.Counter()
for i, t in q("select actor_id, max(time) from a where action='authentication.login' and outcome='success' and actor_id is not null group by 1"):
    p = person(i)
    last[p] = max(last.get(p, t), t)
for i, n in events.items(): activity[person(i)] += n
out = {
  'last': [[sorted(p), fmt(t)] for p, t in last.items()],
  'activity': [[sorted(p), n] for p, n in activity.items()],
  'ambiguous': sorted(a for a, ids in claim.items() if len(ids) > 1),
}
print(json.dumps(out, default=str))
"#,
    );
    let find = |rows: &Value, ids: &[Value]| -> Value {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| ids.contains(&r["actor_id"]))
            .cloned()
            .unwrap_or_else(|| panic!("no row for any of {ids:?}"))
    };
    let ll = report(d, &["last-login", "--by-person"]);
    for w in want["last"].as_array().unwrap() {
        let ids = w[0].as_array().unwrap();
        let row = find(&ll, ids);
        assert_eq!(
            row["last_login"].as_str().map(|s| &s[..19]),
            w[1].as_str(),
            "{ids:?}: {row}"
        );
        // Every id of the row belongs to the person.
        for id in row["ids"].as_str().unwrap().split(", ") {
            assert!(ids.contains(&json!(id)), "{id} is not one of {ids:?}");
        }
    }
    let act = report(d, &["activity", "--by-person"]);
    let rows = act.as_array().unwrap();
    assert_eq!(rows.len(), want["activity"].as_array().unwrap().len());
    for w in want["activity"].as_array().unwrap() {
        let row = find(&act, w[0].as_array().unwrap());
        assert_eq!(row["events"], w[1], "{row}");
    }
    // sshd's `alice` is the application's u-1001: one row.
    assert!(rows.iter().all(|r| r["actor_id"] != "alice"));
}
