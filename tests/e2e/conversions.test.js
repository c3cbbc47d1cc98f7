'use strict';
// POST /v1/conversions and GET /v1/conversions[/{id}]: auth (admin key, postback token),
// validation, idempotency, attribution order, commission arithmetic, test and rejected
// conversions, email hashing, listing.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

describe('conversions', () => {
  let srv; let prog; let affA; let affB; let linkA; let linkB; let couponB; let other; let otherLink;
  before(async () => {
    srv = await h.startServer();
    prog = await h.createProgram(srv, { commission: { sale: { percent: '12.5' }, lead: { flat_minor: 200 } } });
    affA = await h.createAffiliate(srv);
    affB = await h.createAffiliate(srv);
    linkA = await h.createLink(srv, prog.id, affA.id);
    linkB = await h.createLink(srv, prog.id, affB.id);
    couponB = await h.createCoupon(srv, prog.id, affB.id, h.uniq('CB'));
    other = await h.createProgram(srv);
    otherLink = await h.createLink(srv, other.id, affA.id);
  });
  after(async () => { if (srv) await srv.cleanup(); });

  const post = (body, o) => h.postConversion(srv, body, o);

  it('creates (201) with the documented shape; replays answer 200 with the same body', async () => {
    const c = await h.clickOk(srv, linkA.code);
    const order = h.uniq('A-');
    const body = { program_id: prog.id, order_id: order, event: 'sale', amount: '49.90', currency: 'USD', click_id: c.clickId, customer_id: 'c-77' };
    const r = await post(body);
    h.expectStatus(r, 201);
    assert.equal(r.headers.get('idempotent-replayed'), null, 'no replay header on 201');
    const v = r.json.conversion;
    assert.deepEqual(
      { program_id: v.program_id, event: v.event, order_id: v.order_id, amount_minor: v.amount_minor, amount: v.amount, currency: v.currency, status: v.status, method: v.method, click_id: v.click_id, affiliate_id: v.affiliate_id, link_id: v.link_id, coupon: v.coupon ?? null, customer_id: v.customer_id, test: v.test, refunded_minor: v.refunded_minor },
      { program_id: prog.id, event: 'sale', order_id: order, amount_minor: 4990, amount: '49.90', currency: 'USD', status: 'pending', method: 'click_id', click_id: c.clickId, affiliate_id: affA.id, link_id: linkA.id, coupon: null, customer_id: 'c-77', test: false, refunded_minor: 0 },
    );
    assert.match(v.created_at, h.ISO_TIME_RE);
    assert.equal(r.json.commissions.length, 1);
    const line = r.json.commissions[0];
    assert.ok(Number.isInteger(line.id));
    assert.equal(line.conversion_id, v.id);
    assert.equal(line.affiliate_id, affA.id);
    assert.equal(line.amount_minor, h.percentOf(4990, '12.5'));
    assert.equal(line.currency, 'USD');
    assert.equal(line.status, 'pending');
    assert.equal(line.kind, 'commission');
    assert.equal(line.rule, 'sale:percent');
    assert.equal(line.plan_version, 1);
    assert.match(line.created_at, h.ISO_TIME_RE);

    for (const variant of [body, { ...body, amount: '1.00' }, { ...body, click_id: undefined, coupon: couponB.code }, { program_id: prog.id, order_id: order }]) {
      const again = await post(variant);
      h.expectStatus(again, 200, `replay ${JSON.stringify(variant)}`);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(again.json, r.json, 'identical body');
    }
    // the postback token of the program replays too
    const tok = await post({ order_id: order, amount: '49.90', click_id: c.clickId }, { key: prog.postback_token });
    h.expectStatus(tok, 200, 'replay through the postback token');
    assert.deepEqual(tok.json, r.json);

    const list = await h.listAll(srv, `/v1/conversions?program_id=${prog.id}`);
    assert.equal(list.filter((x) => x.order_id === order).length, 1, 'only one conversion listed');
    const g = await srv.api('GET', `/v1/conversions/${v.id}`);
    h.expectStatus(g, 200);
    const got = g.json.conversion || g.json;
    for (const k of Object.keys(v)) assert.deepEqual(got[k], v[k], `GET /v1/conversions/{id} field ${k}`);
    const lines = await h.listAll(srv, `/v1/commissions?conversion_id=${v.id}`);
    assert.equal(lines.length, 1, 'one ledger line');
  });

  it('same order id with another event or in another program is a new conversion', async () => {
    const c = await h.clickOk(srv, linkA.code);
    const order = h.uniq('E-');
    h.expectStatus(await post({ program_id: prog.id, order_id: order, click_id: c.clickId, amount: '1' }), 201);
    h.expectStatus(await post({ program_id: prog.id, order_id: order, click_id: c.clickId, event: 'lead' }), 201);
    const co = await h.clickOk(srv, otherLink.code);
    h.expectStatus(await post({ program_id: other.id, order_id: order, click_id: co.clickId, amount: '1' }), 201);
  });

  it('auth: admin key or the program\'s postback token', async () => {
    const c = await h.clickOk(srv, linkA.code);
    const body = { order_id: h.uniq('T-'), amount: '10', click_id: c.clickId };
    const r = await post(body, { key: prog.postback_token });
    h.expectStatus(r, 201, 'token without program_id defaults to its program');
    assert.equal(r.json.conversion.program_id, prog.id);
    h.expectStatus(await post({ ...body, order_id: h.uniq('T-'), program_id: prog.id }, { key: prog.postback_token }), 201, 'token with its own program_id');
    h.expectError(await post({ ...body, order_id: h.uniq('T-'), program_id: other.id }, { key: prog.postback_token }), 403, 'forbidden', undefined, 'token of another program');
    h.expectError(await post({ ...body, order_id: h.uniq('T-'), program_id: prog.id }, { key: null }), 401, 'unauthenticated');
    h.expectError(await post({ ...body, order_id: h.uniq('T-'), program_id: prog.id }, { key: 'bogus' }), 401, 'unauthenticated');
    h.expectError(await post({ ...body, order_id: h.uniq('T-'), program_id: prog.id }, { key: affA.api_key }), 403, 'forbidden');
    const listTok = await srv.api('GET', '/v1/conversions', { key: prog.postback_token });
    assert.ok(listTok.status === 401 || listTok.status === 403, `a postback token cannot list conversions: ${listTok.status}`);
  });

  it('validation: program_id, order_id, amounts, items, customer_id', async () => {
    const c = await h.clickOk(srv, linkA.code);
    const ok = { program_id: prog.id, order_id: h.uniq('V-'), click_id: c.clickId };
    const cases = [
      ['program_id', { program_id: undefined }],
      ['program_id', { program_id: 987654321 }],
      ['program_id', { program_id: 'one' }],
      ['order_id', { order_id: undefined }],
      ['order_id', { order_id: '' }],
      ['amount', { amount: '49.905' }],
      ['amount', { amount: '-1' }],
      ['amount', { amount: '1e3' }],
      ['amount', { amount: 'abc' }],
      ['amount', { amount: '1,000' }],
      ['amount', { amount: 49.9 }],
      ['amount_minor', { amount_minor: -1 }],
      ['amount_minor', { amount_minor: 1.5 }],
      ['amount_minor', { amount_minor: '100' }],
      ['status', { status: 'reversed' }],
      ['event', { event: 'Big Sale' }],
      ['customer_id', { customer_id: 'c'.repeat(129) }],
      ['click_id', { click_id: h.forgeClickId(c.clickId) }, 'invalid_click_id'],
    ];
    for (const [field, over, code = 'invalid_argument'] of cases) {
      const body = { ...ok, order_id: h.uniq('V-'), ...over };
      for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
      h.expectError(await post(body), 422, code, field, `POST /v1/conversions ${JSON.stringify(body).slice(0, 120)}`);
    }
    const both = await post({ ...ok, order_id: h.uniq('V-'), amount: '1.00', amount_minor: 100 });
    h.expectError(both, 422, 'invalid_argument', undefined, 'amount and amount_minor together');
    h.expectError(await post({ ...ok, order_id: h.uniq('V-'), amount: '1', currency: 'EUR' }), 422, 'currency_mismatch');
    const foreign = await h.clickOk(srv, otherLink.code);
    h.expectError(await post({ ...ok, order_id: h.uniq('V-'), click_id: foreign.clickId }), 422, 'unknown_click_id', 'click_id');
    for (const items of [
      [{ sku: 's'.repeat(129), amount_minor: 1, quantity: 1 }],
      [{ sku: 'A', amount_minor: -1, quantity: 1 }],
      [{ sku: 'A', amount_minor: 1, quantity: 0 }],
      // 999999999999999 * 18447 overflows int64 and wrapped to 2.6e14, which was accepted
      [{ sku: 'A', amount_minor: 999999999999999, quantity: 18447 }],
      [{ sku: 'A', amount_minor: 1000000000000000, quantity: 2 }],
      'not-an-array',
    ]) {
      const r = await post({ ...ok, order_id: h.uniq('V-'), amount: '1', items });
      assert.equal(r.status, 422, `items ${JSON.stringify(items).slice(0, 80)}: ${r.status} ${r.text}`);
      assert.equal(r.json.error.code, 'invalid_argument');
      assert.ok(String(r.json.error.field).startsWith('items'), `field names items: ${r.text}`);
    }
    const withItems = await post({ ...ok, order_id: h.uniq('V-'), amount_minor: 5980, items: [{ sku: 'TSHIRT-M', category: 'apparel', amount_minor: 2990, quantity: 2 }] });
    h.expectStatus(withItems, 201, 'valid items');
    assert.equal(withItems.json.conversion.amount_minor, 5980);
    assert.equal(withItems.json.conversion.amount, '59.80');
    // The items as answered (sku and category "" when absent) are accepted back as they are.
    const bare = await post({ ...ok, order_id: h.uniq('V-'), amount_minor: 3, items: [{ amount_minor: 1, quantity: 3 }] });
    h.expectStatus(bare, 201, 'items without sku or category');
    const echoed = bare.json.conversion.items;
    assert.deepEqual(echoed, [{ sku: '', category: '', amount_minor: 1, quantity: 3 }]);
    const again = await post({ ...ok, order_id: h.uniq('V-'), amount_minor: 3, items: echoed });
    h.expectStatus(again, 201, 'the answered items posted back');
    assert.deepEqual(again.json.conversion.items, echoed);
  });

  it('JSON syntax errors are 400 invalid_json', async () => {
    for (const raw of ['{"program_id": 1,', 'not json', '']) {
      const r = await srv.api('POST', '/v1/conversions', { rawBody: raw, headers: { 'content-type': 'application/json' } });
      h.expectError(r, 400, 'invalid_json', undefined, `body ${JSON.stringify(raw)}`);
    }
    for (const raw of ['[1,2]', '"str"', '42', 'null']) {
      const r = await srv.api('POST', '/v1/conversions', { rawBody: raw, headers: { 'content-type': 'application/json' } });
      h.expectError(r, 400, ['invalid_json', 'invalid_argument'], undefined, `non-object body ${raw}`);
    }
  });

  it('JPY amount "1500" is 1500 minor units', async () => {
    const j = await h.setup(srv, { program: { currency: 'JPY', commission: { sale: { percent: '3' } } } });
    const c = await h.clickOk(srv, j.link.code);
    const r = await h.convOk(srv, { program_id: j.program.id, order_id: h.uniq('J'), amount: '1500', currency: 'JPY', click_id: c.clickId });
    assert.equal(r.conversion.amount_minor, 1500);
    assert.equal(r.conversion.amount, '1500');
    assert.equal(r.commissions[0].amount_minor, h.percentOf(1500, '3'));
    h.expectError(await post({ program_id: j.program.id, order_id: h.uniq('J'), amount: '1500.00', click_id: c.clickId }), 422, 'invalid_argument', 'amount');
    h.expectError(await post({ program_id: j.program.id, order_id: h.uniq('J'), amount: '10', currency: 'USD', click_id: c.clickId }), 422, 'currency_mismatch');
  });

  it('commission: percent rounds half away from zero; flat; plan_version follows PATCH', async () => {
    const p = await h.createProgram(srv, { commission: { sale: { percent: '10' }, lead: { flat_minor: 200 } } });
    const l = await h.createLink(srv, p.id, affA.id);
    const c = await h.clickOk(srv, l.code);
    for (const amount of [4995, 4994, 5, 1, 0, 999999, 12345]) {
      const r = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('P'), amount_minor: amount, click_id: c.clickId });
      const expect = h.percentOf(amount, '10');
      const sum = r.commissions.reduce((s, x) => s + x.amount_minor, 0);
      assert.equal(sum, expect, `10% of ${amount}`);
    }
    const r125 = await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('P'), amount_minor: 999, click_id: (await h.clickOk(srv, linkA.code)).clickId });
    assert.equal(r125.commissions[0].amount_minor, h.percentOf(999, '12.5'));
    for (const amount of [0, 10000]) {
      const r = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('L'), event: 'lead', amount_minor: amount, click_id: c.clickId });
      assert.equal(r.commissions.length, 1);
      assert.equal(r.commissions[0].amount_minor, 200, `flat lead on amount ${amount}`);
    }
    const before0 = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('V1'), amount_minor: 1000, click_id: c.clickId });
    assert.equal(before0.commissions[0].plan_version, 1);
    const pr = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { commission: { sale: { percent: '7.5' } } } });
    h.expectStatus(pr, 200);
    const after0 = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('V2'), amount_minor: 1000, click_id: c.clickId });
    assert.equal(after0.commissions[0].plan_version, 2);
    assert.equal(after0.commissions[0].amount_minor, h.percentOf(1000, '7.5'));
    const old = await h.listAll(srv, `/v1/commissions?conversion_id=${before0.conversion.id}`);
    assert.equal(old.length, 1);
    assert.equal(old[0].plan_version, 1);
    assert.equal(old[0].amount_minor, 100);
  });

  it('attribution: click id beats coupon', async () => {
    const c = await h.clickOk(srv, linkA.code);
    const r = await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('O'), amount: '10', click_id: c.clickId, coupon: couponB.code });
    assert.equal(r.conversion.method, 'click_id');
    assert.equal(r.conversion.affiliate_id, affA.id);
  });

  it('attribution: coupon beats the customer\'s earlier attribution (last_click)', async () => {
    const cust = h.uniq('cust');
    const c = await h.clickOk(srv, linkA.code);
    const first = await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('O'), amount: '10', click_id: c.clickId, customer_id: cust });
    assert.equal(first.conversion.affiliate_id, affA.id);
    const r = await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('O'), amount: '10', coupon: couponB.code.toLowerCase(), customer_id: cust });
    assert.equal(r.conversion.method, 'coupon');
    assert.equal(r.conversion.affiliate_id, affB.id);
    assert.equal(r.conversion.coupon, couponB.code);
  });

  it('attribution: customer_id and hashed email carry an earlier attribution', async () => {
    const cust = h.uniq('cust');
    const c = await h.clickOk(srv, linkB.code);
    const email = `Buyer.${h.uniq()}@Example.com`;
    const first = await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('O'), amount: '10', click_id: c.clickId, customer_id: cust, email });
    assert.ok(!JSON.stringify(first).toLowerCase().includes(email.toLowerCase()), 'the raw email is never echoed');
    const byCust = await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('O'), amount: '10', customer_id: cust });
    assert.equal(byCust.conversion.method, 'customer');
    assert.equal(byCust.conversion.affiliate_id, affB.id);
    const byEmail = await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('O'), amount: '10', email: `  ${email.toLowerCase()}  ` });
    assert.equal(byEmail.conversion.method, 'customer');
    assert.equal(byEmail.conversion.affiliate_id, affB.id);
    const upper = await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('O'), amount: '10', email: email.toUpperCase() });
    assert.equal(upper.conversion.affiliate_id, affB.id);
    // attribution is per program: the same customer in another program is unknown
    h.expectError(await post({ program_id: other.id, order_id: h.uniq('O'), amount: '10', customer_id: cust }), 422, 'not_attributed');
    h.expectError(await post({ program_id: prog.id, order_id: h.uniq('O'), amount: '10', customer_id: h.uniq('nobody') }), 422, 'not_attributed');
  });

  it('attribution: last_click follows the newest click; first_click keeps the first affiliate', async () => {
    // last_click
    const custL = h.uniq('L');
    await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('O'), amount: '10', click_id: (await h.clickOk(srv, linkA.code)).clickId, customer_id: custL });
    const lc = await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('O'), amount: '10', click_id: (await h.clickOk(srv, linkB.code)).clickId, customer_id: custL });
    assert.equal(lc.conversion.method, 'click_id');
    assert.equal(lc.conversion.affiliate_id, affB.id);
    // first_click
    const f = await h.createProgram(srv, { attribution: 'first_click' });
    const fa = await h.createLink(srv, f.id, affA.id);
    const fb = await h.createLink(srv, f.id, affB.id);
    const fcB = await h.createCoupon(srv, f.id, affB.id, h.uniq('FB'));
    const custF = h.uniq('F');
    const first = await h.convOk(srv, { program_id: f.id, order_id: h.uniq('O'), amount: '10', click_id: (await h.clickOk(srv, fa.code)).clickId, customer_id: custF });
    assert.equal(first.conversion.method, 'click_id', 'a new customer is attributed by the click');
    assert.equal(first.conversion.affiliate_id, affA.id);
    const second = await h.convOk(srv, { program_id: f.id, order_id: h.uniq('O'), amount: '10', click_id: (await h.clickOk(srv, fb.code)).clickId, customer_id: custF });
    assert.equal(second.conversion.method, 'customer');
    assert.equal(second.conversion.affiliate_id, affA.id);
    const third = await h.convOk(srv, { program_id: f.id, order_id: h.uniq('O'), amount: '10', coupon: fcB.code, customer_id: custF });
    assert.equal(third.conversion.method, 'customer');
    assert.equal(third.conversion.affiliate_id, affA.id);
    const fresh = await h.convOk(srv, { program_id: f.id, order_id: h.uniq('O'), amount: '10', coupon: fcB.code, customer_id: h.uniq('F') });
    assert.equal(fresh.conversion.method, 'coupon');
    assert.equal(fresh.conversion.affiliate_id, affB.id);
  });

  it('test conversions answer their commission but write no ledger line', async () => {
    const c = await h.clickOk(srv, linkA.code);
    const r = await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('TEST'), amount_minor: 8000, click_id: c.clickId, test: true });
    assert.equal(r.conversion.test, true);
    const sum = r.commissions.reduce((s, x) => s + x.amount_minor, 0);
    assert.equal(sum, h.percentOf(8000, '12.5'));
    const lines = await h.listAll(srv, `/v1/commissions?conversion_id=${r.conversion.id}`);
    assert.equal(lines.length, 0, 'no ledger lines for a test conversion');
  });

  it('status rejected stores a rejected commission line', async () => {
    const c = await h.clickOk(srv, linkA.code);
    const r = await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('REJ'), amount_minor: 8000, click_id: c.clickId, status: 'rejected' });
    assert.equal(r.conversion.status, 'rejected');
    assert.equal(r.commissions.length, 1);
    assert.equal(r.commissions[0].status, 'rejected');
    const lines = await h.listAll(srv, `/v1/commissions?conversion_id=${r.conversion.id}`);
    assert.equal(lines.length, 1);
    assert.equal(lines[0].status, 'rejected');
  });

  it('lists with filters and paging; unknown id 404', async () => {
    const p = await h.createProgram(srv);
    const la = await h.createLink(srv, p.id, affA.id);
    const lb = await h.createLink(srv, p.id, affB.id);
    const ca = await h.clickOk(srv, la.code);
    const cb = await h.clickOk(srv, lb.code);
    const made = [];
    for (let i = 0; i < 3; i++) made.push((await h.convOk(srv, { program_id: p.id, order_id: h.uniq('LA'), amount: '1', click_id: ca.clickId })).conversion);
    for (let i = 0; i < 2; i++) made.push((await h.convOk(srv, { program_id: p.id, order_id: h.uniq('LB'), amount: '1', click_id: cb.clickId, status: 'approved' })).conversion);
    const all = await h.listAll(srv, `/v1/conversions?program_id=${p.id}`);
    assert.deepEqual(all.map((x) => x.id), made.map((x) => x.id), 'ascending id order');
    const pagedRaw = await srv.api('GET', `/v1/conversions?program_id=${p.id}&limit=2`);
    assert.equal(pagedRaw.json.data.length, 2);
    assert.equal(pagedRaw.json.has_more, true);
    const paged = await h.listAll(srv, `/v1/conversions?program_id=${p.id}`, { limit: 2 });
    assert.deepEqual(paged.map((x) => x.id), made.map((x) => x.id));
    const byAff = await h.listAll(srv, `/v1/conversions?program_id=${p.id}&affiliate_id=${affB.id}`);
    assert.deepEqual(byAff.map((x) => x.id), made.slice(3).map((x) => x.id));
    const byStatus = await h.listAll(srv, `/v1/conversions?program_id=${p.id}&status=pending`);
    assert.deepEqual(byStatus.map((x) => x.id), made.slice(0, 3).map((x) => x.id));
    h.expectError(await srv.api('GET', '/v1/conversions/987654321'), 404, 'not_found');
    h.expectError(await srv.api('GET', '/v1/conversions?limit=501'), 422, 'invalid_argument', 'limit');
    h.expectError(await srv.api('GET', '/v1/conversions', { key: affA.api_key }), 403, 'forbidden');
    h.expectError(await srv.api('GET', '/v1/conversions', { key: null }), 401, 'unauthenticated');
    const lines = await h.listAll(srv, `/v1/commissions?program_id=${p.id}&affiliate_id=${affB.id}`);
    assert.equal(lines.length, 2);
    for (const l of lines) assert.equal(l.affiliate_id, affB.id);
  });
});
