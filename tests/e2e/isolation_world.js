'use strict';
// The world of the affiliate-isolation walks (tests/e2e/isolation.test.js over the API,
// tests/browser/isolation.test.js over the portal's pages): two affiliates, A ("Alpha")
// and B ("Bravo"), with everything an affiliate can own, and the means to tell whether
// an answer given to A holds anything of B's.
//
// * Program "Shared" has both A and B in it (a link each).
// * Program "Bravo Exclusive" has only B: terms, a text and an image creative, an
//   announcement; B has a link, a coupon, clicks, a conversion there.
// * Program "Open House" is open to applications; B applied to it (pending).
// * B in "Shared": a link with default sub-IDs, a coupon, clicks with sub-IDs, an
//   approved conversion (paid out: a payout with a reference), a pending one by coupon.
// * A in "Shared": a link, a coupon, one click, one approved conversion (paid out in
//   the same payout run as B's), and a portal login.
// * Shared and Bravo Exclusive pay parents 10 % of a sub-affiliate's commission
//   (`sub_affiliates`, docs/commissions.md).
//
// Two families: B a stranger to A (the default), or B A's sub-affiliate
// (buildWorld(srv, { child: true }): B's parent_id is A). Then A earns an override line
// on each of B's conversions, in Shared and in Bravo Exclusive, a program A is not in,
// and the payout runs pay A those too. That is what the product shows a parent of its
// child, on purpose: its own lines (amount, status, the child's conversion id they
// belong to, the program), and the payouts and balances they are in. Nothing else of
// B's: w.parentView lists the ids of B's that A's own rows may name, and leaksIn()
// allows them only there.
//
// Every string of B's contains "bravo" (any case) and no string A may see does; B's
// amounts are distinctive numbers; B's ids are known. leaksIn() looks for all three.

const assert = require('node:assert/strict');
const h = require('./helpers');

const A_PASSWORD = 'alpha portal password 1';
const B_PASSWORD = 'bravo portal password 1';
const B_MARK = /bravo/i;

// B's amounts (minor units) and what 10 % of them is: numbers no answer to A may hold.
const B_SHARED_AMOUNT = 97531; // commission 9753
const B_EXCL_AMOUNT = 86420; // commission 8642
const B_COUPON_AMOUNT = 75319; // commission 7532
const B_NUMBERS = [B_SHARED_AMOUNT, 9753, B_EXCL_AMOUNT, 8642, B_COUPON_AMOUNT, 7532,
  B_SHARED_AMOUNT + B_EXCL_AMOUNT, 9753 + 8642];
const B_DECIMALS = ['975.31', '97.53', '864.20', '86.42', '753.19', '75.32'];
const A_CLICKS = 1;
const PLAN = { sale: { percent: '10' }, sub_affiliates: ['10'] };
// The server flags of the walks: many sign-ins, and no maintenance tick during a walk
// (it would approve B's pending line on its own, and the walk compares snapshots).
const WORLD_FLAGS = ['--signin-attempts-per-minute', '10000', '--maintenance-interval-ms', '86400000'];

/** A 300x250 PNG header (the server reads type and size from the first 24 bytes). */
function png(w = 300, h2 = 250) {
  const b = Buffer.alloc(40);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).copy(b, 0);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h2, 20);
  return b;
}

/** Sign in on the JSON API; returns { cookie: "name=value", csrf }. */
async function signIn(srv, email, password) {
  const res = await srv.raw('POST', '/v1/session', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  assert.equal(res.status, 200, `sign in ${email}: ${res.text}`);
  const setCookie = [].concat(res.headers['set-cookie'] || []);
  const m = setCookie.map((c) => c.match(/^((?:__Host-)?afftrack_session)=([^;]*)/)).find(Boolean);
  assert.ok(m, `a session cookie for ${email}`);
  return { cookie: `${m[1]}=${m[2]}`, csrf: res.json.csrf_token };
}

async function ok(p, status, what) {
  const r = await p;
  h.expectStatus(r, status, what);
  return r.json;
}

/**
 * Build the world on srv (a fresh server started with WORLD_FLAGS); child: B is A's
 * sub-affiliate. Returns { a, b, shared, excl, open, run, aKey, bKey, aLogin, bLogin,
 * ids, parentView, aOverrides } where ids holds every id of B's (numbers, and B's click
 * ids as strings), parentView (child only) those of them A's own rows may name, and
 * aOverrides A's override lines as the conversions' answers gave them.
 */
async function buildWorld(srv, { child = false } = {}) {
  const api = (m, p, body) => srv.api(m, p, body === undefined ? {} : { body });
  const shared = await h.createProgram(srv, { name: 'Shared Spring Program', destination_url: 'https://shop.example.com/',
    allowed_domains: ['shop.example.com'], hold_days: 0, commission: PLAN });
  const excl = await h.createProgram(srv, { name: 'Bravo Exclusive Program', destination_url: 'https://bravo-shop.example.com/',
    hold_days: 0, commission: PLAN });
  const open = await h.createProgram(srv, { name: 'Open House Program', destination_url: 'https://open.example.com/',
    commission: { sale: { percent: '5' } } });
  await ok(api('PATCH', `/v1/programs/${shared.id}/terms`, { description: 'Our shared program.', terms: 'Be nice.' }), 200, 'shared terms');
  await ok(api('PATCH', `/v1/programs/${excl.id}/terms`, { description: 'Bravo exclusive description', terms: 'Bravo exclusive terms' }), 200, 'excl terms');
  await ok(api('PATCH', `/v1/programs/${open.id}/terms`, { description: 'Anyone may apply.', terms: 'Open terms.', applications_open: true }), 200, 'open terms');

  const a = await h.createAffiliate(srv, { name: 'Alpha Partner', email: 'alpha@alpha.example', payout_method: 'paypal', payout_account: 'alpha-pay@alpha.example' });
  const b = await h.createAffiliate(srv, { name: 'Bravo Secret Partner', email: 'bravo.secret@bravo.example', group: 'bravo-group',
    payout_method: 'paypal', payout_account: 'bravo-pay@bravo.example', ...(child ? { parent_id: a.id } : {}) });
  assert.equal(b.parent_id, child ? a.id : null, 'B\'s parent');
  const aLink = await h.createLink(srv, shared.id, a.id, { code: 'alpha-shared' });
  const bLinkShared = await h.createLink(srv, shared.id, b.id, { code: 'bravo-shared', sub1: 'bravo-default-sub' });
  const bLinkExcl = await h.createLink(srv, excl.id, b.id, { code: 'bravo-excl' });
  const aCoupon = await h.createCoupon(srv, shared.id, a.id, 'ALPHA10');
  const bCouponShared = await h.createCoupon(srv, shared.id, b.id, 'BRAVOSHARED');
  const bCouponExcl = await h.createCoupon(srv, excl.id, b.id, 'BRAVOEXCL');

  const aUser = await ok(api('POST', '/v1/users', { email: 'alpha.login@alpha.example', password: A_PASSWORD, affiliate_id: a.id }), 201, 'A user');
  const bUser = await ok(api('POST', '/v1/users', { email: 'bravo.login@bravo.example', password: B_PASSWORD, affiliate_id: b.id }), 201, 'B user');

  // clicks: A one, B three (with sub-IDs)
  const ua = (n) => ({ headers: { 'user-agent': `Mozilla/5.0 isolation-${n}` } });
  const aClick = await h.clickOk(srv, aLink.code, { query: { sub1: 'alpha-sub' }, ...ua('a') });
  const bClick1 = await h.clickOk(srv, bLinkShared.code, { query: { sub1: 'bravo-click-sub', sub2: 'bravo-sub2' }, ...ua('b1') });
  const bClick2 = await h.clickOk(srv, bLinkExcl.code, { query: { sub1: 'bravo-excl-sub' }, ...ua('b2') });
  const bClick3 = await h.clickOk(srv, bLinkShared.code, { query: { source_id: 'bravo-source' }, ...ua('b3') });

  // conversions: approved ones earn approved lines that a payout run (hold_days 0) pays
  const aConv = await h.convOk(srv, { program_id: shared.id, order_id: 'alpha-order-1', amount_minor: 1234, click_id: aClick.clickId, status: 'approved' });
  const bConvShared = await h.convOk(srv, { program_id: shared.id, order_id: 'bravo-order-shared', amount_minor: B_SHARED_AMOUNT,
    click_id: bClick1.clickId, customer_id: 'bravo-customer', email: 'bravo.buyer@bravo.example', status: 'approved' });
  const bConvExcl = await h.convOk(srv, { program_id: excl.id, order_id: 'bravo-order-excl', amount_minor: B_EXCL_AMOUNT,
    click_id: bClick2.clickId, status: 'approved' });
  const run = await ok(api('POST', '/v1/payouts/run', { program_id: shared.id }), 201, 'payout run');
  const aPayout = run.payouts.find((p) => p.affiliate_id === a.id);
  const bPayout = run.payouts.find((p) => p.affiliate_id === b.id);
  assert.ok(aPayout && bPayout, `the run pays A and B: ${JSON.stringify(run)}`);
  await ok(api('POST', `/v1/payouts/${bPayout.id}/paid`, { reference: 'bravo-payout-ref' }), 200, 'B paid');
  const runExcl = await ok(api('POST', '/v1/payouts/run', { program_id: excl.id }), 201, 'payout run excl');
  const bPayoutExcl = runExcl.payouts.find((p) => p.affiliate_id === b.id);
  assert.ok(bPayoutExcl, 'the exclusive run pays B');
  // after the runs: one more of B's, pending, by its coupon
  const bConvCoupon = await h.convOk(srv, { program_id: shared.id, order_id: 'bravo-order-coupon', amount_minor: B_COUPON_AMOUNT, coupon: 'BRAVOSHARED' });
  const bLines = [...bConvShared.commissions, ...bConvExcl.commissions, ...bConvCoupon.commissions];

  // portal content
  const creativeShared = await ok(api('POST', '/v1/creatives', { program_id: shared.id, name: 'Shared text', text: 'Shop now {link}' }), 201, 'shared creative');
  const creativeText = await ok(api('POST', '/v1/creatives', { program_id: excl.id, name: 'Bravo secret text', text: 'Bravo only {link}' }), 201, 'excl creative');
  const creativeImage = await ok(srv.api('POST', `/v1/creatives/image?program_id=${excl.id}&name=Bravo%20secret%20banner`,
    { rawBody: png(), headers: { 'content-type': 'image/png' } }), 201, 'excl banner');
  const newsAll = await ok(api('POST', '/v1/announcements', { title: 'Hello partners', body: 'News for everyone.' }), 201, 'news to all');
  const newsShared = await ok(api('POST', '/v1/announcements', { program_id: shared.id, title: 'Shared news', body: 'For the shared program.' }), 201, 'shared news');
  const newsExcl = await ok(api('POST', '/v1/announcements', { program_id: excl.id, title: 'Bravo exclusive news', body: 'Bravo only body' }), 201, 'excl news');

  const bLogin = await signIn(srv, 'bravo.login@bravo.example', B_PASSWORD);
  const application = await ok(srv.raw('POST', '/v1/me/applications', {
    headers: { cookie: bLogin.cookie, 'x-csrf-token': bLogin.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ program_id: open.id, accept_terms: true, website: 'https://bravo-site.example', promotion: 'Bravo newsletter' }),
  }), 201, 'B applies to the open program');
  const aLogin = await signIn(srv, 'alpha.login@alpha.example', A_PASSWORD);

  const ids = {
    affiliate: [b.id],
    user: [bUser.id],
    program: [excl.id], // the program A is not in (Open House: B's application only)
    link: [bLinkShared.id, bLinkExcl.id],
    coupon: [bCouponShared.id, bCouponExcl.id],
    conversion: [bConvShared.conversion.id, bConvExcl.conversion.id, bConvCoupon.conversion.id],
    commission: bLines.filter((l) => l.affiliate_id === b.id).map((l) => l.id),
    payout: [bPayout.id, bPayoutExcl.id],
    run: [runExcl.run.id], // the shared run pays A too
    creative: [creativeText.id, creativeImage.id],
    announcement: [newsExcl.id],
    application: [application.id],
    click: [bClick1.clickId, bClick2.clickId, bClick3.clickId],
    code: [bLinkShared.code, bLinkExcl.code],
  };
  assert.equal(ids.commission.length, 3, 'one line per conversion of B');
  const aOverrides = bLines.filter((l) => l.affiliate_id === a.id);
  assert.equal(aOverrides.length, child ? 3 : 0, `A's override lines: ${JSON.stringify(aOverrides)}`);
  assert.equal(bLines.length, 3 + aOverrides.length, 'B\'s conversions have no other lines');
  assert.equal(runExcl.payouts.some((p) => p.affiliate_id === a.id), child, 'the exclusive run pays A only as B\'s parent');
  // What A's own rows may name of B's: its override lines name B's conversions and
  // programs (payouts and balances those programs), the exclusive run pays A too.
  const parentView = child ? { conversion: ids.conversion, program: ids.program, run: ids.run } : null;
  return {
    a, b, shared, excl, open, aUser, bUser, aLink, aCoupon, aConv, aClick, run: run.run, runExcl: runExcl.run,
    aPayout, creativeShared, creativeImage, newsAll, newsShared, aLogin, bLogin,
    aKey: a.api_key, bKey: b.api_key, ids, child, parentView, aOverrides,
    bConvs: [bConvShared, bConvExcl, bConvCoupon].map((c) => c.conversion),
  };
}

// Members holding an id of a given kind, wherever they appear in an answer.
const ID_KEYS = {
  affiliate_id: 'affiliate', parent_id: 'affiliate', link_id: 'link', conversion_id: 'conversion', payout_id: 'payout',
  run_id: 'run', program_id: 'program', user_id: 'user', click_id: 'click', application_id: 'application',
  creative_id: 'creative',
};

/**
 * Whether obj, a row of an answer to A, may name B's id x of kind: only when B is A's
 * sub-affiliate, only on A's own rows (its ledger lines, payouts, balances, and its
 * report rows of override income alone, which may name B's program), and B's
 * conversions only on A's override lines (and their adjustments: slot override:<n>).
 */
function parentMaySee(world, obj, kind, x) {
  if (!world.parentView || !(world.parentView[kind] || []).includes(x)) return false;
  if (isIncomeRow(world, obj)) return kind === 'program';
  if (obj.affiliate_id !== world.a.id) return false;
  return kind !== 'conversion' || (typeof obj.slot === 'string' && obj.slot.startsWith('override:'));
}

// The counters of a report row (docs/api.md "Reports") other than a parent's income.
const REPORT_COUNTERS = ['clicks', 'unique_clicks', 'bot_clicks', 'rejected_clicks', 'conversions', 'revenue_minor',
  'refunds_minor', 'commission_minor', 'cr', 'epc_minor', 'aov_minor', 'roi', 'overrides_minor'];

/**
 * Whether obj is a row of A's own report that holds nothing but A's override income:
 * what A's override lines in a program of B's add up to (per day, program), which A's
 * lines show anyway. Such a row may name that program; any traffic, sale or commission
 * of B's in it would not be A's.
 */
function isIncomeRow(world, obj) {
  return typeof obj.override_income_minor === 'number' && obj.override_income_minor !== 0
    && (obj.affiliate_id === undefined || obj.affiliate_id === world.a.id)
    && (obj.link_id === undefined || obj.link_id === null) && (obj.sub1 === undefined || obj.sub1 === '')
    && REPORT_COUNTERS.every((k) => obj[k] === undefined || obj[k] === 0);
}

/**
 * What of B's is in an answer to A: a list of findings (empty when none). body is the
 * answer's text; its JSON (when it parses) is walked for B's ids by member name, for
 * B's amounts, and for click counts above A's own.
 */
function leaksIn(world, text) {
  const found = [];
  if (typeof text !== 'string' || text.length === 0) return found;
  const m = text.match(new RegExp(`.{0,40}${B_MARK.source}.{0,40}`, 'i'));
  if (m) found.push(`B's text: …${m[0]}…`);
  for (const c of world.ids.click) if (text.includes(c)) found.push(`B's click id ${c}`);
  for (const d of B_DECIMALS) if (new RegExp(`(^|[^0-9.])${d.replace('.', '\\.')}([^0-9]|$)`).test(text)) found.push(`B's amount ${d}`);
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  if (json !== undefined) {
    const walk = (v, where) => {
      if (Array.isArray(v)) { v.forEach((x, i) => walk(x, `${where}[${i}]`)); return; }
      if (v === null || typeof v !== 'object') {
        if (typeof v === 'number' && B_NUMBERS.includes(Math.abs(v))) found.push(`B's amount ${v} at ${where}`);
        return;
      }
      for (const [k, x] of Object.entries(v)) {
        const kind = ID_KEYS[k];
        if (kind && world.ids[kind] && world.ids[kind].includes(x) && !parentMaySee(world, v, kind, x)) {
          found.push(`B's ${kind} id ${x} at ${where}.${k}`);
        }
        if ((k === 'clicks' || k === 'unique_clicks') && typeof x === 'number' && x > A_CLICKS) found.push(`${x} clicks (A has ${A_CLICKS}) at ${where}.${k}`);
        walk(x, `${where}.${k}`);
      }
    };
    walk(json, '$');
  } else {
    // CSV and other text: B's amounts as whole numbers in a cell
    for (const n of B_NUMBERS) if (new RegExp(`(^|[,\\s"])${n}([,\\s"]|$)`, 'm').test(text)) found.push(`B's amount ${n}`);
  }
  return found;
}

/**
 * Everything the admin API lists, to compare before and after a walk: any write the
 * walk managed to make shows as a difference. Fetched with the admin key.
 */
async function snapshot(srv, world) {
  const out = {};
  for (const p of ['/v1/programs', '/v1/affiliates', '/v1/links', '/v1/coupons', '/v1/conversions', '/v1/commissions',
    '/v1/payouts', '/v1/payout-runs', '/v1/clicks', '/v1/applications', '/v1/creatives', '/v1/announcements', '/v1/users',
    '/v1/balances', '/v1/review']) {
    const r = await srv.api('GET', `${p}${p.includes('?') ? '&' : '?'}limit=500`);
    h.expectStatus(r, 200, `snapshot ${p}`);
    out[p] = r.json;
  }
  for (const prog of [world.shared, world.excl, world.open]) {
    const r = await srv.api('GET', `/v1/programs/${prog.id}/terms`);
    h.expectStatus(r, 200, 'snapshot terms');
    out[`terms ${prog.id}`] = r.json;
  }
  return out;
}

module.exports = { WORLD_FLAGS, buildWorld, leaksIn, snapshot, signIn, png, B_MARK, A_CLICKS, A_PASSWORD, B_PASSWORD };
