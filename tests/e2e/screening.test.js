'use strict';
// Conversion-time screening over HTTP (docs/fraud.md): per-program settings and their
// validation, flag/hold/reject, the review queue, admin decisions in bulk, what an
// affiliate sees, the pixel's IP against the click's.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

describe('conversion screening', () => {
  let srv;
  before(async () => { srv = await h.startServer(); });
  after(async () => { if (srv) await srv.cleanup(); });

  it('screening settings: canonical form, validation naming the field', async () => {
    const p = await h.createProgram(srv, { screening: { fast_conversion: { action: 'reject', threshold: 15 }, ip_mismatch: { action: 'flag' } } });
    // ip_mismatch flag is its default: only what differs is kept
    assert.deepEqual(p.screening, { fast_conversion: { action: 'reject', threshold: 15 } });
    const bad = [
      [{ nope: {} }, 'unknown rule'],
      [{ fast_conversion: { action: 'block' } }, 'action'],
      [{ fast_conversion: { threshold: 0 } }, 'threshold'],
      [{ self_referral: { threshold: 3 } }, 'unknown member'],
      ['x', 'object'],
    ];
    for (const [screening, what] of bad) {
      const r = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { screening } });
      h.expectError(r, 422, 'invalid_argument', 'screening', what);
    }
    const r = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { screening: {} } });
    h.expectStatus(r, 200);
    assert.deepEqual(r.json.screening, {});
  });

  it('fast conversion rejected, velocity held, review queue, bulk decisions, affiliate view', async () => {
    const { program: p, affiliate: a, link } = await h.setup(srv, {
      program: { hold_days: 30, screening: { fast_conversion: { action: 'reject', threshold: 3600 }, conversion_velocity: { action: 'hold', threshold: 2 } } },
    });
    // 1: converts within the hour of its click: rejected, earns nothing
    const c1 = await h.clickOk(srv, link.code);
    const r1 = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('F'), amount_minor: 10000, click_id: c1.clickId });
    assert.equal(r1.conversion.status, 'rejected');
    assert.equal(r1.conversion.reason, '201 fast_conversion');
    assert.ok(r1.conversion.score >= 50);
    assert.deepEqual(r1.conversion.screening.map((x) => [x.code, x.action]).slice(0, 1), [[201, 'reject']]);
    assert.ok(r1.commissions.every((l) => l.status === 'rejected'));
    // by referral code (no click): not timed; the 2nd in a minute is held (velocity 2)
    const r2 = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('V'), amount_minor: 10000, referral_code: link.code });
    const r3 = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('V'), amount_minor: 20000, referral_code: link.code });
    assert.equal(r2.conversion.status, 'held', 'r1 and r2 make two in a minute');
    assert.equal(r2.conversion.reason, '203 conversion_velocity');
    assert.equal(r3.conversion.status, 'held');
    assert.equal(r2.conversion.hold_until, null, 'held: no date of its own');
    // the review queue lists them; held first filter
    const q = await srv.api('GET', `/v1/review?program_id=${p.id}&status=held`);
    h.expectStatus(q, 200);
    assert.deepEqual(q.json.data.map((c) => c.id), [r2.conversion.id, r3.conversion.id]);
    const all = await srv.api('GET', `/v1/review?program_id=${p.id}`);
    assert.deepEqual(all.json.data.map((c) => c.id), [r1.conversion.id, r2.conversion.id, r3.conversion.id]);
    // the affiliate sees the reason, not the internals
    const mine = await srv.api('GET', '/v1/me/conversions', { key: a.api_key });
    h.expectStatus(mine, 200);
    const seen = mine.json.data.find((c) => c.id === r2.conversion.id);
    assert.equal(seen.status, 'held');
    assert.equal(seen.reason, '203 conversion_velocity');
    for (const k of ['score', 'screening', 'ip', 'customer_id', 'click_id']) assert.ok(!(k in seen), `no ${k} for affiliates`);
    // bulk: approve r2, reject r3, and r1 (already rejected) fails alone
    const b = await srv.api('POST', '/v1/conversions/bulk', { body: { action: 'approve', ids: [r2.conversion.id, r1.conversion.id] } });
    h.expectStatus(b, 200);
    assert.deepEqual(b.json.results.map((x) => [x.id, x.ok]), [[r2.conversion.id, true], [r1.conversion.id, false]]);
    assert.equal(b.json.results[1].error.code, 'conflict');
    const rj = await srv.api('POST', '/v1/conversions/bulk', { body: { action: 'reject', ids: [r3.conversion.id], reason: 'burst' } });
    assert.deepEqual(rj.json.results.map((x) => x.ok), [true]);
    const g2 = await srv.api('GET', `/v1/conversions/${r2.conversion.id}`);
    assert.equal(g2.json.conversion.status, 'approved');
    assert.ok(g2.json.commissions.every((l) => l.status === 'approved'));
    const g3 = await srv.api('GET', `/v1/conversions/${r3.conversion.id}`);
    assert.equal(g3.json.conversion.status, 'rejected');
    assert.equal(g3.json.conversion.reason, 'burst');
    // balances: only r2's 1000 is approved; nothing held counts as approved
    const bal = await srv.api('GET', `/v1/balances?program_id=${p.id}&affiliate_id=${a.id}`);
    const row = bal.json.data[0];
    assert.equal(row.approved_minor + row.payable_minor, 1000);
    assert.equal(row.pending_minor, 0);
  });

  it('self-referral is held by default; the pixel IP against the click IP flags', async () => {
    const email = `${h.uniq('self')}@example.org`;
    const { program: p, link } = await h.setup(srv, { affiliate: { email } });
    const r = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('S'), amount_minor: 5000, referral_code: link.code, email: `  ${email.toUpperCase()} ` });
    assert.equal(r.conversion.status, 'held');
    assert.equal(r.conversion.reason, '205 self_referral');
    // a click from 127.0.0.1, a conversion reported with a far IP: flagged, still pending
    const c = await h.clickOk(srv, link.code);
    const f = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('I'), amount_minor: 5000, click_id: c.clickId, ip: '198.51.100.7' });
    assert.equal(f.conversion.status, 'pending');
    assert.ok(f.conversion.screening.some((x) => x.rule === 'ip_mismatch' && x.action === 'flag'));
    assert.equal(f.conversion.ip, '198.51.100.7');
    h.expectError(await h.postConversion(srv, { program_id: p.id, order_id: h.uniq('I'), amount_minor: 1, referral_code: link.code, ip: '999.1.1.1' }), 422, 'invalid_argument', 'ip');
  });

  it('duplicate postbacks under new order ids: held with reason 202 (a program setting)', async () => {
    const { program: p, link } = await h.setup(srv, { program: { screening: { duplicate_order: { action: 'hold', threshold: 600 } } } });
    const body = (order) => ({ program_id: p.id, order_id: order, amount_minor: 4321, referral_code: link.code, customer_id: 'dup-customer' });
    const first = await h.convOk(srv, body(h.uniq('D')));
    assert.equal(first.conversion.status, 'pending');
    const again = await h.convOk(srv, body(h.uniq('D')));
    assert.equal(again.conversion.status, 'held');
    assert.equal(again.conversion.reason, '202 duplicate_order');
    // another amount is another order
    const other = await h.convOk(srv, { ...body(h.uniq('D')), amount_minor: 999 });
    assert.equal(other.conversion.status, 'pending');
  });

  it('caps: a hard cap of 10 admits exactly 10 of 40 concurrent conversions; usage; soft caps flag', async () => {
    const { program: p, affiliate: a, link } = await h.setup(srv, {
      program: {
        caps: [
          { metric: 'conversions', period: 'day', limit: 10 },
          { metric: 'commission_minor', period: 'month', limit: 500, per: 'affiliate', hard: false },
        ],
      },
    });
    assert.deepEqual(p.caps.map((c) => [c.metric, c.period, c.limit, c.hard]), [['conversions', 'day', 10, true], ['commission_minor', 'month', 500, false]]);
    const capHits = async () => {
      const text = (await srv.api('GET', '/metrics', { key: null })).text;
      const n = (code, kind) => Number((text.match(new RegExp(`^afftrack_cap_hits_total\\{code="${code}",[^}]*kind="${kind}"\\} (\\d+)$`, 'm')) || [])[1]);
      return { hard61: n(61, 'hard'), soft84: n(84, 'soft') };
    };
    const hitsBefore = await capHits();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => h.postConversion(srv, {
      program_id: p.id, order_id: h.uniq(`C${i}-`), amount_minor: 1000, referral_code: link.code,
    })));
    for (const r of results) h.expectStatus(r, 201);
    const accepted = results.filter((r) => r.json.conversion.status !== 'rejected');
    const rejected = results.filter((r) => r.json.conversion.status === 'rejected');
    assert.equal(accepted.length, 10, 'exactly the cap');
    assert.ok(rejected.every((r) => r.json.conversion.reason === '61 program_conversions_day'));
    // 10 % of 1000 = 100 each: the soft affiliate cap of 500 is reached by the 5th; from
    // the 6th accepted on, the soft cap's flag is recorded
    const flagged = accepted.filter((r) => r.json.conversion.screening.some((x) => x.code === 84 && x.action === 'flag'));
    assert.equal(flagged.length, 5);
    // /metrics counts every cap hit: the alert a soft cap gives
    const hitsAfter = await capHits();
    assert.deepEqual([hitsAfter.hard61 - hitsBefore.hard61, hitsAfter.soft84 - hitsBefore.soft84], [30, 5]);
    const u = await srv.api('GET', `/v1/programs/${p.id}/caps`);
    h.expectStatus(u, 200);
    const day = u.json.data.find((x) => x.cap === 0);
    assert.deepEqual([day.used, day.remaining, day.limit], [10, 0, 10]);
    const month = u.json.data.find((x) => x.cap === 1 && x.affiliate_id === a.id);
    assert.equal(month.used, 1000);
    // caps change through the API and apply to the next conversion
    h.expectStatus(await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { caps: [{ metric: 'conversions', period: 'day', limit: 11 }] } }), 200);
    const more = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('C'), amount_minor: 1000, referral_code: link.code });
    assert.equal(more.conversion.status, 'pending');
    const last = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('C'), amount_minor: 1000, referral_code: link.code });
    assert.equal(last.conversion.status, 'rejected');
    h.expectError(await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { caps: [{ metric: 'visits', period: 'day', limit: 1 }] } }), 422, 'invalid_argument', 'caps');
  });

  it('click caps: exactly the limit admitted under concurrency; over it to fallback_url, or rejected; counts survive a restart', async () => {
    const s2 = await h.startServer({ args: h.VELOCITY_FLAG_ONLY });
    try {
      const { program: p, link } = await h.setup(s2, {
        program: { caps: [{ metric: 'clicks', period: 'day', limit: 20 }], fallback_url: 'https://fallback.example.com/full' },
      });
      const clicks = await Promise.all(Array.from({ length: 60 }, () => h.click(s2, link.code)));
      const toShop = clicks.filter((c) => c.status === 302 && c.location.startsWith('https://shop.example.com/'));
      const toFallback = clicks.filter((c) => c.status === 302 && c.location === 'https://fallback.example.com/full');
      assert.equal(toShop.length, 20, 'exactly the cap reaches the shop');
      assert.equal(toFallback.length, 40);
      assert.ok(toFallback.every((c) => c.clickId === null && c.cookie === null), 'no click id, no cookie over the cap');
      const u = await s2.api('GET', `/v1/programs/${p.id}/caps`);
      assert.deepEqual([u.json.data[0].metric, u.json.data[0].used, u.json.data[0].remaining], ['clicks', 20, 0]);
      // without a fallback_url: redirected as usual, recorded as rejected, not attributable
      h.expectStatus(await s2.api('PATCH', `/v1/programs/${p.id}`, { body: { fallback_url: '' } }), 200);
      const c = await h.clickOk(s2, link.code);
      const row = await s2.api('GET', `/v1/clicks/${c.clickId}`);
      assert.equal(row.json.rejected, true);
      assert.equal(row.json.reason_code, 65);
      const conv = await h.postConversion(s2, { program_id: p.id, order_id: h.uniq('CC'), amount_minor: 100, click_id: c.clickId });
      h.expectError(conv, 422, 'not_attributed', 'click_id');
      // the counts survive a restart: seeded from the stored clicks of the day
      await s2.stop();
      const s3 = await h.startServer({ dataDir: s2.dataDir, adminKey: s2.adminKey, args: h.VELOCITY_FLAG_ONLY });
      try {
        const after = await h.clickOk(s3, link.code);
        const r2 = await s3.api('GET', `/v1/clicks/${after.clickId}`);
        assert.equal(r2.json.rejected, true, 'still over the cap after a restart');
        // a soft cap only flags
        h.expectStatus(await s3.api('PATCH', `/v1/programs/${p.id}`, { body: { caps: [{ metric: 'clicks', period: 'day', limit: 20, hard: false }] } }), 200);
        const soft = await h.clickOk(s3, link.code);
        const r3 = await s3.api('GET', `/v1/clicks/${soft.clickId}`);
        assert.deepEqual([r3.json.rejected, r3.json.flagged, r3.json.reason_code], [false, true, 65]);
      } finally {
        await s3.cleanup();
      }
    } finally {
      await s2.cleanup();
    }
  });

  it('caps count days in the program\'s time zone', async () => {
    const bad = await srv.api('POST', '/v1/programs', { body: { name: 'tz', currency: 'USD', destination_url: 'https://shop.example.com/', time_zone: 'Mars/Base' } });
    h.expectError(bad, 422, 'invalid_argument', 'time_zone');
    const p = await h.createProgram(srv, { time_zone: 'Asia/Tokyo', caps: [{ metric: 'conversions', period: 'day', limit: 5 }] });
    assert.equal(p.time_zone, 'Asia/Tokyo');
    const u = await srv.api('GET', `/v1/programs/${p.id}/caps`);
    const DAY = 86400000; const TOKYO = 9 * 3600000; // no DST in Tokyo
    const now = Date.now();
    const expected = Math.floor((now + TOKYO) / DAY) * DAY - TOKYO;
    assert.equal(Date.parse(u.json.data[0].period_start), expected, 'the local midnight in Tokyo');
  });

  it('afftrack verify reports ok', async () => {
    const v = h.runVerify(srv.dataDir);
    assert.equal(v.status, 0, `verify: ${v.stdout} ${v.stderr}`);
  });
});
