'use strict';
// Every list endpoint, the same checks (docs/api.md "Lists"): each of its sorts, both
// ways, orders the rows as a sort done here does (sort value, then id); following
// next_cursor walks every row exactly once; each filter narrows to the rows that
// match; the CSV export holds the same rows in the same order as the JSON pages; an
// unknown sort, a malformed cursor and a cursor of another sort answer 422 naming the
// parameter. The affiliate's /v1/me lists are checked with its key and hold only its
// own rows. Then the click list's bound: a sort other than ts over more than 100,000
// clicks is refused naming `sort`, and allowed once the days are narrowed.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const h = require('./helpers');

/** RFC 4180 rows as objects keyed by the header (helpers.parseCsv). */
const parseCsv = (text) => h.parseCsv(text).rows;

// Sorts whose order is the ids' own (rows are numbered as they are made).
// (A balance's id is its program and affiliate: idOrder names such sorts; `same` the
// sorts whose values the test leaves equal in a list, checked on another.)
const TIME_SORTS = new Set(['created_at', 'updated_at', 'ts']);
const cmp = (x, y) => (x < y ? -1 : x > y ? 1 : 0);
// SQLite's NOCASE folds ASCII letters only; the test data is ASCII.
const nocase = (s) => String(s).replace(/[A-Z]/g, (c) => c.toLowerCase());

describe('every list sorts, filters, pages and exports on the server', () => {
  let srv;
  const ids = {};
  const lists = []; // filled in before(): one entry per endpoint, see check()

  // Follow next_cursor through a list, `page` rows at a time.
  async function walk(path, page, key) {
    const out = [];
    let cursor = null;
    for (let i = 0; i < 500; i++) {
      const url = `${path}${path.includes('?') ? '&' : '?'}limit=${page}${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await srv.api('GET', url, key ? { key } : {});
      h.expectStatus(r, 200, `GET ${url}`);
      assert.ok(r.json.data.length <= page, `${url}: at most a page`);
      out.push(...r.json.data);
      if (!r.json.has_more) {
        assert.equal(r.json.next_cursor, null, `${url}: no cursor on the last page`);
        return out;
      }
      assert.match(r.json.next_cursor, /^[0-9a-z]+$/, `${url}: an opaque, URL-safe cursor`);
      cursor = r.json.next_cursor;
    }
    throw new Error(`${path}: the walk did not end`);
  }

  before(async () => {
    // no maintenance while the test runs: lines keep the statuses the test gives them
    srv = await h.startServer({ args: ['--trusted-proxies', '127.0.0.1', '--affiliate-signup', 'on', '--maintenance-interval-ms', '86400000',
      ...h.VELOCITY_FLAG_ONLY] });
    const api = async (method, path, body, what, status = 201, key) => {
      const r = await srv.api(method, path, { body, ...(key ? { key } : {}) });
      h.expectStatus(r, status, what || `${method} ${path}`);
      return r.json;
    };
    // Every sort must order the rows otherwise than their ids do (check() asserts it),
    // so names, codes and amounts are chosen out of id order.
    // programs: names whose order differs with and without case; P1 flags every fast
    // conversion (so the review queue has rows) and holds nothing (so it pays out)
    const P1 = await h.createProgram(srv, { name: 'Mango shop', hold_days: 0, commission: { sale: { percent: '10' } },
      screening: { fast_conversion: { action: 'flag', threshold: 3600 } } });
    const P2 = await h.createProgram(srv, { name: 'apple Store', currency: 'EUR', commission: { sale: { percent: '20' } } });
    // P3 pays nobody (its minimum is never reached): its approved lines stay payable
    const P3 = await h.createProgram(srv, { name: 'Zebra', currency: 'JPY', commission: { sale: { percent: '10' } }, min_payout_minor: 1000000 });
    Object.assign(ids, { P1, P2, P3 });
    const A = await h.createAffiliate(srv, { name: 'mia', email: 'mia@corp.example' });
    const B = await h.createAffiliate(srv, { name: 'Adam', email: 'adam@other.example' });
    const C = await h.createAffiliate(srv, { name: 'zed', email: 'Zed@corp.example', status: 'pending' });
    const D = await h.createAffiliate(srv, { name: 'Bea', email: 'bea@other.example' });
    Object.assign(ids, { A, B, C, D });
    // links and coupons: codes that sort differently by case, two per pair of ids
    const L = {};
    for (const [name, p, a, code] of [['a1', P1, A, 'mu-a'], ['b1', P1, B, 'ALPHA-b'], ['a2', P2, A, 'beta-a'],
      ['b2', P2, B, 'Beta-b'], ['d3', P3, D, 'gamma-d'], ['a1x', P1, A, 'alpha-x'], ['bot', P1, D, 'omega-d']]) {
      L[name] = await h.createLink(srv, p.id, a.id, { code });
    }
    for (const [code, p, a] of [['MIA10', P1, A], ['bob10', P1, B], ['ALPHA20', P2, A], ['BEA', P3, D], ['bob5', P2, B], ['AAA1', P1, A], ['BBB3', P3, B], ['AAA3', P3, A]]) {
      await h.createCoupon(srv, p.id, a.id, code);
    }
    // clicks: IPs and sub1 values that tie, and a bot's click (a row too, in every filter)
    const clicks = [];
    const spec = [['a1', '10.0.0.2', 'x'], ['b1', '10.0.0.1', 'y'], ['a2', '10.0.0.2', ''], ['a1', '10.0.0.3', 'x'],
      ['b2', '10.0.0.1', 'z'], ['d3', '10.0.0.2', 'y'], ['a1x', '10.0.0.1', ''], ['b1', '10.0.0.3', 'x']];
    for (const [link, ip, sub1] of spec) {
      clicks.push(await h.clickOk(srv, L[link].code, { query: sub1 ? { sub1 } : {}, headers: { 'x-forwarded-for': ip, 'user-agent': `lists-${clicks.length}` } }));
    }
    // bots' clicks are rows too: one among B's, and the only click of link `bot`
    const googlebot = 'Googlebot/2.1 (+http://www.google.com/bot.html)';
    for (const link of ['b1', 'bot']) {
      const bot = await h.click(srv, L[link].code, { headers: { 'x-forwarded-for': '10.0.0.9', 'user-agent': googlebot } });
      assert.equal(bot.status, 302, 'a bot is redirected too');
    }
    // conversions: amounts that tie, by click (flagged: the review queue) and by coupon
    const sale = (p, order, amount, over) => h.convOk(srv, { program_id: p.id, order_id: order, amount_minor: amount, ...over });
    const convs = [];
    convs.push(await sale(P1, 'WEB-1', 1000, { click_id: clicks[0].clickId }));
    convs.push(await sale(P1, 'web-2', 2500, { click_id: clicks[1].clickId }));
    convs.push(await sale(P1, 'APP-3', 1000, { click_id: clicks[3].clickId }));
    convs.push(await sale(P1, 'WEB-4', 500, { coupon: 'MIA10' }));
    convs.push(await sale(P2, 'APP-5', 1000, { coupon: 'bob5' }));
    convs.push(await sale(P2, 'WEB-6', 2500, { click_id: clicks[2].clickId }));
    convs.push(await sale(P3, 'APP-7', 3000, { coupon: 'BEA' }));
    convs.push(await sale(P3, 'APP-13', 5000, { coupon: 'BBB3' }));
    convs.push(await sale(P1, 'WEB-8', 500, { click_id: clicks[7].clickId }));
    await api('POST', `/v1/conversions/${convs[4].conversion.id}/approve`, {}, 'approve', 200);
    await api('POST', `/v1/conversions/${convs[5].conversion.id}/reject`, { reason: 'test' }, 'reject', 200);
    // payouts: P1's lines approved, then a run; P3's run pays nobody; A sells again in
    // P1 and P2 (approved sales), and further runs pay A (three payouts) and B (two)
    const approveLines = async (p) => {
      const pending = (await h.listAll(srv, `/v1/commissions?program_id=${p.id}&status=pending`)).map((l) => l.id);
      if (pending.length) await api('POST', '/v1/commissions/approve', { ids: pending }, 'approve lines', 200);
    };
    await approveLines(P1);
    await api('POST', '/v1/payouts/run', { program_id: P1.id }, 'payout run');
    await approveLines(P3);
    await api('POST', '/v1/payouts/run', { program_id: P3.id }, 'empty payout run');
    convs.push(await sale(P3, 'X-14', 500, { coupon: 'AAA3' })); /* pending */
    convs.push(await sale(P1, 'X-9', 700, { coupon: 'MIA10' }));
    convs.push(await sale(P2, 'X-10', 900, { coupon: 'ALPHA20' }));
    await api('POST', `/v1/conversions/${convs[9].conversion.id}/approve`, {}, 'approve', 200);
    await approveLines(P1);
    await approveLines(P2);
    await api('POST', '/v1/payouts/run', { program_id: P2.id }, 'payout run of P2');
    const last = await api('POST', '/v1/payouts/run', { program_id: P1.id }, 'second payout run of P1');
    // A's last payout is paid (statuses and balances differ), a new P2 sale stays pending
    await api('POST', `/v1/payouts/${last.payouts[0].id}/paid`, { reference: 'PP-1' }, 'paid', 200);
    convs.push(await sale(P2, 'X-11', 400, { coupon: 'ALPHA20' }));
    convs.push(await sale(P1, 'X-12', 300, { coupon: 'AAA1' })); /* approved, not yet paid */
    await approveLines(P1);
    // portal logins
    for (const [email, a] of [['zed@x.example', A], ['Amy@x.example', B], ['bea@x.example', D]]) {
      await api('POST', '/v1/users', { email, password: 'a long password', affiliate_id: a.id }, 'user');
    }
    // applications: P3 open; two existing partners apply (one approved, one rejected
    // later), two new ones sign up
    await api('PATCH', `/v1/programs/${P3.id}/terms`, { terms: 'Be fair.', applications_open: true }, 'terms', 200);
    const appA = await api('POST', '/v1/me/applications', { program_id: P3.id, accept_terms: true }, 'apply A', 201, A.api_key);
    const appB = await api('POST', '/v1/me/applications', { program_id: P3.id, accept_terms: true }, 'apply B', 201, B.api_key);
    await api('POST', `/v1/applications/${appA.id}/approve`, {}, 'approve A', 200);
    await api('POST', `/v1/applications/${appB.id}/reject`, {}, 'reject B', 200);
    for (const name of ['erin', 'Frank']) {
      const r = await srv.raw('POST', '/v1/signup', { headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, email: `${name.toLowerCase()}@new.example`, password: 'a long password', accept_terms: true, program_id: P3.id }) });
      assert.equal(r.status, 201, r.text);
    }
    // creatives and announcements
    for (const [p, name] of [[P1, 'Spring text'], [P2, 'autumn text'], [P1, 'Banner-ish text'], [P3, 'yen text']]) {
      await api('POST', '/v1/creatives', { program_id: p.id, name, text: `${name} {link}` }, 'creative');
    }
    for (const [p, title] of [[null, 'Welcome'], [P1, 'alpha news'], [P2, 'Beta news'], [P3, 'gamma news'], [null, 'holidays']]) {
      await api('POST', '/v1/announcements', { ...(p ? { program_id: p.id } : {}), title, body: `${title}: details` }, 'announcement');
    }

    const id = (r) => r.id;
    const num = (k) => (r) => r[k] ?? 0;
    const text = (k) => (r) => r[k] ?? '';
    const ci = (k) => (r) => nocase(r[k] ?? '');
    const created = (r) => r.created_at;
    const byProgram = (p) => ({ q: { program_id: p.id }, keep: (r) => r.program_id === p.id });
    const byAffiliate = (a) => ({ q: { affiliate_id: a.id }, keep: (r) => r.affiliate_id === a.id });
    const today = h.utcDay(0);
    const dates = [{ q: { created_from: h.utcDay(1) }, keep: () => false }, { q: { created_to: today, created_from: today }, keep: () => true }];
    const convSorts = { created_at: created, amount: num('amount_minor'), status: text('status'), order_id: text('order_id'), program_id: num('program_id') };
    const lineSorts = { created_at: created, updated_at: (r) => r.updated_at, amount: num('amount_minor'), status: text('status'), program_id: num('program_id') };
    const balanceSorts = { program_id: num('program_id'), affiliate_id: num('affiliate_id'), pending: num('pending_minor'),
      approved: num('approved_minor'), payable: num('payable_minor'), in_payout: num('in_payout_minor'), paid: num('paid_minor') };
    const balanceId = (r) => r.program_id * 2 ** 32 + r.affiliate_id;
    lists.push(
      { path: '/v1/programs', sorts: { created_at: created, name: ci('name') }, filters: [{ q: { q: 'SHOP' }, keep: (r) => /shop/i.test(r.name) }, ...dates] },
      { path: '/v1/affiliates', sorts: { created_at: created, name: ci('name'), email: ci('email'), status: text('status') },
        filters: [{ q: { status: 'pending' }, keep: (r) => r.status === 'pending' }, { q: { q: 'CORP' }, keep: (r) => /corp/i.test(r.email) || /corp/i.test(r.name) }, ...dates] },
      { path: '/v1/links', sorts: { created_at: created, code: text('code'), program_id: num('program_id'), affiliate_id: num('affiliate_id') },
        filters: [byProgram(P1), byAffiliate(A), { q: { q: 'beta' }, keep: (r) => r.code.startsWith('beta') }, ...dates] },
      { path: '/v1/coupons', sorts: { created_at: created, code: text('code'), program_id: num('program_id'), affiliate_id: num('affiliate_id') },
        filters: [byProgram(P2), byAffiliate(B), { q: { q: 'bob' }, keep: (r) => /^bob/i.test(r.code) }, ...dates] },
      { path: '/v1/clicks', id: (r) => r.click_id, idKey: 'click_id',
        sorts: { ts: (r) => r.click_id, program_id: num('program_id'), affiliate_id: num('affiliate_id'), link_id: num('link_id'), ip: text('ip'), sub1: text('sub1') },
        filters: [byProgram(P1), byAffiliate(B), byAffiliate(D), { q: { link_id: L.b1.id }, keep: (r) => r.link_id === L.b1.id },
          { q: { link_id: L.bot.id }, keep: (r) => r.link_id === L.bot.id },
          { q: { link_id: L.b1.id, created_from: today }, keep: (r) => r.link_id === L.b1.id }, ...dates] },
      { path: '/v1/conversions', sorts: { ...convSorts, affiliate_id: num('affiliate_id') },
        filters: [byProgram(P2), byAffiliate(A), { q: { status: 'approved' }, keep: (r) => r.status === 'approved' }, { q: { q: 'WEB' }, keep: (r) => r.order_id.startsWith('WEB') }, ...dates] },
      { path: '/v1/review', sorts: { ...convSorts, affiliate_id: num('affiliate_id') },
        filters: [byAffiliate(B), { q: { q: 'APP' }, keep: (r) => r.order_id.startsWith('APP') }, ...dates] },
      { path: '/v1/commissions', sorts: { ...lineSorts, affiliate_id: num('affiliate_id') },
        filters: [byProgram(P1), byAffiliate(A), { q: { status: 'paid' }, keep: (r) => r.status === 'paid' }, { q: { status: 'in_payout' }, keep: (r) => r.status === 'in_payout' }, ...dates] },
      { path: '/v1/balances', id: balanceId, idKey: null, idOrder: ['program_id'], sorts: balanceSorts, filters: [byProgram(P1), byAffiliate(B)] },
      { path: '/v1/payouts', sorts: { ...lineSorts, affiliate_id: num('affiliate_id') },
        filters: [byAffiliate(A), byProgram(P2), ...dates] },
      { path: '/v1/payout-runs', sorts: { created_at: created, program_id: num('program_id') }, filters: [byProgram(P3), ...dates] },
      { path: '/v1/users', sorts: { created_at: created, email: ci('email') },
        filters: [byAffiliate(B), { q: { q: 'X.EX' }, keep: (r) => /x\.ex/i.test(r.email) }, ...dates] },
      { path: '/v1/applications', sorts: { created_at: created, name: ci('name'), email: ci('email'), status: text('status') },
        filters: [byAffiliate(A), { q: { status: 'pending' }, keep: (r) => r.status === 'pending' }, { q: { q: 'NEW.ex' }, keep: (r) => /new\.ex/i.test(r.email) }, ...dates] },
      { path: '/v1/creatives', sorts: { created_at: created, name: ci('name') },
        filters: [byProgram(P1), { q: { q: 'ing' }, keep: (r) => /ing/i.test(r.name) }, ...dates] },
      { path: '/v1/announcements', newestFirst: true, sorts: { created_at: created, title: ci('title'), program_id: num('program_id') },
        filters: [byProgram(P2), { q: { q: 'NEWS' }, keep: (r) => /news/i.test(r.title) }, ...dates] },
      // the affiliate's own: A's rows only, whatever it asks
      { path: '/v1/me/links', key: A.api_key, owner: A, sorts: { created_at: created, code: text('code'), program_id: num('program_id') },
        filters: [byProgram(P1), { q: { q: 'alpha' }, keep: (r) => r.code.startsWith('alpha') }, ...dates] },
      { path: '/v1/me/coupons', key: A.api_key, owner: A, sorts: { created_at: created, code: text('code'), program_id: num('program_id') },
        filters: [byProgram(P2), ...dates] },
      { path: '/v1/me/conversions', key: A.api_key, sorts: convSorts,
        filters: [byProgram(P1), { q: { status: 'pending' }, keep: (r) => r.status === 'pending' }, { q: { q: 'WEB' }, keep: (r) => r.order_id.startsWith('WEB') }, ...dates] },
      { path: '/v1/me/commissions', key: A.api_key, owner: A, sorts: lineSorts,
        filters: [byProgram(P1), { q: { status: 'paid' }, keep: (r) => r.status === 'paid' }, ...dates] },
      { path: '/v1/me/payouts', key: A.api_key, owner: A, sorts: lineSorts, filters: [byProgram(P3), ...dates] },
      { path: '/v1/me/balance', key: A.api_key, owner: A, id: balanceId, idKey: null, idOrder: ['program_id', 'affiliate_id'],
        same: ['payable'], sorts: balanceSorts, filters: [byProgram(P2)] }, /* its payable amounts are all 0: /v1/balances sorts them */
      { path: '/v1/me/creatives', key: A.api_key, sorts: { created_at: created, name: ci('name') },
        filters: [byProgram(P2), { q: { q: 'spring' }, keep: (r) => /spring/i.test(r.name) }, ...dates] },
      { path: '/v1/me/announcements', key: A.api_key, newestFirst: true, sorts: { created_at: created, title: ci('title'), program_id: num('program_id') },
        filters: [{ q: { q: 'news' }, keep: (r) => /news/i.test(r.title) }, ...dates] },
    );
    for (const l of lists) {
      l.id = l.id || id;
      l.idKey = l.idKey === undefined ? 'id' : l.idKey;
    }
  });
  after(async () => { if (srv) await srv.cleanup(); });

  /** Rows ordered as the server must: by value, then id; the other way round for desc. */
  function expected(l, rows, value, desc) {
    const idCmp = (a, b) => cmp(l.id(a), l.id(b));
    const order = (a, b) => (value ? cmp(value(a), value(b)) : 0) || idCmp(a, b);
    return rows.slice().sort((a, b) => (desc ? -order(a, b) : order(a, b)));
  }
  const keys = (l, rows) => rows.map((r) => String(l.id(r)));

  async function check(l) {
    const all = await walk(l.path, 500, l.key);
    assert.ok(all.length >= 2, `${l.path}: the test has rows to sort (${all.length})`);
    assert.equal(new Set(keys(l, all)).size, all.length, `${l.path}: every row once`);
    if (l.owner) assert.ok(all.every((r) => r.affiliate_id === l.owner.id), `${l.path}: only the caller's rows`);
    // the default order (id; announcements newest first), page by page
    assert.deepEqual(keys(l, await walk(l.path, 2, l.key)), keys(l, expected(l, all, null, !!l.newestFirst)), `${l.path}: default order`);
    for (const [name, value] of Object.entries(l.sorts)) {
      for (const desc of [false, true]) {
        const sort = `${desc ? '-' : ''}${name}`;
        const want = keys(l, expected(l, all, value, desc));
        if (!desc && !TIME_SORTS.has(name) && ![...(l.idOrder || []), ...(l.same || [])].includes(name)) { /* else the check could not fail */
          assert.notDeepEqual(want, keys(l, expected(l, all, null, false)), `${l.path}: the test's rows order differently by ${name}`);
        }
        const got = await walk(`${l.path}?sort=${sort}`, 2, l.key);
        assert.deepEqual(keys(l, got), want, `${l.path}?sort=${sort}: pages of 2`);
        if (name !== Object.keys(l.sorts)[0]) continue;
        assert.deepEqual(keys(l, await walk(`${l.path}?sort=${sort}`, 1, l.key)), want, `${l.path}?sort=${sort}: pages of 1`);
      }
    }
    // filters narrow to exactly the rows that match, in the first sort both ways and the last
    const sorts = Object.entries(l.sorts);
    for (const f of l.filters) {
      for (const [[sortName, sortValue], desc] of [[sorts[0], false], [sorts[0], true], [sorts[sorts.length - 1], true]]) {
        const q = h.qs({ ...f.q, sort: `${desc ? '-' : ''}${sortName}` });
        const want = keys(l, expected(l, all.filter(f.keep), sortValue, desc));
        assert.deepEqual(keys(l, await walk(`${l.path}${q}`, 2, l.key)), want, `${l.path}${q}`);
      }
      const [sortName, sortValue] = sorts[sorts.length - 1];
      const q = h.qs({ ...f.q, sort: `-${sortName}` });
      const want = keys(l, expected(l, all.filter(f.keep), sortValue, true));
      if (Object.keys(f.q).some((k) => !k.startsWith('created'))) assert.ok(want.length < all.length, `${l.path}${q} narrows`);
      // the CSV: the same rows in the same order
      const csv = await srv.api('GET', `${l.path}${h.qs({ ...f.q, sort: `-${sortName}`, format: 'csv', limit: 1 })}`, l.key ? { key: l.key } : {});
      h.expectStatus(csv, 200, `${l.path} CSV ${q}`);
      assert.match(csv.headers.get('content-type'), /^text\/csv/);
      const rows = parseCsv(csv.text);
      const csvKeys = l.idKey ? rows.map((r) => r[l.idKey]) : rows.map((r) => String(l.id({ program_id: Number(r.program_id), affiliate_id: Number(r.affiliate_id) })));
      assert.deepEqual(csvKeys, want, `${l.path} CSV ${q}: the JSON's rows`);
    }
    const csvAll = parseCsv((await srv.api('GET', `${l.path}?format=csv`, l.key ? { key: l.key } : {})).text);
    assert.equal(csvAll.length, all.length, `${l.path}: the CSV holds every row, not a page`);
    // bad input names the parameter
    const opts = l.key ? { key: l.key } : {};
    const bad = await srv.api('GET', `${l.path}?sort=password_hash`, opts);
    h.expectError(bad, 422, 'invalid_argument', 'sort', `${l.path}: unknown sort`);
    for (const name of Object.keys(l.sorts)) assert.ok(bad.json.error.message.includes(name), `${l.path}: the message names ${name}`);
    h.expectError(await srv.api('GET', `${l.path}?sort=-`, opts), 422, 'invalid_argument', 'sort', `${l.path}: empty sort`);
    h.expectError(await srv.api('GET', `${l.path}?cursor=zzzz`, opts), 422, 'invalid_argument', 'cursor', `${l.path}: malformed cursor`);
    h.expectError(await srv.api('GET', `${l.path}?cursor=${'0'.repeat(600)}`, opts), 422, 'invalid_argument', 'cursor', `${l.path}: long cursor`);
    const [s1, s2] = Object.keys(l.sorts);
    const first = await srv.api('GET', `${l.path}?sort=${s1}&limit=1`, opts);
    assert.ok(first.json.next_cursor, `${l.path}: a cursor`);
    h.expectError(await srv.api('GET', `${l.path}?sort=-${s1}&cursor=${first.json.next_cursor}`, opts), 422, 'invalid_argument', 'cursor',
      `${l.path}: a cursor of the other direction`);
    if (s2) {
      h.expectError(await srv.api('GET', `${l.path}?sort=${s2}&cursor=${first.json.next_cursor}`, opts), 422, 'invalid_argument', 'cursor',
        `${l.path}: a cursor of another sort`);
    }
  }

  // One test per endpoint, so that a failure names it.
  for (const path of ['/v1/programs', '/v1/affiliates', '/v1/links', '/v1/coupons', '/v1/clicks', '/v1/conversions', '/v1/review',
    '/v1/commissions', '/v1/balances', '/v1/payouts', '/v1/payout-runs', '/v1/users', '/v1/applications', '/v1/creatives',
    '/v1/announcements', '/v1/me/links', '/v1/me/coupons', '/v1/me/conversions', '/v1/me/commissions', '/v1/me/payouts',
    '/v1/me/balance', '/v1/me/creatives', '/v1/me/announcements']) {
    it(path, async () => {
      const l = lists.find((x) => x.path === path);
      assert.ok(l, `${path} is in the table`);
      await check(l);
    });
  }

  it('a cursor of one list is refused by another, and an affiliate cannot widen its own lists', async () => {
    const c = await srv.api('GET', '/v1/conversions?sort=amount&limit=1');
    h.expectError(await srv.api('GET', `/v1/clicks?sort=amount&cursor=${c.json.next_cursor}`), 422, 'invalid_argument', 'sort');
    const k = await srv.api('GET', '/v1/clicks?limit=1');
    h.expectError(await srv.api('GET', `/v1/conversions?cursor=${k.json.next_cursor}`), 422, 'invalid_argument', 'cursor',
      'a click cursor on conversions');
    const conv = await srv.api('GET', '/v1/conversions?limit=1');
    h.expectError(await srv.api('GET', `/v1/clicks?cursor=${conv.json.next_cursor}`), 422, 'invalid_argument', 'cursor',
      'a conversion cursor on clicks');
    const { A, B } = ids;
    for (const p of ['/v1/me/balance', '/v1/me/payouts', '/v1/me/links']) {
      h.expectError(await srv.api('GET', `${p}?affiliate_id=${B.id}&format=csv`, { key: A.api_key }), 404, 'not_found', undefined, p);
    }
  });

  // A status filter takes one of the statuses its list's rows can have (docs/api.md
  // "Lists"): each of them answers the rows with it, anything else (another list's
  // status, a set, another case) is 422 naming status and listing them, and a list
  // without statuses refuses the filter instead of ignoring it.
  it('a status filter takes only its list\'s statuses; other lists refuse it', async () => {
    const { A } = ids;
    const conv = ['pending', 'held', 'approved', 'rejected', 'reversed'];
    const line = ['pending', 'approved', 'payable', 'in_payout', 'paid', 'rejected', 'reversed'];
    const payout = ['pending', 'paid', 'failed'];
    const aff = ['pending', 'approved', 'suspended', 'rejected'];
    const withStatus = [['/v1/affiliates', aff], ['/v1/conversions', conv], ['/v1/review', conv], ['/v1/commissions', line],
      ['/v1/payouts', payout], ['/v1/applications', aff], ['/v1/me/conversions', conv, A.api_key],
      ['/v1/me/commissions', line, A.api_key], ['/v1/me/payouts', payout, A.api_key]];
    for (const [path, statuses, key] of withStatus) {
      const opts = key ? { key } : {};
      let seen = 0;
      for (const st of statuses) {
        const rows = await walk(`${path}?status=${st}`, 500, key);
        assert.ok(rows.every((r) => r.status === st), `${path}?status=${st}: only such rows`);
        seen += rows.length;
      }
      assert.ok(seen > 0, `${path}: the statuses find the test's rows`);
      for (const bad of ['bogus', 'PENDING', 'pending,approved', ' pending', 'in-payout', 'x'.repeat(40),
        ...['suspended', 'held', 'payable', 'failed'].filter((x) => !statuses.includes(x))]) {
        const r = await srv.api('GET', `${path}?status=${encodeURIComponent(bad)}`, opts);
        h.expectError(r, 422, 'invalid_argument', 'status', `${path}?status=${bad}`);
        assert.equal(r.json.error.message, `status: one of ${statuses.join(', ')}`, `${path}: the message lists the statuses`);
      }
      h.expectStatus(await srv.api('GET', `${path}?status=`, opts), 200, `${path}?status= (empty: no filter)`);
    }
    for (const [path, key] of [['/v1/programs'], ['/v1/links'], ['/v1/coupons'], ['/v1/clicks'], ['/v1/balances'], ['/v1/payout-runs'],
      ['/v1/users'], ['/v1/creatives'], ['/v1/announcements'], ['/v1/me/links', A.api_key], ['/v1/me/balance', A.api_key]]) {
      const r = await srv.api('GET', `${path}?status=pending`, key ? { key } : {});
      h.expectError(r, 422, 'invalid_argument', 'status', `${path}?status=pending`);
      assert.match(r.json.error.message, /no status filter/, `${path}: says why`);
    }
  });

  // Two edges found by fuzz_list_query: 1970-01-01 is 0 ms, which read as "no bound", and
  // an empty sort is the default order for a newest-first list's `after` too.
  it('created_to=1970-01-01 is a bound; after with an empty sort resumes the default order', async () => {
    const epoch = await srv.api('GET', '/v1/conversions?created_to=1970-01-01');
    h.expectStatus(epoch, 200, 'created_to=1970-01-01');
    assert.deepEqual(epoch.json.data, [], 'nothing was created on or before 1970-01-01');
    h.expectError(await srv.api('GET', `/v1/conversions?created_from=${h.utcDay(0)}&created_to=1970-01-01`), 422,
      'invalid_argument', 'created_from', 'created_from after created_to=1970-01-01');
    const page1 = await srv.api('GET', '/v1/announcements?limit=1');
    const next = await srv.api('GET', `/v1/announcements?limit=1&after=${page1.json.data[0].id}`);
    h.expectStatus(next, 200, 'after');
    const nextEmptySort = await srv.api('GET', `/v1/announcements?limit=1&sort=&after=${page1.json.data[0].id}`);
    h.expectStatus(nextEmptySort, 200, 'after with sort=');
    assert.deepEqual(nextEmptySort.json.data, next.json.data);
  });

  // /v1/me/programs is not a list (not paged, no sorts or filters: docs/api.md), but it
  // exports CSV as every list does: the JSON rows' members as columns, in the JSON's
  // order (link and application, objects, as their JSON text), the same rows in the same
  // order. A: two programs by link, one by an approved application; B: two by link and a
  // rejected application.
  it('/v1/me/programs answers CSV when asked, with the JSON rows', async () => {
    const { A, B, P3 } = ids;
    const cell = (v) => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
    for (const a of [A, B]) {
      const json = await srv.api('GET', '/v1/me/programs', { key: a.api_key });
      h.expectStatus(json, 200, `${a.name}: /v1/me/programs`);
      const rows = json.json.data;
      assert.equal(rows.length, 3, `${a.name}: three programs`);
      assert.ok(rows.some((r) => r.id === P3.id && r.link === null && r.application), `${a.name}: P3 by its application`);
      for (const ask of [{ q: '?format=csv' }, { q: '', headers: { accept: 'text/csv' } }]) {
        const what = `${a.name}: /v1/me/programs${ask.q} ${JSON.stringify(ask.headers || {})}`;
        const r = await srv.api('GET', `/v1/me/programs${ask.q}`, { key: a.api_key, headers: ask.headers });
        h.expectStatus(r, 200, what);
        assert.match(r.headers.get('content-type'), /^text\/csv/, what);
        assert.equal(r.headers.get('content-disposition'), 'attachment; filename="programs.csv"', what);
        const csv = h.parseCsv(r.text);
        assert.deepEqual(csv.header, Object.keys(rows[0]), `${what}: the JSON's members`);
        assert.deepEqual(csv.rows, rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, cell(v)]))),
          `${what}: the JSON's rows`);
      }
    }
    const asJson = await srv.api('GET', '/v1/me/programs?format=json', { key: A.api_key, headers: { accept: 'text/csv' } });
    h.expectStatus(asJson, 200, 'format=json wins over Accept');
    assert.equal(asJson.json.data.length, 3);
    h.expectError(await srv.api('GET', '/v1/me/programs?format=xml', { key: A.api_key }), 422, 'invalid_argument', 'format', 'format=xml');
    // a single program stays JSON, as every single object does
    const one = await srv.api('GET', `/v1/me/programs/${P3.id}`, { key: A.api_key });
    h.expectStatus(one, 200, 'one program');
    assert.equal(one.json.id, P3.id);
  });
});

describe('clicks: sorts other than time are bounded', () => {
  let srv;
  before(async () => {
    const dataDir = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'afftrack-e2e-'));
    const g = spawnSync(h.BIN, ['generate', '--data', dataDir, '--clicks', '100500', '--days', '1', '--affiliates', '3', '--links', '1'],
      { encoding: 'utf8' });
    assert.equal(g.status, 0, g.stderr);
    srv = await h.startServer({ dataDir });
    srv.ownDir = dataDir;
  });
  after(async () => {
    if (srv) await srv.cleanup();
    if (srv && srv.ownDir) require('node:fs').rmSync(srv.ownDir, { recursive: true, force: true });
  });

  it('over 100,000 clicks a sort by ip is refused naming sort; fewer days allow it; time sorts never need to', async () => {
    for (const sort of ['ip', '-link_id', 'sub1']) {
      const r = await srv.api('GET', `/v1/clicks?sort=${sort}&limit=5`);
      h.expectError(r, 422, 'invalid_argument', 'sort', sort);
      assert.match(r.json.error.message, /100000/);
      assert.match(r.json.error.message, /created_from/);
      h.expectError(await srv.api('GET', `/v1/clicks?sort=${sort}&format=csv`), 422, 'invalid_argument', 'sort', `${sort} CSV`);
    }
    const narrow = await srv.api('GET', `/v1/clicks?sort=ip&created_from=${h.utcDay(1)}`);
    h.expectStatus(narrow, 200, 'a day without clicks');
    assert.deepEqual(narrow.json.data, []);
    for (const sort of ['ts', '-ts']) {
      const r = await srv.api('GET', `/v1/clicks?sort=${sort}&limit=3`);
      h.expectStatus(r, 200, sort);
      const want = r.json.data.map((c) => c.click_id).sort();
      if (sort === '-ts') want.reverse();
      assert.deepEqual(r.json.data.map((c) => c.click_id), want, `${sort} orders its page`);
      const next = await srv.api('GET', `/v1/clicks?sort=${sort}&limit=3&cursor=${r.json.next_cursor}`);
      h.expectStatus(next, 200, `${sort} page 2`);
      const last = r.json.data[2].click_id;
      assert.ok(next.json.data.every((c) => (sort === 'ts' ? c.click_id > last : c.click_id < last)), `${sort}: page 2 continues`);
    }
    const newest = (await srv.api('GET', '/v1/clicks?sort=-ts&limit=1')).json.data[0];
    const oldest = (await srv.api('GET', '/v1/clicks?limit=1')).json.data[0];
    assert.ok(newest.click_id > oldest.click_id);
    const byAff = await srv.api('GET', `/v1/clicks?sort=-ts&affiliate_id=${newest.affiliate_id}&limit=2`);
    h.expectStatus(byAff, 200, 'newest first of one affiliate');
    assert.equal(byAff.json.data[0].click_id, (await srv.api('GET', `/v1/clicks?sort=-ts&limit=50`)).json.data
      .find((c) => c.affiliate_id === newest.affiliate_id).click_id, 'the affiliate\'s newest click first');
  });
});
