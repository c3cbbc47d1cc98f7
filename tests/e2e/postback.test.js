'use strict';
// GET/POST /postback: token auth, field aliases, idempotency, amounts, currencies,
// click id checks, coupons, not_attributed.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

describe('postback', () => {
  let srv; let prog; let aff; let link; let other; let otherLink; let aff2;
  before(async () => {
    srv = await h.startServer();
    ({ program: prog, affiliate: aff, link } = await h.setup(srv, {
      program: { commission: { sale: { percent: '10' }, lead: { flat_minor: 200 }, signup: { flat_minor: 50 } } },
    }));
    other = await h.createProgram(srv);
    aff2 = await h.createAffiliate(srv);
    otherLink = await h.createLink(srv, other.id, aff2.id);
  });
  after(async () => { if (srv) await srv.cleanup(); });

  const get = (params) => srv.api('GET', `/postback${h.qs(params)}`, { key: null });
  const postForm = (params, query) => srv.api('POST', `/postback${h.qs(query)}`, {
    key: null, rawBody: new URLSearchParams(params).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });

  it('GET creates a conversion attributed by click id (201) with its commission', async () => {
    const c = await h.clickOk(srv, link.code);
    const order = h.uniq('pb');
    const r = await get({ token: prog.postback_token, click_id: c.clickId, order_id: order, amount: '49.90' });
    h.expectStatus(r, 201, 'GET /postback');
    const v = r.json.conversion;
    assert.ok(Number.isInteger(v.id));
    assert.equal(v.program_id, prog.id);
    assert.equal(v.event, 'sale');
    assert.equal(v.order_id, order);
    assert.equal(v.amount_minor, 4990);
    assert.equal(v.amount, '49.90');
    assert.equal(v.currency, 'USD');
    assert.equal(v.status, 'pending');
    assert.equal(v.method, 'click_id');
    assert.equal(v.click_id, c.clickId);
    assert.equal(v.affiliate_id, aff.id);
    assert.equal(v.link_id, link.id);
    assert.equal(v.test, false);
    assert.equal(v.refunded_minor, 0);
    assert.match(v.created_at, h.ISO_TIME_RE);
    assert.equal(r.json.commissions.length, 1);
    const line = r.json.commissions[0];
    assert.equal(line.conversion_id, v.id);
    assert.equal(line.affiliate_id, aff.id);
    assert.equal(line.amount_minor, h.percentOf(4990, '10'));
    assert.equal(line.currency, 'USD');
    assert.equal(line.status, 'pending');
    assert.equal(line.kind, 'commission');
    assert.equal(line.plan_version, 1);

    // replay: 200, identical body, header, no second conversion
    const again = await get({ token: prog.postback_token, click_id: c.clickId, order_id: order, amount: '49.90' });
    h.expectStatus(again, 200, 'replay');
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.json, r.json);
    const diff = await get({ token: prog.postback_token, click_id: c.clickId, order_id: order, amount: '99.00' });
    h.expectStatus(diff, 200, 'replay with another amount');
    assert.deepEqual(diff.json, r.json);
    const list = await h.listAll(srv, `/v1/conversions?program_id=${prog.id}`);
    assert.equal(list.filter((x) => x.order_id === order).length, 1);
  });

  it('POST form body, and token in the query with the rest in the body', async () => {
    const c = await h.clickOk(srv, link.code);
    const order = h.uniq('pf');
    const r = await postForm({ token: prog.postback_token, click_id: c.clickId, order_id: order, amount: '12.34' });
    h.expectStatus(r, 201, 'POST /postback form');
    assert.equal(r.json.conversion.amount_minor, 1234);
    assert.equal(r.json.conversion.click_id, c.clickId);
    const order2 = h.uniq('pq');
    const r2 = await postForm({ click_id: c.clickId, order_id: order2, amount: '1.05' }, { token: prog.postback_token });
    h.expectStatus(r2, 201, 'token in query, fields in body');
    assert.equal(r2.json.conversion.amount_minor, 105);
    const rep = await postForm({ token: prog.postback_token, click_id: c.clickId, order_id: order, amount: '12.34' });
    h.expectStatus(rep, 200);
    assert.equal(rep.headers.get('idempotent-replayed'), 'true');
  });

  for (const alias of ['transaction_id', 'clickid', 'subid', 'cid']) {
    it(`click id alias ${alias}`, async () => {
      const c = await h.clickOk(srv, link.code);
      const r = await get({ token: prog.postback_token, [alias]: c.clickId, order_id: h.uniq('al'), amount: '1' });
      h.expectStatus(r, 201);
      assert.equal(r.json.conversion.click_id, c.clickId);
      assert.equal(r.json.conversion.method, 'click_id');
      assert.equal(r.json.conversion.amount_minor, 100);
    });
  }

  for (const alias of ['txid', 'tid']) {
    it(`order id alias ${alias}`, async () => {
      const c = await h.clickOk(srv, link.code);
      const order = h.uniq('oa');
      const r = await get({ token: prog.postback_token, click_id: c.clickId, [alias]: order });
      h.expectStatus(r, 201);
      assert.equal(r.json.conversion.order_id, order);
      const again = await get({ token: prog.postback_token, click_id: c.clickId, order_id: order });
      h.expectStatus(again, 200, 'same order id through order_id is a replay');
    });
  }

  it('missing or wrong token: 401 field token', async () => {
    const c = await h.clickOk(srv, link.code);
    h.expectError(await get({ click_id: c.clickId, order_id: h.uniq('t') }), 401, 'unauthenticated', 'token', 'no token');
    h.expectError(await get({ token: 'not-a-token', click_id: c.clickId, order_id: h.uniq('t') }), 401, 'unauthenticated', 'token', 'wrong token');
    h.expectError(await get({ token: '', click_id: c.clickId, order_id: h.uniq('t') }), 401, 'unauthenticated', 'token', 'empty token');
    h.expectError(await get({ token: srv.adminKey, click_id: c.clickId, order_id: h.uniq('t') }), 401, 'unauthenticated', 'token', 'admin key is not a postback token');
    h.expectError(await postForm({ click_id: c.clickId, order_id: h.uniq('t') }), 401, 'unauthenticated', 'token', 'POST without token');
  });

  it('defaults: event sale, amount 0 is a lead; custom events; order ids are per event', async () => {
    const c = await h.clickOk(srv, link.code);
    const order = h.uniq('ev');
    const lead = await get({ token: prog.postback_token, click_id: c.clickId, order_id: order, event: 'lead' });
    h.expectStatus(lead, 201);
    assert.equal(lead.json.conversion.event, 'lead');
    assert.equal(lead.json.conversion.amount_minor, 0);
    assert.equal(lead.json.commissions[0].amount_minor, 200);
    const sale = await get({ token: prog.postback_token, click_id: c.clickId, order_id: order, amount: '20' });
    h.expectStatus(sale, 201, 'same order id, another event is a new conversion');
    assert.equal(sale.json.conversion.event, 'sale');
    assert.equal(sale.json.commissions[0].amount_minor, h.percentOf(2000, '10'));
    const signup = await get({ token: prog.postback_token, click_id: c.clickId, order_id: order, event: 'signup_2' });
    h.expectStatus(signup, 201);
    assert.equal(signup.json.conversion.event, 'signup_2');
    for (const bad of ['Sale', 'sale!', 'a'.repeat(33), 'with space']) {
      h.expectError(await get({ token: prog.postback_token, click_id: c.clickId, order_id: h.uniq('e'), event: bad }), 422, 'invalid_argument', 'event', `event ${bad}`);
    }
  });

  it('status pending/approved/rejected; anything else 422', async () => {
    const c = await h.clickOk(srv, link.code);
    for (const status of ['approved', 'rejected', 'pending']) {
      const r = await get({ token: prog.postback_token, click_id: c.clickId, order_id: h.uniq('st'), amount: '10', status });
      h.expectStatus(r, 201, `status ${status}`);
      assert.equal(r.json.conversion.status, status);
    }
    h.expectError(await get({ token: prog.postback_token, click_id: c.clickId, order_id: h.uniq('st'), status: 'paid' }), 422, 'invalid_argument', 'status');
  });

  it('missing order_id: 422 field order_id', async () => {
    const c = await h.clickOk(srv, link.code);
    h.expectError(await get({ token: prog.postback_token, click_id: c.clickId, amount: '1' }), 422, 'invalid_argument', 'order_id');
  });

  it('malformed amounts are 422 field amount (never rounded)', async () => {
    const c = await h.clickOk(srv, link.code);
    for (const amount of ['49.905', '-1', '1e3', 'abc', '+1', '1,000', ' 1', '1 000', '0x10', '49.90USD']) {
      const r = await get({ token: prog.postback_token, click_id: c.clickId, order_id: h.uniq('am'), amount });
      h.expectError(r, 422, 'invalid_argument', 'amount', `amount ${JSON.stringify(amount)}`);
    }
    const list = await h.listAll(srv, `/v1/conversions?program_id=${prog.id}`);
    assert.equal(list.filter((x) => x.click_id === c.clickId).length, 0, 'nothing stored');
  });

  it('exact decimal amounts in USD, JPY (exponent 0) and KWD (exponent 3)', async () => {
    const c = await h.clickOk(srv, link.code);
    for (const [amount, minor, shown] of [['49.9', 4990, '49.90'], ['49', 4900, '49.00'], ['0.05', 5, '0.05'], ['1000000', 100000000, '1000000.00']]) {
      const r = await get({ token: prog.postback_token, click_id: c.clickId, order_id: h.uniq('usd'), amount });
      h.expectStatus(r, 201, `amount ${amount}`);
      assert.equal(r.json.conversion.amount_minor, minor);
      assert.equal(r.json.conversion.amount, shown);
    }
    const jpy = await h.setup(srv, { program: { currency: 'JPY', commission: { sale: { percent: '10' } } } });
    const cj = await h.clickOk(srv, jpy.link.code);
    const r = await get({ token: jpy.program.postback_token, click_id: cj.clickId, order_id: h.uniq('jpy'), amount: '1500', currency: 'JPY' });
    h.expectStatus(r, 201);
    assert.equal(r.json.conversion.amount_minor, 1500);
    assert.equal(r.json.conversion.amount, '1500');
    assert.equal(r.json.conversion.currency, 'JPY');
    assert.equal(r.json.commissions[0].amount_minor, 150);
    h.expectError(await get({ token: jpy.program.postback_token, click_id: cj.clickId, order_id: h.uniq('jpy'), amount: '1500.5' }), 422, 'invalid_argument', 'amount');
    h.expectError(await get({ token: jpy.program.postback_token, click_id: cj.clickId, order_id: h.uniq('jpy'), amount: '1500.0' }), 422, 'invalid_argument', 'amount');
    const kwd = await h.setup(srv, { program: { currency: 'KWD' } });
    const ck = await h.clickOk(srv, kwd.link.code);
    const rk = await get({ token: kwd.program.postback_token, click_id: ck.clickId, order_id: h.uniq('kwd'), amount: '1.234' });
    h.expectStatus(rk, 201);
    assert.equal(rk.json.conversion.amount_minor, 1234);
    assert.equal(rk.json.conversion.amount, '1.234');
    h.expectError(await get({ token: kwd.program.postback_token, click_id: ck.clickId, order_id: h.uniq('kwd'), amount: '1.2345' }), 422, 'invalid_argument', 'amount');
  });

  it('currency other than the program currency: 422 currency_mismatch', async () => {
    const c = await h.clickOk(srv, link.code);
    const r = await get({ token: prog.postback_token, click_id: c.clickId, order_id: h.uniq('cur'), amount: '10', currency: 'EUR' });
    h.expectError(r, 422, 'currency_mismatch');
    const ok = await get({ token: prog.postback_token, click_id: c.clickId, order_id: h.uniq('cur'), amount: '10', currency: 'USD' });
    h.expectStatus(ok, 201);
  });

  it('forged click id: 422 invalid_click_id; another program\'s click: 422 unknown_click_id', async () => {
    const c = await h.clickOk(srv, link.code);
    for (const bad of [h.forgeClickId(c.clickId), '0'.repeat(32), c.clickId.slice(0, 31), `${c.clickId}0`, 'not-a-click-id']) {
      const r = await get({ token: prog.postback_token, click_id: bad, order_id: h.uniq('f'), amount: '1' });
      h.expectError(r, 422, 'invalid_click_id', 'click_id', `click_id ${bad}`);
    }
    const foreign = await h.clickOk(srv, otherLink.code);
    const r = await get({ token: prog.postback_token, click_id: foreign.clickId, order_id: h.uniq('u'), amount: '1' });
    h.expectError(r, 422, 'unknown_click_id', 'click_id', 'click of another program');
    // a valid click id is still valid in upper case (decoding is case-insensitive)
    const up = await get({ token: prog.postback_token, click_id: c.clickId.toUpperCase(), order_id: h.uniq('up'), amount: '1' });
    h.expectStatus(up, 201, 'upper-case click id');
    assert.equal(up.json.conversion.click_id, c.clickId);
  });

  it('coupon attribution (case-insensitive); unknown coupon is skipped -> not_attributed', async () => {
    const cp = await h.createCoupon(srv, prog.id, aff2.id, h.uniq('PB'));
    const r = await get({ token: prog.postback_token, order_id: h.uniq('cp'), amount: '30', coupon: cp.code.toLowerCase() });
    h.expectStatus(r, 201);
    assert.equal(r.json.conversion.method, 'coupon');
    assert.equal(r.json.conversion.affiliate_id, aff2.id);
    assert.equal(r.json.conversion.click_id ?? null, null);
    const order = h.uniq('na');
    h.expectError(await get({ token: prog.postback_token, order_id: order, amount: '30', coupon: 'NOSUCHCOUPON' }), 422, 'not_attributed');
    h.expectError(await get({ token: prog.postback_token, order_id: h.uniq('na'), amount: '30' }), 422, 'not_attributed');
    const list = await h.listAll(srv, `/v1/conversions?program_id=${prog.id}`);
    assert.equal(list.filter((x) => x.order_id === order).length, 0, 'unattributed conversion not stored');
  });

  it('customer_id attribution through the postback', async () => {
    const c = await h.clickOk(srv, link.code);
    const cust = h.uniq('cust');
    h.expectStatus(await get({ token: prog.postback_token, click_id: c.clickId, order_id: h.uniq('c1'), amount: '5', customer_id: cust }), 201);
    const r = await get({ token: prog.postback_token, order_id: h.uniq('c2'), amount: '7', customer_id: cust });
    h.expectStatus(r, 201);
    assert.equal(r.json.conversion.method, 'customer');
    assert.equal(r.json.conversion.affiliate_id, aff.id);
    assert.equal(r.json.conversion.customer_id, cust);
    h.expectError(await get({ token: prog.postback_token, order_id: h.uniq('c3'), customer_id: 'x'.repeat(129) }), 422, 'invalid_argument', 'customer_id');
  });

  it('the token names the program', async () => {
    const c = await h.clickOk(srv, otherLink.code);
    const r = await get({ token: other.postback_token, click_id: c.clickId, order_id: h.uniq('o'), amount: '3' });
    h.expectStatus(r, 201);
    assert.equal(r.json.conversion.program_id, other.id);
    assert.equal(r.json.conversion.affiliate_id, aff2.id);
  });
});
