// auditlake console: a single page over /api/v1, no framework, no build step.
//
// Safety rules of this file (the page is served with a strict Content-Security-Policy):
//  - every value that comes from the log or the API is put into the page as text: through
//    h() / vis() (createTextNode), or textContent, never innerHTML;
//  - control characters and bidirectional overrides are shown as visible symbols (vis());
//  - no inline style attributes, no eval, no inline event handlers.
'use strict';

(() => {
  const TOKEN_KEY = 'auditlake.token';
  const PAGE = 50; // rows per page of the activity tables
  const BULK = 1000; // rows per request when a view reads every page (reports, keys)
  const BULK_MAX = 5000; // the most rows such a view reads
  const SVGNS = 'http://www.w3.org/2000/svg';

  const ACTION_GROUPS = [
    ['authentication.*', 'Authentication'],
    ['account.*', 'Accounts'],
    ['session.*', 'Sessions'],
    ['credential.*', 'Credentials & keys'],
    ['data.*', 'Data'],
    ['permission.*', 'Permissions'],
    ['identity.*', 'Identities'],
    ['resource.*', 'Resources'],
    ['system.*', 'System'],
    ['audit.*', 'Reads of this log'],
  ];
  const RANGES = [
    ['all', 'Any time'],
    ['today', 'Today'],
    ['7d', 'Last 7 days'],
    ['30d', 'Last 30 days'],
    ['90d', 'Last 90 days'],
    ['custom', 'Custom dates'],
  ];
  const OUTCOMES = [['', 'Any'], ['success', 'Success'], ['failure', 'Failure'], ['unknown', 'Unknown']];
  // Actions that change something, for "most modified resources".
  const MODIFYING = ['*.create', '*.update', '*.delete', '*.change', '*_change', '*_delete',
    '*.assign', '*.unassign', '*.grant', '*.revoke', '*.add', '*.remove', '*_add', '*_remove',
    '*.configure', '*.enable', '*.disable'];
  // Permission and role changes.
  const PERMISSION = ['permission.*', 'account.role.*', 'account.group.member_*',
    'account.application.*'];

  const state = { me: null };

  // ---------------------------------------------------------------- text and elements

  // Characters that would be interpreted rather than seen: C0 and C1 controls, DEL, bidi
  // embeddings, overrides, isolates and marks, invisible separators, lone surrogates.
  const HIDDEN = /[\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u2028-\u202E\u2060-\u2069\uFEFF\uFFF9-\uFFFB]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

  function codeOf(ch) {
    return 'U+' + ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  }
  // Shown as an escape (ESC is \u{001B}), which every font has, unlike the control pictures.
  function shown(ch) {
    return '\\u{' + ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0') + '}';
  }
  /** The text with every hidden character replaced by its visible form (for attributes). */
  function visStr(v) {
    return String(v).replace(HIDDEN, shown);
  }
  /** A fragment showing the text, hidden characters as marked symbols. */
  function vis(v) {
    const s = String(v);
    const frag = document.createDocumentFragment();
    let last = 0;
    HIDDEN.lastIndex = 0;
    let m;
    while ((m = HIDDEN.exec(s)) !== null) {
      if (m.index > last) frag.append(document.createTextNode(s.slice(last, m.index)));
      const span = document.createElement('span');
      span.className = 'ctl';
      span.title = codeOf(m[0]) + ' (control or formatting character, shown, not applied)';
      span.textContent = shown(m[0]);
      frag.append(span);
      last = m.index + m[0].length;
    }
    if (last < s.length) frag.append(document.createTextNode(s.slice(last)));
    return frag;
  }

  /** Creates an element; string children become text (through vis), never markup. */
  function h(tag, props, ...kids) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v == null || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'data') for (const [dk, dv] of Object.entries(v)) e.dataset[dk] = dv == null ? '' : String(dv);
        else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
        else if (k === 'value') e.value = v;
        else if (k === 'title') e.title = visStr(v);
        else if (typeof v === 'boolean') e[k] = v;
        else e.setAttribute(k, String(v));
      }
    }
    append(e, kids);
    return e;
  }
  /** Replaces an element's children (strings as text, null and false left out). */
  function fill(e, ...kids) {
    e.replaceChildren();
    return append(e, kids);
  }
  function append(e, kids) {
    for (const kid of kids.flat(Infinity)) {
      if (kid == null || kid === false) continue;
      e.append(kid instanceof Node ? kid : vis(kid));
    }
    return e;
  }
  function svg(tag, attrs, ...kids) {
    const e = document.createElementNS(SVGNS, tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) if (v != null) e.setAttribute(k, String(v));
    for (const kid of kids.flat(Infinity)) {
      if (kid == null || kid === false) continue;
      e.append(kid instanceof Node ? kid : document.createTextNode(visStr(kid)));
    }
    return e;
  }
  const $ = (sel, root = document) => root.querySelector(sel);
  const dash = () => h('span', { class: 'muted' }, '\u2014');

  const nf = new Intl.NumberFormat('en-US');
  function num(v) {
    return typeof v === 'number' ? nf.format(v) : v;
  }
  /** An RFC 3339 time as "YYYY-MM-DD HH:MM:SS" (UTC); anything else as given. */
  function fmtTime(v) {
    if (v == null || v === '') return '';
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) return String(v);
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '').replace(/Z$/, '');
  }
  function timeEl(v) {
    if (v == null || v === '') return dash();
    return h('time', { datetime: String(v), title: String(v) }, fmtTime(v));
  }
  const TIME_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;
  function humanize(col) {
    const s = String(col).replace(/_/g, ' ');
    return s.charAt(0).toUpperCase() + s.slice(1);
  }
  function clip(s, n) {
    s = String(s);
    return s.length > n ? s.slice(0, n - 1) + '\u2026' : s;
  }

  // ---------------------------------------------------------------- errors

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  function clearErrors() {
    const box = $('#error');
    fill(box);
    box.hidden = true;
  }
  /** Shows an error in the banner; errors are never swallowed. */
  function showError(err, context) {
    const box = $('#error');
    const msg = err instanceof Error ? err.message : String(err);
    const line = h('p', { class: 'error-line' },
      h('strong', null, context ? context + ': ' : 'Error: '), msg);
    if (!box.firstChild) {
      box.append(h('button', {
        type: 'button', class: 'dismiss', 'aria-label': 'Dismiss errors', title: 'Dismiss',
        onclick: clearErrors,
      }, '\u00D7'));
    }
    box.append(line);
    box.hidden = false;
    if (err instanceof ApiError && err.status === 401 && state.me) {
      // The token expired or was revoked: back to sign-in, with the message kept.
      sessionStorage.removeItem(TOKEN_KEY);
      state.me = null;
      renderSignIn();
    }
  }
  /** Reports an error of a view unless the view was left meanwhile. */
  function report(view, err, context) {
    if (view.isConnected) showError(err, context);
  }
  window.addEventListener('error', (e) => showError(e.message || 'unexpected error', 'Console error'));
  window.addEventListener('unhandledrejection', (e) => showError(e.reason || 'unexpected error', 'Console error'));

  // ---------------------------------------------------------------- API

  function apiUrl(path, pairs) {
    const q = new URLSearchParams(pairs || []).toString();
    return 'api/v1/' + path + (q ? '?' + q : '');
  }
  function queryText(path, pairs) {
    return '/' + apiUrl(path, pairs);
  }
  async function errorOf(resp) {
    let detail = '';
    try {
      const text = await resp.text();
      try {
        const j = JSON.parse(text);
        detail = j && typeof j.error === 'string' ? j.error : text;
      } catch (_) {
        detail = text;
      }
    } catch (_) { /* the body could not be read: the status says enough */ }
    const head = `${resp.status}${resp.statusText ? ' ' + resp.statusText : ''}`;
    return new ApiError(resp.status, detail ? `${detail} (${head})` : head);
  }
  async function request(path, pairs) {
    const t = sessionStorage.getItem(TOKEN_KEY) || '';
    let resp;
    try {
      resp = await fetch(apiUrl(path, pairs), {
        headers: { Authorization: 'Bearer ' + t, Accept: 'application/json' },
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      throw new ApiError(0, `cannot reach the server (${e.message})`);
    }
    if (!resp.ok) throw await errorOf(resp);
    return resp;
  }
  async function getJSON(path, pairs) {
    const resp = await request(path, pairs);
    try {
      return await resp.json();
    } catch (e) {
      throw new ApiError(resp.status, `the answer to ${path} is not JSON (${e.message})`);
    }
  }
  /** A report's rows as objects keyed by its own column names. */
  function rowsOf(rep) {
    const cols = Array.isArray(rep && rep.columns) ? rep.columns : [];
    const rows = Array.isArray(rep && rep.rows) ? rep.rows : [];
    return rows.map((r) => Object.fromEntries(cols.map((c, i) => [c, r[i]])));
  }
  function pick(o, names) {
    for (const n of names) if (o && o[n] != null && o[n] !== '') return o[n];
    return null;
  }
  /** Every event of a filter, page after page, up to BULK_MAX. */
  let bulk = BULK;
  async function allEvents(pairs) {
    const out = [];
    let cursor = null;
    for (;;) {
      const p = pairs.concat([['limit', String(bulk)]]);
      if (cursor) p.push(['cursor', cursor]);
      let res;
      try {
        res = await getJSON('events', p);
      } catch (e) {
        // A server whose pages are smaller (serve.max_page) names its most in the message.
        const m = e instanceof ApiError && e.status === 400 && /limit\b.*\.\.=\s*(\d+)/.exec(e.message);
        if (m && Number(m[1]) >= 1 && Number(m[1]) < bulk) {
          bulk = Number(m[1]);
          continue;
        }
        throw e;
      }
      out.push(...(res.events || []));
      cursor = res.next_cursor || null;
      if (!cursor || out.length >= BULK_MAX) break;
    }
    return { events: out, complete: !cursor };
  }

  // ---------------------------------------------------------------- exports

  const FORMATS = { csv: 'CSV', jsonl: 'JSON lines', parquet: 'Parquet' };
  function filenameOf(disposition, ext) {
    const m = /filename="?([A-Za-z0-9._-]+)"?/.exec(disposition || '');
    return m ? m[1] : `auditlake-export.${ext}`;
  }
  /** Fetches an export with the token and hands it to the browser as a download. */
  async function download(pairs, format, button) {
    const label = button.textContent;
    button.disabled = true;
    button.textContent = 'Exporting\u2026';
    try {
      const resp = await request('export', pairs.concat([['format', format]]));
      const blob = await resp.blob();
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: filenameOf(resp.headers.get('Content-Disposition'), format), hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (e) {
      showError(e, `Export (${FORMATS[format]}) failed`);
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }
  function exportBar(pairs, path) {
    const btn = (fmt, id, text) => {
      const b = h('button', { type: 'button', id, class: fmt === 'csv' ? 'btn' : 'btn btn-quiet' }, text);
      b.addEventListener('click', () => download(pairs, fmt, b));
      return b;
    };
    return h('div', { class: 'toolbar' },
      h('div', { class: 'exports' },
        btn('csv', 'export-csv', 'Export CSV'),
        btn('jsonl', 'export-jsonl', 'JSON lines'),
        btn('parquet', 'export-parquet', 'Parquet')),
      h('div', { class: 'api-query' }, h('span', { class: 'muted' }, 'API: '),
        h('code', { id: 'query' }, queryText(path || 'events', pairs))));
  }

  // ---------------------------------------------------------------- filters

  /** The filter a hash's parameters describe. */
  function filterOf(params) {
    const actions = params.getAll('action');
    return {
      actor: params.get('actor') || '',
      person: params.get('person') || '',
      groups: actions.filter((a) => ACTION_GROUPS.some(([g]) => g === a)),
      actionText: actions.filter((a) => !ACTION_GROUPS.some(([g]) => g === a)).join(', '),
      outcome: params.get('outcome') || '',
      range: params.get('range') || 'all',
      since: params.get('since') || '',
      until: params.get('until') || '',
      resource: params.get('resource') || '',
      ip: params.getAll('ip').join(', '),
      text: params.get('text') || '',
    };
  }
  const splitList = (s) => s.split(/[,\s]+/).map((x) => x.trim()).filter(Boolean);
  /** The range of a filter as API parameters. */
  function rangePairs(f) {
    if (f.range === 'custom') {
      const p = [];
      if (f.since) p.push(['since', f.since]);
      if (f.until) p.push(['until', f.until]);
      return p;
    }
    return f.range && f.range !== 'all' ? [['since', f.range]] : [];
  }
  /** The filter as API parameters. */
  function apiPairs(f) {
    const p = [];
    // The actor is matched exactly, as given: a name may begin or end with a space.
    if (f.actor.trim()) p.push(['actor', f.actor]);
    // A person: every id of theirs in every source, as the server knows them.
    if (f.person && f.person.trim()) p.push(['person', f.person.trim()]);
    for (const g of f.groups) p.push(['action', g]);
    for (const a of splitList(f.actionText)) p.push(['action', a]);
    if (f.outcome) p.push(['outcome', f.outcome]);
    p.push(...rangePairs(f));
    if (f.resource.trim()) p.push(['resource', f.resource.trim()]);
    for (const ip of splitList(f.ip)) p.push(['ip', ip]);
    if (f.text.trim()) p.push(['text', f.text.trim()]);
    return p;
  }
  /** The filter as hash parameters (the range kept by name). */
  function hashPairs(f) {
    const p = apiPairs({ ...f, range: 'all' });
    if (f.range && f.range !== 'all') p.push(['range', f.range]);
    if (f.range === 'custom') {
      if (f.since) p.push(['since', f.since]);
      if (f.until) p.push(['until', f.until]);
    }
    return p;
  }
  function go(path, pairs) {
    const q = new URLSearchParams(pairs || []).toString();
    const hash = '#' + path + (q ? '?' + q : '');
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  function field(label, control, cls) {
    return h('div', { class: 'field' + (cls ? ' ' + cls : '') },
      h('label', { for: control.id }, label), control);
  }
  function select(id, options, value) {
    const s = h('select', { id, name: id }, options.map(([v, t]) => h('option', { value: v }, t)));
    s.value = value;
    if (s.value !== value) s.value = options[0][0];
    return s;
  }
  /** The date-range controls: a preset and, for custom, two dates. */
  function rangeControls(f) {
    const range = select('f-range', RANGES, f.range);
    const since = h('input', { type: 'date', id: 'f-since', value: f.since });
    const until = h('input', { type: 'date', id: 'f-until', value: f.until });
    const custom = h('div', { class: 'custom-range' },
      field('From', since), field('To (inclusive)', until));
    const sync = () => { custom.hidden = range.value !== 'custom'; };
    range.addEventListener('change', sync);
    sync();
    return {
      nodes: [field('Date range', range), custom],
      read: () => ({ range: range.value, since: since.value, until: until.value }),
    };
  }

  // ---------------------------------------------------------------- tables

  function table(id, headers, caption) {
    const tbody = h('tbody');
    const t = h('table', { id, class: 'data' },
      caption ? h('caption', { class: 'sr-only' }, caption) : null,
      h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
      tbody);
    return { table: t, tbody, wrap: h('div', { class: 'table-wrap' }, t) };
  }
  /** Right-aligns the header of every column whose cells are numbers. */
  function alignNumbers(t) {
    const ths = t.table.querySelectorAll('thead th');
    ths.forEach((th, i) => {
      const tds = [...t.tbody.rows].map((r) => r.cells[i]).filter(Boolean);
      th.classList.toggle('num', tds.length > 0 && tds.every((td) => td.classList.contains('num')));
    });
    return t;
  }
  function badge(kind, value, label) {
    const key = String(value == null ? 'none' : value).toLowerCase().replace(/[^a-z0-9]/g, '');
    return h('span', { class: `badge ${kind}-${key}` }, label || (value == null ? 'none' : String(value)));
  }
  const STATUS_LABELS = { loggedin: 'Logged in', active: 'Active', failed: 'Failed', locked: 'Locked', never: 'Never', ok: 'Verified', pending: 'Pending', unverifiable: 'Unverifiable', error: 'Error' };
  function statusBadge(v) {
    const key = String(v == null ? 'none' : v).toLowerCase().replace(/[^a-z0-9]/g, '');
    return badge('status', v, STATUS_LABELS[key] || (v == null ? 'Unknown' : String(v)));
  }
  function outcomeBadge(v) {
    return badge('outcome', v || 'unknown', v || 'unknown');
  }

  function userHref(id) {
    return '#/user/' + encodeURIComponent(id);
  }
  function resourceHref(type, id) {
    return '#/resource/' + encodeURIComponent(id != null && id !== '' ? `${type}:${id}` : type);
  }
  function actorCell(ev) {
    const key = ev.actor_id || ev.actor_email || ev.actor_name;
    if (!key) return dash();
    const main = ev.actor_name || ev.actor_id || ev.actor_email;
    const sub = [ev.actor_id, ev.actor_email].filter((x) => x && x !== main);
    return h('div', { class: 'actor' },
      h('a', { href: userHref(key), class: 'actor-link', title: `Open ${key}` }, main),
      sub.length ? h('div', { class: 'sub' }, sub.join(' \u00B7 ')) : null,
      ev.actor_type && ev.actor_type !== 'user' ? h('div', { class: 'sub' }, ev.actor_type) : null);
  }
  function resourceCell(ev) {
    if (!ev.resource_type && !ev.resource_id) return dash();
    const label = ev.resource_name || ev.resource_id || ev.resource_type;
    const sub = [ev.resource_type, ev.resource_name && ev.resource_id ? ev.resource_id : null].filter(Boolean).join(':');
    const main = ev.resource_id
      ? h('a', { href: resourceHref(ev.resource_type || '', ev.resource_id), class: 'resource-link' }, label)
      : h('span', null, label);
    return h('div', null, main, sub && sub !== label ? h('div', { class: 'sub' }, sub) : null);
  }
  const CREDENTIAL_EVENTS = {
    'credential.register': 'Registered', 'credential.use': 'Used', 'credential.delete': 'Deleted',
    'credential.dispose': 'Disposed', 'credential.refresh': 'Refreshed', 'credential.acquire': 'Acquired',
    'credential.token.create': 'Token created', 'credential.token.revoke': 'Token revoked',
  };
  const COLUMNS = {
    time: ['Time (UTC)', (ev) => h('button', { type: 'button', class: 'linklike', title: 'Show every field of this event', onclick: () => showDetail(ev) }, fmtTime(ev.time))],
    actor: ['Actor', actorCell],
    action: ['Action', (ev) => h('code', { class: 'action' }, ev.action || '')],
    outcome: ['Outcome', (ev) => h('div', null, outcomeBadge(ev.outcome), ev.reason ? h('div', { class: 'sub' }, clip(ev.reason, 120)) : null)],
    ip: ['Source IP', (ev) => (ev.src_ip ? h('span', { class: 'mono' }, ev.src_ip) : dash())],
    resource: ['Resource', resourceCell],
    message: ['Message', (ev) => {
      const m = ev.message || '';
      return m ? h('div', { class: 'msg', title: clip(m, 2000) }, clip(m, 400)) : dash();
    }],
    agent: ['User agent', (ev) => (ev.user_agent ? h('div', { class: 'msg sub', title: ev.user_agent }, clip(ev.user_agent, 120)) : dash())],
    keyEvent: ['Event', (ev) => h('div', null, h('strong', null, CREDENTIAL_EVENTS[ev.action] || ev.action || ''),
      h('div', { class: 'sub' }, ev.action || ''))],
    credential: ['Credential', (ev) => (ev.credential_id
      ? h('a', { href: '#/credential/' + encodeURIComponent(ev.credential_id), class: 'mono' }, clip(ev.credential_id, 48))
      : dash())],
    rp: ['Relying party', (ev) => (ev.rp_name || ev.rp_id
      ? h('div', null, ev.rp_name || ev.rp_id, ev.rp_name && ev.rp_id ? h('div', { class: 'sub' }, ev.rp_id) : null)
      : dash())],
  };
  function eventTable(id, cols, caption) {
    const t = table(id, cols.map((c) => COLUMNS[c][0]), caption);
    t.add = (events) => {
      for (const ev of events) {
        t.tbody.append(h('tr', {
          data: {
            eventId: ev.event_id, time: ev.time, actorId: ev.actor_id, actorName: ev.actor_name,
            actorEmail: ev.actor_email, action: ev.action,
          },
        }, cols.map((c) => h('td', { class: 'c-' + c }, COLUMNS[c][1](ev)))));
      }
    };
    return t;
  }

  /** A table of events read page by page with "Load more". */
  function pagedEvents(view, id, cols, pairs, caption) {
    const t = eventTable(id, cols, caption);
    const count = h('span', { id: 'count', class: 'muted', 'aria-live': 'polite' }, 'Loading\u2026');
    const more = h('button', { type: 'button', id: 'more', class: 'btn btn-quiet', hidden: true }, 'Load more');
    const empty = h('p', { class: 'empty', hidden: true }, 'No events match this filter.');
    t.table.dataset.query = new URLSearchParams(pairs).toString();
    let cursor = null;
    let loaded = 0;
    async function load() {
      t.table.dataset.state = 'loading';
      more.disabled = true;
      try {
        const p = pairs.concat([['limit', String(PAGE)]]);
        if (cursor) p.push(['cursor', cursor]);
        const res = await getJSON('events', p);
        if (!view.isConnected) return;
        const events = Array.isArray(res.events) ? res.events : [];
        t.add(events);
        loaded += events.length;
        cursor = res.next_cursor || null;
        more.hidden = !cursor;
        empty.hidden = loaded > 0;
        count.textContent = `${nf.format(loaded)} event${loaded === 1 ? '' : 's'}${cursor ? ' shown, more available' : ''}`;
        t.table.dataset.state = 'done';
      } catch (e) {
        t.table.dataset.state = 'error';
        count.textContent = 'Could not load events.';
        report(view, e, 'Loading events');
      } finally {
        more.disabled = false;
      }
    }
    more.addEventListener('click', load);
    load();
    return h('div', { class: 'paged' }, t.wrap, empty, h('div', { class: 'pager' }, count, more));
  }

  /** A report's rows as a table, columns named by the report. */
  function reportTable(id, rep, opts = {}) {
    const cols = (rep.columns || []).filter((c) => !(opts.hide || []).includes(c));
    const t = table(id, cols.map((c) => (opts.labels && opts.labels[c]) || humanize(c)), opts.caption);
    for (const row of rowsOf(rep)) {
      t.tbody.append(h('tr', null, cols.map((c) => h('td', { class: typeof row[c] === 'number' ? 'num' : null }, cellOf(c, row[c], row, opts)))));
    }
    return alignNumbers(t);
  }
  function cellOf(col, v, row, opts = {}) {
    if (opts.render && opts.render[col]) return opts.render[col](v, row);
    if (v == null || v === '') return dash();
    if (typeof v === 'number') return h('span', { class: 'num' }, nf.format(v));
    if (typeof v === 'object') return h('code', null, JSON.stringify(v));
    if (TIME_RE.test(String(v))) return timeEl(v);
    if (/^(actor_id|actor|user)$/.test(col)) return h('a', { href: userHref(v) }, v);
    return String(v);
  }

  // ---------------------------------------------------------------- event detail

  function showDetail(ev) {
    let dlg = $('#detail');
    if (!dlg) {
      dlg = h('dialog', { id: 'detail', 'aria-labelledby': 'detail-title' });
      document.body.append(dlg);
    }
    const rows = Object.entries(ev).filter(([, v]) => v != null && v !== '');
    const dl = h('dl', { class: 'kv' });
    for (const [k, v] of rows) {
      // JSON this page indents itself is laid out on lines (its strings keep their escapes);
      // any other value is shown as it is, a newline in it as \u{000A}.
      let pretty = typeof v === 'object' ? JSON.stringify(v, null, 2) : null;
      if (pretty == null && (k === 'changes' || k === 'raw')) {
        try { pretty = JSON.stringify(JSON.parse(String(v)), null, 2); } catch (_) { /* not JSON */ }
      }
      const pre = h('pre', null);
      if (pretty != null) {
        pretty.split('\n').forEach((line, i) => append(pre, [i ? document.createTextNode('\n') : null, line]));
      } else append(pre, [String(v)]);
      dl.append(h('dt', null, k), h('dd', null, pre));
    }
    fill(dlg, 
      h('div', { class: 'dialog-head' },
        h('h2', { id: 'detail-title' }, 'Event ', h('code', null, ev.event_id || '')),
        h('button', { type: 'button', class: 'btn btn-quiet', id: 'detail-close', onclick: () => dlg.close() }, 'Close')),
      dl);
    if (!dlg.open) dlg.showModal();
  }

  // ---------------------------------------------------------------- sign-in and header

  function renderSignIn() {
    $('#nav').hidden = true;
    fill($('#nav'));
    fill($('#who'));
    $('#sign-out').hidden = true;
    const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
    const form = h('form', { class: 'signin card', id: 'sign-in-form' },
      h('h1', null, 'Sign in'),
      h('p', { class: 'muted' }, 'Paste an API token or an OIDC access token. It is kept in this browser tab only and sent with every request as a bearer token.'),
      field('API token', input),
      h('button', { type: 'submit', id: 'sign-in', class: 'btn' }, 'Sign in'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors();
      const t = input.value.trim();
      if (!t) {
        showError('enter a token', 'Sign-in');
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, t);
      await start();
    });
    const sso = h('div', { id: 'sso-box', class: 'signin card', hidden: true },
      h('p', null, 'Or sign in with your organisation\u2019s account:'),
      h('a', { id: 'sso', class: 'btn', href: 'auth/login' }, 'Sign in with your identity provider'));
    fill($('#main'), form, sso);
    input.focus();
    // Offered where the server is configured for it.
    fetch('api/v1/login', { headers: { Accept: 'application/json' } })
      .then((r) => (r.ok ? r.json() : null))
      .then((info) => {
        if (info && info.login_url) sso.hidden = false;
      })
      .catch(() => {});
  }

  /** A sign-in through the identity provider comes back as #token=... (or #sign-in-error=...):
   * the token goes to this tab's session storage and out of the address bar and history. */
  function takeFragment() {
    const raw = location.hash.replace(/^#/, '');
    if (!raw.startsWith('token=') && !raw.startsWith('sign-in-error=')) return null;
    const params = new URLSearchParams(raw);
    history.replaceState(null, '', location.pathname + location.search + '#/');
    const t = params.get('token');
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    return params.get('sign-in-error');
  }

  function isUser() {
    return state.me && state.me.role === 'user';
  }
  function ownIds() {
    const me = state.me || {};
    const ids = Array.isArray(me.actor_ids) ? me.actor_ids.slice() : [];
    if (me.email && !ids.includes(me.email)) ids.push(me.email);
    if (!ids.length && me.subject) ids.push(me.subject);
    return ids;
  }
  function ownPath() {
    return '/user/' + encodeURIComponent(ownIds()[0] || '');
  }

  function renderHeader() {
    const me = state.me;
    const nav = $('#nav');
    const links = isUser()
      ? [['nav-me', ownPath(), 'My activity'], ['nav-activity', '/activity', 'Search my events']]
      : [['nav-activity', '/activity', 'Activity log'], ['nav-users', '/users', 'Users'],
        ['nav-reports', '/reports', 'Reports'], ['nav-integrity', '/integrity', 'Integrity']];
    fill(nav, ...links.map(([id, path, text]) => h('a', { id, href: '#' + path, data: { path } }, text)));
    nav.hidden = false;
    const who = $('#who');
    fill(who, 
      h('span', { class: 'who-name', title: me.subject }, me.name || me.subject || 'signed in'),
      me.name && me.subject && me.name !== me.subject ? h('span', { class: 'sub' }, ' ', me.subject) : null,
      ' ', badge('role', me.role, me.role),
      Array.isArray(me.tenants) && me.tenants.length ? h('span', { class: 'sub' }, ' tenants: ', me.tenants.join(', ')) : null);
    $('#sign-out').hidden = false;
  }
  function markNav(path) {
    for (const a of document.querySelectorAll('#nav a')) {
      const on = a.dataset.path === path || (a.dataset.path !== '/' && path.startsWith(a.dataset.path + '/'));
      if (on) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  async function start() {
    const signInError = takeFragment();
    if (!sessionStorage.getItem(TOKEN_KEY)) {
      renderSignIn();
      if (signInError) showError(signInError, 'Sign-in failed');
      return;
    }
    try {
      state.me = await getJSON('me');
    } catch (e) {
      sessionStorage.removeItem(TOKEN_KEY);
      state.me = null;
      renderSignIn();
      showError(e, 'Sign-in failed');
      return;
    }
    renderHeader();
    route();
  }

  // ---------------------------------------------------------------- routing

  function parseHash() {
    const raw = location.hash.replace(/^#/, '');
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
    const segs = path.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    return { path: path || '/', segs, params };
  }

  function route() {
    clearErrors();
    if (!state.me) {
      renderSignIn();
      return;
    }
    let r;
    try {
      r = parseHash();
    } catch (e) {
      showError(`the address ${location.hash} is not one of this console's (${e.message})`);
      r = { path: '/', segs: [], params: new URLSearchParams() };
    }
    const view = h('div', { class: 'view' });
    fill($('#main'), view);
    const dlg = $('#detail');
    if (dlg && dlg.open) dlg.close();
    const name = r.segs[0] || '';
    markNav('/' + r.segs.map(encodeURIComponent).join('/'));
    const rest = r.segs.slice(1).join('/');
    switch (name) {
      case '':
        location.replace(isUser() ? '#' + ownPath() : '#/activity');
        return;
      case 'activity': renderActivity(view, r.params); break;
      case 'users': if (everyone(view, 'Users')) renderUsers(view, r.params); break;
      case 'user': renderUser(view, rest, r.params); break;
      case 'resource': renderResource(view, rest); break;
      case 'credential': renderCredential(view, rest); break;
      case 'reports': if (everyone(view, 'Reports')) renderReports(view, r.params); break;
      case 'integrity': if (everyone(view, 'Integrity')) renderIntegrity(view); break;
      default:
        view.append(h('section', { class: 'card' }, h('h1', null, 'Page not found'),
          h('p', null, 'There is no page at ', h('code', null, location.hash), '. ', h('a', { href: '#/' }, 'Start page'))));
    }
    document.title = ($('h1', view) ? $('h1', view).textContent + ' \u2013 ' : '') + 'auditlake';
  }

  /** Pages about everyone are not offered to the user role (the server refuses them too). */
  function everyone(view, title) {
    if (!isUser()) return true;
    view.append(h('section', { class: 'card notice', id: 'not-offered' },
      h('h1', null, title),
      h('p', null, 'This page is about everyone\u2019s activity. Your role (user) shows only your own: ',
        h('a', { href: '#' + ownPath() }, 'my activity'), '.')));
    return false;
  }

  function pageHead(title, subtitle, ...extra) {
    return h('div', { class: 'page-head' },
      h('div', null, h('h1', null, title), subtitle ? h('p', { class: 'muted subtitle' }, subtitle) : null),
      h('div', { class: 'head-actions' }, extra));
  }
  function printButton() {
    return h('button', { type: 'button', id: 'print', class: 'btn btn-quiet', onclick: () => window.print() }, 'Print');
  }
  function printNote(pairs) {
    const me = state.me || {};
    return h('p', { class: 'print-only' },
      `Printed ${fmtTime(new Date().toISOString())} UTC by ${me.subject || ''} (${me.role || ''})`,
      pairs && pairs.length ? ` \u00B7 filter: ${new URLSearchParams(pairs).toString()}` : '');
  }

  // ---------------------------------------------------------------- activity log

  function renderActivity(view, params) {
    const f = filterOf(params);
    const actor = h('input', { type: 'text', id: 'f-actor', value: f.actor, placeholder: 'id, name or e-mail', autocomplete: 'off' });
    const person = h('input', { type: 'text', id: 'f-person', value: f.person, placeholder: 'any of their ids', autocomplete: 'off' });
    const groups = ACTION_GROUPS.map(([g, label]) => {
      const id = 'f-action-' + g.replace(/[^a-z]/g, '');
      return h('label', { class: 'check', for: id },
        h('input', { type: 'checkbox', id, class: 'f-group', value: g, checked: f.groups.includes(g) }),
        ' ', label, ' ', h('code', { class: 'sub' }, g));
    });
    const actionText = h('input', { type: 'text', id: 'f-action', value: f.actionText, placeholder: 'e.g. account.role.*, session.create', autocomplete: 'off' });
    const outcome = select('f-outcome', OUTCOMES, f.outcome);
    const range = rangeControls(f);
    const resource = h('input', { type: 'text', id: 'f-resource', value: f.resource, placeholder: 'TYPE or TYPE:ID', autocomplete: 'off' });
    const ip = h('input', { type: 'text', id: 'f-ip', value: f.ip, placeholder: '203.0.113.7 or 10.0.0.0/8', autocomplete: 'off' });
    const text = h('input', { type: 'search', id: 'f-text', value: f.text, placeholder: 'in names, addresses, messages', autocomplete: 'off' });

    const read = () => ({
      actor: actor.value,
      person: person.value,
      groups: groups.map((l) => $('input', l)).filter((c) => c.checked).map((c) => c.value),
      actionText: actionText.value,
      outcome: outcome.value,
      ...range.read(),
      resource: resource.value,
      ip: ip.value,
      text: text.value,
    });
    const form = h('form', { class: 'filters card', id: 'filters', role: 'search' },
      h('div', { class: 'filter-grid' },
        field('User', actor),
        isUser() ? null : field('Person (every id)', person),
        field('Outcome', outcome),
        ...range.nodes,
        field('Resource', resource),
        field('IP address or CIDR', ip),
        field('Text', text)),
      h('fieldset', { class: 'groups' },
        h('legend', null, 'Action types'),
        h('div', { class: 'group-list' }, groups),
        field('Other actions (globs, comma separated)', actionText, 'wide')),
      h('div', { class: 'form-actions' },
        h('button', { type: 'submit', id: 'apply', class: 'btn' }, 'Apply'),
        h('a', { href: '#/activity', id: 'reset', class: 'btn btn-quiet' }, 'Reset')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const t = $('#events');
      if (t) t.dataset.state = 'stale';
      go('/activity', hashPairs(read()));
    });

    const pairs = apiPairs(f);
    view.append(
      pageHead('Activity log', isUser() ? 'Your own events, newest first.' : 'Every event in the archive, newest first.'),
      form,
      exportBar(pairs),
      printNote(pairs),
      pagedEvents(view, 'events', ['time', 'actor', 'action', 'outcome', 'ip', 'resource', 'message'], pairs, 'Events, newest first'));
  }

  // ---------------------------------------------------------------- users

  function renderUsers(view, params) {
    const sort = select('u-sort', [['events', 'Most active'], ['last_login', 'Last login'], ['name', 'Name'], ['status', 'Status']], params.get('sort') || 'events');
    const search = h('input', { type: 'search', id: 'u-search', placeholder: 'Filter by name, id or e-mail', autocomplete: 'off' });
    const chart = h('div', { class: 'card chart-card', id: 'most-active' }, h('h2', null, 'Most active users'), h('p', { class: 'muted' }, 'Loading\u2026'));
    const t = table('users', ['User', 'E-mail', 'Also known as', 'Status', 'Last login', 'Last failure', 'Failures since login', 'Events', 'Logins', 'Failed logins', 'Last activity'], 'People with their last login and activity; a person\u2019s ids in every source are one row');
    const joins = h('div', { id: 'not-joined' });
    t.table.dataset.state = 'loading';
    const note = h('p', { class: 'muted', id: 'users-count' }, 'Loading\u2026');
    view.append(
      pageHead('Users', 'Last login and status of everyone in the archive, with how much each did.', printButton()),
      printNote(),
      chart,
      joins,
      h('div', { class: 'toolbar' }, field('Sort by', sort), field('Find', search)),
      t.wrap, note);
    if (state.me && state.me.role === 'auditor' && !state.me.tenants) {
      getJSON('people').then((map) => {
        if (!view.isConnected) return;
        const amb = Array.isArray(map.ambiguous) ? map.ambiguous : [];
        if (!amb.length) return;
        fill(joins, notJoined(amb, `${nf.format(amb.length)} id${amb.length === 1 ? '' : 's'} joined no one`));
      }).catch((e) => report(view, e, 'Who is who'));
    }

    let users = [];
    const draw = () => {
      const q = search.value.trim().toLowerCase();
      const by = sort.value;
      const list = users.filter((u) => !q || [u.id, u.name, u.email, u.ids].some((x) => x && String(x).toLowerCase().includes(q)));
      const cmp = {
        events: (a, b) => (b.events || 0) - (a.events || 0) || a.id.localeCompare(b.id),
        last_login: (a, b) => String(b.last_login || '').localeCompare(String(a.last_login || '')) || a.id.localeCompare(b.id),
        name: (a, b) => String(a.name || a.id).localeCompare(String(b.name || b.id)),
        status: (a, b) => String(a.status || '').localeCompare(String(b.status || '')) || a.id.localeCompare(b.id),
      }[by];
      list.sort(cmp);
      fill(t.tbody, ...list.map((u) => h('tr', { data: { actorId: u.id } },
        h('td', null, h('a', { href: userHref(u.id), class: 'actor-link' }, u.name || u.id),
          u.name && u.name !== u.id ? h('div', { class: 'sub' }, u.id) : null),
        h('td', null, u.email || dash()),
        h('td', { class: 'aka' }, akaOf(u) || dash()),
        h('td', null, u.status != null ? statusBadge(u.status) : dash()),
        h('td', null, timeEl(u.last_login)),
        h('td', null, timeEl(u.last_failure)),
        h('td', { class: 'num' }, u.failures != null ? num(u.failures) : dash()),
        h('td', { class: 'num' }, num(u.events || 0)),
        h('td', { class: 'num' }, u.logins != null ? num(u.logins) : dash()),
        h('td', { class: 'num' }, u.failed_logins != null ? num(u.failed_logins) : dash()),
        h('td', null, timeEl(u.last)))));
      alignNumbers(t);
      note.textContent = `${nf.format(list.length)} of ${nf.format(users.length)} users`;
    };
    sort.addEventListener('change', draw);
    search.addEventListener('input', draw);

    Promise.allSettled([getJSON('reports/last-login'), getJSON('reports/activity', [['by', 'user']])]).then(([ll, act]) => {
      if (!view.isConnected) return;
      const byId = new Map();
      const get = (id) => {
        if (!byId.has(id)) byId.set(id, { id });
        return byId.get(id);
      };
      if (ll.status === 'fulfilled') {
        for (const r of rowsOf(ll.value)) {
          const id = pick(r, ['actor_id', 'user', 'actor']);
          if (id == null) continue;
          Object.assign(get(String(id)), {
            ids: pick(r, ['ids']),
            name: pick(r, ['actor_name', 'name']),
            email: pick(r, ['actor_email', 'email']),
            status: pick(r, ['status']),
            last_login: pick(r, ['last_login']),
            last_failure: pick(r, ['last_failure']),
            failures: pick(r, ['failures_since_login', 'failures_since', 'failures']),
          });
        }
      } else report(view, ll.reason, 'Last-login report');
      if (act.status === 'fulfilled') {
        for (const r of rowsOf(act.value)) {
          const id = pick(r, ['actor_id', 'user', 'actor']);
          if (id == null) continue;
          const u = get(String(id));
          if (u.ids == null) u.ids = pick(r, ['ids']);
          Object.assign(u, {
            events: pick(r, ['events']) || 0,
            logins: pick(r, ['logins']),
            failed_logins: pick(r, ['failed_logins', 'failures']),
            last: pick(r, ['last']),
          });
        }
      } else report(view, act.reason, 'Activity report');
      users = [...byId.values()];
      draw();
      t.table.dataset.state = ll.status === 'fulfilled' || act.status === 'fulfilled' ? 'done' : 'error';
      const top = users.filter((u) => u.events).sort((a, b) => b.events - a.events).slice(0, 10);
      fill(chart, h('h2', null, 'Most active users'),
        top.length
          ? hbarChart('Events per user, top 10', top.map((u) => ({ label: u.name || u.id, value: u.events, href: userHref(u.id) })), 'events')
          : h('p', { class: 'muted' }, act.status === 'fulfilled' ? 'No activity recorded.' : 'Activity could not be loaded.'));
    });
  }

  // The ids of a Users row other than the one it is shown by.
  function akaOf(u) {
    if (!u.ids) return '';
    return String(u.ids).split(', ').filter((x) => x && x !== u.id && x !== u.name && x !== u.email).join(', ');
  }

  // Ids that would join several people, and why none was joined.
  function notJoined(list, title) {
    const items = list.map((a) => h('li', null,
      h('code', null, a.alias), ' \u2014 ', a.why, ': ',
      ...(a.claimed_by || []).flatMap((c, i) => [i ? ', ' : '', h('a', { href: userHref(c) }, c)])));
    return h('details', { class: 'card notice', id: 'ambiguous-ids' },
      h('summary', null, title),
      h('p', { class: 'muted' }, 'Several accounts claim each of these ids, so no account was joined to another through it; the events stay with the account that carries them.'),
      h('ul', null, items));
  }

  // Who an id is: every id joined to their person, configured or learned (where, how often),
  // and the ids that were not joined.
  function identityCard(view, id, box) {
    getJSON('people/' + encodeURIComponent(id)).then((r) => {
      if (!view.isConnected) return;
      const p = r.person;
      const kids = [h('h2', null, 'Identity')];
      if (!p) {
        kids.push(h('p', { class: 'muted' }, 'No other id is known for ', h('code', null, id), '.'));
      } else {
        kids.push(h('p', null, p.configured ? 'One person by the configuration' : 'One person learned from events that carry several of these ids together', ': ',
          ...p.ids.flatMap((x, i) => [i ? ', ' : '', h('code', null, x)])));
        if (p.learned && p.learned.length) {
          kids.push(h('ul', { class: 'links' }, p.learned.map((l) => h('li', null,
            h('code', null, l.actor_id), ' carried ', h('code', null, l.alias), ' in ',
            Object.entries(l.sources || {}).map(([s, n]) => `${s} (${nf.format(n)} event${n === 1 ? '' : 's'})`).join(', ')))));
        }
      }
      const amb = Array.isArray(r.ambiguous) ? r.ambiguous : [];
      fill(box, h('section', { class: 'card', id: 'identity-card' }, ...kids),
        amb.length ? notJoined(amb, `Ids that other accounts claim too, so no other account is joined through them: ${amb.map((a) => a.alias).join(', ')}`) : null);
    }).catch((e) => {
      if (!view.isConnected) return;
      fill(box, h('section', { class: 'card', id: 'identity-card' }, h('h2', null, 'Identity'),
        h('p', { class: 'muted' }, e && e.status === 403 ? 'Who else this id is: for auditors of the whole archive.' : 'Who else this id is could not be loaded.')));
    });
  }

  // ---------------------------------------------------------------- one user

  function renderUser(view, id, params) {
    if (!id) {
      view.append(h('p', { class: 'card' }, 'No user named in the address.'));
      return;
    }
    const own = ownIds().includes(id);
    if (isUser() && !own) {
      view.append(h('section', { class: 'card notice', id: 'not-offered' }, h('h1', null, 'Not your activity'),
        h('p', null, 'Your role (user) shows only your own activity: ', h('a', { href: '#' + ownPath() }, 'my activity'), '.')));
      return;
    }
    // A user's own page: the server confines a user to their own events, so the user role needs
    // no actor filter; anyone else's own page names every identifier they are known by.
    const actorPairs = isUser() ? [] : own ? ownIds().map((a) => ['actor', a]) : [['person', id]];
    const tab = params.get('tab') === 'keys' ? 'keys' : 'activities';
    const base = '/user/' + encodeURIComponent(id);
    const summary = h('div', { class: 'summary', id: 'user-summary' });
    const identity = h('div', { id: 'user-identity' });
    const tabs = h('div', { class: 'tabs', role: 'tablist' },
      [['activities', 'Activities', 'tab-activities'], ['keys', 'Security keys', 'tab-keys']].map(([k, label, tid]) =>
        h('a', { id: tid, role: 'tab', href: '#' + base + (k === 'keys' ? '?tab=keys' : ''), 'aria-selected': String(k === tab), class: k === tab ? 'tab on' : 'tab' }, label)));
    const panel = h('div', { class: 'tab-panel', role: 'tabpanel', id: 'tab-' + tab + '-panel' });
    const title = own && isUser() ? 'My activity' : id;
    view.append(
      pageHead(title, own && state.me.name ? `${state.me.name} \u00B7 ${ownIds().join(', ')}` : 'A user\u2019s activities and security keys', printButton()),
      printNote(actorPairs), summary, identity, tabs, panel);
    identityCard(view, id, identity);

    if (!isUser()) {
      getJSON('reports/last-login', actorPairs).then((rep) => {
        if (!view.isConnected) return;
        const rows = rowsOf(rep);
        const r = rows.find((x) => ownIds().concat([id]).includes(String(pick(x, ['actor_id', 'user'])))) || rows[0];
        if (!r) return;
        const name = pick(r, ['actor_name']);
        const h1 = $('h1', view);
        if (name && name !== id && h1) fill(h1, name, ' ', h('span', { class: 'h1-sub' }, id));
        const item = (label, value) => h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat-value' }, value));
        fill(summary, h('div', { class: 'card stats' },
          item('Name', pick(r, ['actor_name']) || dash()),
          item('E-mail', pick(r, ['actor_email']) || dash()),
          item('Status', statusBadge(pick(r, ['status']))),
          item('Last login', timeEl(pick(r, ['last_login']))),
          item('Last failure', timeEl(pick(r, ['last_failure']))),
          item('Failures since login', num(pick(r, ['failures_since_login']) ?? 0))));
      }).catch((e) => report(view, e, 'Last-login report'));
    }

    if (tab === 'activities') {
      panel.append(
        h('div', { class: 'toolbar' }, h('a', { href: '#/activity?' + new URLSearchParams(actorPairs.slice(0, 1)).toString(), class: 'btn btn-quiet', id: 'open-in-log' }, 'Filter in the activity log')),
        exportBar(actorPairs),
        pagedEvents(view, 'user-events', ['time', 'action', 'outcome', 'ip', 'agent', 'resource', 'message'], actorPairs, 'The user\u2019s events, newest first'));
    } else {
      renderKeys(view, panel, actorPairs);
    }
  }

  function renderKeys(view, panel, actorPairs) {
    const pairs = actorPairs.concat([['action', 'credential.*']]);
    const sum = table('user-keys-summary', ['Credential', 'Relying parties', 'Registered', 'Last used', 'Uses', 'Deleted', 'State'], 'The user\u2019s credentials');
    const t = eventTable('user-keys', ['time', 'keyEvent', 'credential', 'rp', 'outcome', 'ip', 'agent'], 'Registrations, uses and deletions of the user\u2019s credentials');
    t.table.dataset.state = 'loading';
    const note = h('p', { class: 'muted', id: 'keys-count' }, 'Loading\u2026');
    panel.append(
      h('p', { class: 'muted' }, 'Security keys, passkeys and tokens of this user: registration, every use with the relying party, and deletion.'),
      h('h2', null, 'Credentials'), sum.wrap,
      h('h2', null, 'Credential events'), exportBar(pairs), t.wrap, note);
    allEvents(pairs).then(({ events, complete }) => {
      if (!view.isConnected) return;
      t.add(events);
      const creds = new Map();
      for (const ev of events) {
        const key = ev.credential_id || '(no credential id)';
        if (!creds.has(key)) creds.set(key, { id: ev.credential_id, rps: new Set(), uses: 0, registered: null, lastUsed: null, deleted: null });
        const c = creds.get(key);
        if (ev.rp_name || ev.rp_id) c.rps.add([ev.rp_name, ev.rp_id].filter(Boolean).join(' \u00B7 '));
        const later = (a, b) => (!a || String(b) > String(a) ? b : a);
        if (ev.action === 'credential.register' || ev.action === 'credential.token.create') c.registered = later(c.registered, ev.time);
        else if (ev.action === 'credential.use') { c.uses += 1; c.lastUsed = later(c.lastUsed, ev.time); }
        else if (/\.(delete|dispose|revoke)$/.test(ev.action || '')) c.deleted = later(c.deleted, ev.time);
      }
      for (const c of creds.values()) {
        sum.tbody.append(h('tr', null,
          h('td', null, c.id ? h('a', { href: '#/credential/' + encodeURIComponent(c.id), class: 'mono' }, clip(c.id, 48)) : dash()),
          h('td', null, c.rps.size ? [...c.rps].join(', ') : dash()),
          h('td', null, timeEl(c.registered)),
          h('td', null, timeEl(c.lastUsed)),
          h('td', { class: 'num' }, num(c.uses)),
          h('td', null, timeEl(c.deleted)),
          h('td', null, c.deleted ? badge('status', 'deleted', 'Deleted') : badge('status', 'active', 'Active'))));
      }
      alignNumbers(sum);
      note.textContent = `${nf.format(events.length)} credential event${events.length === 1 ? '' : 's'}${complete ? '' : ` (the newest ${nf.format(events.length)}; export for all)`}`;
      t.table.dataset.state = 'done';
    }).catch((e) => {
      t.table.dataset.state = 'error';
      note.textContent = 'Could not load the credential events.';
      report(view, e, 'Security keys');
    });
  }

  // ---------------------------------------------------------------- resource history

  function renderResource(view, res) {
    if (!res) {
      view.append(h('p', { class: 'card' }, 'No resource named in the address.'));
      return;
    }
    const pairs = [['resource', res]];
    const hasId = res.includes(':');
    const box = h('div', { class: 'card' }, h('h2', null, 'Changes'));
    view.append(pageHead(res, 'The history of a resource: every change, who made it and when.', printButton()), printNote(pairs), box);
    if (hasId) {
      const t = table('changes', ['When (UTC)', 'Field', 'Old value', 'New value', 'Who', 'Action'], 'Changes of the resource, field by field');
      t.table.dataset.state = 'loading';
      const note = h('p', { class: 'muted' }, 'Loading\u2026');
      box.append(t.wrap, note);
      getJSON('reports/changes', pairs).then((rep) => {
        if (!view.isConnected) return;
        const rows = rowsOf(rep);
        for (const r of rows) {
          const who = pick(r, ['actor_id', 'actor', 'who']);
          const whoName = pick(r, ['actor_name']) || who;
          const val = (v, cls) => (v == null || v === '' ? dash() : h('span', { class: cls }, typeof v === 'object' ? JSON.stringify(v) : String(v)));
          t.tbody.append(h('tr', null,
            h('td', null, timeEl(pick(r, ['time', 'when']))),
            h('td', null, h('code', null, pick(r, ['field']) || '')),
            h('td', null, val(pick(r, ['old']), 'old')),
            h('td', null, val(pick(r, ['new']), 'new')),
            h('td', null, who ? h('a', { href: userHref(who), class: 'actor-link' }, whoName) : dash()),
            h('td', null, h('code', { class: 'action' }, pick(r, ['action']) || ''))));
        }
        note.textContent = rows.length ? `${nf.format(rows.length)} change${rows.length === 1 ? '' : 's'}${rep.truncated ? ' (truncated)' : ''}` : 'No recorded field changes for this resource.';
        t.table.dataset.state = 'done';
      }).catch((e) => {
        t.table.dataset.state = 'error';
        note.textContent = 'Could not load the changes.';
        report(view, e, 'Changes report');
      });
    } else {
      box.append(h('p', { class: 'muted' }, 'Field changes are listed for one resource (TYPE:ID); below are the events on every resource of this type.'));
    }
    view.append(h('div', { class: 'card' }, h('h2', null, 'Events on this resource'), exportBar(pairs),
      pagedEvents(view, 'resource-events', ['time', 'actor', 'action', 'outcome', 'ip', 'message'], pairs, 'Events on the resource, newest first')));
  }

  function renderCredential(view, id) {
    const box = h('div', { class: 'card' });
    view.append(pageHead('Credential', id, printButton()), printNote([['credential', id]]), box);
    box.append(h('p', { class: 'muted' }, 'Loading\u2026'));
    getJSON('reports/credential', [['credential', id]]).then((rep) => {
      if (!view.isConnected) return;
      const t = reportTable('credential', rep, { caption: 'The credential\u2019s events', hide: ['event_id'] });
      fill(box, h('h2', null, 'Registration, uses and deletion'), t.wrap,
        h('p', { class: 'muted' }, `${nf.format((rep.rows || []).length)} events${rep.truncated ? ' (truncated)' : ''}`));
    }).catch((e) => {
      fill(box, h('p', { class: 'muted' }, 'Could not load the credential report.'));
      report(view, e, 'Credential report');
    });
  }

  // ---------------------------------------------------------------- charts

  /** An axis for counts up to v: a round step (at least 1) and the first multiple above v. */
  function niceScale(v) {
    if (!(v > 0)) return { max: 1, step: 1 };
    const raw = v / 4;
    const p = 10 ** Math.floor(Math.log10(raw));
    let step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((x) => x >= raw) || 10 * p;
    step = Math.max(1, step);
    return { max: step * Math.ceil(v / step), step };
  }
  function niceMax(v) {
    return niceScale(v).max;
  }
  /** Every day from the first to the last of days (YYYY-MM-DD), gaps filled. */
  function allDays(days) {
    const sorted = days.filter((d) => /^\d{4}-\d\d-\d\d$/.test(d)).sort();
    if (sorted.length !== days.length || !sorted.length) return days;
    const out = [];
    const end = Date.parse(sorted[sorted.length - 1] + 'T00:00:00Z');
    for (let t = Date.parse(sorted[0] + 'T00:00:00Z'); t <= end && out.length < 3700; t += 86400000) {
      out.push(new Date(t).toISOString().slice(0, 10));
    }
    return out;
  }
  function chartSvg(title, w, hgt) {
    const id = 'c' + Math.random().toString(36).slice(2);
    const s = svg('svg', { viewBox: `0 0 ${w} ${hgt}`, width: w, height: hgt, role: 'img', 'aria-labelledby': id, class: 'chart', preserveAspectRatio: 'xMinYMin meet' });
    s.append(svg('title', { id }, title));
    return s;
  }
  /** Vertical bars, one per label; several series are stacked. */
  function barChart(title, labels, series) {
    const W = 900;
    const H = 280;
    const m = { l: 48, r: 12, t: 16, b: 46 };
    const n = labels.length;
    const totals = labels.map((_, i) => series.reduce((s, x) => s + (Number(x.values[i]) || 0), 0));
    const { max, step } = niceScale(Math.max(0, ...totals));
    const s = chartSvg(title, W, H);
    const iw = W - m.l - m.r;
    const ih = H - m.t - m.b;
    const y = (v) => m.t + ih - (v / max) * ih;
    for (let v = 0; v <= max + 1e-9; v += step) {
      s.append(svg('line', { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), class: 'grid' }),
        svg('text', { x: m.l - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, nf.format(Math.round(v * 100) / 100)));
    }
    const bw = iw / Math.max(n, 1);
    const every = Math.max(1, Math.ceil(n / Math.floor(iw / 70)));
    labels.forEach((label, i) => {
      let base = 0;
      const x = m.l + i * bw;
      for (const ser of series) {
        const v = Number(ser.values[i]) || 0;
        if (v > 0) {
          const r = svg('rect', { x: x + bw * 0.12, width: Math.max(1, bw * 0.76), y: y(base + v), height: Math.max(0.5, y(base) - y(base + v)), class: 'bar ' + ser.cls });
          r.append(svg('title', null, `${label}: ${nf.format(v)} ${ser.name}`));
          s.append(r);
        }
        base += v;
      }
      if (i % every === 0) {
        s.append(svg('text', { x: x + bw / 2, y: H - m.b + 16, class: 'axis', 'text-anchor': 'middle' }, clip(label, 12)));
      }
    });
    s.append(svg('line', { x1: m.l, x2: W - m.r, y1: y(0), y2: y(0), class: 'axis-line' }));
    // Legend.
    let lx = m.l;
    for (const ser of series) {
      s.append(svg('rect', { x: lx, y: H - 16, width: 12, height: 12, class: 'bar ' + ser.cls }),
        svg('text', { x: lx + 16, y: H - 6, class: 'legend' }, ser.name));
      lx += 24 + ser.name.length * 7.5;
    }
    return h('figure', { class: 'figure' }, s);
  }
  /** Horizontal bars, one per item, largest first. */
  function hbarChart(title, items, unit) {
    const W = 900;
    const row = 26;
    const m = { l: 260, r: 80, t: 8, b: 8 };
    const H = m.t + m.b + row * items.length;
    const max = niceMax(Math.max(0, ...items.map((i) => Number(i.value) || 0)));
    const s = chartSvg(title, W, H);
    const iw = W - m.l - m.r;
    items.forEach((it, i) => {
      const y = m.t + i * row;
      const v = Number(it.value) || 0;
      const label = svg('text', { x: m.l - 8, y: y + row / 2 + 4, class: 'label', 'text-anchor': 'end' }, clip(visStr(it.label), 34));
      label.append(svg('title', null, visStr(it.label)));
      if (it.href) {
        const a = svg('a', { href: it.href });
        a.append(label);
        s.append(a);
      } else s.append(label);
      const r = svg('rect', { x: m.l, y: y + 4, width: Math.max(1, (v / max) * iw), height: row - 8, class: 'bar ' + (it.cls || 'b-main') });
      r.append(svg('title', null, `${visStr(it.label)}: ${nf.format(v)} ${unit}`));
      s.append(r, svg('text', { x: m.l + (v / max) * iw + 6, y: y + row / 2 + 4, class: 'value' }, nf.format(v)));
    });
    return h('figure', { class: 'figure' }, s);
  }
  /** A weekday by hour grid; cells shaded by their share of the busiest cell. */
  function heatmapChart(title, days, hours, grid) {
    const cell = 30;
    const m = { l: 48, t: 24, r: 8, b: 30 };
    const W = m.l + hours.length * cell + m.r;
    const H = m.t + days.length * cell + m.b;
    const max = Math.max(0, ...grid.flat());
    const s = chartSvg(title, W, H);
    hours.forEach((hr, j) => s.append(svg('text', { x: m.l + j * cell + cell / 2, y: m.t - 8, class: 'axis', 'text-anchor': 'middle' }, hr)));
    days.forEach((d, i) => {
      s.append(svg('text', { x: m.l - 8, y: m.t + i * cell + cell / 2 + 4, class: 'axis', 'text-anchor': 'end' }, d));
      hours.forEach((hr, j) => {
        const v = grid[i][j] || 0;
        const level = v === 0 ? 0 : Math.min(5, 1 + Math.floor((v / max) * 4.999));
        const r = svg('rect', { x: m.l + j * cell + 1, y: m.t + i * cell + 1, width: cell - 2, height: cell - 2, rx: 3, class: 'heat heat-' + level });
        r.append(svg('title', null, `${d} ${hr}:00\u2013${hr}:59 UTC: ${nf.format(v)} events`));
        s.append(r);
      });
    });
    // Scale.
    const sx = m.l;
    const sy = H - 18;
    s.append(svg('text', { x: sx, y: sy + 11, class: 'legend' }, 'fewer'));
    for (let k = 0; k <= 5; k++) s.append(svg('rect', { x: sx + 44 + k * 18, y: sy, width: 16, height: 12, rx: 2, class: 'heat heat-' + k }));
    s.append(svg('text', { x: sx + 44 + 6 * 18 + 4, y: sy + 11, class: 'legend' }, `more (busiest hour: ${nf.format(max)})`));
    return h('figure', { class: 'figure' }, s);
  }

  // ---------------------------------------------------------------- reports

  function renderReports(view, params) {
    const f = filterOf(params);
    const range = rangeControls(f);
    const form = h('form', { class: 'filters card inline', id: 'filters' },
      h('div', { class: 'filter-grid' }, ...range.nodes),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', id: 'apply', class: 'btn' }, 'Apply')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const r = range.read();
      const p = [];
      if (r.range !== 'all') p.push(['range', r.range]);
      if (r.range === 'custom') {
        if (r.since) p.push(['since', r.since]);
        if (r.until) p.push(['until', r.until]);
      }
      go('/reports', p);
    });
    const rp = rangePairs(f);
    const root = h('div', { class: 'reports', id: 'reports' });
    view.append(pageHead('Reports', 'Sign-ins, failures, when people work, what changes most, and who got which permissions.', printButton()),
      form, printNote(rp), root);

    const section = (id, title, desc) => {
      const body = h('div', { class: 'report-body' }, h('p', { class: 'muted' }, 'Loading\u2026'));
      const sec = h('section', { class: 'card report', id }, h('h2', null, title), desc ? h('p', { class: 'muted' }, desc) : null, body);
      root.append(sec);
      return body;
    };
    const jobs = [];
    const run = (body, what, promise, render) => {
      const job = promise.then((v) => {
        if (!view.isConnected) return;
        fill(body);
        render(body, v);
      }).catch((e) => {
        fill(body, h('p', { class: 'muted' }, `Could not load: ${e.message}`));
        report(view, e, what);
      });
      jobs.push(job);
    };
    const none = (body) => body.append(h('p', { class: 'empty' }, 'No data in this range.'));

    // Logins per day.
    run(section('rep-logins', 'Logins per day', 'Successful logins and failed authentication attempts, per day (UTC).'),
      'Logins per day', getJSON('reports/activity', rp.concat([['by', 'day']])), (body, rep) => {
        const rows = rowsOf(rep);
        if (!rows.length) return none(body);
        const byDay = new Map(rows.map((r) => [String(pick(r, ['day', 'date']) || ''), r]));
        const days = allDays([...byDay.keys()]);
        const val = (d, names) => Number(pick(byDay.get(d), names)) || 0;
        body.append(barChart('Logins per day', days, [
          { name: 'logins', cls: 'b-ok', values: days.map((d) => val(d, ['logins'])) },
          { name: 'failed logins', cls: 'b-bad', values: days.map((d) => val(d, ['failed_logins', 'failures'])) },
        ]));
        body.append(reportTable('t-logins', rep, { caption: 'Logins per day', hide: ['first', 'last'] }).wrap);
      });

    // Failed logins by IP and by user: totals (threshold 1) joined with bursts (5 in 15 minutes).
    const failed = (by, id, title, keyLabel, link) => {
      const body = section(id, title, `Failed authentication attempts per ${by === 'ip' ? 'IP address' : 'user'}, with bursts of 5 or more within 15 minutes (a sign of password guessing).`);
      const all = getJSON('reports/failed-logins', rp.concat([['by', by], ['window', '1d'], ['threshold', '1']]));
      const bursts = getJSON('reports/failed-logins', rp.concat([['by', by], ['window', '15m'], ['threshold', '5']]));
      run(body, title, Promise.all([all, bursts]), (b, [repAll, repBursts]) => {
        const keyCol = by === 'ip' ? ['src_ip', 'ip'] : ['actor_id', 'actor', 'user'];
        const per = new Map();
        const get = (k) => {
          if (!per.has(k)) per.set(k, { key: k, failures: 0, bursts: 0, burstMax: 0, first: null, last: null });
          return per.get(k);
        };
        for (const r of rowsOf(repAll)) {
          const k = pick(r, keyCol);
          if (k == null) continue;
          const x = get(String(k));
          x.failures += Number(pick(r, ['failures'])) || 0;
          const fst = pick(r, ['first']);
          const lst = pick(r, ['last']);
          if (fst && (!x.first || fst < x.first)) x.first = fst;
          if (lst && (!x.last || lst > x.last)) x.last = lst;
        }
        for (const r of rowsOf(repBursts)) {
          const k = pick(r, keyCol);
          if (k == null) continue;
          const x = get(String(k));
          x.bursts += 1;
          x.burstMax = Math.max(x.burstMax, Number(pick(r, ['failures'])) || 0);
        }
        const list = [...per.values()].sort((a, c) => c.failures - a.failures || a.key.localeCompare(c.key));
        if (!list.length) return none(b);
        b.append(hbarChart(`${title}, top 10`, list.slice(0, 10).map((x) => ({ label: x.key, value: x.failures, cls: 'b-bad', href: link ? link(x.key) : null })), 'failures'));
        const t = table('t-' + id, [keyLabel, 'Failures', 'Bursts (\u2265 5 in 15 min)', 'Largest burst', 'First', 'Last'], title);
        for (const x of list) {
          t.tbody.append(h('tr', null,
            h('td', null, link ? h('a', { href: link(x.key) }, x.key) : h('span', { class: 'mono' }, x.key)),
            h('td', { class: 'num' }, num(x.failures)),
            h('td', { class: 'num' }, x.bursts ? h('strong', { class: 'warn' }, num(x.bursts)) : '0'),
            h('td', { class: 'num' }, x.burstMax ? num(x.burstMax) : '\u2014'),
            h('td', null, timeEl(x.first)), h('td', null, timeEl(x.last))));
        }
        b.append(alignNumbers(t).wrap);
      });
    };
    failed('ip', 'rep-failed-ip', 'Failed logins by IP address', 'IP address', (ip) => '#/activity?' + new URLSearchParams([['ip', ip], ['outcome', 'failure'], ['action', 'authentication.*']]).toString());
    failed('actor', 'rep-failed-user', 'Failed logins by user', 'User', userHref);

    // Heatmap.
    run(section('rep-heatmap', 'Activity by weekday and hour', 'Every event, by weekday and hour of the day (UTC).'),
      'Heatmap', getJSON('reports/heatmap', rp), (body, rep) => {
        const cols = rep.columns || [];
        const hourCols = cols.filter((c) => /^h?\d{1,2}$/.test(c));
        const rows = rowsOf(rep);
        const grid = rows.map((r) => hourCols.map((c) => Number(r[c]) || 0));
        if (!rows.length || !grid.flat().some((v) => v > 0)) return none(body);
        body.append(heatmapChart('Events by weekday and hour (UTC)', rows.map((r) => String(pick(r, ['weekday', 'day']) || '')), hourCols.map((c) => c.replace(/^h/, '').padStart(2, '0')), grid));
        body.append(reportTable('t-heatmap', rep, { caption: 'Events by weekday and hour', labels: Object.fromEntries(hourCols.map((c) => [c, c.replace(/^h/, '')])) }).wrap);
      });

    // Most modified resources.
    run(section('rep-modified', 'Most modified resources', 'Resources with the most create, update, delete, assignment and permission events.'),
      'Most modified resources', allEvents(rp.concat(MODIFYING.map((a) => ['action', a]))), (body, { events, complete }) => {
        const per = new Map();
        for (const ev of events) {
          if (!ev.resource_id) continue;
          const key = `${ev.resource_type || ''}:${ev.resource_id}`;
          if (!per.has(key)) per.set(key, { key, type: ev.resource_type, id: ev.resource_id, name: ev.resource_name, n: 0, last: null, by: null, actions: new Set() });
          const x = per.get(key);
          x.n += 1;
          x.actions.add(ev.action);
          if (!x.last || ev.time > x.last) {
            x.last = ev.time;
            x.by = ev.actor_name || ev.actor_id || ev.actor_email;
          }
        }
        const list = [...per.values()].sort((a, b) => b.n - a.n || a.key.localeCompare(b.key));
        if (!list.length) return none(body);
        body.append(hbarChart('Most modified resources, top 10', list.slice(0, 10).map((x) => ({ label: x.name ? `${x.name} (${x.key})` : x.key, value: x.n, href: resourceHref(x.type || '', x.id) })), 'changes'));
        const t = table('t-modified', ['Resource', 'Changes', 'Actions', 'Last change', 'Last by'], 'Most modified resources');
        for (const x of list.slice(0, 50)) {
          t.tbody.append(h('tr', null,
            h('td', null, h('a', { href: resourceHref(x.type || '', x.id), class: 'resource-link' }, x.name || x.key), x.name ? h('div', { class: 'sub' }, x.key) : null),
            h('td', { class: 'num' }, num(x.n)),
            h('td', null, h('code', { class: 'sub' }, clip([...x.actions].join(', '), 160))),
            h('td', null, timeEl(x.last)),
            h('td', null, x.by || dash())));
        }
        body.append(alignNumbers(t).wrap);
        if (!complete) body.append(h('p', { class: 'muted' }, `Counted over the newest ${nf.format(events.length)} modifying events; narrow the range for the whole period.`));
      });

    // Permission changes.
    run(section('rep-permissions', 'Permission changes', 'Roles granted and revoked, group memberships and application assignments.'),
      'Permission changes', allEvents(rp.concat(PERMISSION.map((a) => ['action', a]))), (body, { events, complete }) => {
        if (!events.length) return none(body);
        const per = new Map();
        for (const ev of events) per.set(ev.action, (per.get(ev.action) || 0) + 1);
        body.append(hbarChart('Permission changes by action', [...per.entries()].sort((a, b) => b[1] - a[1]).map(([a, n]) => ({ label: a, value: n, cls: 'b-perm' })), 'events'));
        const t = eventTable('permission-changes', ['time', 'actor', 'action', 'outcome', 'resource', 'message'], 'Permission changes, newest first');
        t.add(events.slice(0, 200));
        body.append(t.wrap);
        if (events.length > 200 || !complete) {
          body.append(h('p', { class: 'muted' }, `The newest 200 of ${nf.format(events.length)}${complete ? '' : '+'} events are listed; `,
            h('a', { href: '#/activity?' + new URLSearchParams(PERMISSION.map((a) => ['action', a])).toString() }, 'open them in the activity log'), '.'));
        }
      });

    Promise.allSettled(jobs).then(() => { root.dataset.loaded = '1'; });
  }

  // ---------------------------------------------------------------- integrity

  function renderIntegrity(view) {
    const summary = h('div', { class: 'card', id: 'integrity-summary' }, h('p', { class: 'muted' }, 'Loading\u2026'));
    const t = table('integrity', ['Chain', 'Status', 'Detail'], 'Verification of the archive, per chain');
    t.table.dataset.state = 'loading';
    const again = h('button', { type: 'button', id: 'verify', class: 'btn btn-quiet' }, 'Refresh');
    again.addEventListener('click', () => route());
    view.append(pageHead('Integrity', 'The archive checked against its signed, chained digests: no object altered, removed or slipped in.', again, printButton()),
      printNote(), summary, t.wrap);
    getJSON('integrity').then((res) => {
      if (!view.isConnected) return;
      const chains = Array.isArray(res.chains) ? res.chains : [];
      const failed = chains.filter((c) => String(c.status).toLowerCase() !== 'ok');
      const overall = res.status || (chains.length ? (failed.length ? 'failed' : 'ok') : 'pending');
      const extra = [...new Set(chains.flatMap((c) => Object.keys(c)))].filter((k) => !['chain', 'status', 'detail'].includes(k));
      if (extra.length) {
        const tr = $('thead tr', t.table);
        for (const k of extra) tr.append(h('th', { scope: 'col' }, humanize(k)));
      }
      for (const c of chains) {
        t.tbody.append(h('tr', { data: { status: c.status } },
          h('td', null, h('code', null, c.chain == null ? '' : String(c.chain))),
          h('td', null, statusBadge(c.status)),
          h('td', null, c.detail == null ? dash() : String(c.detail)),
          extra.map((k) => h('td', null, cellOf(k, c[k], c)))));
      }
      fill(summary, 
        h('div', { class: 'integrity-head' }, statusBadge(overall),
          h('span', { class: 'integrity-text' },
            overall === 'ok' ? 'The archive matches its digests.'
              : overall === 'failed' ? `${nf.format(failed.length)} finding${failed.length === 1 ? '' : 's'}: see below.`
                : res.detail || '')),
        h('p', { class: 'muted' }, res.checked_at ? ['Last checked ', timeEl(res.checked_at), ' UTC.'] : 'Not checked yet.'),
        res.detail && overall !== 'pending' && overall !== 'unverifiable' ? h('p', null, String(res.detail)) : null);
      if (!chains.length) t.wrap.after(h('p', { class: 'empty' }, 'No chain results yet.'));
      t.table.dataset.state = 'done';
    }).catch((e) => {
      t.table.dataset.state = 'error';
      fill(summary, h('p', { class: 'muted' }, 'Could not load the integrity status.'));
      report(view, e, 'Integrity');
    });
  }

  // ---------------------------------------------------------------- start

  document.addEventListener('DOMContentLoaded', () => {
    $('#sign-out').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      state.me = null;
      clearErrors();
      history.replaceState(null, '', location.pathname + location.search);
      renderSignIn();
    });
    window.addEventListener('hashchange', route);
    start();
  });
})();
