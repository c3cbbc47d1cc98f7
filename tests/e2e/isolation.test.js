'use strict';
// Affiliate isolation, exhaustively: an affiliate never sees or changes another
// affiliate's data (DESIGN.md section 7, docs/api.md "Affiliate portal API").
//
// The walk reads the route table itself (src/api/routes.c) and calls every route with
// every method as affiliate A, once with A's API key and once with A's dashboard
// session (cookie + CSRF token), putting affiliate B's ids into the path and into the
// query filters (affiliate_id, program_id, link_id, ...; format=csv too) and B's ids
// into the bodies of writes. Every answer must be a refusal (403 for admin routes, 404
// for B's ids under /v1/me) or hold nothing of B's (tests/e2e/isolation_world.js says
// how that is told), and no write may happen: the admin's view of everything is the
// same after each state-changing request as before the walk.
//
// A route of the table that EXPECT below does not describe fails the walk: whoever adds
// a route says here what an affiliate may get from it. The portal's pages are walked in
// the browser by tests/browser/isolation.test.js.
//
// The walk runs in two worlds: B a stranger to A, and B A's sub-affiliate (parent_id =
// A), where A earns an override line on each of B's conversions. A parent is shown its
// own lines, payouts and balances, which name B's conversions and programs by id, and
// its report rows of override income, which name the programs; the walk allows exactly
// that (isolation_world.js parentMaySee) and nothing more, and the tests after the walk
// check what A's lines, payouts, conversions and reports hold, and that B's report holds
// nothing of what A earns on B.

const { describe, it: test, before: beforeAll, after: afterAll } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./helpers');
const { WORLD_FLAGS, buildWorld, leaksIn, snapshot, signIn, png } = require('./isolation_world');

const ROOT = path.resolve(__dirname, '../..');
const METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'];

/** The route table of src/api/routes.c: [{ method, pattern, auth, name }]. */
function routeTable() {
  const src = fs.readFileSync(path.join(ROOT, 'src/api/routes.c'), 'utf8');
  const re = /\{\s*"([A-Z]+)",\s*"([^"]+)",\s*(AFF_AUTH_[A-Z_]+),\s*(\w+),\s*"(\w+)"/g;
  const routes = [];
  for (let m = re.exec(src); m; m = re.exec(src)) routes.push({ method: m[1], pattern: m[2], auth: m[3], name: m[5] });
  // every entry of the table parsed: as many routes as lines opening an entry
  const entries = src.split('\n').filter((l) => /^\s*\{\s*"[A-Z]+",/.test(l)).length;
  assert.equal(routes.length, entries, 'src/api/routes.c: every route entry parsed (update routeTable() if its shape changed)');
  assert.ok(routes.length > 50, `src/api/routes.c: ${routes.length} routes`);
  return routes;
}

// Which of B's ids goes into a path argument: by the path segment before it.
const PATH_ARG = {
  '/r/:code': 'code', '/c/:file': 'file', '/v1/conversions/:id': 'conversion', '/v1/programs/:id': 'program',
  '/v1/affiliates/:id': 'affiliate', '/v1/links/:id': 'link', '/v1/coupons/:id': 'coupon', '/v1/clicks/:id': 'click',
  '/v1/payouts/:id': 'payout', '/v1/payout-runs/:id': 'run', '/v1/applications/:id': 'application',
  '/v1/creatives/:id': 'creative', '/v1/announcements/:id': 'announcement', '/v1/public/programs/:id': 'program',
  '/v1/me/links/:id': 'link', '/v1/me/payouts/:id': 'payout', '/v1/me/programs/:id': 'program',
  '/v1/me/creatives/:id': 'creative',
};

/** The paths of pattern with B's ids, and (for /v1/me) B's ids of every other kind. */
function bPaths(w, pattern) {
  const m = pattern.match(/^(.*?\/:\w+)(.*)$/);
  if (!m) return [{ path: pattern, primary: true }];
  const kind = PATH_ARG[m[1]];
  assert.ok(kind, `route ${pattern}: say in PATH_ARG (tests/e2e/isolation.test.js) which of B's ids goes into ${m[1]}`);
  const fill = (v) => m[1].replace(/:\w+$/, encodeURIComponent(v)) + m[2];
  if (kind === 'file') return [{ path: fill(`${w.ids.creative[1]}.png`), primary: true }];
  const out = w.ids[kind].map((v) => ({ path: fill(v), primary: true }));
  if (pattern.startsWith('/v1/me/')) {
    for (const [k, vs] of Object.entries(w.ids)) {
      if (k !== kind && k !== 'click' && k !== 'code') for (const v of vs) out.push({ path: fill(v), primary: false });
    }
  }
  return out;
}

const qs = (o) => { const s = new URLSearchParams(o).toString(); return s ? `?${s}` : ''; };

/** Query strings asking for B's rows: filters with B's ids, searches for B's codes, sorts. */
function bQueries(w, { reports = false } = {}) {
  const filters = [{}, { affiliate_id: w.b.id }, { program_id: w.excl.id }, { program_id: w.open.id },
    { program_id: w.shared.id }, ...w.ids.link.map((id) => ({ link_id: id })), { conversion_id: w.ids.conversion[0] },
    { payout_id: w.ids.payout[0] }, { run_id: w.ids.run[0] }, { run_id: w.run.id }, { affiliate_id: w.b.id, program_id: w.excl.id }];
  const out = [];
  if (reports) {
    const range = { from: h.utcDay(-3), to: h.utcDay(2) };
    for (const f of filters) {
      for (const g of ['', 'day', 'program', 'affiliate', 'link', 'sub1', 'day,program,affiliate,link', 'affiliate,sub1']) {
        out.push({ ...range, ...f, group_by: g });
      }
    }
    out.push({ ...range, group_by: 'affiliate', sort: 'clicks', limit: 100 });
  } else {
    out.push(...filters, { q: 'bravo' }, { q: 'BRAVO' }, { q: 'b' }, { status: 'paid' }, { status: 'pending' },
      { sort: 'affiliate_id' }, { sort: '-affiliate_id' }, { sort: '-amount' }, { sort: 'code' }, { sort: 'order_id' },
      { limit: 500 }, { after: 0 }, { created_from: h.utcDay(-3), created_to: h.utcDay(2) });
  }
  return [...out, ...out.map((o) => ({ ...o, format: 'csv' }))].map(qs);
}

// What an affiliate may get from each route, keyed "METHOD pattern" as in
// src/api/routes.c. kind:
//   admin   - refused: 403 whatever the ids;
//   mine    - /v1/me reads: B's id in the path 404; affiliate_id=B 404 (unless filters:
//             false: no list filters); other filters naming B's objects 200 (A's rows
//             only) or 404/422; own: a string of A's the unfiltered answer must hold (so
//             the walk is not vacuous; a function of the world when it differs between
//             worlds); csv: format=csv answers text/csv;
//   write   - an affiliate's own writes: with bodies naming B's objects, refused (4xx);
//   public  - no auth by design; check() says what A's credential may (not) add.
const EXPECT = {
  'GET /r/:code': { kind: 'public', check: redirect },
  'GET /postback': { kind: 'public', check: postback },
  'POST /postback': { kind: 'public', check: postback },
  'GET /px.gif': { kind: 'public', check: pixel },
  'GET /healthz': { kind: 'public', check: plain(200) },
  'GET /metrics': { kind: 'public', check: plain(200) },
  'GET /v1/public/programs/:id': { kind: 'public', check: publicProgram },
  'GET /c/:file': { kind: 'public', check: banner },
  'POST /v1/session': { kind: 'public', check: signInAsB },
  'POST /v1/signup': { kind: 'public', check: signUpAsB },
  'GET /v1/session': { kind: 'public', check: whoAmI },
  'DELETE /v1/session': { kind: 'public', check: signOut },

  'POST /v1/conversions': { kind: 'admin' },
  'GET /v1/conversions': { kind: 'admin' },
  'GET /v1/conversions/:id': { kind: 'admin' },
  'POST /v1/conversions/:id/refund': { kind: 'admin' },
  'POST /v1/conversions/:id/approve': { kind: 'admin' },
  'POST /v1/conversions/:id/reject': { kind: 'admin' },
  'POST /v1/conversions/bulk': { kind: 'admin' },
  'POST /v1/programs': { kind: 'admin' },
  'GET /v1/programs': { kind: 'admin' },
  'GET /v1/programs/:id': { kind: 'admin' },
  'PATCH /v1/programs/:id': { kind: 'admin' },
  'GET /v1/programs/:id/caps': { kind: 'admin' },
  'POST /v1/affiliates': { kind: 'admin' },
  'GET /v1/affiliates': { kind: 'admin' },
  'GET /v1/affiliates/:id': { kind: 'admin' },
  'PATCH /v1/affiliates/:id': { kind: 'admin' },
  'POST /v1/links': { kind: 'admin' },
  'GET /v1/links': { kind: 'admin' },
  'GET /v1/links/:id': { kind: 'admin' },
  'PATCH /v1/links/:id': { kind: 'admin' },
  'POST /v1/coupons': { kind: 'admin' },
  'GET /v1/coupons': { kind: 'admin' },
  'GET /v1/coupons/:id': { kind: 'admin' },
  'PATCH /v1/coupons/:id': { kind: 'admin' },
  'GET /v1/clicks': { kind: 'admin' },
  'GET /v1/clicks/:id': { kind: 'admin' },
  'GET /v1/commissions': { kind: 'admin' },
  'POST /v1/commissions/approve': { kind: 'admin' },
  'GET /v1/balances': { kind: 'admin' },
  'GET /v1/review': { kind: 'admin' },
  'GET /v1/payouts': { kind: 'admin' },
  'POST /v1/payouts/run': { kind: 'admin' },
  'GET /v1/payouts/:id': { kind: 'admin' },
  'POST /v1/payouts/:id/paid': { kind: 'admin' },
  'POST /v1/payouts/:id/failed': { kind: 'admin' },
  'GET /v1/payout-runs': { kind: 'admin' },
  'GET /v1/payout-runs/:id/export': { kind: 'admin' },
  'GET /v1/reports': { kind: 'admin' },
  'GET /v1/programs/:id/terms': { kind: 'admin' },
  'PATCH /v1/programs/:id/terms': { kind: 'admin' },
  'GET /v1/applications': { kind: 'admin' },
  'POST /v1/applications/:id/approve': { kind: 'admin' },
  'POST /v1/applications/:id/reject': { kind: 'admin' },
  'POST /v1/creatives': { kind: 'admin' },
  'POST /v1/creatives/image': { kind: 'admin' },
  'GET /v1/creatives': { kind: 'admin' },
  'GET /v1/creatives/:id': { kind: 'admin' },
  'DELETE /v1/creatives/:id': { kind: 'admin' },
  'POST /v1/announcements': { kind: 'admin' },
  'GET /v1/announcements': { kind: 'admin' },
  'DELETE /v1/announcements/:id': { kind: 'admin' },
  'POST /v1/users': { kind: 'admin' },
  'GET /v1/users': { kind: 'admin' },

  'GET /v1/me': { kind: 'mine', own: 'Alpha Partner', filters: false },
  'GET /v1/me/links': { kind: 'mine', own: 'alpha-shared', csv: true },
  'GET /v1/me/links/:id': { kind: 'mine', own: 'alpha-shared', ownId: (w) => w.aLink.id },
  'GET /v1/me/reports': { kind: 'mine', own: '1234', csv: true, reports: true },
  'GET /v1/me/coupons': { kind: 'mine', own: 'ALPHA10', csv: true },
  'GET /v1/me/commissions': { kind: 'mine', own: '"amount_minor":123', csv: true },
  // A's payout in Shared: its 123, and as B's parent its override on B's sale there
  'GET /v1/me/payouts': { kind: 'mine', own: (w) => `"amount_minor":${w.aPayout.amount_minor}`, csv: true },
  'GET /v1/me/payouts/:id': { kind: 'mine', own: (w) => `"amount_minor":${w.aPayout.amount_minor}`, ownId: (w) => w.aPayout.id },
  'GET /v1/me/balance': { kind: 'mine', own: (w) => `"in_payout_minor":${w.aPayout.amount_minor}`, csv: true },
  'GET /v1/me/conversions': { kind: 'mine', own: 'alpha-order-1', csv: true },
  'GET /v1/me/programs': { kind: 'mine', own: 'Shared Spring Program', csv: true, filters: false },
  'GET /v1/me/programs/:id': { kind: 'mine', own: 'Shared Spring Program', ownId: (w) => w.shared.id },
  'GET /v1/me/creatives': { kind: 'mine', own: 'Shared text', csv: true },
  'GET /v1/me/creatives/:id': { kind: 'mine', own: 'Shared text', ownId: (w) => w.creativeShared.id },
  'GET /v1/me/announcements': { kind: 'mine', own: 'Shared news', csv: true },
  'POST /v1/me/links': {
    kind: 'write',
    bodies: (w) => [{ program_id: w.excl.id }, { program_id: w.open.id }, { program_id: w.excl.id, code: 'alpha-in-excl' },
      { program_id: w.shared.id, affiliate_id: w.b.id }, { program_id: w.excl.id, url: 'https://shop.example.com/x' }],
  },
  'POST /v1/me/applications': {
    kind: 'write',
    bodies: (w) => [{ program_id: w.excl.id, accept_terms: true }, { program_id: w.open.id, accept_terms: true, affiliate_id: w.b.id },
      { program_id: w.open.id, accept_terms: true, application_id: w.ids.application[0] }],
  },
};

// A body for writes naming B's objects everywhere a field could (admin routes refuse
// before reading it; it is there so that a route that forgot its auth would act on B).
function bBody(w) {
  return {
    program_id: w.excl.id, affiliate_id: w.b.id, link_id: w.ids.link[0], conversion_id: w.ids.conversion[0],
    ids: w.ids.conversion, status: 'approved', name: 'taken over', email: 'alpha@alpha.example', code: 'ALPHAGRAB',
    reference: 'alpha', reason: 'alpha', amount_minor: 1, order_id: 'alpha-grab', title: 't', body: 'b', text: 't',
    terms: 'alpha terms', applications_open: true, password: 'alpha password 9', role: 'admin',
  };
}

// One world at a time (the describe blocks below run one after the other).
let srv;
let w;
let baseline; // the admin's view of everything, before the walk
let tally;

/** One request as A. cred: 'key' | 'session' | 'session-nocsrf'. */
async function asA(cred, method, p, body, extraHeaders = {}) {
  const headers = { ...extraHeaders };
  if (cred === 'key') headers.authorization = `Bearer ${w.aKey}`;
  else {
    headers.cookie = w.aLogin.cookie;
    if (cred === 'session' && method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = w.aLogin.csrf;
  }
  let payload;
  if (Buffer.isBuffer(body) || typeof body === 'string') payload = body;
  else if (body !== undefined) { payload = JSON.stringify(body); headers['content-type'] = 'application/json'; }
  tally.requests += 1;
  return srv.raw(method, p, { headers, body: payload });
}

function noLeak(r, what, { headersToo = true } = {}) {
  let text = r.text;
  if (headersToo) text += `\n${r.headers.location || ''}\n${r.headers['content-disposition'] || ''}`;
  const found = leaksIn(w, text);
  assert.deepEqual(found, [], `${what} -> ${r.status}: B's data in the answer to A:\n  ${found.join('\n  ')}\n${r.text.slice(0, 600)}`);
}

async function noWrite(what) {
  const now = await snapshot(srv, w);
  for (const k of Object.keys(baseline)) {
    assert.deepEqual(now[k], baseline[k], `${what}: changed what the admin sees at ${k}`);
  }
}

const isWrite = (method) => method !== 'GET' && method !== 'HEAD';

// ---- the public routes' checks: what A's credential must not add ----

async function redirect(cred, route) {
  for (const code of w.ids.code) {
    const r = await asA(cred, 'HEAD', `/r/${code}`); // HEAD: redirected, never recorded
    assert.equal(r.status, 302, `HEAD /r/${code}`);
  }
}

async function postback(cred, route) {
  for (const click of w.ids.click) {
    const q = qs({ token: w.aKey, click_id: click, order_id: 'alpha-forged', amount: '1.00' });
    const r = route.method === 'GET' ? await asA(cred, 'GET', `/postback${q}`)
      : await asA(cred, 'POST', '/postback', q.slice(1), { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(r.status, 401, `${route.method} /postback with A's key as the token: ${r.text}`);
    noLeak(r, `${route.method} /postback`);
  }
}

async function pixel(cred) {
  for (const click of w.ids.click) {
    const r = await asA(cred, 'GET', `/px.gif${qs({ token: w.aKey, click_id: click, order_id: 'alpha-forged-px', amount: '1.00' })}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'image/gif');
  }
}

function plain(status) {
  return async (cred, route) => {
    const r = await asA(cred, 'GET', `${route.pattern}${qs({ affiliate_id: w.b.id })}`);
    assert.equal(r.status, status, route.pattern);
    noLeak(r, route.pattern);
  };
}

async function publicProgram(cred) {
  const r = await asA(cred, 'GET', `/v1/public/programs/${w.excl.id}`);
  assert.equal(r.status, 404, 'a program closed to applications has no public page, whoever asks');
  noLeak(r, 'public program');
  const open = await asA(cred, 'GET', `/v1/public/programs/${w.open.id}`);
  assert.equal(open.status, 200, 'the open program is public');
  noLeak(open, 'open program'); // holds nothing of B's application
}

// Banner URLs are public by design (docs/api.md "GET /c/{id}.{ext}"): affiliates embed
// them on their sites. A's credential changes nothing: the bytes and no more.
async function banner(cred) {
  const r = await asA(cred, 'GET', `/c/${w.ids.creative[1]}.png`);
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'image/png');
  assert.deepEqual(r.body, png());
}

async function signInAsB(cred) {
  const r = await asA(cred, 'POST', '/v1/session', { email: 'bravo.login@bravo.example', password: 'alpha portal password 1' });
  assert.equal(r.status, 401, `signing in as B with A's password: ${r.text}`);
  assert.equal([].concat(r.headers['set-cookie'] || []).length, 0, 'no session cookie');
  noLeak(r, 'POST /v1/session');
}

async function signUpAsB(cred) {
  const r = await asA(cred, 'POST', '/v1/signup', { name: 'Alpha again', email: 'bravo.login@bravo.example', password: 'alpha pw 12345', accept_terms: true, program_id: w.open.id });
  assert.equal(r.status, 409, `signing up with B's login: ${r.text}`);
  const r2 = await asA(cred, 'POST', '/v1/signup', { name: 'Alpha again', email: 'alpha.other@alpha.example', password: 'alpha pw 12345', accept_terms: true, program_id: w.excl.id });
  assert.equal(r2.status, 422, `signing up to B's closed program: ${r2.text}`);
  noLeak(r2, 'POST /v1/signup');
}

async function whoAmI(cred) {
  const r = await asA(cred, 'GET', `/v1/session${qs({ affiliate_id: w.b.id })}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.affiliate_id ?? r.json.user.affiliate_id, w.a.id, 'A is A');
  noLeak(r, 'GET /v1/session');
}

async function signOut(cred) {
  if (cred === 'key') {
    const r = await asA(cred, 'DELETE', '/v1/session');
    assert.deepEqual([r.status, r.json], [200, { signed_out: false }]);
    return;
  }
  // a session of A's own, not the walk's: signing it out ends it and nothing else
  const s = await signIn(srv, 'alpha.login@alpha.example', 'alpha portal password 1');
  const r = await srv.raw('DELETE', `/v1/session${qs({ affiliate_id: w.b.id })}`, { headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
  assert.equal(r.status, 200);
  assert.equal((await srv.raw('GET', '/v1/me', { headers: { cookie: s.cookie } })).status, 401, 'that session ended');
  assert.equal((await asA('session', 'GET', '/v1/me')).status, 200, 'the walk\'s session lives on');
}

// ---- the walk ----

async function walkRoute(cred, route, spec) {
  const key = `${route.method} ${route.pattern}`;
  tally.routes.add(key);
  tally.pairs.add(`${key} ${cred}`);
  if (spec.kind === 'public') {
    await spec.check(cred, route);
    if (isWrite(route.method)) await noWrite(`${key} as A (${cred})`);
    return;
  }
  for (const { path: p, primary } of bPaths(w, route.pattern)) {
    if (!isWrite(route.method)) {
      // lists: every filter naming B; single objects and admin routes: a few
      const queries = spec.kind === 'mine' && p === route.pattern ? bQueries(w, spec)
        : ['', qs({ affiliate_id: w.b.id }), qs({ program_id: w.excl.id, format: 'csv' })];
      for (const q of queries) {
        const what = `${route.method} ${p}${q} as A (${cred})`;
        const r = await asA(cred, route.method, `${p}${q}`);
        if (spec.kind === 'admin') assert.equal(r.status, 403, what);
        else if (primary && p !== route.pattern) assert.equal(r.status, 404, `${what}: B's id must be "not found"`);
        else {
          assert.ok([200, 404, 422].includes(r.status), `${what}: ${r.status} ${r.text.slice(0, 300)}`);
          if (q.includes(`affiliate_id=${w.b.id}`) && p === route.pattern && spec.filters !== false) {
            assert.equal(r.status, 404, `${what}: another affiliate_id is "not found" (docs/api.md)`);
          }
        }
        if (spec.csv && q.includes('format=csv') && r.status === 200) {
          assert.match(r.headers['content-type'], /^text\/csv/, `${what}: a CSV export`);
        }
        noLeak(r, what);
      }
      const head = await asA(cred, 'HEAD', p);
      const get = await asA(cred, 'GET', p);
      assert.equal(head.status, get.status, `HEAD ${p} answers as GET`);
    } else {
      const bodies = spec.kind === 'write' ? spec.bodies(w) : [bBody(w)];
      for (const body of bodies) {
        const what = `${route.method} ${p} ${JSON.stringify(body)} as A (${cred})`;
        const raw = route.pattern === '/v1/creatives/image' ? png() : body;
        const r = await asA(cred, route.method, `${p}${qs({ program_id: w.excl.id, affiliate_id: w.b.id })}`, raw);
        if (spec.kind === 'admin') assert.equal(r.status, 403, `${what}: ${r.text}`);
        else assert.ok(r.status >= 400 && r.status < 500, `${what}: refused, not ${r.status} ${r.text}`);
        noLeak(r, what);
        await noWrite(what);
        if (cred === 'session') { // and a session's write without its CSRF token is refused first
          const forged = await asA('session-nocsrf', route.method, p, raw);
          assert.equal(forged.status, 403, `${what} without the CSRF token`);
        }
      }
    }
  }
  // A's own object under /v1/me: reachable, so the 404s above are about B, not the route
  if (spec.kind === 'mine') {
    const own = spec.ownId ? route.pattern.replace(/:id$/, spec.ownId(w)) : route.pattern;
    const q = spec.reports ? qs({ from: h.utcDay(-3), to: h.utcDay(2) }) : '';
    const ownText = typeof spec.own === 'function' ? spec.own(w) : spec.own;
    const r = await asA(cred, 'GET', `${own}${q}`);
    assert.equal(r.status, 200, `GET ${own}${q} as A (${cred}): A's own`);
    assert.ok(r.text.includes(ownText), `GET ${own} as A (${cred}) shows A's own ${ownText}: ${r.text.slice(0, 400)}`);
    if (spec.csv) {
      const c = await asA(cred, 'GET', `${own}${q ? `${q}&` : '?'}format=csv`);
      assert.equal(c.status, 200);
      const ownCsv = ownText.replace(/^"(\w+)":(\d+)$/, '$2');
      assert.ok(c.text.includes(ownCsv), `the CSV of ${own} holds A's own ${ownCsv}: ${c.text.slice(0, 400)}`);
    }
  }
}

test('every route of src/api/routes.c has an isolation expectation, and every expectation a route', () => {
  const routes = routeTable();
  const keys = new Set(routes.map((r) => `${r.method} ${r.pattern}`));
  const missing = [...keys].filter((k) => !(k in EXPECT));
  assert.deepEqual(missing, [], 'routes the isolation walk does not know: add each to EXPECT in tests/e2e/isolation.test.js, '
    + 'saying what an affiliate may get from it (admin: 403; mine: only its own; write: refused for B\'s objects; public: a check)');
  const stale = Object.keys(EXPECT).filter((k) => !keys.has(k));
  assert.deepEqual(stale, [], 'EXPECT names routes that src/api/routes.c no longer has: remove them');
  for (const r of routes) {
    const kind = EXPECT[`${r.method} ${r.pattern}`].kind;
    if (r.auth === 'AFF_AUTH_ADMIN' || r.auth === 'AFF_AUTH_ADMIN_OR_PROGRAM') assert.equal(kind, 'admin', `${r.method} ${r.pattern} is an admin route`);
    if (r.auth === 'AFF_AUTH_AFFILIATE') assert.ok(['mine', 'write'].includes(kind), `${r.method} ${r.pattern} is an affiliate route`);
    if (r.auth === 'AFF_AUTH_NONE' || r.auth === 'AFF_AUTH_ANY') assert.equal(kind, 'public', `${r.method} ${r.pattern}`);
  }
  // docs/api.md documents every path of the table
  const doc = fs.readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');
  const undocumented = routes.map((r) => r.pattern.replace(':file', '{id}.{ext}').replace(/^\/v1\/clicks\/:id$/, '/v1/clicks/{click_id}')
    .replace(/:(\w+)/g, '{$1}')).filter((p) => !doc.includes(p));
  assert.deepEqual(undocumented, [], 'paths of src/api/routes.c missing from docs/api.md');
});

// ---- what A sees of B when B is its sub-affiliate, and when it is not ----
//
// Intended (docs/commissions.md "sub_affiliates", docs/api.md "Affiliate portal API"):
// a parent earns an override line on each of its child's conversions, and sees it as
// any line of its own: amount, status, rule, the conversion's id and program; its
// payouts and balances include them, in the child's programs too. It never sees the
// child's conversions, clicks, links, customers, payout details, report rows, or the
// content of a program it is not in because its child is.

async function mine(p) {
  const r = await srv.api('GET', p, { key: w.aKey });
  h.expectStatus(r, 200, `A: GET ${p}`);
  noLeak({ ...r, headers: {} }, `A: GET ${p}`);
  return r.json;
}

function parentTests(child) {
  test('A\'s lines are its own sale and, as B\'s parent only, one override per conversion of B', async () => {
    const admin = await h.listAll(srv, `/v1/commissions?affiliate_id=${w.a.id}`);
    assert.deepEqual((await mine('/v1/me/commissions?limit=500')).data, admin, 'A sees its lines as the admin does, no more');
    const overrides = admin.filter((l) => l.kind === 'override');
    assert.deepEqual(admin.filter((l) => l.kind !== 'override').map((l) => [l.conversion_id, l.amount_minor]), [[w.aConv.conversion.id, 123]]);
    assert.equal(overrides.length, child ? w.bConvs.length : 0, 'a plan that pays parents pays A only as B\'s parent');
    for (const c of child ? w.bConvs : []) {
      const line = overrides.find((l) => l.conversion_id === c.id);
      assert.ok(line, `A's override on B's conversion ${c.id}`);
      assert.deepEqual([line.program_id, line.slot, line.rule, line.amount_minor, line.gross_minor],
        [c.program_id, 'override:1', 'sub_affiliates:1', h.percentOf(c.earned_minor, '10'), h.percentOf(c.earned_minor, '10')]);
      // filtering by B's conversion gives A's line of it, never B's own line
      assert.deepEqual((await mine(`/v1/me/commissions?conversion_id=${c.id}`)).data, [line]);
    }
    assert.deepEqual(overrides.map((l) => l.id).sort(), w.aOverrides.map((l) => l.id).sort());
  });

  test('A\'s payouts and balance hold its overrides as B\'s parent only, in B\'s exclusive program too, which stays closed to A', async () => {
    const excl = w.bConvs[1];
    const payouts = (await mine('/v1/me/payouts')).data;
    assert.deepEqual(payouts.map((p) => [p.program_id, p.amount_minor]),
      [[w.shared.id, 123 + (child ? h.percentOf(w.bConvs[0].earned_minor, '10') : 0)],
        ...(child ? [[w.excl.id, h.percentOf(excl.earned_minor, '10')]] : [])]);
    if (child) assert.equal(payouts[1].run_id, w.runExcl.id, 'the exclusive run paid A');
    const balance = (await mine('/v1/me/balance')).data;
    assert.deepEqual(balance.map((b) => b.program_id), child ? [w.shared.id, w.excl.id] : [w.shared.id]);
    // earning in a program does not make it one of A's: no page, terms, creatives or news
    h.expectError(await srv.api('GET', `/v1/me/programs/${w.excl.id}`, { key: w.aKey }), 404, 'not_found');
    assert.ok(!(await mine('/v1/me/programs')).data.some((p) => p.id === w.excl.id));
    assert.deepEqual((await mine(`/v1/me/creatives?program_id=${w.excl.id}`)).data, []);
    assert.ok(!(await mine('/v1/me/announcements')).data.some((a) => a.program_id === w.excl.id));
    h.expectError(await srv.api('POST', '/v1/me/links', { key: w.aKey, body: { program_id: w.excl.id } }), 422, 'invalid_argument', 'program_id');
  });

  test('A\'s conversions, reports and profile are its own: none of B\'s sales, though A earns on them', async () => {
    assert.deepEqual((await mine('/v1/me/conversions?limit=500')).data.map((c) => c.order_id), ['alpha-order-1']);
    for (const c of w.bConvs) assert.deepEqual((await mine(`/v1/me/conversions?q=${encodeURIComponent(c.order_id)}`)).data, []);
    const range = `from=${h.utcDay(-3)}&to=${h.utcDay(2)}`;
    const report = await mine(`/v1/me/reports?${range}&group_by=program,link`);
    assert.deepEqual([report.totals.conversions, report.totals.revenue_minor, report.totals.clicks, report.totals.commission_minor],
      [1, 1234, 1, 123]);
    // as B's parent, A's override income: a row per program of its own (no link), holding
    // what its override lines there add up to, and nothing else
    const income = (pid) => w.aOverrides.filter((l) => l.program_id === pid).reduce((t, l) => t + l.amount_minor, 0);
    assert.deepEqual(report.rows.map((r) => [r.program_id, r.link_id, r.override_income_minor]),
      [[w.shared.id, null, ...(child ? [income(w.shared.id)] : [])], [w.shared.id, w.aLink.id, 0], ...(child ? [[w.excl.id, null, income(w.excl.id)]] : [])]
        .filter((r) => r.length === 3));
    assert.equal(report.totals.override_income_minor, child ? income(w.shared.id) + income(w.excl.id) : 0);
    assert.ok(!('overrides_minor' in report.totals), 'what A\'s parents earn on A is theirs');
    for (const r of report.rows.filter((x) => x.link_id === null)) {
      assert.deepEqual([r.clicks, r.conversions, r.revenue_minor, r.commission_minor], [0, 0, 0, 0], 'an income row holds income only');
    }
    // /v1/me is A as the admin sees it: its own parent (none), no list of children
    const adminA = await srv.api('GET', `/v1/affiliates/${w.a.id}`);
    assert.deepEqual(await mine('/v1/me'), adminA.json);
    assert.equal(adminA.json.parent_id, null);
  });

  test('B is told its parent\'s id (GET /v1/me), and nothing of A\'s lines', async () => {
    const me = await srv.api('GET', '/v1/me', { key: w.bKey });
    h.expectStatus(me, 200, 'B: /v1/me');
    assert.equal(me.json.parent_id, child ? w.a.id : null);
    for (const c of w.bConvs) {
      const lines = await srv.api('GET', `/v1/me/commissions?conversion_id=${c.id}`, { key: w.bKey });
      assert.deepEqual(lines.json.data.map((l) => [l.affiliate_id, l.kind]), [[w.b.id, 'commission']], 'B sees its line, not A\'s override');
    }
  });

  test('B\'s own report counts B\'s lines only, not what its parent earns on it; the admin\'s counts both', async () => {
    const range = { from: h.utcDay(-3), to: h.utcDay(2) };
    const bLines = await h.listAll(srv, '/v1/me/commissions', { key: w.bKey });
    assert.ok(bLines.length === 3 && bLines.every((l) => l.affiliate_id === w.b.id));
    const own = (pid) => bLines.filter((l) => pid === undefined || l.program_id === pid).reduce((t, l) => t + l.amount_minor, 0);
    const parents = (pid) => w.aOverrides.filter((l) => pid === undefined || l.program_id === pid).reduce((t, l) => t + l.amount_minor, 0);
    assert.equal(parents() > 0, child);
    for (const g of ['', 'day', 'program', 'link', 'sub1', 'day,program,link', 'program,sub1']) {
      const r = await srv.api('GET', `/v1/me/reports${h.qs({ ...range, group_by: g })}`, { key: w.bKey });
      h.expectStatus(r, 200, `B: /v1/me/reports group_by=${g}`);
      assert.equal(r.json.totals.commission_minor, own(), `group_by=${g}: B's commission is its own lines`);
      assert.equal(r.json.totals.epc_minor, h.divRound(own(), r.json.totals.clicks), `group_by=${g}: epc from B's own`);
      assert.equal(r.json.totals.override_income_minor, 0, 'B has no sub-affiliates');
      for (const row of [r.json.totals, ...r.json.rows]) assert.ok(!('overrides_minor' in row) && !('roi' in row));
      if (g === 'program') {
        for (const row of r.json.rows) assert.equal(row.commission_minor, own(row.program_id), `program ${row.program_id}`);
      }
      const csv = await srv.raw('GET', `/v1/me/reports${h.qs({ ...range, group_by: g, format: 'csv' })}`,
        { headers: { authorization: `Bearer ${w.bKey}` } });
      assert.equal(csv.status, 200);
      const { header, rows } = h.parseCsv(csv.text);
      assert.ok(!header.includes('overrides_minor') && header.includes('override_income_minor'), header.join());
      assert.equal(rows.reduce((t, x) => t + Number(x.commission_minor), 0), own(), `CSV group_by=${g}: B's commission is its own lines`);
    }
    // the brand's cost of B's traffic: B's lines and A's overrides on them
    const admin = await srv.api('GET', `/v1/reports${h.qs({ ...range, group_by: 'program', affiliate_id: w.b.id })}`);
    h.expectStatus(admin, 200);
    assert.equal(admin.json.totals.commission_minor, own() + parents());
    assert.equal(admin.json.totals.overrides_minor, parents());
    for (const row of admin.json.rows) assert.equal(row.commission_minor, own(row.program_id) + parents(row.program_id));
  });
}

// ---- the walks, in each world ----

for (const child of [false, true]) {
  describe(child ? 'B is A\'s sub-affiliate (parent_id = A)' : 'B is a stranger to A', () => {
    beforeAll(async () => {
      tally = { requests: 0, routes: new Set(), pairs: new Set() };
      srv = await h.startServer({ args: WORLD_FLAGS });
      w = await buildWorld(srv, { child });
      baseline = await snapshot(srv, w);
    });

    afterAll(async () => {
      if (srv) { await srv.stop(); await srv.cleanup(); }
      srv = undefined;
    });

    for (const cred of ['key', 'session']) {
      test(`as affiliate A with its ${cred === 'key' ? 'API key' : 'dashboard session'}: every route and method with B's ids`, async () => {
        const routes = routeTable();
        for (const route of routes) {
          const spec = EXPECT[`${route.method} ${route.pattern}`];
          if (!spec) continue; // reported by the test above
          await walkRoute(cred, route, spec);
        }
        // methods a path does not have: 405 method_not_allowed with Allow naming the path's
        // methods, before any auth, never a write. A path is one resource: GET
        // /v1/conversions/bulk is the bulk action's path with the wrong method, not GET
        // /v1/conversions/:id with the id "bulk" (which answered A 403 and an admin 404;
        // docs/api.md "Errors").
        const byPattern = new Map();
        for (const r of routes) byPattern.set(r.pattern, [...(byPattern.get(r.pattern) || []), r.method]);
        for (const [pattern, methods] of byPattern) {
          const p = bPaths(w, pattern)[0].path;
          const allow = methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
          for (const m of [...METHODS, 'HEAD'].filter((x) => !allow.includes(x))) {
            const r = await asA(cred, m, p, m === 'GET' || m === 'HEAD' ? undefined : bBody(w));
            const what = `${m} ${p} (not a route) as A (${cred})`;
            assert.equal(r.status, 405, `${what}: ${r.text.slice(0, 200)}`);
            assert.equal(r.headers.allow, allow.join(', '), `${what}: Allow`);
            if (m !== 'HEAD') assert.equal(JSON.parse(r.text).error.code, 'method_not_allowed', what);
            noLeak(r, `${m} ${p}`);
            tally.pairs.add(`${m} ${pattern} ${cred}`);
          }
        }
        await noWrite(`after the walk as A (${cred})`);
        assert.equal((await asA(cred, 'GET', '/v1/me')).status, 200, 'A is still signed in');
      });
    }

    test('the walk covered every route with both credentials', (t) => {
      const routes = routeTable();
      assert.equal(tally.routes.size, routes.length, 'every route walked');
      t.diagnostic(`isolation walk: ${routes.length} routes x 2 credentials, ${tally.pairs.size} (method, path, credential) `
        + `triples with the methods no route has, ${tally.requests} requests as A`);
    });

    parentTests(child);
  });
}
