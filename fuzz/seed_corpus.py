#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into corpus/<target>/ from examples/logs and config/.

Run from fuzz/: ./seed_corpus.py, then fuzz, then `cargo fuzz cmin <target>` before committing.
"""
import hashlib
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
LOGS = ROOT / "examples" / "logs"


def put(target, data):
    d = ROOT / "fuzz" / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def lines(name):
    return [l.encode() for l in (LOGS / name).read_text().splitlines() if l.strip()]


# json_line: byte 0 picks auditlake-json, idp-json, asset-json, the kitchen sink.
for sel, name in enumerate(["app-audit.jsonl", "idp-events.jsonl", "assets.jsonl"]):
    for l in lines(name):
        put("json_line", bytes([sel]) + l)
        put("json_line", bytes([3]) + l)
kitchen = [
    '{"ts":"2026-11-22T08:00:01","type":"LOGIN","login":{"user":"u1"},"changes":[{"field":"a","old":1,"new":{"x":[1]},"target":"t"}]}',
    '{"time":"2026-11-22 08:00:01.5+01:00","event":{"name":"USER_ADDED"},"actor":[{"id":"u2"}],"result":"failure"}',
    '{"meta":{"when":"bad"},"type":"LOGIN_PW_FAILED","user_id":"u3","id":"origin-1"}',
    '{"type":"HEARTBEAT"}',
    '{"health":true}',
    '{"type":"billing.invoice.void","ip":"::1","user.id":"dotted"}',
]
for l in kitchen:
    put("json_line", bytes([3]) + l.encode())

# changes_line: byte 0 picks the changes shape (list, list with keys, map, map with keys,
# before_after, before_after under a list, flat with field, flat with name).
changes = [
    '{"ts":"2026-11-22T08:00:01Z","type":"a.b","user_id":"u","changes":[{"field":"s","old":1,"new":2},{"name":"n","from":null,"to":[1,2]},"junk"]}',
    '{"ts":"2026-11-22T08:00:01Z","type":"a.b","user_id":"u","d":{"c":[{"attr":"x","was":1,"is":{"k":1}}]}}',
    '{"ts":"2026-11-22T08:00:01Z","type":"a.b","user_id":"u","changes":{"status":{"from":"a","to":"b"},"notes":"n"}}',
    '{"ts":"2026-11-22T08:00:01Z","type":"a.b","user_id":"u","diff":{"k":{"a":1,"c":2}}}',
    '{"ts":"2026-11-22T08:00:01Z","type":"a.b","user_id":"u","before":{"a":1,"b":"x","gone":true},"after":{"a":1,"b":"y","added":[1]}}',
    '{"ts":"2026-11-22T08:00:01Z","type":"a.b","user_id":"u","p":[{"before":{"a":1},"after":{"a":2}}]}',
    '{"ts":"2026-11-22T08:00:01Z","type":"a.b","user_id":"u","field":"role","old":"member","new":"admin"}',
    '{"ts":"2026-11-22T08:00:01Z","type":"a.b","user_id":"u","changes":{"old":"member","new":"admin"}}',
]
for sel, l in enumerate(changes):
    put("changes_line", bytes([sel]) + l.encode())
for l in lines("assets.jsonl")[:10]:
    put("changes_line", bytes([4]) + l)

# logfmt_line: logfmt-app, the custom logfmt profile.
for l in lines("app.logfmt"):
    put("logfmt_line", bytes([0]) + l)
for l in [
    'ts=1795219200 event=login user=u1 outcome=success ip=1.2.3.4',
    'time=1795219200123 event=a.b field=role old=member new="ad\\"min" bare',
    'ts=1795219200000000000 event=LOGOUT msg="cut off',
]:
    put("logfmt_line", bytes([1]) + l.encode())

# regex_line: sshd, the custom regex profile (both expand "message repeated N times").
for l in lines("auth.log"):
    put("regex_line", bytes([0]) + l)
for l in [
    "2026-11-21 10:15:01 host app[12]: login ok user=alice ip=1.2.3.4",
    "2026-11-21 10:15:01 host app: message repeated 5 times: [ login failed user=bob]",
    "2026-11-21 10:15:01 host app: session.close rest of it",
]:
    put("regex_line", bytes([1]) + l.encode())

# time_value: byte 0 picks the format (fuzz/src/normalize.rs TIME_FORMATS), byte 1 the mode
# (bit 0: raw JSON, bit 1: 8 bytes of observed time follow).
times = {
    0: ["2026-11-22T08:00:01.123Z", "2026-11-22 08:00:01+02:00", "0000-01-01T00:00:00Z"],
    1: ["2026-11-22T08:00:01.123456789"],
    2: ["1795219200", "1795219200.5", "-62135596800"],
    3: ["1795219200000"],
    4: ["1795219200000000"],
    5: ["1795219200000000000"],
    6: ["1795219200", "1795219200000", "99999999999999999999"],
    7: ["Nov 21 10:15:01", "Feb 29 00:00:00", "Dec 31 23:59:59"],
    8: ["Jan  1 00:00:00"],
    9: ["21/Nov/2026:10:12:44 +0100"],
    10: ["2026-11-21 10:12:44.123"],
    11: ["21.11.26 10:12"],
    12: ["366 10:00:00"],
    13: ["1795219200"],
    14: ["2026-11-21T10:12:44+00:00"],
    15: ["Sat, 21 Nov 2026 10:12:44 +0000"],
    16: ["21 10:12:44 UTC"],
}
for sel, values in times.items():
    for v in values:
        put("time_value", bytes([sel, 0]) + v.encode())
        if v.lstrip("-").replace(".", "").isdigit():
            put("time_value", bytes([sel, 1]) + v.encode())
put("time_value", bytes([7, 2]) + (2**63 - 1).to_bytes(8, "little") + b"Dec 31 23:59:59")
put("time_value", bytes([7, 2]) + (0).to_bytes(8, "little") + b"Jan  1 00:00:00")

# profile_config and agent_config: the configuration files.
for f in sorted((ROOT / "config" / "profiles").glob("*.toml")):
    put("profile_config", f.read_bytes())
for f in sorted((ROOT / "config").glob("*.toml")):
    put("agent_config", f.read_bytes())
