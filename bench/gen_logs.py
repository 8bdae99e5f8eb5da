#!/usr/bin/env python3
"""Generates a realistic audit log in auditlake's own JSON format (profile auditlake-json).

    python3 bench/gen_logs.py --lines 1000000 --users 5000 --days 7 --out /tmp/bench/app.jsonl

About 300 bytes a line. Deterministic for a given --seed.
"""
import argparse
import json
import random
from datetime import datetime, timedelta, timezone

ACTIONS = [
    ("authentication.login", 40),
    ("authentication.mfa.totp", 10),
    ("session.create", 8),
    ("session.sign_out", 6),
    ("resource.update", 10),
    ("resource.create", 3),
    ("resource.delete", 1),
    ("account.password.change", 1),
    ("account.profile.update", 2),
    ("data.export", 1),
    ("system.settings.change", 1),
    ("credential.use", 5),
    ("message.email.send", 4),
]
AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--users", type=int, default=5000)
    p.add_argument("--ips", type=int, default=20000)
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--failure-rate", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    rnd = random.Random(a.seed)
    names, weights = zip(*ACTIONS)
    start = datetime(2026, 11, 23, tzinfo=timezone.utc) - timedelta(days=a.days)
    step = a.days * 86400 / a.lines
    with open(a.out, "w") as f:
        for i in range(a.lines):
            t = start + timedelta(seconds=i * step)
            u = rnd.randrange(a.users)
            action = rnd.choices(names, weights)[0]
            ok = rnd.random() >= a.failure_rate
            ev = {
                "id": f"evt-{i:09d}",
                "time": t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "action": action,
                "outcome": "success" if ok else "failure",
                "actor": {"id": f"u-{u:05d}", "name": f"user{u}", "email": f"user{u}@example.com"},
                "src_ip": f"10.{(u * 7) % 256}.{rnd.randrange(256)}.{rnd.randrange(a.ips) % 254 + 1}",
                "user_agent": AGENTS[u % len(AGENTS)],
                "session_id": f"s-{u:05d}-{rnd.randrange(50):02d}",
            }
            if not ok:
                ev["reason"] = "invalid credentials"
            if action.startswith("resource."):
                ev["resource"] = {"type": "document", "id": str(rnd.randrange(100000))}
            f.write(json.dumps(ev, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
