'use strict';
// GET /px.gif: always a 1x1 GIF; attribution by click id, the afftrack_click cookie,
// coupon; program_id or token; failures only counted in /metrics.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

describe('pixel /px.gif', () => {
  let srv; let prog; let aff; let link; let aff2; let link2; let other; let otherLink;
  before(async () => {
    srv = await h.startServer();
    ({ program: prog, affiliate: aff, link } = await h.setup(srv));
    aff2 = await h.createAffiliate(srv);
    link2 = await h.createLink(srv, prog.id, aff2.id);
    other = await h.createProgram(srv);
    otherLink = await h.createLink(srv, other.id, aff.id);
  });
  after(async () => { if (srv) await srv.cleanup(); });

  async function pixel(params, cookie) {
    const headers = cookie ? { cookie: `afftrack_click=${cookie}` } : {};
    const r = await srv.raw('GET', `/px.gif${h.qs(params)}`, { headers });
    assert.equal(r.status, 200, `px.gif ${JSON.stringify(params)} -> ${r.status} ${r.text.slice(0, 200)}`);
    assert.match(String(r.headers['content-type']), /^image\/gif/);
    assert.match(String(r.headers['cache-control']), /no-store/);
    assert.equal(r.body.subarray(0, 4).toString('latin1'), 'GIF8', 'a GIF body');
    assert.equal(r.body.readUInt16LE(6), 1, 'width 1');
    assert.equal(r.body.readUInt16LE(8), 1, 'height 1');
    return r;
  }

  async function convByOrder(order, programId = prog.id) {
    const list = await h.listAll(srv, `/v1/conversions?program_id=${programId}`);
    return list.filter((c) => c.order_id === order);
  }

  async function pixelErrors() {
    const r = await srv.raw('GET', '/metrics');
    assert.equal(r.status, 200);
    const v = h.metricValue(r.text, 'afftrack_pixel_errors_total');
    assert.notEqual(v, null, 'afftrack_pixel_errors_total is exported');
    return v;
  }

  it('attributes by the afftrack_click cookie with program_id', async () => {
    const c = await h.clickOk(srv, link.code);
    const order = h.uniq('px');
    await pixel({ program_id: prog.id, order_id: order, amount: '25.50' }, c.cookie);
    const found = await convByOrder(order);
    assert.equal(found.length, 1, 'conversion committed before the pixel answered');
    assert.equal(found[0].method, 'cookie');
    assert.equal(found[0].click_id, c.clickId);
    assert.equal(found[0].affiliate_id, aff.id);
    assert.equal(found[0].amount_minor, 2550);
    // replay through the pixel does not double it
    await pixel({ program_id: prog.id, order_id: order, amount: '25.50' }, c.cookie);
    assert.equal((await convByOrder(order)).length, 1);
  });

  it('an explicit click id wins over the cookie; token works instead of program_id', async () => {
    const a = await h.clickOk(srv, link.code);
    const b = await h.clickOk(srv, link2.code);
    const order = h.uniq('px');
    await pixel({ token: prog.postback_token, click_id: a.clickId, order_id: order, amount: '3' }, b.cookie);
    const [conv] = await convByOrder(order);
    assert.ok(conv);
    assert.equal(conv.method, 'click_id');
    assert.equal(conv.affiliate_id, aff.id);
    const order2 = h.uniq('px');
    await pixel({ token: prog.postback_token, clickid: b.clickId, txid: order2, amount: '4' });
    const [conv2] = await convByOrder(order2);
    assert.ok(conv2, 'aliases work on the pixel');
    assert.equal(conv2.affiliate_id, aff2.id);
  });

  it('with the token, a bad cookie is never an error: coupon attribution follows', async () => {
    const cp = await h.createCoupon(srv, prog.id, aff2.id, h.uniq('PX'));
    const foreign = await h.clickOk(srv, otherLink.code);
    for (const cookie of [h.forgeClickId(foreign.clickId), foreign.clickId, 'garbage']) {
      const order = h.uniq('px');
      await pixel({ token: prog.postback_token, order_id: order, amount: '8', coupon: cp.code }, cookie);
      const [conv] = await convByOrder(order);
      assert.ok(conv, `conversion stored with cookie ${cookie}`);
      assert.equal(conv.method, 'coupon');
      assert.equal(conv.affiliate_id, aff2.id);
    }
  });

  it('with program_id instead of the token, only the click id and cookie attribute (no coupon, no customer)', async () => {
    const cp = await h.createCoupon(srv, prog.id, aff2.id, h.uniq('PY'));
    const cust = h.uniq('cust');
    const c = await h.clickOk(srv, link.code);
    await pixel({ program_id: prog.id, order_id: h.uniq('px'), amount: '2', customer_id: cust }, c.cookie);
    const coupOrder = h.uniq('px');
    await pixel({ program_id: prog.id, order_id: coupOrder, amount: '8', coupon: cp.code });
    assert.equal((await convByOrder(coupOrder)).length, 0, 'coupon ignored without the token');
    const custOrder = h.uniq('px');
    await pixel({ program_id: prog.id, order_id: custOrder, amount: '8', customer_id: cust });
    assert.equal((await convByOrder(custOrder)).length, 0, 'customer ignored without the token');
  });

  it('failures still answer the GIF, store nothing and are counted', async () => {
    const before0 = await pixelErrors();
    const c = await h.clickOk(srv, link.code);
    const foreign = await h.clickOk(srv, otherLink.code);
    const failing = [
      [{ program_id: prog.id, order_id: h.uniq('f'), amount: 'abc' }, c.cookie],
      [{ program_id: prog.id, order_id: h.uniq('f'), amount: '1', click_id: h.forgeClickId(c.clickId) }, null],
      [{ program_id: prog.id, order_id: h.uniq('f'), amount: '1' }, null],
      [{ program_id: prog.id, order_id: h.uniq('f'), amount: '1' }, foreign.cookie],
      [{ program_id: prog.id, order_id: h.uniq('f'), amount: '1', currency: 'EUR' }, c.cookie],
      [{ program_id: 987654321, order_id: h.uniq('f'), amount: '1' }, c.cookie],
      // an id is a plain decimal, as everywhere in the API: no sign, no spaces
      [{ program_id: `+${prog.id}`, order_id: h.uniq('f'), amount: '1' }, c.cookie],
      [{ program_id: ` ${prog.id}`, order_id: h.uniq('f'), amount: '1' }, c.cookie],
      [{ token: 'wrong-token', order_id: h.uniq('f'), amount: '1' }, c.cookie],
      [{ program_id: prog.id, amount: '1' }, c.cookie],
    ];
    for (const [params, cookie] of failing) await pixel(params, cookie);
    const after0 = await pixelErrors();
    assert.equal(after0 - before0, failing.length, 'each failure counted once');
    const list = await h.listAll(srv, `/v1/conversions?program_id=${prog.id}`);
    for (const [params] of failing) {
      if (params.order_id) assert.equal(list.filter((x) => x.order_id === params.order_id).length, 0, `nothing stored for ${JSON.stringify(params)}`);
    }
  });
});
