#!/usr/bin/env python3
"""Drives the auditlake console (`auditlake serve`) in Debian's Chromium, as a person would.

    python tests/browser/console.py --url http://127.0.0.1:8080 --token AUDITOR_TOKEN \
        --user-token USER_TOKEN --user-actor u-1001 --other-actor u-1002 \
        --hostile '<script>alert(1)</script>' --shots DIR --out result.json

With the auditor token it signs in (after checking that a wrong token shows an error), filters
the activity log by --user-actor and checks every row against the API's answer for the same
filter, downloads the CSV (and JSON lines, Parquet) export of that filter and compares its
event ids with the API's, opens the user's page (Activities, Security keys), a resource's
history, the Users, Reports and Integrity pages, and checks that the --hostile username renders
as text (no dialog fires, no element is injected, no control character reaches the page).
With --user-token it checks that a user sees only their own events and is not offered the
pages about everyone. Screenshots of every page go to --shots as PNG.

Prints each check; exits 1 if any failed (2 on bad arguments), 0 otherwise; --out gets
{"ok", "checks": [{"name", "ok", "detail"}], "screenshots", "dialogs", "page_errors"}.
Needs the playwright package (sync API) and Chromium (AUDITLAKE_CHROMIUM, /usr/bin/chromium).
"""

import argparse
import csv
import io
import json
import os
import re
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

# Characters the console must show as symbols, never hand to the page as they are.
RAW_CONTROLS = re.compile("[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]")
MAX_PAGES = 40  # "Load more" clicks at most per table


class Fatal(Exception):
    """A check failed that the next steps depend on."""


class Checks:
    def __init__(self):
        self.results = []

    def check(self, name, ok, detail=""):
        self.results.append({"name": name, "ok": bool(ok), "detail": str(detail)})
        print(f"{'PASS' if ok else 'FAIL'}  {name}" + (f": {detail}" if detail else ""), flush=True)
        return bool(ok)

    def require(self, name, ok, detail=""):
        if not self.check(name, ok, detail):
            raise Fatal(f"{name}: {detail}")

    def skip(self, name, why):
        self.results.append({"name": name, "ok": True, "skipped": True, "detail": why})
        print(f"SKIP  {name}: {why}", flush=True)

    @property
    def failed(self):
        return [r for r in self.results if not r["ok"]]


# ------------------------------------------------------------------ the API, directly


class Api:
    def __init__(self, base, token):
        self.base = base.rstrip("/")
        self.token = token

    def get(self, path, pairs=()):
        q = urllib.parse.urlencode(list(pairs))
        url = f"{self.base}/api/v1/{path}" + (f"?{q}" if q else "")
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def json(self, path, pairs=()):
        status, body = self.get(path, pairs)
        if status != 200:
            raise Fatal(f"GET /api/v1/{path}?{urllib.parse.urlencode(list(pairs))}: HTTP {status}: {body[:300]!r}")
        return json.loads(body)

    def events(self, pairs):
        """Every event of a filter, following next_cursor."""
        out, cursor = [], None
        for _ in range(100000):
            p = [kv for kv in pairs if kv[0] not in ("limit", "cursor")] + [("limit", "100")]
            if cursor:
                p.append(("cursor", cursor))
            page = self.json("events", p)
            out.extend(page.get("events") or [])
            cursor = page.get("next_cursor")
            if not cursor:
                return out
        raise Fatal("next_cursor never ended")


# ------------------------------------------------------------------ the page


def actor_fields(row):
    return {row.get("actorId") or "", row.get("actorName") or "", row.get("actorEmail") or ""} - {""}


def is_read_event(action):
    """The server's own record of a read: written while the checks run."""
    return (action or "").startswith("audit.log.")


class Console:
    def __init__(self, page, base, checks, shots, timeout_ms):
        self.page = page
        self.base = base.rstrip("/")
        self.c = checks
        self.shots_dir = shots
        self.shots = []
        self.timeout = timeout_ms

    def goto(self, hash_path):
        self.page.evaluate("h => { location.hash = h; }", hash_path)

    def banner(self):
        el = self.page.query_selector("#error")
        if el and el.is_visible():
            return el.text_content().strip()
        return ""

    def no_banner(self, where):
        b = self.banner()
        self.c.check(f"{where}: no error banner", not b, b)

    def wait_table(self, sel, param=None):
        """Waits until the table at sel finished loading (for a filter holding param: (key, value))."""
        self.page.wait_for_function(
            """([sel, kv]) => {
                const t = document.querySelector(sel);
                if (!t) return false;
                if (kv && !new URLSearchParams(t.dataset.query || '').getAll(kv[0]).includes(kv[1])) return false;
                return t.dataset.state === 'done' || t.dataset.state === 'error';
            }""",
            arg=[sel, list(param) if param else None],
            timeout=self.timeout,
        )
        state = self.page.eval_on_selector(sel, "t => t.dataset.state")
        if state != "done":
            raise Fatal(f"{sel} did not load: {self.banner() or state}")

    def rows(self, sel):
        return self.page.eval_on_selector_all(
            f"{sel} tbody tr",
            "rs => rs.map(r => Object.assign({text: r.textContent}, r.dataset))",
        )

    def load_all(self, sel):
        """Clicks "Load more" until every page of the table is shown (at most MAX_PAGES)."""
        for _ in range(MAX_PAGES):
            more = self.page.query_selector("#more")
            if not more or not more.is_visible():
                return True
            before = len(self.rows(sel))
            more.click()
            self.page.wait_for_function(
                "([sel, n]) => { const t = document.querySelector(sel); return t && t.dataset.state !== 'loading' && t.querySelectorAll('tbody tr').length > n || (t && t.dataset.state === 'error'); }",
                arg=[sel, before],
                timeout=self.timeout,
            )
            if self.page.eval_on_selector(sel, "t => t.dataset.state") == "error":
                raise Fatal(f"loading more of {sel} failed: {self.banner()}")
        more = self.page.query_selector("#more")
        return not (more and more.is_visible())

    def shot(self, name):
        path = self.shots_dir / f"{name}.png"
        self.page.evaluate("() => window.scrollTo(0, 0)")
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(str(path))
        print(f"      screenshot {path}", flush=True)

    def query_pairs(self):
        """The API filter the page shows it uses (#query: /api/v1/events?...)."""
        q = self.page.text_content("#query") or ""
        return urllib.parse.parse_qsl(urllib.parse.urlsplit(q).query, keep_blank_values=True)

    def sign_in(self, token):
        self.page.wait_for_selector("#token", state="visible", timeout=self.timeout)
        self.page.fill("#token", token)
        self.page.click("#sign-in")

    def apply_filter(self, actor=None, range_="all"):
        """Filters the activity log by actor through the form (through the address when the
        actor holds a line break, which a text field drops)."""
        if actor and ("\n" in actor or "\r" in actor):
            self.goto("#/activity?" + urllib.parse.urlencode([("actor", actor)]))
        else:
            self.page.wait_for_selector("#f-actor", timeout=self.timeout)
            self.page.fill("#f-actor", actor or "")
            self.page.select_option("#f-range", range_)
            self.page.click("#apply")
        self.wait_table("#events", ("actor", actor) if actor else None)


def download(page, button, timeout_ms):
    with page.expect_download(timeout=timeout_ms) as info:
        page.click(button)
    d = info.value
    path = d.path()
    return d.suggested_filename, Path(path).read_bytes()


def compare_ids(checks, name, got, want_events):
    """got: ids in the page or file; want_events: the API's events. Reads recorded meanwhile are
    tolerated (the server logs every read as audit.log.* while the checks run)."""
    want = [e.get("event_id") for e in want_events]
    actions = {e.get("event_id"): e.get("action") for e in want_events}
    missing = [i for i in want if i not in set(got)]
    extra = [i for i in got if i not in set(want)]
    missing_real = [i for i in missing if not is_read_event(actions.get(i))]
    detail = f"{len(got)} rows vs {len(want)} from the API"
    if missing_real or extra:
        detail += f"; missing {missing_real[:5]}{'...' if len(missing_real) > 5 else ''}; unexpected {extra[:5]}{'...' if len(extra) > 5 else ''}"
    dupes = len(got) - len(set(got))
    if dupes:
        detail += f"; {dupes} duplicated"
    return checks.check(name, not missing_real and not extra and not dupes and len(got) > 0, detail)


def newest_first(times):
    ts = []
    for t in times:
        try:
            ts.append(datetime.fromisoformat(t.replace("Z", "+00:00")))
        except (ValueError, AttributeError):
            return False
    return all(a >= b for a, b in zip(ts, ts[1:]))


# ------------------------------------------------------------------ the checks


def run(args, checks, page, con):
    api = Api(args.url, args.token)
    me = api.json("me")
    checks.check("API /me answers for the auditor token", bool(me.get("role")), f"{me.get('subject')} ({me.get('role')})")

    # Sign-in: a wrong token is refused with a visible error, the right one signs in.
    page.goto(con.base + "/", wait_until="load")
    page.wait_for_selector("#token", state="visible", timeout=con.timeout)
    con.shot("signin")
    con.sign_in("not-a-token-" + str(int(time.time())))
    page.wait_for_selector("#error:not([hidden])", timeout=con.timeout)
    checks.check("a wrong token shows the error banner", "401" in con.banner() or con.banner(), con.banner()[:160])
    checks.check("a wrong token leaves the sign-in form", page.is_visible("#token"))
    con.sign_in(args.token)
    page.wait_for_function("r => (document.querySelector('#who') || {}).textContent.includes(r)", arg=me["role"], timeout=con.timeout)
    who = page.text_content("#who")
    checks.require("the header shows who is signed in and the role",
                   me["role"] in who and ((me.get("name") or me["subject"]) in who), who)
    checks.check("a Sign out button is offered", page.is_visible("#sign-out"))
    checks.check("the Users page is offered to an auditor/admin", page.is_visible('#nav a[href="#/users"]'))

    # Activity log filtered by an actor.
    con.goto("#/activity")
    con.wait_table("#events")
    actor = args.user_actor
    if not actor:
        first = con.rows("#events")
        actor = next((r.get("actorId") for r in first if r.get("actorId")), None)
    checks.require("an actor to filter by", actor, "pass --user-actor")
    con.apply_filter(actor)
    con.no_banner("activity log")
    complete = con.load_all("#events")
    rows = con.rows("#events")
    pairs = con.query_pairs()
    checks.check("the page's filter names the actor", ("actor", actor) in pairs, urllib.parse.urlencode(pairs))
    checks.require("the filtered activity log has rows", len(rows) > 0, f"{len(rows)} rows for actor {actor!r}")
    bad = [r.get("eventId") for r in rows if actor not in actor_fields(r)]
    checks.check("every row's actor is the filtered actor (id, name or e-mail)", not bad, f"{len(rows)} rows; others: {bad[:5]}")
    checks.check("rows are newest first", newest_first([r.get("time") for r in rows]))
    api_rows = api.events(pairs)
    shown = [r.get("eventId") for r in rows]
    if complete:
        compare_ids(checks, "the table shows exactly the API's events for the filter", shown, api_rows)
    else:
        compare_ids(checks, f"the table's first {len(shown)} rows are the API's", shown, api_rows[: len(shown)])
    con.shot("activity")

    # Exports of the current filter.
    name, data = download(page, "#export-csv", con.timeout)
    checks.check("the CSV export is named auditlake-export.csv", name == "auditlake-export.csv", name)
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    checks.require("the CSV has an event_id column", reader.fieldnames and "event_id" in reader.fieldnames, reader.fieldnames)
    csv_rows = list(reader)
    api_now = api.events(pairs)
    known = {e.get("event_id") for e in api_now}
    csv_ids = []
    for r in csv_rows:
        i = r["event_id"]
        if i not in known and i.startswith("'") and i[1:] in known:
            i = i[1:]  # a formula-looking cell, prefixed by the server
        csv_ids.append(i)
    compare_ids(checks, "the CSV export has exactly the API's events for the filter", csv_ids, api_now)
    name, data = download(page, "#export-jsonl", con.timeout)
    try:
        jl_ids = [json.loads(line)["event_id"] for line in data.decode("utf-8").splitlines() if line.strip()]
        compare_ids(checks, "the JSON lines export has the API's events", jl_ids, api_now)
    except (ValueError, KeyError) as e:
        checks.check("the JSON lines export parses", False, e)
    checks.check("the JSON lines export is named auditlake-export.jsonl", name == "auditlake-export.jsonl", name)
    name, data = download(page, "#export-parquet", con.timeout)
    checks.check("the Parquet export is a Parquet file", data[:4] == b"PAR1" and data[-4:] == b"PAR1", f"{name}, {len(data)} bytes")

    # The user's page.
    link = page.query_selector("#events tbody tr a.actor-link")
    checks.require("an actor in the table links to the user's page", link)
    link.click()
    page.wait_for_function("() => location.hash.startsWith('#/user/')", timeout=con.timeout)
    con.wait_table("#user-events")
    con.no_banner("user page")
    checks.check("the Activities tab is open", page.get_attribute("#tab-activities", "aria-selected") == "true")
    urows = con.rows("#user-events")
    # The page is a person's: every id joined to the one opened, as /api/v1/people says.
    opened = urllib.parse.unquote(page.evaluate("location.hash").split("/user/", 1)[1].split("?", 1)[0])
    who = api.json("people/" + urllib.parse.quote(opened, safe=""))
    ids = set(who.get("ids") or [opened])
    checks.check("the user's Activities list only the person's events", len(urows) > 0 and all(actor_fields(r) & ids for r in urows),
                 f"{len(urows)} rows for {sorted(ids)}")
    page.wait_for_selector("#identity-card", timeout=con.timeout)
    card = page.inner_text("#identity-card")
    checks.check("the user's page says who the id is", all(i in card for i in who.get("ids") or []) if who.get("person") else "No other id" in card,
                 card[:200])
    if who.get("ambiguous"):
        checks.check("the user's page names the ids not joined to them", page.query_selector("#user-identity #ambiguous-ids") is not None
                     and all(a["alias"] in page.inner_text("#user-identity #ambiguous-ids summary") for a in who["ambiguous"]))
    con.shot("user")
    page.click("#tab-keys")
    con.wait_table("#user-keys")
    con.no_banner("security keys")
    krows = con.rows("#user-keys")
    checks.check("Security keys lists only credential.* events", all((r.get("action") or "").startswith("credential.") for r in krows),
                 f"{len(krows)} credential events")
    con.shot("user-keys")

    # A resource's history.
    con.goto("#/activity")
    con.wait_table("#events")
    res = page.query_selector("#events tbody tr a.resource-link")
    if not res:
        con.apply_filter(actor)
        res = page.query_selector("#events tbody tr a.resource-link")
    if res:
        res.click()
        page.wait_for_function("() => location.hash.startsWith('#/resource/')", timeout=con.timeout)
        con.wait_table("#changes")
        con.wait_table("#resource-events")
        con.no_banner("resource history")
        checks.check("the resource history has its events", len(con.rows("#resource-events")) > 0,
                     f"{len(con.rows('#changes'))} changes, {len(con.rows('#resource-events'))} events")
        con.shot("resource")
    else:
        checks.skip("resource history", "no event with a resource in the first page")

    # Users.
    page.click('#nav a[href="#/users"]')
    con.wait_table("#users")
    con.no_banner("users")
    users = con.rows("#users")
    checks.check("the Users page lists users", len(users) > 0, f"{len(users)} users")
    shown = {u.get("actorId") for u in users}
    everyone = api.json("people")
    joined = [p for p in everyone.get("people") or [] if len(p.get("ids") or []) > 1]
    doubled = [(p["key"], i) for p in joined for i in p["ids"] if i != p["key"] and i in shown and p["key"] in shown]
    checks.check("the Users page has one row per person, not per id", not doubled, f"{doubled[:5]}")
    if everyone.get("ambiguous"):
        page.wait_for_selector("#not-joined #ambiguous-ids", timeout=con.timeout)
        checks.check("the Users page lists the ids that joined no one",
                     all(a["alias"] in (page.text_content("#not-joined") or "") for a in everyone["ambiguous"]))
    checks.check("the Users page has status badges", page.query_selector("#users .badge") is not None)
    con.shot("users")

    # The hostile username renders as text.
    if args.hostile:
        con.goto("#/activity")
        con.apply_filter(args.hostile)
        con.no_banner("hostile filter")
        hrows = con.rows("#events")
        checks.check("the hostile username has events", len(hrows) > 0, f"{len(hrows)} rows")
        cells = page.eval_on_selector_all("#events tbody td.c-actor", "tds => tds.map(td => td.textContent)")
        printable = RAW_CONTROLS.sub("", args.hostile)
        if "<script>" in args.hostile:
            checks.check("the hostile username shows '<script>' as text", any("<script>" in t for t in cells), (cells[:1] or [""])[0][:120])
        checks.check("the hostile username's printable part is shown",
                     any(all(part in t for part in RAW_CONTROLS.split(args.hostile) if part) for t in cells), printable[:80])
        checks.check("no element was injected into the page (script, iframe, img)", page.evaluate("document.querySelectorAll('main script, main iframe, main img').length") == 0)
        raw = page.evaluate("() => document.querySelector('main').textContent")
        found = sorted({f"U+{ord(ch):04X}" for ch in RAW_CONTROLS.findall(raw)})
        checks.check("no control or bidi character reaches the page as is", not found, ", ".join(found))
        con.shot("hostile")
        link = page.query_selector("#events tbody tr a.actor-link")
        if link:
            link.click()
            page.wait_for_function("() => location.hash.startsWith('#/user/')", timeout=con.timeout)
            con.wait_table("#user-events")
            raw = page.evaluate("() => document.querySelector('main').textContent")
            checks.check("the hostile user's page shows no raw control character", not RAW_CONTROLS.search(raw))
            con.shot("hostile-user")
    else:
        checks.skip("hostile username", "no --hostile")

    # Reports.
    page.click('#nav a[href="#/reports"]')
    page.wait_for_selector("#reports[data-loaded]", state="attached", timeout=con.timeout * 2)
    con.no_banner("reports")
    charts = page.eval_on_selector_all("#reports svg.chart", "s => s.length")
    tables = page.eval_on_selector_all("#reports table", "t => t.length")
    checks.check("the Reports page draws charts with tables of their numbers", charts >= 1 and tables >= charts, f"{charts} charts, {tables} tables")
    con.shot("reports")
    page.emulate_media(media="print")
    hidden = page.evaluate("() => ['#nav', '#apply', '#print'].every(s => { const e = document.querySelector(s); return !e || getComputedStyle(e).display === 'none'; })")
    checks.check("printing hides the navigation and buttons", hidden)
    con.shot("reports-print")
    page.emulate_media(media="screen")

    # Integrity.
    page.click('#nav a[href="#/integrity"]')
    con.wait_table("#integrity")
    con.no_banner("integrity")
    checks.check("the Integrity page shows a status", page.query_selector("#integrity-summary .badge") is not None,
                 (page.text_content("#integrity-summary") or "").strip()[:120])
    con.shot("integrity")

    # Sign out.
    page.click("#sign-out")
    page.wait_for_selector("#token", state="visible", timeout=con.timeout)
    checks.check("Sign out forgets the token", page.evaluate("() => sessionStorage.length") == 0)

    # A user sees only their own events.
    if not args.user_token:
        checks.skip("user role", "no --user-token")
        return
    uapi = Api(args.url, args.user_token)
    ume = uapi.json("me")
    own = (set(ume.get("actor_ids") or []) | {ume.get("email"), ume.get("subject"), args.user_actor}) - {None, ""}
    checks.check("the user token's role is user", ume.get("role") == "user", ume.get("role"))
    con.sign_in(args.user_token)
    page.wait_for_function("() => location.hash.startsWith('#/user/')", timeout=con.timeout)
    con.wait_table("#user-events")
    con.no_banner("user's own page")
    con.load_all("#user-events")
    mine = con.rows("#user-events")
    foreign = [r.get("eventId") for r in mine if not (actor_fields(r) & own)]
    checks.check("a user's own page opens with their events", len(mine) > 0, f"{len(mine)} rows")
    checks.check("a user's page shows only their own events", not foreign, f"others' events: {foreign[:5]}")
    nav = page.eval_on_selector_all("#nav a", "as => as.filter(a => a.offsetParent !== null).map(a => a.getAttribute('href') + ' ' + a.textContent)")
    checks.check("the Users page is not offered to a user", not any(n.startswith("#/users") for n in nav), "; ".join(nav))
    checks.check("Reports and Integrity are not offered to a user",
                 not any(n.startswith(("#/reports", "#/integrity")) for n in nav), "; ".join(nav))
    con.shot("user-role")
    con.goto("#/activity")
    con.wait_table("#events")
    con.load_all("#events")
    mine = con.rows("#events")
    foreign = [r.get("eventId") for r in mine if not (actor_fields(r) & own)]
    checks.check("a user's activity log shows only their own events", not foreign and len(mine) > 0,
                 f"{len(mine)} rows; others' events: {foreign[:5]}")
    con.goto("#/users")
    page.wait_for_selector("#not-offered, #users", timeout=con.timeout)
    checks.check("opening #/users as a user lists nobody", page.query_selector("#users tbody tr") is None)
    if args.other_actor:
        con.goto("#/user/" + urllib.parse.quote(args.other_actor, safe=""))
        page.wait_for_selector("#not-offered, #user-events[data-state=done], #user-events[data-state=error]", timeout=con.timeout)
        theirs = [r for r in con.rows("#user-events") if args.other_actor in actor_fields(r)] if page.query_selector("#user-events") else []
        checks.check("another user's page shows none of their events to a user", not theirs, f"{len(theirs)} shown")
        status, body = uapi.get("events", [("actor", args.other_actor), ("limit", "100")])
        if status == 200:
            evs = json.loads(body).get("events") or []
            leaked = [e.get("event_id") for e in evs if args.other_actor in {e.get("actor_id"), e.get("actor_name"), e.get("actor_email")}]
            checks.check("the API gives a user none of another's events", not leaked, f"{len(leaked)} leaked")
        else:
            checks.check("the API refuses a user another's events", status in (403, 404), f"HTTP {status}")
    else:
        checks.skip("other actor", "no --other-actor")
    page.click("#sign-out")
    page.wait_for_selector("#token", state="visible", timeout=con.timeout)

    # Sign-in through the identity provider (authorization code with PKCE), where offered.
    if not args.sso:
        checks.skip("sign-in through the identity provider", "no --sso")
        return
    page.wait_for_selector("#sso", state="visible", timeout=con.timeout)
    con.shot("signin-sso")
    page.click("#sso")
    page.wait_for_function("() => location.hash.startsWith('#/user/') || location.hash.startsWith('#/activity')",
                           timeout=con.timeout)
    checks.check("the identity provider's sign-in lands signed in, the token out of the address",
                 "token=" not in page.url, page.url)
    who = (page.text_content("#who") or "").strip()
    checks.check("signed in through the identity provider as a user", "user" in who, who)
    con.wait_table("#user-events")
    mine = con.rows("#user-events")
    foreign = [r.get("eventId") for r in mine if not (actor_fields(r) & own)]
    checks.check("signed in through the identity provider, a user sees only their own events",
                 len(mine) > 0 and not foreign, f"{len(mine)} rows; others' events: {foreign[:5]}")
    con.shot("signed-in-sso")


def main():
    ap = argparse.ArgumentParser(description="Browser checks of the auditlake console.")
    ap.add_argument("--url", required=True, help="the server's base URL, e.g. http://127.0.0.1:8080")
    ap.add_argument("--token", required=True, help="an auditor (or admin) token")
    ap.add_argument("--user-token", help="a token of role user")
    ap.add_argument("--user-actor", help="an actor id (or name, e-mail) of the user token, with events")
    ap.add_argument("--other-actor", help="an actor the user must not see")
    ap.add_argument("--hostile", help="a username in the archive holding <script> and escapes")
    ap.add_argument("--sso", action="store_true",
                    help="also sign in through the identity provider (the console's #sso button)")
    ap.add_argument("--shots", default="console-shots", help="folder for the screenshots (PNG)")
    ap.add_argument("--out", help="file for the JSON result")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a page or table (default 30)")
    args = ap.parse_args()

    shots = Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    checks = Checks()
    dialogs, page_errors, csp = [], [], []
    con = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("console.py: the playwright package is missing (pip install playwright)", file=sys.stderr)
        sys.exit(2)

    chromium = os.environ.get("AUDITLAKE_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        except Exception as e:
            print(f"console.py: cannot start Chromium at {chromium} (set AUDITLAKE_CHROMIUM): {e}", file=sys.stderr)
            sys.exit(2)
        ctx = browser.new_context(accept_downloads=True, viewport={"width": 1440, "height": 900})
        page = ctx.new_page()
        page.set_default_timeout(args.timeout * 1000)

        def on_dialog(d):
            dialogs.append(f"{d.type}: {d.message}")
            print(f"FAIL  a JavaScript dialog fired: {d.type}: {d.message}", flush=True)
            d.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda e: page_errors.append(str(e)))
        page.on("console", lambda m: csp.append(m.text) if m.type == "error" and ("Content Security Policy" in m.text or "Refused to" in m.text) else None)
        con = Console(page, args.url, checks, shots, args.timeout * 1000)
        try:
            run(args, checks, page, con)
        except Fatal as e:
            checks.check("the run completed", False, f"stopped: {e}")
        except Exception as e:  # a timeout or a missing element: a failed check, with the page kept
            checks.check("the run completed", False, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
            traceback.print_exc()
            try:
                con.shot("failure")
                b = con.banner()
                if b:
                    print(f"      error banner: {b}", flush=True)
            except Exception:
                pass
        browser.close()

    checks.check("no JavaScript dialog fired", not dialogs, "; ".join(dialogs))
    checks.check("no uncaught error in the page", not page_errors, "; ".join(m[:200] for m in page_errors[:3]))
    checks.check("no Content-Security-Policy violation", not csp, f"{len(csp)}: " + "; ".join(m[:160] for m in csp[:2]) if csp else "")
    failed = checks.failed
    result = {
        "ok": not failed,
        "checks": checks.results,
        "screenshots": con.shots if con else [],
        "dialogs": dialogs,
        "page_errors": page_errors,
        "csp_violations": csp,
    }
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))
    passed = sum(1 for r in checks.results if r["ok"] and not r.get("skipped"))
    skipped = sum(1 for r in checks.results if r.get("skipped"))
    print(f"console: {passed} passed, {len(failed)} failed" + (f", {skipped} skipped" if skipped else ""), flush=True)
    if failed:
        for r in failed:
            print(f"  failed: {r['name']}: {r['detail']}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
