'use strict';
// Every list sorts, filters, pages and exports CSV on the server (docs/api.md "Lists";
// lists.test.js runs the same checks over every list endpoint):
// sort=col / sort=-col with an opaque next_cursor (keyset on sort value and id: ties
// never skip or repeat across pages), created_from/created_to and q filters, bad input
// answered 422 naming the parameter, format=csv (or Accept: text/csv) with every
// matching row, money as decimals, RFC 4180 quoting and the formula guard; an
// affiliate's CSV holds only its own rows.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

// RFC 4180 reader: helpers.parseCsv.
const { parseCsv } = h;

describe('lists: sort, filter, page, CSV', () => {
  let srv; let prog; let jpy; let A; let B; const convs = [];

  // Follow next_cursor through a whole list, page rows at a time.
  async function walk(path, page, key) {
    const out = [];
    let cursor = null;
    for (let i = 0; i < 200; i++) {
      const sep = path.includes('?') ? '&' : '?';
      const url = `${path}${sep}limit=${page}${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await srv.api('GET', url, key ? { key } : {});
      h.expectStatus(r, 200, `GET ${url}`);
      out.push(...r.json.data);
      if (!r.json.has_more) {
        assert.equal(r.json.next_cursor, null, `${url}: no cursor on the last page`);
        return out;
      }
      assert.match(r.json.next_cursor, /^[0-9a-z]+$/, `${url}: an opaque URL-safe cursor`);
      cursor = r.json.next_cursor;
    }
    throw new Error('walk did not end');
  }

  const byKeyThenId = (k, desc) => (a, b) => {
    const x = a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : a.id - b.id;
    return desc ? -x : x;
  };

  before(async () => {
    srv = await h.startServer();
    prog = await h.createProgram(srv, { name: '=HYPERLINK("http://evil")', commission: { sale: { percent: '10' } }, hold_days: 0 });
    jpy = await h.createProgram(srv, { name: 'Yen, "shop"', currency: 'JPY', commission: { sale: { percent: '10' } } });
    A = await h.createAffiliate(srv, { name: 'alice', email: 'alice@corp.example' });
    B = await h.createAffiliate(srv, { name: '@bob', email: 'bob@other.example' });
    await h.createAffiliate(srv, { name: 'Carol', email: 'carol@corp.example', status: 'pending' });
    await h.createCoupon(srv, prog.id, A.id, 'ALICE10');
    await h.createCoupon(srv, prog.id, B.id, 'BOB10');
    await h.createCoupon(srv, jpy.id, B.id, 'BOBYEN');
    // amounts that tie: 3 x 1000, 2 x 2500, 2 x 500 (USD), plus two JPY sales
    const amounts = [1000, 2500, 1000, 500, 1000, 2500, 500];
    for (let i = 0; i < amounts.length; i++) {
      convs.push((await h.convOk(srv, {
        program_id: prog.id, order_id: `${i % 2 ? 'WEB' : 'APP'}-${i}`, amount_minor: amounts[i], coupon: i % 3 ? 'ALICE10' : 'BOB10',
      })).conversion);
    }
    convs.push((await h.convOk(srv, { program_id: jpy.id, order_id: '-1+1', amount: '1234', coupon: 'BOBYEN' })).conversion);
  });
  after(async () => { if (srv) await srv.cleanup(); });

  it('sorted pages never skip or repeat rows whose values tie, both directions, any page size', async () => {
    for (const desc of [false, true]) {
      const want = convs.slice().sort(byKeyThenId('amount_minor', desc)).map((c) => c.id);
      for (const page of [1, 2, 3, 8]) {
        const got = await walk(`/v1/conversions?sort=${desc ? '-' : ''}amount`, page);
        assert.deepEqual(got.map((c) => c.id), want, `sort ${desc ? '-' : ''}amount, pages of ${page}`);
      }
    }
    const names = await walk('/v1/affiliates?sort=-name', 1);
    assert.deepEqual(names.map((a) => a.name), ['Carol', 'alice', '@bob'], 'names descend, case-insensitively');
  });

  it('the default order and the after= parameter are unchanged; next_cursor follows them', async () => {
    const r = await srv.api('GET', '/v1/conversions?limit=3');
    h.expectStatus(r, 200);
    assert.deepEqual(r.json.data.map((c) => c.id), convs.slice(0, 3).map((c) => c.id));
    const r2 = await srv.api('GET', `/v1/conversions?limit=3&after=${convs[2].id}`);
    const r3 = await srv.api('GET', `/v1/conversions?limit=3&cursor=${r.json.next_cursor}`);
    assert.deepEqual(r3.json.data.map((c) => c.id), r2.json.data.map((c) => c.id));
    assert.deepEqual((await walk('/v1/conversions', 2)).map((c) => c.id), convs.map((c) => c.id));
  });

  it('filters: status, program, affiliate, dates, search, combined with a sort', async () => {
    const pending = await walk(`/v1/conversions?sort=-created_at&program_id=${prog.id}&affiliate_id=${A.id}`, 2);
    const want = convs.filter((c) => c.program_id === prog.id && c.affiliate_id === A.id).map((c) => c.id).reverse();
    assert.deepEqual(pending.map((c) => c.id), want);
    const web = await walk('/v1/conversions?q=WEB-&sort=order_id', 1);
    assert.deepEqual(web.map((c) => c.order_id), ['WEB-1', 'WEB-3', 'WEB-5']);
    const today = h.utcDay(0);
    assert.equal((await walk(`/v1/conversions?created_from=${today}&created_to=${today}`, 50)).length, convs.length);
    assert.equal((await walk(`/v1/conversions?created_from=${h.utcDay(1)}`, 50)).length, 0);
    assert.equal((await walk(`/v1/conversions?created_to=${h.utcDay(-1)}`, 50)).length, 0);
    const corp = await walk('/v1/affiliates?q=CORP&sort=email', 5);
    assert.deepEqual(corp.map((a) => a.name), ['alice', 'Carol'], 'a search finds part of an email, any case');
    const approved = await walk('/v1/affiliates?q=corp&status=approved', 5);
    assert.deepEqual(approved.map((a) => a.name), ['alice']);
    const coupons = await walk('/v1/coupons?q=bob&sort=-code', 1);
    assert.deepEqual(coupons.map((c) => c.code), ['BOBYEN', 'BOB10'], 'a coupon code prefix, any case');
    const lines = await walk(`/v1/commissions?sort=-amount&affiliate_id=${B.id}&program_id=${prog.id}`, 1);
    assert.ok(lines.length > 0 && lines.every((l) => l.affiliate_id === B.id && l.program_id === prog.id));
    for (let i = 1; i < lines.length; i++) assert.ok(lines[i - 1].amount_minor >= lines[i].amount_minor);
    const progs = await walk('/v1/programs?sort=name&q=shop', 1);
    assert.deepEqual(progs.map((p) => p.id), [jpy.id]);
  });

  it('every list endpoint accepts its sorts and answers 422 naming the parameter for bad input', async () => {
    const lists = {
      '/v1/programs': ['name', '-created_at'],
      '/v1/affiliates': ['email', '-status'],
      '/v1/links': ['code', '-program_id'],
      '/v1/coupons': ['-code', 'affiliate_id'],
      '/v1/clicks': ['ts'],
      '/v1/conversions': ['-amount', 'status', 'order_id'],
      '/v1/review': ['-created_at'],
      '/v1/commissions': ['-updated_at', 'status'],
      '/v1/payouts': ['-amount'],
      '/v1/payout-runs': ['-created_at'],
      '/v1/users': ['email'],
    };
    for (const [p, sorts] of Object.entries(lists)) {
      for (const s of sorts) h.expectStatus(await srv.api('GET', `${p}?sort=${s}`), 200, `${p}?sort=${s}`);
      const bad = await srv.api('GET', `${p}?sort=password_hash`);
      h.expectError(bad, 422, 'invalid_argument', 'sort', `${p} unknown sort`);
      assert.match(bad.json.error.message, p === '/v1/clicks' ? /one of ts, / : /one of id/, 'the message lists the sorts');
      h.expectError(await srv.api('GET', `${p}?cursor=zzzz`), 422, 'invalid_argument', 'cursor', `${p} bad cursor`);
      h.expectError(await srv.api('GET', `${p}?format=xml`), 422, 'invalid_argument', 'format', `${p} bad format`);
    }
    h.expectError(await srv.api('GET', '/v1/commissions?q=x'), 422, 'invalid_argument', 'q', 'no search on lines');
    h.expectError(await srv.api('GET', '/v1/conversions?created_from=2026-13-01'), 422, 'invalid_argument', 'created_from');
    h.expectError(await srv.api('GET', '/v1/conversions?created_from=2026-02-02&created_to=2026-02-01'), 422,
      'invalid_argument', 'created_from');
    h.expectError(await srv.api('GET', `/v1/conversions?q=${'x'.repeat(129)}`), 422, 'invalid_argument', 'q');
    h.expectError(await srv.api('GET', '/v1/conversions?sort=amount&after=3'), 422, 'invalid_argument', 'after');
    const first = await srv.api('GET', '/v1/conversions?sort=amount&limit=1');
    h.expectError(await srv.api('GET', `/v1/conversions?sort=-amount&cursor=${first.json.next_cursor}`), 422,
      'invalid_argument', 'cursor', 'a cursor of another sort');
  });

  it('clicks page by time with a cursor and filter by date', async () => {
    const l = await h.createLink(srv, prog.id, A.id);
    for (let i = 0; i < 5; i++) await h.clickOk(srv, l.code, { headers: { 'user-agent': `tables-${i}` } });
    const all = await walk(`/v1/clicks?link_id=${l.id}&sort=ts`, 2);
    assert.equal(all.length, 5);
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].click_id < all[i].click_id);
    const newest = await walk(`/v1/clicks?link_id=${l.id}&sort=-ts`, 2);
    assert.deepEqual(newest.map((c) => c.click_id), all.map((c) => c.click_id).reverse(), 'newest first too');
    assert.equal((await walk(`/v1/clicks?created_from=${h.utcDay(1)}`, 10)).length, 0);
    assert.equal((await walk(`/v1/clicks?created_to=${h.utcDay(0)}&link_id=${l.id}`, 10)).length, 5);
  });

  it('format=csv: every matching row in the chosen sort, money as decimals, quoting and the formula guard', async () => {
    const r = await srv.api('GET', '/v1/conversions?format=csv&sort=-amount&limit=1');
    h.expectStatus(r, 200);
    assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(r.headers.get('content-disposition'), 'attachment; filename="conversions.csv"');
    const { header, rows } = parseCsv(r.text);
    assert.ok(header.indexOf('amount') === header.indexOf('amount_minor') - 1, 'the decimal precedes the minor units');
    assert.equal(rows.length, convs.length, 'not limited to one page');
    assert.deepEqual(rows.map((c) => Number(c.id)), convs.slice().sort(byKeyThenId('amount_minor', true)).map((c) => c.id));
    const yen = rows.find((c) => c.currency === 'JPY');
    assert.equal(yen.amount, '1234', 'JPY has no decimals');
    assert.equal(yen.order_id, "'-1+1", 'a cell starting with - is guarded');
    assert.equal(rows.find((c) => c.amount_minor === '2500').amount, '25.00');
    const progs = parseCsv((await srv.api('GET', '/v1/programs?format=csv')).text).rows;
    assert.equal(progs[0].name, "'=HYPERLINK(\"http://evil\")", 'formula guarded, quotes doubled');
    assert.equal(progs[1].name, 'Yen, "shop"', 'commas and quotes survive quoting');
    assert.equal(progs[0].min_payout, '0.00');
    const affs = parseCsv((await srv.api('GET', '/v1/affiliates?format=csv&q=bob')).text).rows;
    assert.deepEqual(affs.map((a) => a.name), ["'@bob"]);
    const viaAccept = await srv.api('GET', '/v1/commissions?sort=-amount', { headers: { accept: 'text/csv' } });
    assert.equal(viaAccept.headers.get('content-type'), 'text/csv; charset=utf-8');
    const lines = parseCsv(viaAccept.text).rows;
    assert.ok(lines.length >= convs.length && lines.every((l) => /^-?\d+(\.\d+)?$/.test(l.amount)));
    const empty = await srv.api('GET', `/v1/payouts?format=csv&created_from=${h.utcDay(1)}`);
    assert.equal(empty.text.split('\r\n')[0].split(',')[0], 'id', 'an empty export still has its header');
    assert.equal(empty.text.split('\r\n').length, 2);
    const bal = parseCsv((await srv.api('GET', '/v1/balances?format=csv')).text);
    assert.ok(bal.header.includes('pending') && bal.header.includes('pending_minor') && bal.rows.length >= 3);
    for (const p of ['/v1/links', '/v1/coupons', '/v1/clicks', '/v1/review', '/v1/payout-runs', '/v1/users']) {
      const x = await srv.api('GET', `${p}?format=csv`);
      h.expectStatus(x, 200, `${p}?format=csv`);
      assert.ok(x.text.startsWith('id,') || x.text.startsWith('click_id,'), `${p}: header first: ${x.text.slice(0, 40)}`);
    }
  });

  it("an affiliate's lists and CSVs hold only its own rows", async () => {
    for (const p of ['/v1/me/conversions', '/v1/me/commissions', '/v1/me/coupons', '/v1/me/links', '/v1/me/payouts', '/v1/me/balance']) {
      const r = await srv.api('GET', `${p}?format=csv`, { key: A.api_key });
      h.expectStatus(r, 200, `${p}?format=csv`);
      const { header, rows } = parseCsv(r.text);
      if (header.includes('affiliate_id')) {
        for (const row of rows) assert.equal(Number(row.affiliate_id), A.id, `${p}: only A's rows`);
      }
      if (p === '/v1/me/coupons') assert.deepEqual(rows.map((c) => c.code), ['ALICE10']);
    }
    const mine = parseCsv((await srv.api('GET', '/v1/me/conversions?format=csv&sort=-amount', { key: A.api_key })).text).rows;
    const wantIds = convs.filter((c) => c.affiliate_id === A.id).sort(byKeyThenId('amount_minor', true)).map((c) => c.id);
    assert.deepEqual(mine.map((c) => Number(c.id)), wantIds);
    assert.ok(!('customer_id' in mine[0]), 'no customer data in the portal export');
    const sorted = await walk('/v1/me/commissions?sort=-amount', 1, B.api_key);
    assert.ok(sorted.length > 0 && sorted.every((l) => l.affiliate_id === B.id));
    h.expectError(await srv.api('GET', `/v1/me/conversions?format=csv&affiliate_id=${B.id}`, { key: A.api_key }), 404,
      'not_found');
  });
});
