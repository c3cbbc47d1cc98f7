'use strict';
// POST /v1/conversions/{id}/refund: pro-rata reversal lines computed on the cumulative
// refunded total, reversed status, over-refund 422, refund of reversed 409, test 422.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

describe('refunds', () => {
  let srv; let prog; let aff; let link;
  before(async () => {
    srv = await h.startServer();
    ({ program: prog, affiliate: aff, link } = await h.setup(srv, {
      program: { commission: { sale: { percent: '10' }, lead: { flat_minor: 200 } } },
    }));
  });
  after(async () => { if (srv) await srv.cleanup(); });

  async function newConversion(amountMinor, over = {}) {
    const c = await h.clickOk(srv, link.code);
    return h.convOk(srv, { program_id: prog.id, order_id: h.uniq('R'), amount_minor: amountMinor, click_id: c.clickId, ...over });
  }
  const refund = (id, body, o) => srv.api('POST', `/v1/conversions/${id}/refund`, { body, ...o });
  const sum = (lines) => lines.reduce((s, l) => s + l.amount_minor, 0);

  function checkLines(lines, convId, expectedSum, what) {
    assert.equal(sum(lines), expectedSum, `${what}: lines sum`);
    const ids = lines.map((l) => l.id);
    assert.deepEqual([...ids].sort((a, b) => a - b), ids, `${what}: oldest first`);
    assert.equal(lines[0].kind, 'commission');
    for (const l of lines.slice(1)) {
      assert.equal(l.kind, 'reversal', `${what}: later lines are reversals`);
      assert.ok(l.amount_minor <= 0, `${what}: reversal lines are negative`);
      assert.equal(l.conversion_id, convId);
      assert.equal(l.affiliate_id, aff.id);
    }
  }

  it('partial + partial + full refund sums to exactly zero commission and reverses', async () => {
    const A = 999;
    const conv = await newConversion(A);
    const C = h.percentOf(A, '10');
    assert.equal(sum(conv.commissions), C);
    const id = conv.conversion.id;
    let R = 0;
    for (const part of [333, 333]) {
      R += part;
      const r = await refund(id, { amount_minor: part });
      h.expectStatus(r, 200, `refund ${part}`);
      assert.equal(r.json.conversion.refunded_minor, R);
      assert.notEqual(r.json.conversion.status, 'reversed');
      checkLines(r.json.commissions, id, h.commissionAfterRefund(C, R, A), `after R=${R}`);
    }
    const full = await refund(id, {});
    h.expectStatus(full, 200, 'full refund {}');
    assert.equal(full.json.conversion.refunded_minor, A);
    assert.equal(full.json.conversion.status, 'reversed');
    checkLines(full.json.commissions, id, 0, 'after full refund');
    assert.equal(full.json.commissions.length, 4, 'commission + 3 reversals');
    const ledger = await h.listAll(srv, `/v1/commissions?conversion_id=${id}`);
    assert.equal(sum(ledger), 0, 'the ledger sums to zero');
    assert.equal(ledger.length, 4);
    const g = await srv.api('GET', `/v1/conversions/${id}`);
    const gc = g.json.conversion || g.json;
    assert.equal(gc.status, 'reversed');
    assert.equal(gc.refunded_minor, A);

    // refund of a fully reversed conversion: 409 conflict
    h.expectError(await refund(id, {}), 409, 'conflict');
    h.expectError(await refund(id, { amount_minor: 1 }), 409, 'conflict');
  });

  it('many small refunds never drift by a cent', async () => {
    const A = 10001;
    const conv = await newConversion(A);
    const C = sum(conv.commissions);
    assert.equal(C, h.percentOf(A, '10'));
    let R = 0;
    for (const part of [7, 7, 7, 1234, 3, 3333]) {
      R += part;
      const r = await refund(conv.conversion.id, { amount_minor: part });
      h.expectStatus(r, 200);
      assert.equal(sum(r.json.commissions), h.commissionAfterRefund(C, R, A), `R=${R}`);
    }
    const last = await refund(conv.conversion.id, { amount_minor: A - R });
    h.expectStatus(last, 200);
    assert.equal(last.json.conversion.status, 'reversed');
    assert.equal(sum(last.json.commissions), 0);
  });

  it('refund by decimal amount', async () => {
    const conv = await newConversion(5000);
    const r = await refund(conv.conversion.id, { amount: '10.00' });
    h.expectStatus(r, 200);
    assert.equal(r.json.conversion.refunded_minor, 1000);
    assert.equal(sum(r.json.commissions), h.commissionAfterRefund(500, 1000, 5000));
    const r2 = await refund(conv.conversion.id, { amount: '0.5' });
    h.expectStatus(r2, 200);
    assert.equal(r2.json.conversion.refunded_minor, 1050);
    h.expectError(await refund(conv.conversion.id, { amount: '10.005' }), 422, 'invalid_argument', 'amount');
    h.expectError(await refund(conv.conversion.id, { amount: '-1' }), 422, 'invalid_argument', 'amount');
    h.expectError(await refund(conv.conversion.id, { amount_minor: -5 }), 422, 'invalid_argument', 'amount_minor');
  });

  it('over-refund is 422 field amount_minor and changes nothing', async () => {
    const conv = await newConversion(2000);
    h.expectStatus(await refund(conv.conversion.id, { amount_minor: 1500 }), 200);
    const r = await refund(conv.conversion.id, { amount_minor: 501 });
    h.expectError(r, 422, 'invalid_argument', 'amount_minor', 'refund above what remains');
    const ledger = await h.listAll(srv, `/v1/commissions?conversion_id=${conv.conversion.id}`);
    assert.equal(ledger.length, 2);
    assert.equal(sum(ledger), h.commissionAfterRefund(200, 1500, 2000));
    const first = await newConversion(100);
    h.expectError(await refund(first.conversion.id, { amount_minor: 101 }), 422, 'invalid_argument', 'amount_minor');
    const ok = await refund(conv.conversion.id, { amount_minor: 500 });
    h.expectStatus(ok, 200, 'exactly what remains');
    assert.equal(ok.json.conversion.status, 'reversed');
  });

  it('flat commissions reverse pro rata too', async () => {
    const c = await h.clickOk(srv, link.code);
    const conv = await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('FL'), event: 'lead', amount_minor: 3000, click_id: c.clickId });
    assert.equal(sum(conv.commissions), 200);
    const r = await refund(conv.conversion.id, { amount_minor: 1000 });
    h.expectStatus(r, 200);
    assert.equal(sum(r.json.commissions), h.commissionAfterRefund(200, 1000, 3000));
  });

  it('a test conversion cannot be refunded (422)', async () => {
    const conv = await newConversion(1000, { test: true });
    const r = await refund(conv.conversion.id, {});
    h.expectError(r, 422, ['invalid_argument', 'invalid_click_id', 'unknown_click_id', 'not_attributed', 'currency_mismatch']);
  });

  it('unknown conversion 404; admin only; invalid JSON 400', async () => {
    h.expectError(await refund(987654321, {}), 404, 'not_found');
    const conv = await newConversion(1000);
    h.expectError(await refund(conv.conversion.id, {}, { key: null }), 401, 'unauthenticated');
    h.expectError(await refund(conv.conversion.id, {}, { key: aff.api_key }), 403, 'forbidden');
    const r = await srv.api('POST', `/v1/conversions/${conv.conversion.id}/refund`, { rawBody: '{"amount_minor":', headers: { 'content-type': 'application/json' } });
    h.expectError(r, 400, 'invalid_json');
    const g = await srv.api('GET', `/v1/conversions/${conv.conversion.id}`);
    assert.equal((g.json.conversion || g.json).refunded_minor, 0, 'failed refunds changed nothing');
  });
});
