'use strict';
// GET /v1/reports: every group_by, totals, filters, the cr/epc/aov formulas recomputed
// here from what the test sent, CSV, parameter validation.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

// (overrides_minor, override_income_minor: 0 here, no sub-affiliates; override_reports.test.js)
const METRICS = ['clicks', 'unique_clicks', 'bot_clicks', 'rejected_clicks', 'conversions', 'revenue_minor', 'refunds_minor', 'commission_minor', 'cr', 'epc_minor', 'aov_minor', 'roi', 'overrides_minor', 'override_income_minor'];
const DIM_COL = { day: 'day', program: 'program_id', affiliate: 'affiliate_id', link: 'link_id' };

function derive(m) {
  const out = { ...m };
  out.cr = m.clicks ? Math.round((m.conversions / m.clicks) * 1e6) / 1e6 : 0;
  out.epc_minor = m.clicks ? h.divRound(m.commission_minor, m.clicks) : 0;
  out.aov_minor = m.conversions ? h.divRound(m.revenue_minor, m.conversions) : 0;
  // (net sales - commission) / commission, 4 decimals; null when no commission was paid
  out.roi = m.commission_minor > 0 ? h.divRound((m.revenue_minor - m.refunds_minor - m.commission_minor) * 10000, m.commission_minor) / 10000 : null;
  return out;
}

function zero() {
  return { clicks: 0, unique_clicks: 0, bot_clicks: 0, rejected_clicks: 0, conversions: 0, revenue_minor: 0, refunds_minor: 0, commission_minor: 0, overrides_minor: 0, override_income_minor: 0 };
}

function checkMetrics(got, want, what) {
  for (const k of METRICS) {
    if (k === 'cr') assert.ok(Math.abs(got.cr - want.cr) < 1e-9, `${what}: cr expected ${want.cr}, got ${got.cr}`);
    else assert.equal(got[k], want[k], `${what}: ${k}`);
  }
}

describe('reports', () => {
  let srv; let p1; let p2; let affA; let affB; let la1; let lb1; let la2; let couponB;
  const events = []; // {program_id, affiliate_id, link_id, clicks, unique_clicks, conversions, revenue_minor, refunds_minor, commission_minor}
  const from = h.utcDay(-1);
  const to = h.utcDay(1);
  let startDay; let endDay;

  function add(link, delta) {
    events.push({ program_id: link.program_id, affiliate_id: link.affiliate_id, link_id: link.link_id, ...zero(), ...delta });
  }

  function model(groupBy, filter = () => true) {
    const rows = new Map();
    const totals = zero();
    for (const e of events.filter(filter)) {
      const key = groupBy.map((d) => (d === 'day' ? startDay : e[DIM_COL[d]])).join('|');
      if (!rows.has(key)) {
        const r = zero();
        for (const d of groupBy) r[DIM_COL[d]] = d === 'day' ? startDay : e[DIM_COL[d]];
        rows.set(key, r);
      }
      const r = rows.get(key);
      for (const k of Object.keys(zero())) { r[k] += e[k]; totals[k] += e[k]; }
    }
    return { rows: [...rows.values()].map(derive), totals: derive(totals) };
  }

  async function report(params, key) {
    const r = await srv.api('GET', `/v1/reports${h.qs({ from, to, ...params })}`, key ? { key } : {});
    h.expectStatus(r, 200, `GET /v1/reports ${JSON.stringify(params)}`);
    assert.ok(Array.isArray(r.json.rows), 'rows array');
    assert.ok(r.json.totals && typeof r.json.totals === 'object', 'totals object');
    return r.json;
  }

  function compare(got, want, groupBy, what) {
    checkMetrics(got.totals, want.totals, `${what} totals`);
    if (groupBy.length === 0) return;
    const cols = groupBy.map((d) => DIM_COL[d]);
    const keyOf = (r) => cols.map((c) => String(r[c] ?? null)).join('|');
    const gotKeys = got.rows.map(keyOf).sort();
    const wantKeys = want.rows.map(keyOf).sort();
    assert.deepEqual(gotKeys, wantKeys, `${what}: row keys`);
    for (const w of want.rows) {
      const g = got.rows.find((r) => keyOf(r) === keyOf(w));
      checkMetrics(g, w, `${what} row ${keyOf(w)}`);
    }
  }

  before(async () => {
    startDay = h.utcDay(0);
    srv = await h.startServer();
    p1 = await h.createProgram(srv, { commission: { sale: { percent: '10' } } });
    p2 = await h.createProgram(srv, { commission: { sale: { flat_minor: 150 } } });
    affA = await h.createAffiliate(srv);
    affB = await h.createAffiliate(srv);
    la1 = await h.createLink(srv, p1.id, affA.id);
    lb1 = await h.createLink(srv, p1.id, affB.id);
    la2 = await h.createLink(srv, p2.id, affA.id);
    couponB = await h.createCoupon(srv, p1.id, affB.id, h.uniq('RB'));
    const L = (l) => ({ program_id: l.program_id, affiliate_id: l.affiliate_id, link_id: l.id });

    // clicks: [link, user agent]
    const clickPlan = [[la1, 'x'], [la1, 'x'], [la1, 'y'], [la1, 'w'], [lb1, 'x'], [lb1, 'z'], [la2, 'x']];
    const seen = new Set();
    const clicks = new Map();
    for (const [l, ua] of clickPlan) {
      const c = await h.clickOk(srv, l.code, { headers: { 'user-agent': `report-ua-${ua}` } });
      const uniqueKey = `${l.id}|${ua}`;
      add(L(l), { clicks: 1, unique_clicks: seen.has(uniqueKey) ? 0 : 1 });
      seen.add(uniqueKey);
      if (!clicks.has(l.id)) clicks.set(l.id, c.clickId);
    }
    // not counted: HEAD, refused deep link, unknown code
    await h.click(srv, la1.code, { method: 'HEAD' });
    await h.click(srv, la1.code, { query: { url: 'https://evil.com/' } });

    const conv = async (l, body, commission, counted = true) => {
      const r = await h.convOk(srv, { program_id: l.program_id, order_id: h.uniq('rep'), click_id: clicks.get(l.id), ...body });
      const sumLines = r.commissions.reduce((s, x) => s + x.amount_minor, 0);
      assert.equal(sumLines, commission, `commission of ${JSON.stringify(body)}`);
      if (counted) add(L(l), { conversions: 1, revenue_minor: body.amount_minor, commission_minor: commission });
      return r;
    };
    const big = await conv(la1, { amount_minor: 4990 }, h.percentOf(4990, '10'));
    const small = await conv(la1, { amount_minor: 1000 }, h.percentOf(1000, '10'));
    await conv(la1, { amount_minor: 2000, status: 'approved' }, h.percentOf(2000, '10'));
    await conv(lb1, { amount_minor: 2500 }, h.percentOf(2500, '10'));
    await conv(la2, { amount_minor: 3000 }, 150);
    await conv(la1, { amount_minor: 9999, test: true }, h.percentOf(9999, '10'), false);
    await conv(lb1, { amount_minor: 7000, status: 'rejected' }, h.percentOf(7000, '10'), false);
    // coupon conversion: no link
    const cr = await h.convOk(srv, { program_id: p1.id, order_id: h.uniq('rep'), amount_minor: 1234, coupon: couponB.code });
    assert.equal(cr.conversion.method, 'coupon');
    add({ program_id: p1.id, affiliate_id: affB.id, link_id: cr.conversion.link_id ?? null }, { conversions: 1, revenue_minor: 1234, commission_minor: h.percentOf(1234, '10') });
    // a replay and a failure change nothing
    const replay = await h.postConversion(srv, { program_id: p1.id, order_id: big.conversion.order_id, amount_minor: 4990 });
    h.expectStatus(replay, 200);
    h.expectError(await h.postConversion(srv, { program_id: p1.id, order_id: h.uniq('rep'), amount_minor: 100 }), 422, 'not_attributed');
    // a refund: refunds_minor and the reversal on the conversion's row
    const rf = await srv.api('POST', `/v1/conversions/${small.conversion.id}/refund`, { body: { amount_minor: 500 } });
    h.expectStatus(rf, 200);
    const C = h.percentOf(1000, '10');
    add(L(la1), { refunds_minor: 500, commission_minor: h.commissionAfterRefund(C, 500, 1000) - C });
    endDay = h.utcDay(0);
  });
  after(async () => { if (srv) await srv.cleanup(); });

  it('totals only (empty group_by)', async () => {
    const got = await report({});
    compare(got, model([]), [], 'totals');
    const got2 = await report({ group_by: '' });
    compare(got2, model([]), [], 'group_by=""');
  });

  for (const gb of [['link'], ['affiliate'], ['program'], ['program', 'affiliate'], ['affiliate', 'program', 'link']]) {
    it(`group_by=${gb.join(',')}`, async () => {
      const got = await report({ group_by: gb.join(',') });
      compare(got, model(gb), gb, `group_by=${gb}`);
      for (const row of got.rows) {
        for (const d of gb) assert.ok(DIM_COL[d] in row, `dimension ${DIM_COL[d]} present`);
        for (const d of ['day', 'program', 'affiliate', 'link']) {
          if (!gb.includes(d)) assert.ok(!(DIM_COL[d] in row), `no ${DIM_COL[d]} column when not grouped`);
        }
        for (const m of METRICS) assert.ok(m in row, `metric ${m} present`);
      }
    });
  }

  it('group_by=day', async () => {
    const got = await report({ group_by: 'day' });
    const want = model([]);
    checkMetrics(got.totals, want.totals, 'day totals');
    for (const r of got.rows) {
      assert.match(r.day, /^\d{4}-\d{2}-\d{2}$/);
      assert.ok(r.day >= from && r.day <= to);
    }
    const sumClicks = got.rows.reduce((s, r) => s + r.clicks, 0);
    assert.equal(sumClicks, want.totals.clicks, 'day rows add up');
    if (startDay === endDay) {
      assert.equal(got.rows.length, 1);
      assert.equal(got.rows[0].day, startDay);
      checkMetrics(got.rows[0], want.totals, 'the only day row');
    }
  });

  it('filters: program_id, affiliate_id, link_id', async () => {
    compare(await report({ program_id: p2.id, group_by: 'link' }), model(['link'], (e) => e.program_id === p2.id), ['link'], 'program_id=p2');
    compare(await report({ affiliate_id: affB.id, group_by: 'program' }), model(['program'], (e) => e.affiliate_id === affB.id), ['program'], 'affiliate_id=B');
    compare(await report({ link_id: la1.id }), model([], (e) => e.link_id === la1.id), [], 'link_id=la1');
    compare(await report({ program_id: p1.id, affiliate_id: affA.id, group_by: 'day' }), model([], (e) => e.program_id === p1.id && e.affiliate_id === affA.id), [], 'p1 + A');
  });

  it('the default range (30 days ending today) includes today', async () => {
    const r = await srv.api('GET', '/v1/reports');
    h.expectStatus(r, 200);
    if (startDay === endDay) checkMetrics(r.json.totals, model([]).totals, 'default range');
  });

  it('a range in the past is empty', async () => {
    const got = await report({ from: '2020-01-01', to: '2020-01-31', group_by: 'link' });
    assert.deepEqual(got.rows, []);
    checkMetrics(got.totals, derive(zero()), 'empty range');
  });

  it('format=csv: header with the same columns, one line per row', async () => {
    const r = await srv.raw('GET', `/v1/reports${h.qs({ from, to, group_by: 'program,link', format: 'csv' })}`, { headers: { authorization: `Bearer ${srv.adminKey}` } });
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers['content-type']), /^text\/csv/);
    const lines = r.text.split(/\r?\n/).filter((l) => l.length > 0);
    assert.deepEqual(lines[0].split(','), ['program_id', 'link_id', ...METRICS]);
    const json = await report({ group_by: 'program,link' });
    assert.equal(lines.length - 1, json.rows.length, 'one line per row, no totals line');
    const want = model(['program', 'link']);
    const keyOf = (pid, lid) => `${pid}|${lid}`;
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      assert.equal(cells.length, 2 + METRICS.length, line);
      const pid = Number(cells[0]);
      const lid = cells[1] === '' || cells[1] === 'null' ? null : Number(cells[1]);
      const w = want.rows.find((x) => keyOf(x.program_id, x.link_id) === keyOf(pid, lid));
      assert.ok(w, `csv row ${line} is expected`);
      const got = {};
      METRICS.forEach((m, i) => { got[m] = m === 'roi' && cells[2 + i] === '' ? null : Number(cells[2 + i]); });
      checkMetrics(got, w, `csv ${line}`);
    }
  });

  it('format=csv keeps the group_by order in its columns', async () => {
    const r = await srv.raw('GET', `/v1/reports${h.qs({ from, to, group_by: 'link,affiliate,day', format: 'csv' })}`, { headers: { authorization: `Bearer ${srv.adminKey}` } });
    assert.equal(r.status, 200, r.text);
    const lines = r.text.split(/\r?\n/).filter((l) => l.length > 0);
    assert.deepEqual(lines[0].split(','), ['link_id', 'affiliate_id', 'day', ...METRICS]);
    const want = model(['link', 'affiliate']);
    if (startDay === endDay) assert.equal(lines.length - 1, want.rows.length);
  });

  it('parameter validation: group_by, dates, range', async () => {
    for (const gb of ['country', 'sub2', 'sub1,link', 'link,sub1', 'foo', 'day,foo', 'Day']) {
      const r = await srv.api('GET', `/v1/reports${h.qs({ from, to, group_by: gb })}`);
      h.expectError(r, 422, 'invalid_argument', 'group_by', `group_by=${gb}`);
    }
    h.expectError(await srv.api('GET', `/v1/reports${h.qs({ from: to, to: from })}`), 422, 'invalid_argument', undefined, 'from > to');
    h.expectError(await srv.api('GET', '/v1/reports?from=2000-01-01&to=2100-01-01'), 422, 'invalid_argument', undefined, 'range over 3660 days');
    h.expectStatus(await srv.api('GET', '/v1/reports?from=2020-01-01&to=2030-01-07'), 200, '3659-day range is fine');
    h.expectError(await srv.api('GET', `/v1/reports${h.qs({ from: '2024-13-01', to })}`), 422, 'invalid_argument', 'from');
    h.expectError(await srv.api('GET', `/v1/reports${h.qs({ from, to: '20240101' })}`), 422, 'invalid_argument', 'to');
    // numbers are plain decimals, as in lists (strtoll took a sign, leading spaces and an
    // overflow); an empty format is no format (found by fuzz_report_query)
    for (const [name, value] of [['limit', '+5'], ['limit', ' 5'], ['limit', '10001'], ['program_id', '+1'], ['link_id', '\f3'],
      ['affiliate_id', '99999999999999999999']]) {
      h.expectError(await srv.api('GET', `/v1/reports${h.qs({ from, to, [name]: value })}`), 422, 'invalid_argument', name,
        `${name}=${JSON.stringify(value)}`);
    }
    const noFormat = await srv.api('GET', `/v1/reports${h.qs({ from, to, format: '' })}`);
    h.expectStatus(noFormat, 200, 'format= is JSON');
    assert.ok(Array.isArray(noFormat.json.rows));
    const a = await srv.api('GET', `/v1/reports${h.qs({ from, to })}`, { key: affA.api_key });
    h.expectError(a, 403, 'forbidden');
    h.expectError(await srv.api('GET', '/v1/reports', { key: null }), 401, 'unauthenticated');
  });

  it('reports equal what afftrack verify recounts', async () => {
    const v = h.runVerify(srv.dataDir);
    assert.equal(v.status, 0, `verify exit 0: ${v.stdout} ${v.stderr}`);
    assert.equal(v.json.ok, true);
    assert.deepEqual(v.json.problems, []);
    const t = model([]).totals;
    assert.equal(v.json.clicks, t.clicks);
    assert.equal(v.json.unique_clicks, t.unique_clicks);
    assert.equal(v.json.conversions, t.conversions);
    assert.equal(v.json.revenue_minor, t.revenue_minor);
    assert.equal(v.json.commission_minor, t.commission_minor);
    assert.equal(v.json.refunds_minor, t.refunds_minor);
  });
});
