'use strict';
// GET /v1/reports?group_by=sub1 and /v1/me/reports: clicks, conversions, refunds and
// commission by the clicks' sub1 (the daily sub-ID rollup), sort and limit, CSV (with a
// hostile sub-ID), ROI, and an affiliate that only ever sees its own sub-IDs.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

describe('sub-ID reports', () => {
  let srv; let p; let affA; let affB; let la; let lb;
  const from = h.utcDay(-1);
  const to = h.utcDay(1);
  const HOSTILE = '=1+1,"x"';

  const click = async (link, sub1, ua) => {
    const query = sub1 === null ? {} : { sub1 };
    const c = await h.clickOk(srv, link.code, { query, headers: { 'user-agent': `subid-ua-${ua}` } });
    return c.clickId;
  };

  before(async () => {
    srv = await h.startServer();
    p = await h.createProgram(srv, { commission: { sale: { percent: '10' } } });
    affA = await h.createAffiliate(srv);
    affB = await h.createAffiliate(srv);
    la = await h.createLink(srv, p.id, affA.id);
    lb = await h.createLink(srv, p.id, affB.id);
    const fbA = await click(la, 'fb', 1);
    await click(la, 'fb', 2);
    await click(la, 'fb', 2); // the same visitor again: not unique
    const twA = await click(la, 'tw', 3);
    await click(la, null, 4);
    await click(la, HOSTILE, 5);
    await click(lb, 'fb', 6);
    const secret = await click(lb, 'secret-b', 7);
    // A's sale on its fb click after a later tw click: the conversion names its click
    const sale = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('s'), amount_minor: 5000, click_id: fbA });
    await h.convOk(srv, { program_id: p.id, order_id: h.uniq('s'), amount_minor: 2000, click_id: secret });
    // 10 %: A's sale earns 500, B's 200
    const rf = await srv.api('POST', `/v1/conversions/${sale.conversion.id}/refund`, { body: { amount_minor: 1000 } });
    h.expectStatus(rf, 200);
    assert.ok(twA);
  });
  after(async () => { if (srv) await srv.cleanup(); });

  const report = async (params, key) => {
    const r = await srv.api('GET', `/v1/reports${h.qs({ from, to, ...params })}`, key ? { key } : {});
    h.expectStatus(r, 200, JSON.stringify(params));
    return r.json;
  };

  it('group_by=affiliate,sub1: clicks per sub1, the sale and its refund on the clicked sub1', async () => {
    const got = await report({ group_by: 'affiliate,sub1', program_id: p.id });
    assert.deepEqual(got.group_by, ['affiliate', 'sub1']);
    const row = (aff, sub1) => got.rows.find((r) => r.affiliate_id === aff.id && r.sub1 === sub1);
    const fb = row(affA, 'fb');
    assert.equal(fb.clicks, 3);
    assert.equal(fb.unique_clicks, 2);
    assert.equal(fb.conversions, 1);
    assert.equal(fb.revenue_minor, 5000);
    assert.equal(fb.refunds_minor, 1000);
    assert.equal(fb.commission_minor, 400); // 500 less the 100 reversed with the refund
    assert.equal(fb.roi, 9); // (5000 - 1000 - 400) / 400
    const tw = row(affA, 'tw');
    assert.equal(tw.clicks, 1);
    assert.equal(tw.conversions, 0);
    assert.equal(tw.roi, null, 'no commission: no ROI (not infinity)');
    assert.equal(row(affA, '').clicks, 1, 'a click without sub1 counts under ""');
    assert.equal(row(affA, HOSTILE).clicks, 1);
    assert.equal(row(affB, 'fb').clicks, 1);
    const sb = row(affB, 'secret-b');
    assert.equal(sb.conversions, 1);
    assert.equal(sb.commission_minor, 200);
    assert.equal(sb.roi, 9);
    assert.equal(got.rows.length, 6);
    assert.equal(got.rows_total, 6);
    assert.equal(got.totals.clicks, 8);
    assert.equal(got.totals.conversions, 2);
    assert.equal(got.totals.commission_minor, 600);
    assert.equal(got.totals.roi, 9); // (7000 - 1000 - 600) / 600
  });

  it('group_by=sub1 sums a sub1 over affiliates; the totals equal the link report', async () => {
    const got = await report({ group_by: 'sub1', program_id: p.id });
    const fb = got.rows.find((r) => r.sub1 === 'fb');
    assert.equal(fb.clicks, 4);
    assert.ok(!('affiliate_id' in fb) && !('link_id' in fb));
    const links = await report({ group_by: 'link', program_id: p.id });
    assert.deepEqual(got.totals, links.totals);
  });

  it('sort and limit: the top N by a counter, totals over every row', async () => {
    const got = await report({ group_by: 'affiliate,sub1', sort: 'clicks', limit: 2 });
    assert.equal(got.rows.length, 2);
    assert.equal(got.rows_total, 6);
    assert.equal(got.rows[0].sub1, 'fb');
    assert.equal(got.rows[0].clicks, 3);
    assert.equal(got.totals.clicks, 8);
    const byCommission = await report({ group_by: 'sub1', sort: 'commission_minor', limit: 1 });
    assert.equal(byCommission.rows[0].sub1, 'fb');
    // without sort: the first rows in dimension order, the same totals
    const firstTwo = await report({ group_by: 'affiliate,sub1', limit: 2 });
    const everything = await report({ group_by: 'affiliate,sub1' });
    assert.deepEqual(firstTwo.rows, everything.rows.slice(0, 2));
    assert.equal(firstTwo.rows_total, 6);
    assert.deepEqual(firstTwo.totals, everything.totals);
    const all = await report({ group_by: 'affiliate,sub1', sort: 'clicks' });
    for (let i = 1; i < all.rows.length; i++) assert.ok(all.rows[i - 1].clicks >= all.rows[i].clicks, 'descending');
  });

  it('format=csv: sub1 column, quoted and defused when it looks like a formula; roi, then the sub-affiliate columns', async () => {
    const r = await srv.raw('GET', `/v1/reports${h.qs({ from, to, group_by: 'sub1', format: 'csv', sort: 'clicks' })}`,
      { headers: { authorization: `Bearer ${srv.adminKey}` } });
    assert.equal(r.status, 200, r.text);
    const lines = r.text.split('\r\n').filter((l) => l.length > 0);
    const head = lines[0].split(',');
    assert.equal(head[0], 'sub1');
    assert.deepEqual(head.slice(-3), ['roi', 'overrides_minor', 'override_income_minor']);
    assert.ok(lines.includes(`"'=1+1,""x""",1,1,0,0,0,0,0,0,0.000000,0,0,,0,0`), `hostile sub-ID cell in ${r.text}`);
    const fb = lines.find((l) => l.startsWith('fb,'));
    assert.ok(fb.endsWith(',9.0000,0,0'), fb); // roi, then overrides_minor and override_income_minor
    assert.equal(lines.length, 1 + 5); // fb, tw, "", hostile, secret-b
  });

  it('an affiliate sees only its own sub-IDs, without the brand ROI', async () => {
    const r = await srv.api('GET', `/v1/me/reports${h.qs({ from, to, group_by: 'sub1' })}`, { key: affA.api_key });
    h.expectStatus(r, 200);
    const subs = r.json.rows.map((x) => x.sub1).sort();
    assert.deepEqual(subs, ['', '=1+1,"x"', 'fb', 'tw']);
    assert.ok(!subs.includes('secret-b'));
    assert.equal(r.json.rows.find((x) => x.sub1 === 'fb').clicks, 3, "B's fb click is not in A's fb row");
    assert.equal(r.json.totals.clicks, 6);
    assert.ok(!('roi' in r.json.totals), 'no roi in /v1/me');
    for (const row of r.json.rows) assert.ok(!('roi' in row));
    const b = await srv.api('GET', `/v1/me/reports${h.qs({ from, to, group_by: 'sub1' })}`, { key: affB.api_key });
    assert.deepEqual(b.json.rows.map((x) => x.sub1).sort(), ['fb', 'secret-b']);
    const csv = await srv.raw('GET', `/v1/me/reports${h.qs({ from, to, group_by: 'sub1', format: 'csv' })}`,
      { headers: { authorization: `Bearer ${affA.api_key}` } });
    assert.equal(csv.status, 200);
    assert.ok(!csv.text.includes('secret-b'));
    assert.ok(!csv.text.split('\r\n')[0].includes('roi'));
    const other = await srv.api('GET', `/v1/me/reports${h.qs({ from, to, group_by: 'sub1', affiliate_id: affB.id })}`, { key: affA.api_key });
    h.expectError(other, 404, 'not_found');
  });

  it('parameter errors name their field', async () => {
    h.expectError(await srv.api('GET', `/v1/reports${h.qs({ from, to, group_by: 'sub1', link_id: la.id })}`), 422, 'invalid_argument', 'link_id');
    h.expectError(await srv.api('GET', `/v1/reports${h.qs({ from, to, group_by: 'sub1,link' })}`), 422, 'invalid_argument', 'group_by');
    h.expectError(await srv.api('GET', `/v1/reports${h.qs({ from, to, sort: 'roi' })}`), 422, 'invalid_argument', 'sort');
    h.expectError(await srv.api('GET', `/v1/reports${h.qs({ from, to, limit: 0 })}`), 422, 'invalid_argument', 'limit');
    h.expectError(await srv.api('GET', `/v1/reports${h.qs({ from, to, limit: 'ten' })}`), 422, 'invalid_argument', 'limit');
  });

  it('a sub-ID that is not UTF-8 is reported with U+FFFD, never dropped', async () => {
    await h.clickOk(srv, lb.code, { query: '?sub1=%FFraw', headers: { 'user-agent': 'subid-ua-8' } });
    const got = await report({ group_by: 'affiliate,sub1', affiliate_id: affB.id });
    const row = got.rows.find((r) => r.sub1 === '\uFFFDraw');
    assert.ok(row, JSON.stringify(got.rows));
    assert.equal(row.clicks, 1);
  });

  it('afftrack verify recounts the sub-ID rows', async () => {
    const v = h.runVerify(srv.dataDir);
    assert.equal(v.status, 0, `${v.stdout} ${v.stderr}`);
    assert.deepEqual(v.json.problems, []);
    assert.equal(v.json.ok, true);
  });
});
