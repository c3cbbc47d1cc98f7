'use strict';
// Reports with sub-affiliates (docs/api.md "Reports", "Sub-affiliates"): G is A's
// parent and A is B's, and the program pays parents 10 % and 5 % of a child's
// commission. The brand's report (GET /v1/reports) counts every line of a conversion
// under the converting affiliate (commission_minor, its cost), with the part paid to
// the parents as overrides_minor and each parent's income on its own row
// (override_income_minor); an affiliate's own report (GET /v1/me/reports) shows as
// commission_minor only what it earned itself, and its income as a parent. Through a
// sale, a refund and a rejection, in JSON and CSV, and `afftrack verify`.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

describe('reports with sub-affiliates', () => {
  let srv; let prog; let G; let A; let B; let linkA; let linkB;
  const range = { from: h.utcDay(-1), to: h.utcDay(1) };

  before(async () => {
    srv = await h.startServer({ args: ['--maintenance-interval-ms', '86400000'] });
    prog = await h.createProgram(srv, { hold_days: 0, commission: { sale: { percent: '10' }, sub_affiliates: ['10', '5'] } });
    G = await h.createAffiliate(srv, { name: 'Grandparent' });
    A = await h.createAffiliate(srv, { name: 'Parent', parent_id: G.id });
    B = await h.createAffiliate(srv, { name: 'Child', parent_id: A.id });
    linkA = await h.createLink(srv, prog.id, A.id);
    linkB = await h.createLink(srv, prog.id, B.id);
  });

  after(async () => {
    if (srv) { await srv.stop(); await srv.cleanup(); }
  });

  async function sale(link, amount, status = 'approved') {
    const c = await h.clickOk(srv, link.code, { headers: { 'user-agent': `Mozilla/5.0 ${h.uniq('ua')}` } });
    return h.convOk(srv, { program_id: prog.id, order_id: h.uniq('o'), amount_minor: amount, click_id: c.clickId, status });
  }

  async function mine(aff, params = {}) {
    const r = await srv.api('GET', `/v1/me/reports${h.qs({ ...range, ...params })}`, { key: aff.api_key });
    h.expectStatus(r, 200, `/v1/me/reports as ${aff.name} ${JSON.stringify(params)}`);
    return r.json;
  }

  async function admin(params = {}) {
    const r = await srv.api('GET', `/v1/reports${h.qs({ ...range, ...params })}`);
    h.expectStatus(r, 200, `/v1/reports ${JSON.stringify(params)}`);
    return r.json;
  }

  const pick = (m) => ({ commission_minor: m.commission_minor, overrides_minor: m.overrides_minor, override_income_minor: m.override_income_minor });
  const own = (m) => ({ commission_minor: m.commission_minor, override_income_minor: m.override_income_minor, epc_minor: m.epc_minor });
  const byAffiliate = async () => Object.fromEntries((await admin({ group_by: 'affiliate' })).rows.map((r) => [r.affiliate_id, pick(r)]));

  // What each report must show, from the lines: B's sale pays B c, A 10 % of c, G 5 %.
  async function expectReports(want, what) {
    const rows = await byAffiliate();
    assert.deepEqual(rows[B.id], { commission_minor: want.b + want.aOnB + want.gOnB, overrides_minor: want.aOnB + want.gOnB, override_income_minor: 0 }, `${what}: admin B`);
    assert.deepEqual(rows[A.id], { commission_minor: want.a + want.gOnA, overrides_minor: want.gOnA, override_income_minor: want.aOnB }, `${what}: admin A`);
    assert.deepEqual(rows[G.id], { commission_minor: 0, overrides_minor: 0, override_income_minor: want.gOnB + want.gOnA }, `${what}: admin G`);
    // admin totals: the brand's cost once, every override once as cost and once as income
    const t = (await admin()).totals;
    assert.equal(t.commission_minor, want.b + want.aOnB + want.gOnB + want.a + want.gOnA, `${what}: admin total cost`);
    assert.equal(t.overrides_minor, want.aOnB + want.gOnB + want.gOnA);
    assert.equal(t.override_income_minor, t.overrides_minor);
    // the portal: each its own earnings, and its income as a parent
    const b = (await mine(B)).totals; const a = (await mine(A)).totals; const g = (await mine(G)).totals;
    assert.deepEqual(own(b), { commission_minor: want.b, override_income_minor: 0, epc_minor: h.divRound(want.b, b.clicks) }, `${what}: B's own`);
    assert.deepEqual(own(a), { commission_minor: want.a, override_income_minor: want.aOnB, epc_minor: h.divRound(want.a, a.clicks) }, `${what}: A's own`);
    assert.deepEqual(own(g), { commission_minor: 0, override_income_minor: want.gOnB + want.gOnA, epc_minor: 0 }, `${what}: G's own`);
    for (const x of [b, a, g]) assert.ok(!('overrides_minor' in x) && !('roi' in x));
    // the lines say the same
    for (const [aff, wantLines] of [[B, want.b], [A, want.a + want.aOnB], [G, want.gOnB + want.gOnA]]) {
      const lines = (await h.listAll(srv, '/v1/me/commissions', { key: aff.api_key })).filter((l) => l.status !== 'rejected');
      assert.equal(lines.reduce((s, l) => s + l.amount_minor, 0), wantLines, `${what}: ${aff.name}'s lines`);
    }
    const v = h.runVerify(srv.dataDir);
    assert.equal(v.status, 0, `${what}: afftrack verify: ${v.stdout} ${v.stderr}`);
    assert.equal(v.json.overrides_minor, t.overrides_minor);
    assert.equal(v.json.override_income_minor, t.overrides_minor);
  }

  let bSale;
  it('a sale: the child earns its own, each parent its override, the brand pays all of it once', async () => {
    bSale = await sale(linkB, 100000); // B 10000, A 1000, G 500
    await sale(linkA, 20000); // A 2000, G 200 (A's parent)
    await expectReports({ b: 10000, aOnB: 1000, gOnB: 500, a: 2000, gOnA: 200 }, 'after the sales');
  });

  it('a parent\'s income: per day and program, on a row without a link or sub-ID', async () => {
    const rows = (await mine(G, { group_by: 'day,program,link' })).rows;
    assert.deepEqual(rows.map((r) => [r.day, r.program_id, r.link_id, r.clicks, r.conversions, r.commission_minor, r.override_income_minor]),
      [[h.utcDay(0), prog.id, null, 0, 0, 0, 700]]);
    const subs = (await mine(A, { group_by: 'sub1' })).rows;
    assert.deepEqual(subs.map((r) => [r.sub1, r.commission_minor, r.override_income_minor]), [['', 2000, 1000]]);
    // A's own row and its income row, by link
    const links = (await mine(A, { group_by: 'link' })).rows;
    assert.deepEqual(links.map((r) => [r.link_id, r.clicks, r.commission_minor, r.override_income_minor]),
      [[null, 0, 0, 1000], [linkA.id, 1, 2000, 0]]);
    // B's report names none of its parents
    for (const g of ['affiliate', 'link', 'day,program,affiliate,sub1']) {
      const r = await mine(B, { group_by: g });
      for (const row of r.rows) if ('affiliate_id' in row) assert.equal(row.affiliate_id, B.id);
    }
  });

  it('sort and limit by the new columns; overrides_minor is the brand\'s', async () => {
    const top = await admin({ group_by: 'affiliate', sort: 'override_income_minor', limit: 1 });
    assert.deepEqual([top.rows[0].affiliate_id, top.rows[0].override_income_minor, top.rows_total], [A.id, 1000, 3]);
    const cost = await admin({ group_by: 'affiliate', sort: 'overrides_minor' });
    assert.deepEqual(cost.rows.map((r) => r.affiliate_id), [B.id, A.id, G.id]);
    h.expectError(await srv.api('GET', `/v1/me/reports${h.qs({ ...range, sort: 'overrides_minor' })}`, { key: B.api_key }), 422, 'invalid_argument', 'sort');
    h.expectStatus(await srv.api('GET', `/v1/me/reports${h.qs({ ...range, group_by: 'day', sort: 'override_income_minor' })}`, { key: A.api_key }), 200);
    // B's sort by commission uses B's own
    const bs = await mine(B, { group_by: 'link', sort: 'commission_minor' });
    assert.deepEqual(bs.rows.map((r) => r.commission_minor), [10000]);
  });

  it('CSV: the columns of the JSON rows, in their order, with the same values', async () => {
    const cases = [[admin, {}, null], [admin, { group_by: 'affiliate' }, null], [mine, {}, A], [mine, { group_by: 'link' }, A], [mine, { group_by: 'program' }, B]];
    for (const [fn, params, aff] of cases) {
      const json = aff ? await mine(aff, params) : await admin(params);
      const p = `${aff ? '/v1/me/reports' : '/v1/reports'}${h.qs({ ...range, ...params, format: 'csv' })}`;
      const r = await srv.raw('GET', p, { headers: { authorization: `Bearer ${aff ? aff.api_key : srv.adminKey}` } });
      assert.equal(r.status, 200, r.text);
      const { header, rows } = h.parseCsv(r.text);
      const jrows = params.group_by ? json.rows : [json.totals];
      assert.deepEqual(header, Object.keys(jrows[0]), `${p}: CSV header`);
      assert.equal(header.at(-1), 'override_income_minor', 'the new columns come last');
      if (!aff) assert.deepEqual(header.slice(-3), ['roi', 'overrides_minor', 'override_income_minor']);
      else assert.ok(!header.includes('overrides_minor') && !header.includes('roi'));
      rows.forEach((row, i) => {
        for (const k of ['commission_minor', 'overrides_minor', 'override_income_minor', 'epc_minor']) {
          if (k in jrows[i]) assert.equal(Number(row[k]), jrows[i][k], `${p} row ${i} ${k}`);
        }
      });
    }
  });

  it('a refund: every share follows, in the child\'s cost and its own, and in the parents\' income', async () => {
    const r = await srv.api('POST', `/v1/conversions/${bSale.conversion.id}/refund`, { body: { amount_minor: 50000 } });
    h.expectStatus(r, 200, 'refund half');
    await expectReports({ b: 5000, aOnB: 500, gOnB: 250, a: 2000, gOnA: 200 }, 'after the refund');
  });

  it('a rejection: the conversion leaves every report, the parents\' income too', async () => {
    const doomed = await sale(linkB, 40000, 'pending'); // B 4000, A 400, G 200
    await expectReports({ b: 9000, aOnB: 900, gOnB: 450, a: 2000, gOnA: 200 }, 'with the pending sale');
    h.expectStatus(await srv.api('POST', `/v1/conversions/${doomed.conversion.id}/reject`, { body: { reason: 'fraud' } }), 200, 'reject');
    await expectReports({ b: 5000, aOnB: 500, gOnB: 250, a: 2000, gOnA: 200 }, 'after the rejection');
  });
});
