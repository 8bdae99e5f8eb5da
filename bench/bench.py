#!/usr/bin/env python3
"""auditlake's benchmark harness. Run it through bench/run.sh, which builds the release binary and
the Python venv (DuckDB) first; BENCHMARKS.md explains every figure.

Measures, in one run:
  ingest   events/s and MiB/s of `auditlake agent --once` pinned to one core, peak RSS
  size     archive bytes against the raw file and `zstd -1` of it
  query    one actor over 30 days, one day, failed logins by IP over 7 days: `auditlake query` /
           `report` against DuckDB (one thread and default threads) on the same Parquet files
  live     line-to-object latency p50/p99 of the live agent at default flush settings, peak RSS

Every step's result is kept in WORK/results/ under a key made of its parameters and the binary's
hash: a run that stops (or is stopped) resumes where it was. Generated logs are kept in WORK/data/
and reused when their parameters match. Nothing here is a test: figures are printed, not checked.
"""
import argparse
import csv
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

# Bump when the generator's output changes, so that kept logs are made again.
GEN_FORMAT = 1
MIB = 1024 * 1024
TIERS = """
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
"""
PROFILES = ["auditlake-json", "idp-json", "asset-json", "sshd", "logfmt-app"]
# Lines up to which an ingest is run a second time with the chart's malloc tunables.
CHART_ENV_MAX_LINES = 1_000_000


def chart_malloc_tunables():
    """The GLIBC_TUNABLES the Helm chart gives the sidecar (`sidecar.mallocTunables`)."""
    values = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "helm", "auditlake",
                          "values.yaml")
    with open(values) as f:
        m = re.search(r'^  mallocTunables: "([^"]*)"', f.read(), re.M)
    return m.group(1) if m else ""


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, a):
        self.a = a
        self.bin = os.path.abspath(a.bin)
        self.work = os.path.abspath(a.work)
        for d in ("data", "runs", "results"):
            os.makedirs(os.path.join(self.work, d), exist_ok=True)
        self.bin_hash = self.file_hash(self.bin)
        self.ncpu = os.cpu_count() or 1
        self.taskset = shutil.which("taskset")
        self.gnu_time = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

    @staticmethod
    def file_hash(path):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(MIB), b""):
                h.update(chunk)
        return h.hexdigest()[:16]

    # --- kept results -------------------------------------------------------------------------

    def cached(self, step, params, fn, valid=lambda r: True):
        """fn()'s result for (step, params, binary), computed once and kept on disk (while
        valid(result) holds)."""
        key = hashlib.sha256(
            json.dumps([step, params, self.bin_hash], sort_keys=True).encode()
        ).hexdigest()[:16]
        path = os.path.join(self.work, "results", f"{step}-{key}.json")
        if os.path.exists(path) and not self.a.fresh:
            with open(path) as f:
                kept = json.load(f)
            if valid(kept):
                log(f"  {step}: kept result {os.path.basename(path)}")
                return kept
        result = fn()
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(result, f, indent=1)
        os.replace(tmp, path)
        return result

    # --- generated logs -----------------------------------------------------------------------

    def gen_file(self, profile, lines, days=None, line_size=None):
        days = days or self.a.days
        params = {
            "format": GEN_FORMAT,
            "profile": profile,
            "lines": lines,
            "days": days,
            "users": self.a.users,
            "ips": self.a.ips,
            "start": self.a.start,
            "seed": self.a.seed,
            "line_size": line_size,
        }
        name = f"{profile}-{lines}-{days}d" + (f"-{line_size}b" if line_size else "")
        path = os.path.join(self.work, "data", name + ".log")
        meta = path + ".params"
        if os.path.exists(path) and os.path.exists(meta):
            with open(meta) as f:
                kept = json.load(f)
            if kept.get("params") == params and kept.get("bytes") == os.path.getsize(path):
                return path, kept["stats"]
        log(f"  gen {name} ...")
        cmd = [self.bin, "gen", "--profile", profile, "--lines", str(lines), "--days", str(days),
               "--users", str(self.a.users), "--ips", str(self.a.ips), "--start", self.a.start,
               "--seed", str(self.a.seed), "--out", path, "--stats"]
        if line_size:
            cmd += ["--line-size", str(line_size)]
        p = subprocess.run(cmd, stderr=subprocess.PIPE, text=True, check=True)
        stats = json.loads(p.stderr.strip().splitlines()[-1])
        with open(meta, "w") as f:
            json.dump({"params": params, "bytes": os.path.getsize(path), "stats": stats}, f)
        log(f"    {stats['lines']} lines, {stats['bytes'] / MIB:.1f} MiB, "
            f"{stats['lines_per_sec'] / 1e6:.2f} M lines/s")
        return path, stats

    # --- ingest -------------------------------------------------------------------------------

    def config(self, run, sources, extra_agent="", extra_source=""):
        port = free_port()
        text = f"""version = 1

[agent]
state_dir = "{run}/state"
listen = "127.0.0.1:{port}"
{extra_agent}
[archive]
url = "{run}/archive"
"""
        for name, path, profile in sources:
            text += f"""
[[sources]]
name = "{name}"
paths = ["{path}"]
profile = "{profile}"
start_at = "beginning"
{extra_source}"""
        text += TIERS
        cfg = os.path.join(run, "config.toml")
        with open(cfg, "w") as f:
            f.write(text)
        return cfg, port

    def ingest(self, profile, lines, keep_raw=True):
        def measure():
            name = f"ingest-{profile}-{lines}" + ("" if keep_raw else "-noraw")
            return self.ingest_once(profile, lines, keep_raw, name)

        params = {"profile": profile, "lines": lines, "days": self.a.days, "users": self.a.users,
                  "ips": self.a.ips, "seed": self.a.seed, "start": self.a.start}
        if not keep_raw:
            params["keep_raw"] = False
        r = self.cached("ingest", params, measure, lambda r: os.path.isdir(r["archive"]))
        log(f"    {r['events']} events in {r['wall_s']:.2f} s: {r['events_per_s']:.0f} events/s, "
            f"{r['mib_per_s']:.1f} MiB/s, peak RSS {fmt(r['peak_rss_mib'], '.1f')} MiB")
        return r

    def ingest_once(self, profile, lines, keep_raw, name):
        """One `agent --once` over the generated log, in a fresh run directory `name`."""
        path, gstats = self.gen_file(profile, lines)
        run = os.path.join(self.work, "runs", name)
        shutil.rmtree(run, ignore_errors=True)
        os.makedirs(run)
        cfg, _ = self.config(run, [("app", path, profile)],
                             extra_source="" if keep_raw else "keep_raw = false\n")
        cmd = [self.bin, "agent", "--once", "--json", "--config", cfg]
        if self.gnu_time:
            cmd = [self.gnu_time, "-v"] + cmd
        if self.taskset:
            cmd = [self.taskset, "-c", "0"] + cmd
        log(f"  ingest {profile} {lines} lines: {' '.join(cmd)}")
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = p.communicate()
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"agent failed: {err[-2000:]}")
        summary = json.loads(out)
        t = summary["total"]
        tv = parse_gnu_time(err)
        rss_kib = tv.get("max_rss_kib")
        cpu = None
        if "user" in tv:
            cpu = tv["user"] + tv["sys"]
        archive = os.path.join(run, "archive")
        arch_bytes, objects = dir_parquet(archive)
        chart_rss = self.chart_env_rss(profile, lines, path, keep_raw, name, cmd)
        return {
            "profile": profile,
            "keep_raw": keep_raw,
            "lines": t["lines"],
            "events": t["events"],
            "ignored": t["ignored"],
            "dead_letters": t["dead_letters"],
            "expected_events": gstats["events"],
            "bytes_in": t["bytes_in"],
            "raw_bytes": os.path.getsize(path),
            "wall_s": wall,
            "agent_s": summary.get("seconds"),
            "cpu_s": cpu,
            "events_per_s": t["events"] / wall,
            "mib_per_s": os.path.getsize(path) / MIB / wall,
            "events_per_cpu_s": t["events"] / cpu if cpu else None,
            "peak_rss_mib": rss_kib / 1024 if rss_kib else None,
            "chart_env_peak_rss_mib": chart_rss,
            "chart_env": chart_malloc_tunables(),
            "archive_bytes": arch_bytes,
            "objects": objects,
            "archive": archive,
            "command": " ".join(cmd),
        }

    def chart_env_rss(self, profile, lines, path, keep_raw, name, cmd):
        """Peak RSS of the same run in the sidecar's environment as the Helm chart sets it
        (GLIBC_TUNABLES from `sidecar.mallocTunables`), in a run directory of its own."""
        tunables = chart_malloc_tunables()
        if not tunables or not self.gnu_time or lines > CHART_ENV_MAX_LINES:
            return None
        run = os.path.join(self.work, "runs", f"{name}-chart-env")
        shutil.rmtree(run, ignore_errors=True)
        os.makedirs(run)
        cfg, _ = self.config(run, [("app", path, profile)],
                             extra_source="" if keep_raw else "keep_raw = false\n")
        cmd = cmd[:-1] + [cfg]
        log(f"  ingest {profile} {lines} lines, GLIBC_TUNABLES={tunables}")
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           env={**os.environ, "GLIBC_TUNABLES": tunables})
        shutil.rmtree(run, ignore_errors=True)
        if p.returncode != 0:
            raise RuntimeError(f"agent failed: {p.stderr[-2000:]}")
        rss = parse_gnu_time(p.stderr).get("max_rss_kib")
        return rss / 1024 if rss else None

    def duckdb_convert(self, path, out):
        """DuckDB's own NDJSON-to-Parquet conversion of `path`, one thread, pinned like the
        agent: the peer a user who only wants JSON in Parquet would run instead."""
        sql = (f"COPY (SELECT * FROM read_json('{path}', format = 'newline_delimited')) "
               f"TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
        script = ("import duckdb, sys\n"
                  "con = duckdb.connect()\n"
                  "con.execute('SET threads = 1')\n"
                  "con.execute(sys.argv[1])\n")
        cmd = [sys.executable, "-c", script, sql]
        if self.gnu_time:
            cmd = [self.gnu_time, "-v"] + cmd
        if self.taskset:
            cmd = [self.taskset, "-c", "0"] + cmd
        if os.path.exists(out):
            os.remove(out)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"duckdb failed: {p.stderr[-2000:]}")
        tv = parse_gnu_time(p.stderr)
        rss = tv.get("max_rss_kib")
        return {"wall_s": wall, "bytes": os.path.getsize(out),
                "peak_rss_mib": rss / 1024 if rss else None, "sql": sql,
                "command": f"taskset -c 0 python: SET threads = 1; {sql}"}

    def peer(self, profile, lines, rounds=3):
        """auditlake ingest and DuckDB's conversion of the same file, alternating, best of
        `rounds` each; DuckDB's Parquet size beside the archive's."""
        path, _ = self.gen_file(profile, lines)

        def measure():
            ours, theirs = [], []
            out = os.path.join(self.work, "runs", f"duckdb-{profile}-{lines}.parquet")
            for i in range(rounds):
                log(f"  peer round {i + 1}/{rounds}: auditlake, then DuckDB")
                ours.append(self.ingest_once(profile, lines, True, f"peer-{profile}-{lines}"))
                theirs.append(self.duckdb_convert(path, out))
            best = min(ours, key=lambda r: r["wall_s"])
            duck = min(theirs, key=lambda r: r["wall_s"])
            return {"profile": profile, "lines": lines, "raw_bytes": os.path.getsize(path),
                    "auditlake": best, "duckdb": duck,
                    "auditlake_runs_s": [r["wall_s"] for r in ours],
                    "duckdb_runs_s": [r["wall_s"] for r in theirs]}

        params = {"profile": profile, "lines": lines, "rounds": rounds, "days": self.a.days,
                  "users": self.a.users, "ips": self.a.ips, "seed": self.a.seed,
                  "start": self.a.start}
        r = self.cached("peer", params, measure)
        ev = r["auditlake"]["events"] / r["auditlake"]["wall_s"]
        dk = r["lines"] / r["duckdb"]["wall_s"]
        log(f"    auditlake {ev:,.0f} events/s, DuckDB {dk:,.0f} lines/s: {ev / dk:.2f}x")
        return r

    def zstd_size(self, path):
        def measure():
            log(f"  zstd -1 {os.path.basename(path)}")
            if shutil.which("zstd"):
                p = subprocess.Popen(["zstd", "-1", "-q", "-c", path], stdout=subprocess.PIPE)
                n = 0
                for chunk in iter(lambda: p.stdout.read(MIB), b""):
                    n += len(chunk)
                p.wait()
                return {"bytes": n, "tool": "zstd -1 (CLI)"}
            import zstandard  # installed into the venv by run.sh when the CLI is missing

            c = zstandard.ZstdCompressor(level=1)
            n = 0
            with open(path, "rb") as f:
                for chunk in c.read_to_iter(f, read_size=MIB):
                    n += len(chunk)
            return {"bytes": n, "tool": "zstandard level 1 (Python)"}

        st = os.stat(path)
        return self.cached("zstd", {"path": path, "size": st.st_size, "mtime": st.st_mtime}, measure)

    # --- queries ------------------------------------------------------------------------------

    def queries(self, archive):
        import duckdb

        glob = f"{archive}/**/*.parquet"
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"CREATE VIEW a AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true)")
        first, last = con.execute("SELECT min(time), max(time) FROM a").fetchone()
        total = con.execute("SELECT count(*) FROM a").fetchone()[0]
        # A typical user: the actor whose event count is the median of all actors'.
        per_actor = con.execute(
            "SELECT actor_id, count(*) AS n FROM a WHERE actor_id LIKE 'u-%' GROUP BY 1 ORDER BY n, 1"
        ).fetchall()
        actor, actor_events = per_actor[len(per_actor) // 2]
        con.close()
        d0 = first.date()
        d_end = last.date() + dt.timedelta(days=1)
        day = d0 + (d_end - d0) / 2
        week0 = d_end - dt.timedelta(days=7)
        iso = lambda d: d.isoformat()  # noqa: E731
        ts = lambda d: f"TIMESTAMPTZ '{d.isoformat()} 00:00:00+00'"  # noqa: E731
        cols_day = "time,action,outcome,actor_id,src_ip,resource_id,event_id"
        specs = [
            {
                "name": f"one actor, all {(d_end - d0).days} days",
                "id": "actor",
                "auditlake": ["query", "--actor-id", actor, "--since", iso(d0), "--until",
                              iso(d_end), "--format", "csv"],
                "stats": True,
                "sql": f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true) "
                       f"WHERE actor_id = '{actor}' AND time >= {ts(d0)} AND time < {ts(d_end)} "
                       f"ORDER BY time DESC",
            },
            {
                "name": f"one day ({iso(day)})",
                "id": "day",
                "auditlake": ["query", "--since", iso(day), "--until", iso(day), "--format", "csv",
                              "--columns", cols_day],
                "stats": True,
                "sql": f"SELECT {cols_day} FROM read_parquet('{glob}', hive_partitioning = true) "
                       f"WHERE time >= {ts(day)} AND time < {ts(day + dt.timedelta(days=1))} "
                       f"ORDER BY time DESC",
            },
            {
                "name": "failed logins by IP, last 7 days (bursts of 5 in 15 min)",
                "id": "failed",
                "auditlake": ["report", "failed-logins", "--by", "ip", "--window", "15m",
                              "--threshold", "5", "--since", iso(week0), "--until", iso(d_end),
                              "--format", "csv"],
                # The report has no counters; the same scan as a query gives the bytes read.
                "stats_cmd": ["query", "--action", "authentication.*", "--outcome", "failure",
                              "--since", iso(week0), "--until", iso(d_end), "--order", "none",
                              "--columns", "time,action,outcome,src_ip,actor_id", "--format", "csv"],
                "sql": f"""SELECT src_ip, count(*) AS failures, max(in_window) AS max_in_15_min
                    FROM (SELECT src_ip, count(*) OVER (PARTITION BY src_ip ORDER BY time
                            RANGE BETWEEN INTERVAL 15 MINUTES PRECEDING AND CURRENT ROW) AS in_window
                          FROM read_parquet('{glob}', hive_partitioning = true)
                          WHERE action LIKE 'authentication.%' AND outcome = 'failure'
                            AND src_ip IS NOT NULL
                            AND time >= {ts(week0)} AND time < {ts(d_end)})
                    GROUP BY src_ip HAVING max(in_window) >= 5 ORDER BY failures DESC""",
            },
        ]
        params = {"archive": archive, "total": total, "runs": self.a.runs, "specs": specs}

        def measure():
            return [self.query_one(s, archive) for s in specs]

        results = self.cached("query", params, measure)
        return {"total_events": total, "actor": actor, "actor_events": actor_events,
                "first": str(first), "last": str(last), "results": results}

    def run_auditlake(self, argv, archive, stats):
        cmd = [self.bin] + argv + ["--archive", archive, "--output", os.devnull]
        if stats:
            cmd.append("--stats")
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        secs = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {p.stderr[-2000:]}")
        st = None
        if stats:
            st = json.loads([ln for ln in p.stderr.splitlines() if ln.startswith("{")][-1])
        return secs, st, cmd

    def run_duckdb(self, sql, threads):
        import duckdb

        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        if threads:
            con.execute(f"SET threads = {threads}")
        t0 = time.perf_counter()
        con.execute(f"COPY ({sql}) TO '{os.devnull}' (FORMAT csv, HEADER)")
        secs = time.perf_counter() - t0
        con.close()
        return secs

    def query_one(self, spec, archive):
        import duckdb

        runs = self.a.runs
        log(f"  query: {spec['name']} ({runs} runs each after a warm-up)")
        ours, duck1, duckn = [], [], []
        stats, cmd = None, None
        # Warm the page cache for both, then alternate so that neither gets a warmer machine.
        self.run_auditlake(spec["auditlake"], archive, False)
        self.run_duckdb(spec["sql"], 1)
        for _ in range(runs):
            secs, st, cmd = self.run_auditlake(spec["auditlake"], archive, spec.get("stats", False))
            ours.append(secs)
            stats = st or stats
            duck1.append(self.run_duckdb(spec["sql"], 1))
            duckn.append(self.run_duckdb(spec["sql"], None))
        if "stats_cmd" in spec:
            _, stats, _ = self.run_auditlake(spec["stats_cmd"], archive, True)
        # The rows auditlake answers with: the same command once more, into a file.
        out_csv = os.path.join(self.work, "runs", f"query-{spec['id']}.csv")
        subprocess.run([self.bin] + spec["auditlake"] + ["--archive", archive, "--output", out_csv],
                       check=True, stdout=subprocess.DEVNULL)
        with open(out_csv, newline="") as f:
            our_rows = max(sum(1 for _ in csv.reader(f)) - 1, 0)
        os.remove(out_csv)
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        duck_rows = con.execute(f"SELECT count(*) FROM ({spec['sql']})").fetchone()[0]
        con.close()
        r = {
            "name": spec["name"],
            "id": spec["id"],
            "auditlake_s": statistics.median(ours),
            "duckdb_1t_s": statistics.median(duck1),
            "duckdb_s": statistics.median(duckn),
            "auditlake_runs": ours,
            "duckdb_1t_runs": duck1,
            "duckdb_runs": duckn,
            "duckdb_rows": duck_rows,
            "auditlake_rows": our_rows,
            "stats": stats,
            "command": " ".join(cmd),
            "sql": " ".join(spec["sql"].split()),
        }
        log(f"    auditlake {r['auditlake_s'] * 1000:.0f} ms, DuckDB 1 thread "
            f"{r['duckdb_1t_s'] * 1000:.0f} ms, DuckDB default {r['duckdb_s'] * 1000:.0f} ms")
        return r

    # --- compaction -----------------------------------------------------------------------------

    def compact(self, ingest_run):
        """`auditlake compact` over a copy (hard links) of an ingest run's archive: its time,
        CPU, peak RSS and objects before and after. The copy is what the compacted queries read."""
        src = ingest_run["archive"]
        before_bytes, before_objects = dir_parquet(src)

        def measure():
            # compact-ingest-auditlake-json-10000000, after the run it compacts.
            name = os.path.basename(os.path.dirname(src))
            run = os.path.join(self.work, "runs", f"compact-{name}")
            shutil.rmtree(run, ignore_errors=True)
            os.makedirs(run)
            archive = os.path.join(run, "archive")
            # Compaction writes new objects and deletes its inputs: links keep the source intact.
            subprocess.run(["cp", "-al", src, archive], check=True)
            cfg, _ = self.config(run, [])
            # Compaction signs a receipt: a key of its own for the run.
            subprocess.run([self.bin, "keygen", "--out", os.path.join(run, "signing")], check=True,
                           stdout=subprocess.DEVNULL)
            with open(cfg, "a") as f:
                f.write(f'\n[digest]\nsigning_key_file = "{run}/signing.key"\n')
            cmd = [self.bin, "compact", "--json", "--config", cfg]
            if self.gnu_time:
                cmd = [self.gnu_time, "-v"] + cmd
            log(f"  compact: {' '.join(cmd)}")
            t0 = time.perf_counter()
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wall = time.perf_counter() - t0
            if p.returncode != 0:
                raise RuntimeError(f"compact failed: {p.stderr[-2000:]}")
            tv = parse_gnu_time(p.stderr)
            after_bytes, after_objects = dir_parquet(archive)
            return {
                "lines": ingest_run["lines"],
                "archive": archive,
                "before_bytes": before_bytes,
                "before_objects": before_objects,
                "after_bytes": after_bytes,
                "after_objects": after_objects,
                "wall_s": wall,
                "cpu_s": tv["user"] + tv["sys"] if "user" in tv else None,
                "peak_rss_mib": tv["max_rss_kib"] / 1024 if tv.get("max_rss_kib") else None,
                "command": " ".join(cmd),
            }

        params = {"archive": src, "bytes": before_bytes, "objects": before_objects}
        r = self.cached("compact", params, measure, lambda r: os.path.isdir(r["archive"]))
        log(f"    {r['before_objects']} objects -> {r['after_objects']} in {r['wall_s']:.1f} s, "
            f"peak RSS {fmt(r['peak_rss_mib'], '.0f')} MiB")
        return r


    # --- the console's API ----------------------------------------------------------------------

    def serve(self, archive, actor, first, last):
        """`auditlake serve` over the query archive: the time to the first page of one user's
        activity over the whole range (as the console's user page asks it, by actor id, and as
        that user signed in with role `user`) and to the Users page (last-login and activity by
        user), each the median of the runs, measured from a client on the same machine."""
        d0 = dt.date.fromisoformat(first[:10])
        d_end = dt.date.fromisoformat(last[:10]) + dt.timedelta(days=1)

        def measure():
            run = os.path.join(self.work, "runs", "serve")
            shutil.rmtree(run, ignore_errors=True)
            os.makedirs(run)
            cfg, _ = self.config(run, [])
            tokens = {}
            for name, role, extra in (("bench-auditor", "auditor", ""),
                                      ("bench-user", "user", f'actor_ids = ["{actor}"]\n')):
                out = subprocess.run([self.bin, "serve-token", "--name", name, "--role", role],
                                     check=True, stdout=subprocess.PIPE, text=True).stdout
                tokens[role] = out.split()[1]
                tokens[role + "_table"] = out[out.index("[[serve.tokens]]"):].strip() + "\n" + extra
            # The console journals its reads into the archive it serves: it gets a hard-linked
            # copy, so that the query steps' archive stays as measured (a resumed run would
            # otherwise measure its queries again, over a longer range).
            served = os.path.join(run, "archive")
            shutil.copytree(archive, served, copy_function=os.link)
            port = free_port()
            text = open(cfg).read().replace(f'url = "{run}/archive"', f'url = "{served}"')
            text += (f'\n[serve]\nlisten = "127.0.0.1:{port}"\nstate_dir = "{run}/serve"\n'
                     f'verify_interval_secs = 0\n\n{tokens["auditor_table"]}\n{tokens["user_table"]}')
            with open(cfg, "w") as f:
                f.write(text)
            log(f"  serve: {self.bin} serve --config {cfg}")
            proc = subprocess.Popen([self.bin, "serve", "--config", cfg],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                deadline = time.time() + 60
                while http_status(port, "/healthz") != 200:
                    if time.time() > deadline or proc.poll() is not None:
                        raise RuntimeError("auditlake serve did not start")
                    time.sleep(0.1)
                rng = f"since={d0.isoformat()}&until={d_end.isoformat()}"
                cases = [
                    ("user page, first 50 of one user's events (actor_id)", "auditor",
                     f"/api/v1/events?actor_id={actor}&{rng}&limit=50"),
                    ("user page, first 50 (actor: id, name or e-mail)", "auditor",
                     f"/api/v1/events?actor={actor}&{rng}&limit=50"),
                    ("own activity, first 50, signed in as that user", "user",
                     f"/api/v1/events?{rng}&limit=50"),
                    ("Users page: last-login", "auditor", f"/api/v1/reports/last-login?{rng}"),
                    ("Users page: activity by user", "auditor",
                     f"/api/v1/reports/activity?by=user&{rng}"),
                ]
                out = []
                for name, role, path in cases:
                    times, rows = [], None
                    for _ in range(self.a.runs):
                        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                                     headers={"Authorization": f"Bearer {tokens[role]}"})
                        t0 = time.perf_counter()
                        with urllib.request.urlopen(req, timeout=600) as r:
                            body = json.loads(r.read())
                        times.append(time.perf_counter() - t0)
                        rows = len(body.get("events", body.get("rows", [])))
                    times.sort()
                    out.append({"name": name, "path": path, "role": role, "rows": rows,
                                "median_s": times[len(times) // 2], "min_s": times[0]})
                    log(f"    {name}: {out[-1]['median_s'] * 1000:.0f} ms ({rows} rows)")
                return {"actor": actor, "cases": out, "command": f"{self.bin} serve --config {cfg}"}
            finally:
                proc.terminate()
                proc.wait(timeout=60)
                shutil.rmtree(served, ignore_errors=True)

        params = {"archive": archive, "actor": actor, "runs": self.a.runs}
        return self.cached("serve", params, measure)

    # --- live ---------------------------------------------------------------------------------

    def live(self):
        rate, secs = self.a.live_rate, self.a.live_secs
        params = {"rate": rate, "secs": secs, "users": self.a.users, "ips": self.a.ips}
        return self.cached("live", params, lambda: self.live_measure(rate, secs))

    def live_measure(self, rate, secs):
        import duckdb

        run = os.path.join(self.work, "runs", "live")
        shutil.rmtree(run, ignore_errors=True)
        os.makedirs(run)
        logfile = os.path.join(run, "live.jsonl")
        open(logfile, "w").close()
        cfg, port = self.config(run, [("live", logfile, "auditlake-json")])
        archive = os.path.join(run, "archive")
        pin_agent = [self.taskset, "-c", "0"] if self.taskset and self.ncpu >= 2 else []
        pin_writer = [self.taskset, "-c", "1"] if self.taskset and self.ncpu >= 2 else []
        agent_cmd = pin_agent + [self.bin, "agent", "--config", cfg]
        writer_cmd = pin_writer + [
            self.bin, "gen", "--profile", "auditlake-json", "--rate", str(rate), "--duration",
            str(secs), "--users", str(self.a.users), "--ips", str(self.a.ips), "--seed",
            str(self.a.seed), "--out", logfile, "--stats"]
        log(f"  live: {' '.join(agent_cmd)}")
        agent_log = open(os.path.join(run, "agent.log"), "w")
        agent = subprocess.Popen(agent_cmd, stdout=agent_log, stderr=subprocess.STDOUT)
        seen = {}
        hwm = [0]

        def sample():
            now = time.time()
            for root, _, files in os.walk(archive):
                for f in files:
                    if f.endswith(".parquet") and not f.startswith("."):
                        seen.setdefault(os.path.join(root, f), now)
            hwm[0] = max(hwm[0], vm_hwm_kib(agent.pid) or 0)

        try:
            deadline = time.time() + 30
            while http_status(port, "/healthz") != 200:
                if agent.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"the agent did not start; see {run}/agent.log")
                time.sleep(0.1)
            log(f"  live: {' '.join(writer_cmd)}")
            cpu0, t0 = cpu_seconds(agent.pid), time.time()
            writer = subprocess.Popen(writer_cmd, stderr=subprocess.PIPE, text=True)
            while writer.poll() is None:
                sample()
                time.sleep(0.05)
            # The agent's share of its core while the writer ran.
            cpu_share = (cpu_seconds(agent.pid) - cpu0) / (time.time() - t0)
            wstats = json.loads(writer.stderr.read().strip().splitlines()[-1])
            # Measure lines written while the writer ran steadily: leave out the last stretch,
            # long enough for a batch to fill, whose lines the agent may only flush at its
            # flush interval once writing stops.
            tail = max(0.2 * secs, 2 * 200_000 / rate)
            if tail > 0.8 * secs:
                tail = 0.5 * secs
            cutoff_us = wstats["first_time_us"] + int((secs - tail) * 1e6)
            window = count_lines_before(logfile, cutoff_us)
            log(f"  live: writer done ({wstats['lines']} lines); waiting for the {window} lines "
                f"of the measured window")
            con = duckdb.connect()
            con.execute("SET TimeZone = 'UTC'")
            wait_until = time.time() + 90
            archived = 0
            while time.time() < wait_until:
                for _ in range(40):
                    sample()
                    time.sleep(0.05)
                if seen:
                    archived = con.execute(
                        f"SELECT count(*) FROM read_parquet({sorted(seen)!r}) "
                        f"WHERE epoch_us(time) < {cutoff_us}").fetchone()[0]
                if archived >= window:
                    break
            sample()
            agent.send_signal(signal.SIGTERM)
            stop_deadline = time.time() + 60
            while agent.poll() is None and time.time() < stop_deadline:
                sample()
                time.sleep(0.05)
            if agent.poll() is None:
                agent.kill()
            agent.wait()
            sample()
        finally:
            if agent.poll() is None:
                agent.kill()
                agent.wait()
            agent_log.close()
        sample_paths = sorted(seen)
        con.execute("CREATE TABLE seen (path VARCHAR, seen_us BIGINT)")
        con.executemany("INSERT INTO seen VALUES (?, ?)",
                        [(p, int(t * 1e6)) for p, t in seen.items()])
        row = con.execute(f"""
            SELECT count(*), count(DISTINCT event_id),
                   quantile_cont(lat, 0.5), quantile_cont(lat, 0.99), max(lat), min(lat)
            FROM (SELECT a.event_id, (s.seen_us - epoch_us(a.time)) / 1e6 AS lat
                  FROM read_parquet({sample_paths!r}, filename = true) a
                  JOIN seen s ON a.filename = s.path
                  WHERE epoch_us(a.time) < {cutoff_us})""").fetchone()
        total_archived = con.execute(
            f"SELECT count(*) FROM read_parquet({sample_paths!r})").fetchone()[0]
        con.close()
        r = {
            "rate": rate,
            "secs": secs,
            "lines": wstats["lines"],
            "writer_lines_per_s": wstats["lines"] / secs,
            "window_s": secs - tail,
            "window_lines": window,
            "window_archived": row[0],
            "window_distinct": row[1],
            "p50_s": row[2],
            "p99_s": row[3],
            "max_s": row[4],
            "min_s": row[5],
            "archived_total": total_archived,
            "objects": len(seen),
            "peak_rss_mib": hwm[0] / 1024,
            "agent_cpu_share": cpu_share,
            "agent_exit": agent.returncode,
            "agent_command": " ".join(agent_cmd),
            "writer_command": " ".join(writer_cmd),
        }
        log(f"    p50 {fmt(r['p50_s'], '.2f')} s, p99 {fmt(r['p99_s'], '.2f')} s over "
            f"{r['window_archived']}/{window} lines; peak RSS {r['peak_rss_mib']:.1f} MiB, "
            f"{cpu_share * 100:.0f} % of a core")
        return r


# --- helpers ----------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.status
    except Exception:
        return None


def cpu_seconds(pid):
    """User + system CPU seconds of a running process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def parse_gnu_time(err):
    out = {}
    for line in err.splitlines():
        line = line.strip()
        if line.startswith("Maximum resident set size (kbytes):"):
            out["max_rss_kib"] = int(line.rsplit(":", 1)[1])
        elif line.startswith("User time (seconds):"):
            out["user"] = float(line.rsplit(":", 1)[1])
        elif line.startswith("System time (seconds):"):
            out["sys"] = float(line.rsplit(":", 1)[1])
    return out


def dir_parquet(root):
    total = n = 0
    for r, _, files in os.walk(root):
        for f in files:
            if f.endswith(".parquet") and not f.startswith("."):
                total += os.path.getsize(os.path.join(r, f))
                n += 1
    return total, n


def count_lines_before(path, cutoff_us):
    """Lines of an auditlake-json file whose "time" is before cutoff_us."""
    n = 0
    cache = {}
    with open(path, "rb") as f:
        for line in f:
            i = line.find(b'"time":"')
            if i < 0:
                continue
            stamp = line[i + 8:i + 32].decode()  # 2026-11-23T13:10:00.123Z
            sec = stamp[:19]
            base = cache.get(sec)
            if base is None:
                base = int(dt.datetime.fromisoformat(sec + "+00:00").timestamp()) * 1_000_000
                cache[sec] = base
            if base + int(stamp[20:23]) * 1000 < cutoff_us:
                n += 1
    return n


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    return {
        "host": socket.gethostname(),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem / 1024 ** 3, 1),
        "kernel": platform.release(),
        "load_at_start": [round(x, 2) for x in load],
    }


# --- report -----------------------------------------------------------------------------------


def ratio(a, b):
    return None if not a or not b else a / b


def query_table(w, q):
    w(f"The actor is `{q['actor']}` ({q['actor_events']} events, the median actor). auditlake's "
      "time is the whole process (start, listing, scan, CSV to /dev/null); DuckDB's is the "
      "statement in a fresh connection, writing CSV to /dev/null.")
    w("")
    w("| query | rows (auditlake / DuckDB) | auditlake ms | DuckDB 1 thread ms | DuckDB default ms | vs 1 thread | vs default | MiB read | row groups read / total |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in q["results"]:
        st = r.get("stats") or {}
        rows = r.get("auditlake_rows")
        rg_total = st.get("row_groups_total")
        rg_read = None
        if rg_total is not None:
            rg_read = rg_total - st.get("row_groups_pruned_stats", 0) - st.get("row_groups_pruned_bloom", 0)
        w(f"| {r['name']} | {fmt(rows, ',')} / {r['duckdb_rows']:,} | {r['auditlake_s'] * 1000:,.0f} | "
          f"{r['duckdb_1t_s'] * 1000:,.0f} | {r['duckdb_s'] * 1000:,.0f} | "
          f"{r['auditlake_s'] / r['duckdb_1t_s']:.2f}x | {r['auditlake_s'] / r['duckdb_s']:.2f}x | "
          f"{fmt(st.get('bytes_read') and st['bytes_read'] / MIB, '.1f')} | "
          f"{fmt(rg_read, ',')} / {fmt(rg_total, ',')} |")
    w("")
    w("The failed-logins row: auditlake's report finds bursts (>= 5 failures within 15 minutes) "
      "per address, one row per burst; DuckDB's statement finds the addresses with such a burst "
      "with a window function, one row per address, so the row counts differ by design. MiB read for it comes from the same scan run as `auditlake query --stats`.")
    w("")


def report(res, a):
    m = res["machine"]
    out = []
    w = out.append
    w(f"# auditlake benchmark, {res['date']} on {m['host']}")
    w("")
    w(f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}; "
      f"load average at start {m['load_at_start'][0]} (1 min). Mode: {res['mode']}. "
      f"Binary sha256 prefix {res['binary']}.")
    w("")
    w(f"Command: `{res['command']}`")
    w("")
    ing = res.get("ingest") or []
    if ing:
        w("## Ingest: `agent --once`, pinned to one core (`taskset -c 0`)")
        w("")
        w("| log | lines | events | dead letters | MiB | wall s | CPU s | events/s | MiB/s | events per CPU-s | peak RSS MiB | with the chart's malloc tunables |")
        w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in ing:
            w(f"| {r['profile']} | {r['lines']:,} | {r['events']:,} | {r['dead_letters']} | "
              f"{r['raw_bytes'] / MIB:,.1f} | {r['wall_s']:.2f} | {fmt(r['cpu_s'], '.2f')} | "
              f"{r['events_per_s']:,.0f} | {r['mib_per_s']:.1f} | "
              f"{fmt(r['events_per_cpu_s'], ',.0f')} | {fmt(r['peak_rss_mib'], '.1f')} | "
              f"{fmt(r.get('chart_env_peak_rss_mib'), '.1f')} |")
        w("")
        tun = next((r.get("chart_env") for r in ing if r.get("chart_env")), None)
        if tun:
            w(f"The last column: the same run once more with `GLIBC_TUNABLES={tun}`, the environment "
              "the Helm chart gives the sidecar (`sidecar.mallocTunables`); the binary run bare "
              f"is the peak RSS column. Runs of up to {CHART_ENV_MAX_LINES:,} lines only.")
            w("")
    peer = res.get("peer")
    if peer:
        ours, duck = peer["auditlake"], peer["duckdb"]
        ev = ours["events"] / ours["wall_s"]
        dk = peer["lines"] / duck["wall_s"]
        w("## Against DuckDB: the same file, one core, best of "
          f"{len(peer['auditlake_runs_s'])} alternating runs")
        w("")
        w(f"{peer['lines']:,} `{peer['profile']}` lines ({peer['raw_bytes'] / MIB:,.1f} MiB). auditlake: "
          f"`{ours['command']}` (every default, `raw` kept); DuckDB: `{duck['command']}`.")
        w("")
        w("| figure | auditlake | yardstick | ratio | goal |")
        w("| --- | ---: | ---: | ---: | --- |")
        w(f"| ingest, events/s | {ev:,.0f} | 500,000 | {ev / 500_000:.2f}x | >= 1.00x |")
        w(f"| ingest against DuckDB's conversion, lines/s | {ev:,.0f} | {dk:,.0f} | {ev / dk:.2f}x | >= 1.00x |")
        w(f"| peak RSS, MiB | {fmt(ours['peak_rss_mib'], '.1f')} | 64 (DuckDB: {fmt(duck['peak_rss_mib'], '.1f')}) | "
          f"{fmt(ours['peak_rss_mib'] / 64 if ours['peak_rss_mib'] else None, '.2f')}x | <= 1.00x |")
        w(f"| archive with `raw`, MiB, against `zstd -1` of the log | {ours['archive_bytes'] / MIB:,.1f} | "
          f"{peer['zstd_bytes'] / MIB:,.1f} | {ours['archive_bytes'] / peer['zstd_bytes']:.2f}x | <= 1.00x |")
        w(f"| archive without `raw`, MiB, against DuckDB's Parquet | {peer['noraw_archive_bytes'] / MIB:,.1f} | "
          f"{duck['bytes'] / MIB:,.1f} | {peer['noraw_archive_bytes'] / duck['bytes']:.2f}x | <= 1.00x |")
        w("")
        w(f"Runs (s): auditlake {', '.join(f'{x:.2f}' for x in peer['auditlake_runs_s'])}; "
          f"DuckDB {', '.join(f'{x:.2f}' for x in peer['duckdb_runs_s'])}.")
        w("")
    size = res.get("size") or []
    if size:
        w("## Size: archive (zstd Parquet) against the raw log and `zstd -1`")
        w("")
        w("| log | lines | `raw` column | raw MiB | zstd -1 MiB | archive MiB | objects | raw / archive | zstd -1 / archive |")
        w("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in size:
            kept = "kept" if r.get("keep_raw", True) else "off (`keep_raw = false`)"
            if r.get("compacted"):
                kept += ", compacted"
            w(f"| {r['profile']} | {r['lines']:,} | {kept} | {r['raw'] / MIB:,.1f} | {r['zstd'] / MIB:,.1f} | "
              f"{r['archive'] / MIB:,.1f} | {r['objects']} | {r['raw'] / r['archive']:.1f}x | "
              f"{r['zstd'] / r['archive']:.2f}x |")
        w("")
    q = res.get("query")
    if q:
        w(f"## Queries: {q['total_events']:,} events from {q['first'][:10]} to {q['last'][:10]}, "
          f"median of {a.runs} runs")
        w("")
        query_table(w, q)
    c = res.get("compact")
    if c:
        w("## After compaction: the same queries on the compacted archive")
        w("")
        w(f"`{c['command']}` over a hard-linked copy of the archive above: "
          f"{c['before_objects']:,} objects ({c['before_bytes'] / MIB:,.1f} MiB) became "
          f"{c['after_objects']:,} ({c['after_bytes'] / MIB:,.1f} MiB) in {c['wall_s']:.1f} s "
          f"(CPU {fmt(c['cpu_s'], '.1f')} s, peak RSS {fmt(c['peak_rss_mib'], ',.0f')} MiB).")
        w("")
        query_table(w, c["query"])
    sv = res.get("serve")
    if sv:
        w(f"## The console's API: `auditlake serve` on the query archive (median of {a.runs} runs)")
        w("")
        w(f"One user: `{sv['actor']}`. Goal: the first page of one user's activity in <= 1 s.")
        w("")
        w("| page | request | rows | median ms | min ms |")
        w("| --- | --- | ---: | ---: | ---: |")
        for c in sv["cases"]:
            w(f"| {c['name']} | `{c['path']}` ({c['role']}) | {c['rows']:,} | "
              f"{c['median_s'] * 1000:,.0f} | {c['min_s'] * 1000:,.0f} |")
        w("")
    lv = res.get("live")
    if lv:
        w(f"## Live agent: line-to-object latency at default flush settings")
        w("")
        w(f"A writer (`auditlake gen --rate`) appends {lv['rate']:,} lines/s for {lv['secs']:.0f} s "
          f"({lv['writer_lines_per_s']:,.0f} lines/s achieved) to a file the agent tails; latency "
          "is when the object holding a line first appeared in the archive (polled every 50 ms) "
          f"minus the time written in the line, over the first {lv['window_s']:.0f} s of writing.")
        w("")
        w("| lines measured | archived (distinct) | p50 s | p99 s | max s | objects | agent peak RSS MiB | agent CPU (share of its core) |")
        w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        share = lv.get("agent_cpu_share")
        w(f"| {lv['window_lines']:,} | {lv['window_archived']:,} ({lv['window_distinct']:,}) | "
          f"{fmt(lv['p50_s'], '.2f')} | {fmt(lv['p99_s'], '.2f')} | {fmt(lv['max_s'], '.2f')} | "
          f"{lv['objects']} | {lv['peak_rss_mib']:.1f} | {fmt(share and share * 100, '.0f')} % |")
        w("")
    w("## Against issue 9's goals")
    w("")
    w("| goal | target | measured | ratio to target |")
    w("| --- | --- | --- | --- |")
    if ing:
        big = max((r for r in ing if r["profile"] == "auditlake-json"), key=lambda r: r["lines"])
        w(f"| ingest events/s per core ({big['lines']:,} lines) | >= 500,000 | {big['events_per_s']:,.0f} | "
          f"{big['events_per_s'] / 500_000:.2f}x |")
        w(f"| ingest MiB/s per core | >= 150 | {big['mib_per_s']:.1f} | {big['mib_per_s'] / 150:.2f}x |")
        rss = [r["peak_rss_mib"] for r in ing if r["peak_rss_mib"]]
        if lv:
            rss.append(lv["peak_rss_mib"])
        if rss:
            w(f"| peak RSS | <= 64 MiB | {max(rss):.1f} MiB (largest of all runs) | "
              f"{max(rss) / 64:.2f}x of the cap |")
    if size:
        for kept, compacted in ((True, False), (False, False), (True, True), (False, True)):
            rows = [r for r in size
                    if r["profile"] == "auditlake-json" and r.get("keep_raw", True) == kept
                    and r.get("compacted", False) == compacted]
            if not rows:
                continue
            big = max(rows, key=lambda r: r["lines"])
            how = (f"{big['lines']:,} lines" + ("" if kept else ", `keep_raw = false`")
                   + (", compacted" if compacted else ""))
            w(f"| archive vs raw ({how}) | >= 7x smaller | {big['raw'] / big['archive']:.1f}x | "
              f"{big['raw'] / big['archive'] / 7:.2f}x |")
            w(f"| archive vs zstd -1 ({how}) | >= 1.2x smaller | {big['zstd'] / big['archive']:.2f}x | "
              f"{big['zstd'] / big['archive'] / 1.2:.2f}x |")
    for label, qq in (("", q), (", compacted", (c or {}).get("query"))):
        if not qq:
            continue
        r = next(r for r in qq["results"] if r["id"] == "actor")
        rt = r["auditlake_s"] / r["duckdb_s"]
        w(f"| one actor over 30 days{label} | <= 1.5x DuckDB's time | {rt:.2f}x DuckDB default threads "
          f"({r['auditlake_s'] / r['duckdb_1t_s']:.2f}x one thread) | {rt / 1.5:.2f}x of the cap |")
    if lv:
        w(f"| live latency (issue 3) | within flush interval + upload | p50 {fmt(lv['p50_s'], '.2f')} s, "
          f"p99 {fmt(lv['p99_s'], '.2f')} s | |")
    w("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the auditlake release binary")
    ap.add_argument("--work", required=True, help="where logs, archives and kept results go")
    ap.add_argument("--results-dir", required=True, help="where the dated report goes")
    ap.add_argument("--mode", default="full")
    ap.add_argument("--lines", default="1000000,10000000",
                    help="ingest sizes (auditlake-json); the largest is also the query archive")
    ap.add_argument("--profile-lines", type=int, default=1_000_000,
                    help="lines of the per-profile ingest runs")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--start", default="2026-10-01")
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--ips", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--runs", type=int, default=5, help="query runs (median)")
    ap.add_argument("--live-rate", type=int, default=50_000)
    ap.add_argument("--live-secs", type=float, default=600)
    ap.add_argument("--steps", default="ingest,peer,size,query,compact,serve,live")
    ap.add_argument("--fresh", action="store_true", help="measure again, ignoring kept results")
    ap.add_argument("--command", default="bench/run.sh")
    a = ap.parse_args()
    steps = set(a.steps.split(","))
    b = Bench(a)
    res = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "mode": a.mode,
        "binary": b.bin_hash,
        "command": a.command,
        "args": vars(a),
    }
    log(f"bench: {res['machine']}")
    sizes = sorted(int(x) for x in a.lines.split(",") if x)
    ingest = []
    if steps & {"ingest", "size", "query", "compact", "serve"}:
        for n in sizes:
            ingest.append(b.ingest("auditlake-json", n))
        if "ingest" in steps:
            for p in PROFILES[1:]:
                ingest.append(b.ingest(p, a.profile_lines))
        if "ingest" in steps:
            res["ingest"] = ingest
    if "size" in steps:
        res["size"] = []
        for r in ingest:
            path, _ = b.gen_file(r["profile"], r["lines"])
            z = b.zstd_size(path)
            res["size"].append({"profile": r["profile"], "lines": r["lines"], "raw": r["raw_bytes"],
                                "zstd": z["bytes"], "zstd_tool": z["tool"], "keep_raw": True,
                                "archive": r["archive_bytes"], "objects": r["objects"]})
        # The same log without `raw`: what the structured columns alone cost.
        r = b.ingest("auditlake-json", sizes[0], keep_raw=False)
        path, _ = b.gen_file(r["profile"], r["lines"])
        res["size"].append({"profile": r["profile"], "lines": r["lines"], "raw": r["raw_bytes"],
                            "zstd": b.zstd_size(path)["bytes"], "keep_raw": False,
                            "archive": r["archive_bytes"], "objects": r["objects"]})
    if "peer" in steps:
        # Issue 17's yardsticks: DuckDB converting the same file, and the archive without `raw`.
        res["peer"] = b.peer("auditlake-json", sizes[0])
        noraw = b.ingest("auditlake-json", sizes[0], keep_raw=False)
        path, _ = b.gen_file("auditlake-json", sizes[0])
        res["peer"]["noraw_archive_bytes"] = noraw["archive_bytes"]
        res["peer"]["zstd_bytes"] = b.zstd_size(path)["bytes"]
    if "query" in steps:
        res["query"] = b.queries(ingest[len(sizes) - 1]["archive"])
    if "compact" in steps:
        res["compact"] = b.compact(ingest[len(sizes) - 1])
        res["compact"]["query"] = b.queries(res["compact"]["archive"])
        # What compaction gives in size, with and without `raw`.
        noraw = b.compact(b.ingest("auditlake-json", sizes[0], keep_raw=False))
        for c, kept in ((res["compact"], True), (noraw, False)):
            path, _ = b.gen_file("auditlake-json", c["lines"])
            res.setdefault("size", []).append({
                "profile": "auditlake-json", "lines": c["lines"], "raw": os.path.getsize(path),
                "zstd": b.zstd_size(path)["bytes"], "keep_raw": kept, "compacted": True,
                "archive": c["after_bytes"], "objects": c["after_objects"]})
    if "serve" in steps:
        q = res.get("query") or b.queries(ingest[len(sizes) - 1]["archive"])
        res["serve"] = b.serve(ingest[len(sizes) - 1]["archive"], q["actor"], q["first"], q["last"])
    if "live" in steps:
        res["live"] = b.live()
    text = report(res, a)
    print(text)
    os.makedirs(a.results_dir, exist_ok=True)
    stem = os.path.join(a.results_dir,
                        f"{dt.date.today().isoformat()}-{res['machine']['host']}")
    with open(stem + ".md", "w") as f:
        f.write(text + "\n")
    with open(stem + ".json", "w") as f:
        json.dump(res, f, indent=1, default=str)
    log(f"bench: wrote {stem}.md and {stem}.json")


if __name__ == "__main__":
    main()
