'use strict';
// Refunds of shares, balances, payout runs and their settlement and exports
// (docs/commissions.md sections 1.3, 2 and 3; docs/api.md "Payouts", "Balances",
// "Affiliate portal API"). Every amount is worked out by hand in the comments. Every
// run names its program so that the tests do not pay each other's balances. Ends with
// `afftrack verify`.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sum = (lines) => lines.reduce((s, l) => s + l.amount_minor, 0);
const STATUSES = ['pending_minor', 'approved_minor', 'payable_minor', 'in_payout_minor', 'paid_minor'];

/** RFC 4180 CSV: an array of rows (arrays of cells); a final newline ends the last row. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') q = false; else cell += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { row.push(cell); cell = ''; } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

describe('payouts', () => {
  let srv;
  before(async () => {
    // many clicks a minute from 127.0.0.1: the per-IP velocity rules (docs/fraud.md) only flag here
    srv = await h.startServer({ args: ['--maintenance-interval-ms', '100', ...h.VELOCITY_FLAG_ONLY] });
  });
  after(async () => { if (srv) await srv.cleanup(); });

  const links = new Map();
  async function linkFor(prog, aff) {
    const k = `${prog.id}/${aff.id}`;
    if (!links.has(k)) links.set(k, await h.createLink(srv, prog.id, aff.id));
    return links.get(k);
  }
  async function sale(prog, aff, amountMinor, over = {}) {
    const l = await linkFor(prog, aff);
    const c = await h.clickOk(srv, l.code);
    return h.convOk(srv, { program_id: prog.id, order_id: h.uniq('O'), amount_minor: amountMinor, click_id: c.clickId, ...over });
  }
  const lines = (q, key) => h.listAll(srv, `/v1/commissions?${q}`, key ? { key } : {});
  const refund = (id, body) => srv.api('POST', `/v1/conversions/${id}/refund`, { body });
  const approve = async (id) => h.expectStatus(await srv.api('POST', `/v1/conversions/${id}/approve`, { body: {} }), 200, `approve ${id}`);
  async function run(programId) {
    const r = await srv.api('POST', '/v1/payouts/run', { body: { program_id: programId } });
    h.expectStatus(r, 201, `payout run of program ${programId}`);
    assert.equal(r.json.run.program_id, programId);
    assert.equal(r.json.run.payouts, r.json.payouts.length);
    return r.json;
  }
  async function balance(programId, affiliateId) {
    const r = await srv.api('GET', `/v1/balances?program_id=${programId}&affiliate_id=${affiliateId}`);
    h.expectStatus(r, 200, 'balances');
    assert.ok(r.json.data.length <= 1, 'one row per program and affiliate');
    const row = r.json.data[0] || Object.fromEntries(STATUSES.map((k) => [k, 0]));
    return Object.fromEntries(STATUSES.map((k) => [k.replace('_minor', ''), row[k]]));
  }
  const bal = (pending, approved, payable, inPayout, paid) => ({ pending, approved, payable, in_payout: inPayout, paid });
  async function waitFor(what, fn, timeoutMs = 5000) {
    const t0 = Date.now();
    let last;
    while (Date.now() - t0 < timeoutMs) {
      last = await fn();
      if (last.ok) return last;
      await sleep(50);
    }
    assert.fail(`${what}: timed out; last state ${JSON.stringify(last)}`);
  }
  async function waitPayable2(programId, affiliateId, payable, pending) {
    return waitFor(`payable ${payable}, pending ${pending} for affiliate ${affiliateId}`, async () => {
      const b = await balance(programId, affiliateId);
      return { ok: b.pending === pending && b.approved === 0 && b.payable === payable, b };
    });
  }
  // Wait until the ticker has approved and released everything of (program, affiliate).
  async function waitPayable(programId, affiliateId, payable) {
    return waitFor(`payable ${payable} for affiliate ${affiliateId}`, async () => {
      const b = await balance(programId, affiliateId);
      return { ok: b.pending === 0 && b.approved === 0 && b.payable === payable, b };
    });
  }

  it('refunds prorate the commission and override shares exactly; a full refund reverses unpaid lines', async () => {
    const par = await h.createAffiliate(srv);
    const kid = await h.createAffiliate(srv, { parent_id: par.id });
    const p = await h.createProgram(srv, { commission: { sale: { percent: '10' }, sub_affiliates: ['10'] } });
    // A = 99.99: kid 10 % = 999.9 -> 1000; parent 10 % of 1000 = 100
    const A = 9999;
    const conv = await sale(p, kid, A);
    const id = conv.conversion.id;
    const share = (ls, aff) => sum(ls.filter((l) => l.affiliate_id === aff.id));
    assert.equal(share(conv.commissions, kid), 1000);
    assert.equal(share(conv.commissions, par), 100);
    // R = 33.33: kid 1000 - round(1000 * 3333 / 9999 = 333.33) = 667; parent 100 - round(33.33) = 67
    let r = await refund(id, { amount_minor: 3333 });
    h.expectStatus(r, 200, 'refund 1');
    assert.equal(share(r.json.commissions, kid), 667);
    assert.equal(share(r.json.commissions, par), 67);
    const rev = r.json.commissions.filter((l) => l.kind === 'reversal');
    assert.deepEqual(rev.map((l) => [l.affiliate_id, l.slot, l.amount_minor, l.status]), [[kid.id, 'commission', -333, 'pending'], [par.id, 'override:1', -33, 'pending']]);
    // R = 66.66: kid 1000 - round(666.67) = 333; parent 100 - round(66.67) = 33
    r = await refund(id, { amount_minor: 3333 });
    h.expectStatus(r, 200, 'refund 2');
    assert.equal(share(r.json.commissions, kid), 333);
    assert.equal(share(r.json.commissions, par), 33);
    assert.equal(r.json.conversion.status, 'pending');
    // the rest: both shares 0, the conversion and all its lines reversed
    r = await refund(id, {});
    h.expectStatus(r, 200, 'refund 3');
    assert.equal(r.json.conversion.status, 'reversed');
    assert.equal(r.json.conversion.refunded_minor, A);
    assert.equal(share(r.json.commissions, kid), 0);
    assert.equal(share(r.json.commissions, par), 0);
    assert.equal(r.json.commissions.length, 2 + 2 * 3);
    assert.deepEqual([...new Set(r.json.commissions.map((l) => l.status))], ['reversed'], 'every line of the unpaid shares is reversed');
    assert.deepEqual(await balance(p.id, kid.id), bal(0, 0, 0, 0, 0));
    assert.deepEqual(await balance(p.id, par.id), bal(0, 0, 0, 0, 0));

    // A partial refund does not take a bonus back.
    const b = await h.createAffiliate(srv);
    const pb = await h.createProgram(srv, { commission: { sale: { percent: '10' }, bonuses: [{ name: 'one', event: 'sale', conversions: 1, flat_minor: 500 }] } });
    const cb = await sale(pb, b, 10000); // 1000 + bonus 500
    assert.equal(sum(cb.commissions), 1500);
    const rb = await refund(cb.conversion.id, { amount_minor: 2500 }); // commission 1000 - 250 = 750
    h.expectStatus(rb, 200);
    assert.equal(sum(rb.json.commissions.filter((l) => l.slot === 'commission')), 750);
    assert.deepEqual(rb.json.commissions.filter((l) => l.slot === 'bonus:one').map((l) => [l.amount_minor, l.status]), [[500, 'pending']], 'the bonus stays');
    assert.deepEqual(await balance(pb.id, b.id), bal(1250, 0, 0, 0, 0));
  });

  // docs/commissions.md 1.2: a refund does not take a bonus back, not even a full one.
  it('a full refund of an unpaid conversion does not take its bonus back', async () => {
    const b = await h.createAffiliate(srv);
    const pb = await h.createProgram(srv, { commission: { sale: { percent: '10' }, bonuses: [{ name: 'one', event: 'sale', conversions: 1, flat_minor: 500 }] } });
    const cb = await sale(pb, b, 10000); // 1000 + bonus 500
    const rb = await refund(cb.conversion.id, {});
    h.expectStatus(rb, 200);
    assert.equal(rb.json.conversion.status, 'reversed');
    assert.equal(sum(rb.json.commissions.filter((l) => l.slot === 'commission')), 0);
    assert.deepEqual(rb.json.commissions.filter((l) => l.slot === 'bonus:one').map((l) => [l.amount_minor, l.status]), [[500, 'pending']], 'the bonus stays owed');
    assert.deepEqual(await balance(pb.id, b.id), bal(500, 0, 0, 0, 0));
  });

  it('the worked example of docs/commissions.md 1.3: retroactive tier, override, bonus, payout, clawback', async () => {
    const P = await h.createAffiliate(srv);
    const C = await h.createAffiliate(srv, { parent_id: P.id });
    const prog = await h.createProgram(srv, {
      hold_days: 0,
      commission: { sale: { percent: '10', tiers: { retroactive: true, levels: [{ min: 2, percent: '20' }] } }, sub_affiliates: ['10'], bonuses: [{ name: 'two', event: 'sale', conversions: 2, flat_minor: 500 }] },
    });
    const who = (l) => (l.affiliate_id === C.id ? 'C' : l.affiliate_id === P.id ? 'P' : String(l.affiliate_id));
    const s1 = await sale(prog, C, 10000);
    assert.deepEqual(s1.commissions.map((l) => [who(l), l.kind, l.rule, l.amount_minor]), [['C', 'commission', 'sale:percent', 1000], ['P', 'override', 'sub_affiliates:1', 100]]);
    const s2 = await sale(prog, C, 10000);
    // sale 2: C 20 % = 2000, P 200, bonus 500; sale 1: C tier_adjust +1000, P override +100
    assert.deepEqual(s2.commissions.map((l) => [who(l), l.kind, l.amount_minor]).sort(), [['C', 'bonus', 500], ['C', 'commission', 2000], ['P', 'override', 200]].sort());
    assert.equal(s2.commissions.find((l) => l.kind === 'commission').rule, 'sale:tier:1');
    const l1 = await lines(`conversion_id=${s1.conversion.id}`);
    assert.deepEqual(l1.map((l) => [who(l), l.kind, l.slot, l.amount_minor]), [['C', 'commission', 'commission', 1000], ['P', 'override', 'override:1', 100], ['C', 'tier_adjust', 'commission', 1000], ['P', 'override', 'override:1', 100]]);

    await waitPayable(prog.id, C.id, 4500);
    await waitPayable(prog.id, P.id, 400);
    const r1 = await run(prog.id);
    const pay = (j, aff) => j.payouts.filter((x) => x.affiliate_id === aff.id).map((x) => x.amount_minor);
    assert.deepEqual(pay(r1, C), [4500]);
    assert.deepEqual(pay(r1, P), [400]);
    for (const x of r1.payouts) h.expectStatus(await srv.api('POST', `/v1/payouts/${x.id}/paid`, { body: { reference: `bank-${x.id}` } }), 200);
    assert.deepEqual(await balance(prog.id, C.id), bal(0, 0, 0, 0, 4500));
    assert.deepEqual(await balance(prog.id, P.id), bal(0, 0, 0, 0, 400));

    // refund half of sale 2: C reversal -1000 (2000 * 1/2), P reversal -100, both approved; the bonus stays
    const rf = await refund(s2.conversion.id, { amount_minor: 5000 });
    h.expectStatus(rf, 200, 'refund half of sale 2');
    const rev = rf.json.commissions.filter((l) => l.kind === 'reversal');
    assert.deepEqual(rev.map((l) => [who(l), l.amount_minor, l.status]).sort(), [['C', -1000, 'approved'], ['P', -100, 'approved']]);
    for (const l of rf.json.commissions.filter((x) => x.kind !== 'reversal')) assert.equal(l.status, 'paid', 'paid lines stay paid');
    await waitPayable(prog.id, C.id, -1000);
    await waitPayable(prog.id, P.id, -100);
    // next run: no payout while the balance is negative
    const r2 = await run(prog.id);
    assert.deepEqual(pay(r2, C), []);
    assert.deepEqual(pay(r2, P), []);
    assert.deepEqual(await balance(prog.id, C.id), bal(0, 0, -1000, 0, 4500));
    assert.deepEqual(await balance(prog.id, P.id), bal(0, 0, -100, 0, 400));

    // new commission: sale 3 at tier 1 (20 % of 100.00 = 2000), P 200
    // payout = new - clawback: C 2000 - 1000 = 1000, P 200 - 100 = 100
    await sale(prog, C, 10000);
    await waitPayable(prog.id, C.id, 1000);
    await waitPayable(prog.id, P.id, 100);
    const r3 = await run(prog.id);
    assert.deepEqual(pay(r3, C), [1000]);
    assert.deepEqual(pay(r3, P), [100]);
    const cp = r3.payouts.find((x) => x.affiliate_id === C.id);
    const cl = await lines(`payout_id=${cp.id}`);
    assert.deepEqual(cl.map((l) => [l.kind, l.amount_minor, l.status]), [['reversal', -1000, 'in_payout'], ['commission', 2000, 'in_payout']]);
    assert.equal(cp.lines, 2);
    assert.deepEqual(await balance(prog.id, C.id), bal(0, 0, 0, 1000, 4500));
  });

  describe('runs and settlement', () => {
    let prog; let X; let Y; let Z; let xs; let ys;
    before(async () => {
      X = await h.createAffiliate(srv, { payout_method: 'paypal', payout_account: `pp-${h.uniq()}@example.net` });
      Y = await h.createAffiliate(srv, { payout_method: 'bank', payout_account: 'DE89370400440532013000' });
      Z = await h.createAffiliate(srv, { name: '=HYPERLINK("http://evil.example/x","click")' });
      prog = await h.createProgram(srv, { hold_days: 0, min_payout_minor: 1000, commission: { sale: { percent: '10' } } });
      // X: 10 % of 100.00 + 10 % of 50.00 = 1500; Y: 10 % of 50.00 = 500 (below the minimum)
      // Z: 10 % of 123.45 = 1234.5 -> 1235
      xs = [await sale(prog, X, 10000), await sale(prog, X, 5000)];
      ys = [await sale(prog, Y, 5000)];
      await sale(prog, Z, 12345);
      await waitPayable(prog.id, X.id, 1500);
      await waitPayable(prog.id, Y.id, 500);
      await waitPayable(prog.id, Z.id, 1235);
    });

    let r1; let px; let pz;
    it('run: one payout per affiliate at or above min_payout_minor; lines in_payout; amount == sum of lines', async () => {
      r1 = await run(prog.id);
      assert.equal(r1.run.cause, 'api');
      assert.match(r1.run.created_at, h.ISO_TIME_RE);
      assert.deepEqual(r1.payouts.map((x) => [x.affiliate_id, x.amount_minor, x.amount, x.currency, x.status, x.lines, x.reference]).sort(),
        [[X.id, 1500, '15.00', 'USD', 'pending', 2, null], [Z.id, 1235, '12.35', 'USD', 'pending', 1, null]].sort());
      px = r1.payouts.find((x) => x.affiliate_id === X.id);
      pz = r1.payouts.find((x) => x.affiliate_id === Z.id);
      for (const x of r1.payouts) {
        assert.equal(x.program_id, prog.id);
        assert.equal(x.run_id, r1.run.id);
        const ls = await lines(`payout_id=${x.id}`);
        assert.equal(sum(ls), x.amount_minor, 'payout amount == sum of its lines');
        assert.equal(ls.length, x.lines);
        for (const l of ls) {
          assert.equal(l.status, 'in_payout');
          assert.equal(l.payout_id, x.id);
          assert.equal(l.affiliate_id, x.affiliate_id);
        }
      }
      assert.deepEqual((await lines(`payout_id=${px.id}`)).map((l) => l.conversion_id), xs.map((s) => s.conversion.id));
      // Y stays payable below the minimum
      assert.deepEqual(await balance(prog.id, Y.id), bal(0, 0, 500, 0, 0));
      assert.deepEqual(await balance(prog.id, X.id), bal(0, 0, 0, 1500, 0));
      assert.deepEqual((await lines(`conversion_id=${ys[0].conversion.id}`)).map((l) => [l.status, l.payout_id]), [['payable', null]]);
      // GET /v1/payouts/{id} and the list filters
      const g = await srv.api('GET', `/v1/payouts/${px.id}`);
      h.expectStatus(g, 200);
      const got = g.json.payout || g.json;
      for (const k of ['id', 'affiliate_id', 'program_id', 'run_id', 'amount_minor', 'amount', 'currency', 'status', 'lines']) assert.deepEqual(got[k], px[k], k);
      const byRun = await h.listAll(srv, `/v1/payouts?run_id=${r1.run.id}`);
      assert.deepEqual(byRun.map((x) => x.id).sort((a, b) => a - b), r1.payouts.map((x) => x.id).sort((a, b) => a - b));
      const byAff = await h.listAll(srv, `/v1/payouts?affiliate_id=${X.id}&program_id=${prog.id}`);
      assert.deepEqual(byAff.map((x) => x.id), [px.id]);
      const runs = await h.listAll(srv, `/v1/payout-runs?program_id=${prog.id}`);
      assert.ok(runs.some((x) => x.id === r1.run.id && x.payouts === 2), 'the run is listed');
      h.expectError(await srv.api('GET', '/v1/payouts/987654321'), 404, 'not_found');
      // a second run finds nothing to pay; it is recorded with payouts: 0
      const r0 = await run(prog.id);
      assert.equal(r0.run.payouts, 0);
      assert.deepEqual(r0.payouts, []);
    });

    it('a conversion whose lines are in a payout or paid cannot be rejected (409)', async () => {
      const r = await srv.api('POST', `/v1/conversions/${xs[0].conversion.id}/reject`, { body: { reason: 'late' } });
      h.expectError(r, 409, 'conflict', undefined, 'reject while in_payout');
      assert.equal((await lines(`conversion_id=${xs[0].conversion.id}`))[0].status, 'in_payout', 'nothing changed');
    });

    it('exports: csv (header, decimals, injection-safe), paypal (payout_account), json', async () => {
      const ex = (f) => srv.api('GET', `/v1/payout-runs/${r1.run.id}/export?format=${f}`);
      const csv = await ex('csv');
      h.expectStatus(csv, 200, 'csv export');
      assert.match(csv.headers.get('content-type'), /^text\/csv/);
      const rows = parseCsv(csv.text);
      assert.deepEqual(rows[0], ['payout_id', 'affiliate_id', 'name', 'email', 'payout_method', 'payout_account', 'amount', 'currency', 'status', 'reference']);
      assert.equal(rows.length, 3, `header + 2 rows: ${csv.text}`);
      const byId = Object.fromEntries(rows.slice(1).map((r) => [r[0], r]));
      assert.deepEqual(byId[String(px.id)], [String(px.id), String(X.id), X.name, X.email, 'paypal', X.payout_account, '15.00', 'USD', 'pending', '']);
      const zr = byId[String(pz.id)];
      assert.equal(zr[2], `'${Z.name}`, 'a name starting with = gets a leading \'');
      assert.deepEqual([zr[1], zr[3], zr[6], zr[7], zr[8]], [String(Z.id), Z.email, '12.35', 'USD', 'pending']);
      assert.ok(!/(^|,)=HYPERLINK/.test(csv.text), 'no cell starts with =');

      const pp = await ex('paypal');
      h.expectStatus(pp, 200, 'paypal export');
      const prow = parseCsv(pp.text);
      assert.equal(prow.length, 2, `no header, 2 rows: ${pp.text}`);
      const pById = Object.fromEntries(prow.map((r) => [r[3], r]));
      assert.deepEqual(pById[String(px.id)].slice(0, 4), [X.payout_account, '15.00', 'USD', String(px.id)], 'receiver is payout_account');
      assert.deepEqual(pById[String(pz.id)].slice(0, 4), [Z.email, '12.35', 'USD', String(pz.id)], 'receiver falls back to the email');
      for (const r of prow) {
        assert.equal(r.length, 5, 'receiver, amount, currency, id, note');
        assert.ok(r[4].length > 0, 'a note');
      }

      const js = await ex('json');
      h.expectStatus(js, 200, 'json export');
      assert.ok(Array.isArray(js.json), 'an array');
      const jx = js.json.find((x) => x.payout_id === px.id);
      assert.ok(jx, 'X in the json export');
      assert.deepEqual([jx.affiliate_id, jx.name, jx.email, jx.payout_method, jx.payout_account, jx.amount, jx.currency, jx.status], [X.id, X.name, X.email, 'paypal', X.payout_account, '15.00', 'USD', 'pending']);
      assert.equal(js.json.length, 2);

      h.expectError(await ex('xlsx'), 422, 'invalid_argument', 'format');
      h.expectError(await srv.api('GET', '/v1/payout-runs/987654321/export?format=csv'), 404, 'not_found');
    });

    it('paid with a reference: lines paid; marking again 409', async () => {
      const r = await srv.api('POST', `/v1/payouts/${px.id}/paid`, { body: { reference: 'PP-BATCH-77' } });
      h.expectStatus(r, 200, 'paid');
      const got = r.json.payout || r.json;
      assert.equal(got.status, 'paid');
      assert.equal(got.reference, 'PP-BATCH-77');
      const ls = await lines(`payout_id=${px.id}`);
      assert.deepEqual(ls.map((l) => l.status), ['paid', 'paid']);
      h.expectError(await srv.api('POST', `/v1/payouts/${px.id}/paid`, { body: { reference: 'again' } }), 409, 'conflict');
      h.expectError(await srv.api('POST', `/v1/payouts/${px.id}/failed`, { body: { reason: 'late' } }), 409, 'conflict');
      h.expectError(await srv.api('POST', '/v1/payouts/987654321/paid', { body: {} }), 404, 'not_found');
      assert.deepEqual(await balance(prog.id, X.id), bal(0, 0, 0, 0, 1500));
      // the export shows the new status and reference
      const csv = parseCsv((await srv.api('GET', `/v1/payout-runs/${r1.run.id}/export?format=csv`)).text);
      const row = csv.find((x) => x[0] === String(px.id));
      assert.deepEqual([row[8], row[9]], ['paid', 'PP-BATCH-77']);
      // and a paid conversion cannot be rejected
      h.expectError(await srv.api('POST', `/v1/conversions/${xs[1].conversion.id}/reject`, { body: { reason: 'late' } }), 409, 'conflict');
    });

    it('failed: lines back to payable; the next run pays them', async () => {
      // Y earns 10 % of 60.00 = 600 more: 1100 >= 1000
      const y2 = await sale(prog, Y, 6000);
      await waitPayable(prog.id, Y.id, 1100);
      const r2 = await run(prog.id);
      assert.deepEqual(r2.payouts.map((x) => [x.affiliate_id, x.amount_minor, x.lines]), [[Y.id, 1100, 2]]);
      const py = r2.payouts[0];
      const f = await srv.api('POST', `/v1/payouts/${pz.id}/failed`, { body: { reason: 'account closed' } });
      h.expectStatus(f, 200, 'failed');
      assert.equal((f.json.payout || f.json).status, 'failed');
      const zl = await lines(`affiliate_id=${Z.id}&program_id=${prog.id}`);
      assert.deepEqual(zl.map((l) => [l.status, l.payout_id]), [['payable', null]]);
      assert.deepEqual(await balance(prog.id, Z.id), bal(0, 0, 1235, 0, 0));
      h.expectError(await srv.api('POST', `/v1/payouts/${pz.id}/failed`, { body: {} }), 409, 'conflict', undefined, 'failed twice');
      h.expectError(await srv.api('POST', `/v1/payouts/${pz.id}/paid`, { body: {} }), 409, 'conflict', undefined, 'paid after failed');
      // the next run pays Z again (Y's payout is still pending: its lines are in_payout)
      const r3 = await run(prog.id);
      assert.deepEqual(r3.payouts.map((x) => [x.affiliate_id, x.amount_minor, x.lines]), [[Z.id, 1235, 1]]);
      assert.notEqual(r3.payouts[0].id, pz.id);
      assert.deepEqual((await lines(`payout_id=${r3.payouts[0].id}`)).map((l) => l.id), zl.map((l) => l.id));
      h.expectStatus(await srv.api('POST', `/v1/payouts/${py.id}/paid`, { body: {} }), 200);
      assert.deepEqual((await lines(`conversion_id=${y2.conversion.id}`)).map((l) => l.status), ['paid']);
      const failedList = await h.listAll(srv, `/v1/payouts?program_id=${prog.id}&status=failed`);
      assert.deepEqual(failedList.map((x) => x.id), [pz.id]);
    });
  });

  it('min_payout_minor: a balance equal to the minimum is paid, one minor unit less waits', async () => {
    const W = await h.createAffiliate(srv);
    const V = await h.createAffiliate(srv);
    const p = await h.createProgram(srv, { hold_days: 0, min_payout_minor: 1000, commission: { sale: { flat_minor: 1000 }, lead: { flat_minor: 999 } } });
    await sale(p, W, 5000); // 1000 == min
    await sale(p, V, 5000, { event: 'lead' }); // 999 < min
    await waitPayable(p.id, W.id, 1000);
    await waitPayable(p.id, V.id, 999);
    const r = await run(p.id);
    assert.deepEqual(r.payouts.map((x) => [x.affiliate_id, x.amount_minor]), [[W.id, 1000]]);
    assert.deepEqual(await balance(p.id, V.id), bal(0, 0, 999, 0, 0));
    // PATCH the minimum down: V is paid by the next run
    h.expectStatus(await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { min_payout_minor: 999 } }), 200);
    assert.deepEqual((await run(p.id)).payouts.map((x) => [x.affiliate_id, x.amount_minor]), [[V.id, 999]]);
    h.expectError(await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { min_payout_minor: -1 } }), 422, 'invalid_argument', 'min_payout_minor');
  });

  it('refund after payment: the reversal flows into the next payout', async () => {
    const A = await h.createAffiliate(srv);
    const p = await h.createProgram(srv, { hold_days: 0, commission: { sale: { percent: '10' } } });
    const s = await sale(p, A, 20000); // 2000
    await waitPayable(p.id, A.id, 2000);
    const r1 = await run(p.id);
    h.expectStatus(await srv.api('POST', `/v1/payouts/${r1.payouts[0].id}/paid`, { body: { reference: 'r1' } }), 200);
    // full refund of a paid conversion: the commission line stays paid, reversal -2000 approved
    const rf = await refund(s.conversion.id, {});
    h.expectStatus(rf, 200);
    assert.equal(rf.json.conversion.status, 'reversed');
    assert.deepEqual(rf.json.commissions.map((l) => [l.kind, l.amount_minor, l.status]), [['commission', 2000, 'paid'], ['reversal', -2000, 'approved']]);
    await waitPayable(p.id, A.id, -2000);
    // 10 % of 150.00 = 1500: still -500, no payout
    await sale(p, A, 15000);
    await waitPayable(p.id, A.id, -500);
    assert.deepEqual((await run(p.id)).payouts, []);
    // 10 % of 80.00 = 800: 300 payable -> payout 300 = 1500 + 800 - 2000
    await sale(p, A, 8000);
    await waitPayable(p.id, A.id, 300);
    const r3 = await run(p.id);
    assert.deepEqual(r3.payouts.map((x) => [x.affiliate_id, x.amount_minor, x.lines]), [[A.id, 300, 3]]);
    assert.equal(sum(await lines(`payout_id=${r3.payouts[0].id}`)), 300);
  });

  it('retroactive tier after payment: adjustments flow into the next payout; a full refund reverses only the unpaid share', async () => {
    const par = await h.createAffiliate(srv);
    const kid = await h.createAffiliate(srv, { parent_id: par.id });
    const p = await h.createProgram(srv, { commission: { sale: { percent: '10', tiers: { retroactive: true, levels: [{ min: 4, percent: '20' }] } }, sub_affiliates: ['10'] } });
    // three sales of 100.00: kid 1000, parent 100 each
    const s1 = await sale(p, kid, 10000);
    const s2 = await sale(p, kid, 10000);
    const s3 = await sale(p, kid, 10000);
    await approve(s1.conversion.id);
    await waitFor('s1 payable', async () => {
      const k = await balance(p.id, kid.id);
      const q = await balance(p.id, par.id);
      return { ok: k.payable === 1000 && q.payable === 100, k, q };
    });
    const r1 = await run(p.id);
    assert.deepEqual(r1.payouts.map((x) => [x.affiliate_id, x.amount_minor]).sort((a, b) => a[0] - b[0]), [[par.id, 100], [kid.id, 1000]].sort((a, b) => a[0] - b[0]));
    // the kid is paid, the parent's payout fails (its line goes back to payable)
    for (const x of r1.payouts) h.expectStatus(await srv.api('POST', `/v1/payouts/${x.id}/${x.affiliate_id === kid.id ? 'paid' : 'failed'}`, { body: {} }), 200);
    h.expectStatus(await srv.api('POST', `/v1/conversions/${s2.conversion.id}/reject`, { body: { reason: 'fraud' } }), 200);
    h.expectStatus(await refund(s3.conversion.id, {}), 200);
    // sale 4 reaches 20 %: kid 2000, parent 200; s1 (approved, paid) gets +1000 and +100, approved;
    // s2 (rejected) and s3 (fully refunded) get nothing
    const s4 = await sale(p, kid, 10000);
    assert.deepEqual(s4.commissions.map((l) => [l.affiliate_id, l.rule, l.amount_minor]), [[kid.id, 'sale:tier:1', 2000], [par.id, 'sub_affiliates:1', 200]]);
    const l1 = await lines(`conversion_id=${s1.conversion.id}`);
    assert.deepEqual(l1.map((l) => [l.affiliate_id, l.kind, l.amount_minor, l.status === 'payable' ? 'approved' : l.status]),
      [[kid.id, 'commission', 1000, 'paid'], [par.id, 'override', 100, 'approved'], [kid.id, 'tier_adjust', 1000, 'approved'], [par.id, 'override', 100, 'approved']]);
    assert.equal((await lines(`conversion_id=${s2.conversion.id}`)).length, 2);
    assert.equal((await lines(`conversion_id=${s3.conversion.id}`)).length, 4);
    await waitFor('adjustments payable', async () => {
      const k = await balance(p.id, kid.id);
      const q = await balance(p.id, par.id);
      return { ok: k.payable === 1000 && q.payable === 200, k, q };
    });
    assert.deepEqual(await balance(p.id, kid.id), bal(2000, 0, 1000, 0, 1000));
    // full refund of s1: the kid's share was paid: reversal -2000 approved (1000 paid + 1000 adjust);
    // the parent's share never got paid: all its lines become reversed
    const rf = await refund(s1.conversion.id, {});
    h.expectStatus(rf, 200);
    const kidRev = rf.json.commissions.filter((l) => l.affiliate_id === kid.id && l.kind === 'reversal');
    assert.deepEqual(kidRev.map((l) => [l.amount_minor, l.status]), [[-2000, 'approved']]);
    const parLines = rf.json.commissions.filter((l) => l.affiliate_id === par.id);
    assert.equal(sum(parLines), 0);
    assert.ok(parLines.every((l) => l.status === 'reversed'), `parent lines reversed: ${JSON.stringify(parLines.map((l) => l.status))}`);
    await waitPayable2(p.id, kid.id, -1000, 2000);
    assert.deepEqual(await balance(p.id, par.id), bal(200, 0, 0, 0, 0));
    // approve sale 4: kid -1000 + 2000 = 1000; parent 200
    await approve(s4.conversion.id);
    await waitPayable(p.id, kid.id, 1000);
    await waitPayable(p.id, par.id, 200);
    const r2 = await run(p.id);
    assert.deepEqual(r2.payouts.map((x) => [x.affiliate_id, x.amount_minor]).sort((a, b) => a[0] - b[0]), [[par.id, 200], [kid.id, 1000]].sort((a, b) => a[0] - b[0]));
    const kp = r2.payouts.find((x) => x.affiliate_id === kid.id);
    assert.deepEqual((await lines(`payout_id=${kp.id}`)).map((l) => [l.kind, l.amount_minor]), [['commission', 2000], ['tier_adjust', 1000], ['reversal', -2000]]);
  });

  it('payout_schedule weekly: the writer runs it once per ISO week', async () => {
    const A = await h.createAffiliate(srv);
    const p = await h.createProgram(srv, { hold_days: 0, commission: { sale: { percent: '10' } } });
    await sale(p, A, 10000); // 1000
    await waitPayable(p.id, A.id, 1000);
    assert.deepEqual(await h.listAll(srv, `/v1/payout-runs?program_id=${p.id}`), [], 'manual: no run');
    h.expectStatus(await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { payout_schedule: 'weekly' } }), 200);
    const st = await waitFor('a scheduled run', async () => {
      const runs = await h.listAll(srv, `/v1/payout-runs?program_id=${p.id}`);
      return { ok: runs.length > 0, runs };
    });
    assert.equal(st.runs.length, 1);
    assert.notEqual(st.runs[0].cause, 'api');
    assert.equal(st.runs[0].payouts, 1);
    const ps = await h.listAll(srv, `/v1/payouts?run_id=${st.runs[0].id}`);
    assert.deepEqual(ps.map((x) => [x.affiliate_id, x.amount_minor]), [[A.id, 1000]]);
    // more commission this week waits for next week's run
    await sale(p, A, 5000);
    await waitPayable(p.id, A.id, 500);
    await sleep(500);
    assert.equal((await h.listAll(srv, `/v1/payout-runs?program_id=${p.id}`)).length, 1, 'one run per week');
    h.expectError(await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { payout_schedule: 'daily' } }), 422, 'invalid_argument', 'payout_schedule');
  });

  it('exports: every formula prefix (= + - @) is neutralised; KWD amounts have 3 decimals', async () => {
    const p = await h.createProgram(srv, { currency: 'KWD', hold_days: 0, commission: { sale: { percent: '10' } } });
    const affs = [];
    for (const name of ['+SUM(A1)', '-2+3', '@cmd', '=1+1']) {
      affs.push(await h.createAffiliate(srv, { name, payout_method: 'other', ...(name.startsWith('=') ? { payout_account: '=acct@example.net' } : {}) }));
    }
    // 10 % of 12.345 KWD = 1.2345 -> 1.235 (1235 fils)
    for (const a of affs) await sale(p, a, 12345, { currency: 'KWD' });
    for (const a of affs) await waitPayable(p.id, a.id, 1235);
    const r = await run(p.id);
    assert.ok(r.payouts.every((x) => x.amount === '1.235' && x.currency === 'KWD'));
    const csv = parseCsv((await srv.api('GET', `/v1/payout-runs/${r.run.id}/export?format=csv`)).text);
    for (const a of affs) {
      const row = csv.find((x) => x[1] === String(a.id));
      assert.equal(row[2], `'${a.name}`, `name ${a.name}`);
      assert.equal(row[6], '1.235');
      if (a.payout_account) assert.equal(row[5], "'=acct@example.net");
    }
    const pp = parseCsv((await srv.api('GET', `/v1/payout-runs/${r.run.id}/export?format=paypal`)).text);
    assert.equal(pp.length, 4);
    const eq = affs[3];
    const prow = pp.find((x) => x[3] === String(r.payouts.find((y) => y.affiliate_id === eq.id).id));
    assert.deepEqual(prow.slice(0, 3), ["'=acct@example.net", '1.235', 'KWD']);
    const js = (await srv.api('GET', `/v1/payout-runs/${r.run.id}/export?format=json`)).json;
    assert.deepEqual(js.map((x) => x.amount).sort(), ['1.235', '1.235', '1.235', '1.235']);
  });

  it('afftrack payout run --data DIR --format paypal --out FILE', async () => {
    const { spawnSync } = require('node:child_process');
    const path = require('node:path');
    const fs = require('node:fs');
    const s2 = await h.startServer({ args: ['--maintenance-interval-ms', '100'] });
    try {
      const A = await h.createAffiliate(s2, { payout_account: 'cli@example.net' });
      const p = await h.createProgram(s2, { commission: { sale: { percent: '10' } } });
      const l = await h.createLink(s2, p.id, A.id);
      const c = await h.clickOk(s2, l.code);
      await h.convOk(s2, { program_id: p.id, order_id: h.uniq('O'), amount_minor: 10000, click_id: c.clickId, status: 'approved' }); // 1000
      await s2.stop();
      const out = path.join(s2.dataDir, 'payouts.csv');
      const r = spawnSync(h.BIN, ['payout', 'run', '--data', s2.dataDir, '--format', 'paypal', '--out', out], { encoding: 'utf8', timeout: 30000 });
      assert.equal(r.status, 0, `payout run exit 0: ${r.stdout} ${r.stderr}`);
      const rows = parseCsv(fs.readFileSync(out, 'utf8'));
      assert.deepEqual(rows.map((x) => x.slice(0, 3)), [['cli@example.net', '10.00', 'USD']]);
      const v = h.runVerify(s2.dataDir);
      assert.equal(v.status, 0, v.stdout);
    } finally {
      await s2.cleanup();
    }
  });

  it('balances by status (admin and /v1/me/balance); /v1/me/* shows only its own lines and payouts', async () => {
    const A = await h.createAffiliate(srv);
    const B = await h.createAffiliate(srv);
    const p = await h.createProgram(srv, { commission: { sale: { percent: '10' } } }); // hold 30 days
    const a1 = await sale(p, A, 10000); // 1000
    await approve(a1.conversion.id);
    await waitPayable(p.id, A.id, 1000);
    const r1 = await run(p.id);
    h.expectStatus(await srv.api('POST', `/v1/payouts/${r1.payouts[0].id}/paid`, { body: {} }), 200); // paid 1000
    const a2 = await sale(p, A, 20000); // 2000
    await approve(a2.conversion.id);
    await waitPayable(p.id, A.id, 2000);
    const r2 = await run(p.id); // in_payout 2000
    const a3 = await sale(p, A, 30000); // 3000
    await approve(a3.conversion.id);
    await waitPayable(p.id, A.id, 3000); // payable 3000
    await sale(p, A, 40000); // pending 4000
    const a5 = await sale(p, A, 50000); // pending 5000
    const b1 = await sale(p, B, 7000); // B: pending 700
    assert.deepEqual(await balance(p.id, A.id), bal(9000, 0, 3000, 2000, 1000));

    const me = await srv.api('GET', '/v1/me/balance', { key: A.api_key });
    h.expectStatus(me, 200, '/v1/me/balance');
    const mine = me.json.data.filter((x) => x.program_id === p.id);
    assert.deepEqual(mine.map((x) => [x.affiliate_id, x.currency, ...STATUSES.map((k) => x[k])]), [[A.id, 'USD', 9000, 0, 3000, 2000, 1000]]);
    assert.ok(me.json.data.every((x) => x.affiliate_id === A.id), 'only its own balances');
    const all = await srv.api('GET', `/v1/balances?program_id=${p.id}`);
    assert.deepEqual(all.json.data.map((x) => [x.affiliate_id, x.pending_minor]).sort((x, y) => x[0] - y[0]), [[A.id, 9000], [B.id, 700]]);

    // /v1/me/commissions: only its own lines
    const myLines = await lines(`program_id=${p.id}`, A.api_key).catch(() => null);
    const meLines = await h.listAll(srv, '/v1/me/commissions', { key: A.api_key });
    assert.ok(meLines.length >= 5);
    assert.ok(meLines.every((l) => l.affiliate_id === A.id), 'only its own lines');
    assert.ok(!meLines.some((l) => l.conversion_id === b1.conversion.id));
    assert.equal(sum(meLines), 15000);
    assert.equal(myLines, null, 'an affiliate key cannot list admin commissions');
    const bLines = await h.listAll(srv, '/v1/me/commissions', { key: B.api_key });
    assert.deepEqual(bLines.map((l) => [l.conversion_id, l.amount_minor]), [[b1.conversion.id, 700]]);
    // /v1/me/payouts
    const myPayouts = await h.listAll(srv, '/v1/me/payouts', { key: A.api_key });
    assert.deepEqual(myPayouts.map((x) => [x.id, x.amount_minor]), [[r1.payouts[0].id, 1000], [r2.payouts[0].id, 2000]]);
    const own = await srv.api('GET', `/v1/me/payouts/${r2.payouts[0].id}`, { key: A.api_key });
    h.expectStatus(own, 200, 'own payout');
    assert.equal((own.json.payout || own.json).amount_minor, 2000);
    h.expectError(await srv.api('GET', `/v1/me/payouts/${r2.payouts[0].id}`, { key: B.api_key }), 404, 'not_found', undefined, 'another affiliate\'s payout');
    h.expectError(await srv.api('GET', '/v1/me/payouts/987654321', { key: B.api_key }), 404, 'not_found');
    assert.deepEqual(await h.listAll(srv, '/v1/me/payouts', { key: B.api_key }), []);
    // the same filters as the admin lists
    const paidLines = await h.listAll(srv, '/v1/me/commissions?status=paid', { key: A.api_key });
    assert.deepEqual(paidLines.map((l) => [l.conversion_id, l.amount_minor]), [[a1.conversion.id, 1000]]);
    const inPay = await h.listAll(srv, `/v1/me/commissions?payout_id=${r2.payouts[0].id}`, { key: A.api_key });
    assert.deepEqual(inPay.map((l) => [l.conversion_id, l.status]), [[a2.conversion.id, 'in_payout']]);
    assert.deepEqual(await h.listAll(srv, `/v1/me/commissions?payout_id=${r2.payouts[0].id}`, { key: B.api_key }), [], 'B sees none of A\'s payout lines');
    const pendingPayouts = await h.listAll(srv, '/v1/me/payouts?status=pending', { key: A.api_key });
    assert.deepEqual(pendingPayouts.map((x) => x.id), [r2.payouts[0].id]);
    h.expectError(await srv.api('GET', '/v1/balances', { key: A.api_key }), 403, 'forbidden');
    h.expectError(await srv.api('POST', '/v1/payouts/run', { body: { program_id: p.id }, key: A.api_key }), 403, 'forbidden');

    // suspended: an approved line stays approved
    h.expectStatus(await srv.api('PATCH', `/v1/affiliates/${A.id}`, { body: { status: 'suspended' } }), 200);
    await approve(a5.conversion.id);
    await sleep(500);
    assert.deepEqual(await balance(p.id, A.id), bal(4000, 5000, 3000, 2000, 1000));
  });

  it('concurrency: parallel refunds, runs, settlements and tier-crossing sales stay exact', async () => {
    const A = await h.createAffiliate(srv);
    const p = await h.createProgram(srv, { hold_days: 0, commission: { sale: { percent: '10' } } });
    // 10 parallel refunds of 10.00 on a 50.00 sale: exactly 5 succeed, then 409 (fully refunded)
    const s = await sale(p, A, 5000); // 500
    const rs = await Promise.all(Array.from({ length: 10 }, () => refund(s.conversion.id, { amount_minor: 1000 })));
    assert.deepEqual(rs.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 409, 409, 409, 409, 409]);
    const ls = await lines(`conversion_id=${s.conversion.id}`);
    assert.deepEqual(ls.map((l) => l.amount_minor), [500, -100, -100, -100, -100, -100]);
    // 5 parallel runs: one payout of 5 x 10 % of 100.00 = 5000
    for (let i = 0; i < 5; i++) await sale(p, A, 10000);
    await waitPayable(p.id, A.id, 5000);
    const runs = await Promise.all(Array.from({ length: 5 }, () => srv.api('POST', '/v1/payouts/run', { body: { program_id: p.id } })));
    for (const r of runs) h.expectStatus(r, 201);
    const pays = runs.flatMap((r) => r.json.payouts);
    assert.deepEqual(pays.map((x) => x.amount_minor), [5000]);
    // paid and failed at once: one wins, the other is 409
    const m = await Promise.all([srv.api('POST', `/v1/payouts/${pays[0].id}/paid`, { body: {} }), srv.api('POST', `/v1/payouts/${pays[0].id}/failed`, { body: {} })]);
    assert.deepEqual(m.map((r) => r.status).sort(), [200, 409]);
    // 12 parallel sales through retroactive levels at 5 and 10: each ends at 30 %
    const B = await h.createAffiliate(srv);
    const pt = await h.createProgram(srv, { commission: { sale: { percent: '10', tiers: { retroactive: true, levels: [{ min: 5, percent: '20' }, { min: 10, percent: '30' }] } } } });
    const l = await linkFor(pt, B);
    const cs = await Promise.all(Array.from({ length: 12 }, async (_, i) => {
      const c = await h.clickOk(srv, l.code);
      return h.convOk(srv, { program_id: pt.id, order_id: h.uniq('T'), amount_minor: 1000 + i, click_id: c.clickId });
    }));
    const all = await lines(`program_id=${pt.id}`);
    for (const c of cs) {
      const got = sum(all.filter((x) => x.conversion_id === c.conversion.id));
      assert.equal(got, h.percentOf(c.conversion.amount_minor, '30'), `30 % of ${c.conversion.amount_minor}`);
    }
  });

  it('afftrack verify reports ok', async () => {
    const v = h.runVerify(srv.dataDir);
    assert.equal(v.status, 0, `verify exit 0: ${v.stdout} ${v.stderr}`);
    assert.equal(v.json.ok, true);
    assert.deepEqual(v.json.problems, []);
  });
});
