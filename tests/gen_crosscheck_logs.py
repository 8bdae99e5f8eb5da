#!/usr/bin/env python3
"""Writes the logs of four applications over the last --days days up to --end, for the query
cross-check suite (tests/e2e_query_crosscheck.rs):

    python3 tests/gen_crosscheck_logs.py --out DIR --end 1795400000 [--days 30] [--seed 11]

- DIR/app.jsonl   auditlake's own JSON format (profile auditlake-json): logins, second factors,
                  sessions, document changes with before/after lists, exports, settings, security
                  keys (registration, use at two relying parties, deletion), an administrator's
                  lockouts, unlocks, role changes and user creations, e-mails; a busy migration day.
- DIR/idp.jsonl   an identity provider's log (profile idp-json): sign-ins, password and TOTP failure
                  bursts followed by lockouts, unlocks, users created who never sign in, security
                  keys, e-mail changes with before/after snapshots.
- DIR/assets.jsonl an asset manager's change log (profile asset-json): laptops, monitors and
                  licenses with from/to changes, check-outs, license keys viewed.
- DIR/auth.log    OpenSSH syslog lines (profile sshd): logins, password guessing from a few
                  addresses (IPv4 and IPv6), username scans, "message repeated" lines.

Addresses are IPv4 and IPv6, some in the forms applications really write: IPv6 uncompressed as
Java prints it, IPv4 clients of a dual-stack server as IPv4-mapped IPv6. Every event time is
before --end minus one minute. Deterministic for a given --seed and --end.
"""
import argparse
import ipaddress
import json
import random
from datetime import datetime, timezone

TENANTS = ["acme", "globex", "initech", "umbrella"]
FIRST = ["Alice", "Bob", "Carol", "Dmitri", "Erin", "Farah", "Gus", "Hana", "Ivan", "José", "Kenji",
         "Lena", "Mara", "Nils", "Olu", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Vik",
         "Wen", "Xavier", "Yara", "Zoë"]
LAST = ["Martin", "Okafor", "Schmidt", "Ångström", "Nair", "Kim", "Walsh", "Rossi", "Tanaka",
        "Dubois", "Novak", "Silva", "O'Brien"]
AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "curl/8.5.0",
]
RPS = [("portal.acme.example", "Acme Portal"), ("vpn.acme.example", "Acme VPN")]
ATTACKERS = ["45.155.205.17", "185.220.101.33", "2001:db8:bad::66", "198.51.100.250"]
DAY = 86400


def ascii_fold(s):
    return (s.replace("é", "e").replace("ë", "e").replace("Å", "A").replace("ö", "o")
            .replace("'", "").lower())


class Gen:
    def __init__(self, seed, end, days):
        self.r = random.Random(seed)
        self.end = end - 60
        self.start = self.end - days * DAY
        self.days = days
        self.users = []
        for i in range(1, 161):
            f, l = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
            tenant = TENANTS[i % len(TENANTS)]
            ips = []
            for k in range(1 + i % 3):
                if (i + k) % 4 == 0:
                    ips.append(f"2001:db8:{i:x}:{k}::{(i * 13 + k) % 97 + 1:x}")
                elif (i + k) % 4 == 1:
                    ips.append(f"203.0.113.{(i * 5 + k) % 250 + 1}")
                elif (i + k) % 4 == 2:
                    ips.append(f"10.{i % 8}.{k}.{(i * 3) % 250 + 2}")
                else:
                    ips.append(f"192.0.2.{(i + k * 40) % 250 + 1}")
            self.users.append({
                "id": f"u-{i:04d}", "name": f"{f} {l}",
                "email": f"{ascii_fold(f)}.{ascii_fold(l)}{i}@{tenant}.example",
                "tenant": tenant, "ips": ips, "ua": AGENTS[i % len(AGENTS)],
            })
        # u-0001..u-0004 administer; u-0141.. are created late and never sign in (Active);
        # u-0151.. only show up as subjects of role changes (Never).
        self.active = self.users[:140]
        self.weights = [1.0 / (k + 3) for k in range(len(self.active))]
        self.admin = self.users[0]

    def t(self, lo=None, hi=None):
        """A time in [lo, hi), busier in working hours."""
        lo = self.start if lo is None else lo
        hi = self.end if hi is None else min(hi, self.end)
        while True:
            t = lo + self.r.random() * (hi - lo)
            h = (t % DAY) / 3600
            if self.r.random() < (1.0 if 7 <= h < 19 else 0.25):
                return t

    def user(self):
        return self.r.choices(self.active, self.weights)[0]

    def ip(self, u):
        ip = self.r.choice(u["ips"])
        x = self.r.random()
        if ":" in ip and x < 0.15:
            # Java writes IPv6 uncompressed.
            return ":".join(f"{int(h, 16):x}" for h in ipaddress.IPv6Address(ip).exploded.split(":"))
        if ":" not in ip and x < 0.08:
            return "::ffff:" + ip
        return ip


def rfc3339_ms(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def rfc3339_s(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def app_log(g, n):
    """auditlake-json lines."""
    r = g.r
    out = []
    seq = [0]

    def ev(t, u, action, outcome="success", **kw):
        seq[0] += 1
        e = {"id": f"app-{seq[0]:07d}", "time": rfc3339_ms(t), "action": action,
             "outcome": outcome}
        if u is not None:
            e["actor"] = {"id": u["id"], "name": u["name"], "email": u["email"], "type": "user"}
            e["tenant"] = u["tenant"]
            e["src_ip"] = g.ip(u)
            e["user_agent"] = u["ua"]
        e.update({k: v for k, v in kw.items() if v is not None})
        out.append((t, json.dumps(e, ensure_ascii=False, separators=(",", ":"))))

    def doc_change(t, u):
        kind = r.choice(["document", "project"])
        rid = f"{kind[:3]}-{r.randrange(60)}"
        field = r.choice(["status", "owner", "title", "classification"])
        old, new = (r.choice(["draft", "review", "final", None]), r.choice(["review", "final",
                    "archived"])) if field in ("status", "classification") else \
            (f"v{r.randrange(9)}", f"v{r.randrange(9)}")
        changes = [{"field": field, "old": old, "new": new}]
        if r.random() < 0.3:
            changes.append({"field": "tags", "old": ["a"], "new": ["a", "b, \"c\""]})
        if r.random() < 0.05:
            changes = []
        msg = r.choice([None, "moved to review", "edited, see \"notes\"", "line one\nline two",
                        "Quarterly plan 🚀", "synced 100% of fields"])
        ev(t, u, "resource.update", session_id=f"s-{u['id']}-{int(t // DAY)}",
           resource={"type": kind, "id": rid, "name": f"{kind.title()} {rid}"},
           changes=changes, message=msg, request_id=f"req-{r.randrange(10**6)}")

    for _ in range(n):
        t, u = g.t(), g.user()
        x = r.random()
        sess = f"s-{u['id']}-{int(t // DAY)}"
        if x < 0.30:
            ok = r.random() > 0.08
            ev(t, u, "authentication.login", "success" if ok else "failure",
               reason=None if ok else "invalid password", auth_method="password",
               session_id=sess if ok else None, src_geo=r.choice(["FR", "DE", "US", None]))
        elif x < 0.38:
            ok = r.random() > 0.05
            ev(t, u, "authentication.mfa.totp", "success" if ok else "failure",
               reason=None if ok else "invalid code", auth_method="totp", session_id=sess)
        elif x < 0.46:
            ev(t, u, "session.create", session_id=sess, device_id=f"dev-{u['id'][2:]}")
        elif x < 0.52:
            ev(t, u, "session.sign_out", session_id=sess)
        elif x < 0.78:
            doc_change(t, u)
        elif x < 0.81:
            ok = r.random() > 0.1
            ev(t, u, "data.export", "success" if ok else "failure",
               reason=None if ok else "export limit exceeded", session_id=sess,
               resource={"type": "export", "id": f"exp-{r.randrange(10**5)}"},
               message=f"exported {r.randrange(1, 99999):,} rows to \"report.csv\"")
        elif x < 0.83:
            ev(t, u, "system.settings.change", resource={"type": "settings", "id": "security"},
               changes=[{"field": "session_timeout_minutes", "old": 30, "new": 15}])
        elif x < 0.90:
            ev(t, u, "account.profile.update", session_id=sess,
               changes=[{"field": "phone", "old": None, "new": "+33 6 00 00 00 00"}])
        elif x < 0.95:
            ev(t, u, "message.email.send", resource={"type": "email_address", "id": u["email"]})
        else:
            ev(t, None, "message.email.send", message="digest sent to all users",
               resource={"type": "email_address", "id": "all@example"})
    # Security keys: registration, uses at two relying parties, some deleted.
    for k, u in enumerate(g.active[:40]):
        cred = f"cred-{k:03d}-{u['id'][2:]}"
        t0 = g.t(g.start, g.start + 20 * DAY)
        ev(t0, u, "credential.register", credential={"id": cred, "rp_id": RPS[0][0],
           "rp_name": RPS[0][1]}, auth_method="webauthn", resource={"type": "security_key",
           "id": cred, "name": f"YubiKey {k}"})
        uses = sorted(g.t(t0, g.end) for _ in range(r.randrange(3, 12)))
        for tu in uses:
            rp = r.choice(RPS)
            ev(tu, u, "credential.use", r.choice(["success"] * 9 + ["failure"]),
               credential={"id": cred, "rp_id": rp[0], "rp_name": rp[1]}, auth_method="webauthn")
        if k % 3 == 0:
            ev(uses[-1] + 30, u, "credential.delete", credential={"id": cred, "rp_id": RPS[0][0],
               "rp_name": RPS[0][1]}, resource={"type": "security_key", "id": cred})
    # The administrator: lockouts and unlocks, role changes, user creation.
    a = g.admin
    for k in range(25):
        target = g.active[10 + k * 3]
        tl = g.t()
        ev(tl, a, "account.lock", resource={"type": "user", "id": target["id"]},
           reason="suspicious activity", message=f"locked {target['name']}")
        if k % 2 == 0:
            ev(g.t(tl, tl + 2 * DAY), a, "account.unlock",
               resource={"type": "user", "id": target["id"]})
    for u in g.users[150:]:
        ev(g.t(), a, "account.role.change", resource={"type": "user", "id": u["id"]},
           changes=[{"field": "role", "old": "member", "new": "viewer"}])
    for u in g.users[140:150]:
        ev(g.t(g.end - 5 * DAY), a, "account.user.create",
           resource={"type": "user", "id": u["id"], "name": u["name"]})
    # A migration day: every document touched, many row groups in that day's objects.
    day = int((g.end - 4 * DAY) // DAY) * DAY
    for _ in range(6000):
        doc_change(g.t(day + 6 * 3600, day + 20 * 3600), g.user())
    return out


def idp_log(g, n):
    r = g.r
    out = []
    seq = [1000]

    def ev(t, u, typ, **payload):
        seq[0] += 1
        ctx = {"timestamp": int(t * 1000), "user_id": u["id"], "ip_address": g.ip(u),
               "user_agent": u["ua"], "app_id": u["tenant"]}
        if r.random() < 0.5:
            ctx["geo_location_code"] = r.choice(["FR", "DE", "US", "JP"])
        p = {"user": {"id": u["id"], "name": u["name"], "email": u["email"]}}
        p.update(payload)
        e = {"id": f"idp-{seq[0]:08x}-{r.randrange(16**8):08x}", "seq": seq[0], "type": typ,
             "context": ctx, "payload": p}
        out.append((t, json.dumps(e, ensure_ascii=False, separators=(",", ":"))))

    for _ in range(n):
        t, u = g.t(), g.user()
        x = r.random()
        if x < 0.55:
            ev(t, u, "USER_AUTHENTICATED", session={"id": f"ses-{r.randrange(16**6):06x}",
               "amr": ["pwd"]})
        elif x < 0.70:
            ev(t, u, "AUTHENTICATION_PRIMARY_PASSWORD_FAILED")
        elif x < 0.75:
            ev(t, u, "AUTHENTICATION_SECONDARY_TOTP_FAILED")
        elif x < 0.85:
            ev(t, u, "USER_SIGNED_OUT", session={"id": f"ses-{r.randrange(16**6):06x}"})
        elif x < 0.90:
            ev(t, u, "IDENTITY_EMAIL_UPDATED", before={"email": f"old.{u['email']}"},
               after={"email": u["email"]})
        else:
            ev(t, u, "EMAIL_SENT", recipient=u["email"])
    # Failure bursts, each followed by a lockout; some unlocked and signed in again.
    for k in range(30):
        # Every third one hits a rarely seen user in the last hours: still locked at the end.
        u = g.active[100 + k] if k % 3 == 0 else g.active[5 + k * 4]
        t0 = g.t(g.end - 4 * 3600, g.end - 1000) if k % 3 == 0 else g.t()
        for j in range(r.randrange(5, 9)):
            ev(t0 + j * r.randrange(20, 100), u, "AUTHENTICATION_PRIMARY_PASSWORD_FAILED")
        tl = t0 + 800
        ev(tl, u, "USER_LOCKED", reason="too many failed attempts")
        if k % 3 == 1:
            ev(tl + 3600, u, "USER_UNLOCKED")
            ev(tl + 3700, u, "USER_AUTHENTICATED", session={"id": f"ses-u{k}"})
    # Users created late who never sign in.
    for u in g.users[140:150]:
        ev(g.t(g.end - 5 * DAY), u, "USER_CREATED")
    # Security keys registered and used through the identity provider.
    for k, u in enumerate(g.active[60:80]):
        cred = f"idp-key-{k:02d}"
        auth = {"id": cred, "name": f"Passkey {k}", "type": "passkey"}
        t0 = g.t(g.start, g.start + 10 * DAY)
        ev(t0, u, "SECURITY_KEY_REGISTERED", authenticator=auth,
           relying_party={"id": RPS[0][0], "name": RPS[0][1]})
        for _ in range(r.randrange(2, 8)):
            rp = r.choice(RPS)
            ev(g.t(t0), u, "SECURITY_KEY_USED", authenticator=auth,
               relying_party={"id": rp[0], "name": rp[1]})
        if k % 4 == 0:
            ev(g.t(g.end - 2 * DAY), u, "SECURITY_KEY_DELETED", authenticator=auth,
               relying_party={"id": RPS[0][0], "name": RPS[0][1]})
    return out


def asset_log(g, n):
    r = g.r
    out = []
    admins = g.users[:4]
    statuses = ["ready to deploy", "deployed", "in repair", "retired"]
    for _ in range(n):
        t, u = g.t(), r.choice(admins)
        ip = g.ip(u)
        x = r.random()
        e = {"ts": rfc3339_s(t), "company": u["tenant"],
             "user": {"id": u["id"], "name": u["name"], "email": u["email"]},
             "ip": ip, "ua": u["ua"]}
        if x < 0.5:
            aid = r.randrange(1, 120)
            e.update(event="asset.updated", asset={"id": aid, "type": r.choice(["laptop",
                     "monitor"]), "name": f"AS-{aid:03d}"},
                     changes={"status": {"from": r.choice(statuses), "to": r.choice(statuses)},
                              "location": {"from": "Paris HQ", "to": r.choice(["Lyon", "Remote"])}})
        elif x < 0.65:
            aid = r.randrange(1, 120)
            e.update(event="asset.checked_out", asset={"id": aid, "type": "laptop",
                     "name": f"AS-{aid:03d}"},
                     changes={"assigned_to": {"from": None, "to": r.choice(g.active)["id"]}},
                     note="new hire kit")
        elif x < 0.85:
            lid = r.randrange(1, 15)
            seats = r.randrange(5, 50)
            e.update(event="license.updated", license={"id": lid, "name": f"License {lid}"},
                     changes={"seats": {"from": seats, "to": seats + 5}})
        else:
            lid = r.randrange(1, 15)
            e.update(event="license.key_viewed", license={"id": lid, "name": f"License {lid}"})
            if r.random() < 0.1:
                e.update(result="denied", error="not allowed")
        out.append((t, json.dumps(e, ensure_ascii=False, separators=(",", ":"))))
    return out


def sshd_log(g, n):
    r = g.r
    out = []
    ops = ["priya", "deploy", "backup", "erin"]
    ops_ips = ["192.0.2.200", "2001:db8:1::200", "10.9.0.5"]

    def line(t, text):
        d = datetime.fromtimestamp(int(t), timezone.utc)
        out.append((t, f"{d.strftime('%b')} {d.day:2d} {d.strftime('%H:%M:%S')} bastion "
                       f"sshd[{r.randrange(1000, 65000)}]: {text}"))

    for _ in range(n // 6):
        t = g.t()
        who, ip = r.choice(ops), r.choice(ops_ips)
        line(t, f"Accepted publickey for {who} from {ip} port {r.randrange(1024, 65535)} ssh2: "
                f"ED25519 SHA256:{who}key")
        line(t + 1, f"pam_unix(sshd:session): session opened for user {who}(uid=1000) by (uid=0)")
        line(t + r.randrange(60, 3600), f"Disconnected from user {who} {ip} port "
                                        f"{r.randrange(1024, 65535)}")
    # Password guessing runs.
    while len(out) < n:
        ip = r.choice(ATTACKERS)
        t = g.t()
        for j in range(r.randrange(2, 25)):
            tj = t + j * r.randrange(5, 90)
            if r.random() < 0.2:
                line(tj, f"Invalid user {r.choice(['admin', 'oracle', 'test'])} from {ip} "
                         f"port {r.randrange(1024, 65535)}")
            elif r.random() < 0.1:
                line(tj, f"message repeated 3 times: [ Failed password for root from {ip} port "
                         f"{r.randrange(1024, 65535)} ssh2]")
            else:
                line(tj, f"Failed password for root from {ip} port {r.randrange(1024, 65535)} ssh2")
    return [(t, l) for t, l in out if t < g.end]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--end", type=float, required=True, help="epoch seconds; events end before")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--scale", type=float, default=1.0)
    a = p.parse_args()
    g = Gen(a.seed, a.end, a.days)
    s = a.scale
    for name, lines in [("app.jsonl", app_log(g, int(20000 * s))),
                        ("idp.jsonl", idp_log(g, int(8000 * s))),
                        ("assets.jsonl", asset_log(g, int(3000 * s))),
                        ("auth.log", sshd_log(g, int(4000 * s)))]:
        lines.sort(key=lambda x: x[0])
        with open(f"{a.out}/{name}", "w", encoding="utf-8") as f:
            for _, text in lines:
                f.write(text + "\n")


if __name__ == "__main__":
    main()
