'use strict';
// Commission plans and the ledger lifecycle (docs/commissions.md, docs/api.md):
// plan validation and canonical round trip, plan versions, pricing (defaults,
// affiliate > sku > category > group precedence, exclude, cap_minor, progressive and
// retroactive tiers, milestone bonuses, sub-affiliate overrides, per-affiliate caps,
// recurring renewals), then approve / reject / bulk / line approval, auto-approval by
// the maintenance ticker and release to payable. Every amount is worked out by hand in
// the comments. Ends with `afftrack verify`.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sum = (lines) => lines.reduce((s, l) => s + l.amount_minor, 0);

describe('commissions', () => {
  let srv;
  before(async () => {
    // many clicks a minute from 127.0.0.1: the per-IP velocity rules (docs/fraud.md) only flag here
    srv = await h.startServer({ args: ['--maintenance-interval-ms', '100', ...h.VELOCITY_FLAG_ONLY] });
  });
  after(async () => { if (srv) await srv.cleanup(); });

  // A program (hold_days 30 unless given) with this plan, and a link per affiliate.
  async function program(commission, over = {}) {
    return h.createProgram(srv, { commission, ...over });
  }
  const links = new Map();
  async function linkFor(prog, aff) {
    const k = `${prog.id}/${aff.id}`;
    if (!links.has(k)) links.set(k, await h.createLink(srv, prog.id, aff.id));
    return links.get(k);
  }
  // A conversion through a fresh click of aff's link.
  async function sale(prog, aff, amountMinor, over = {}) {
    const l = await linkFor(prog, aff);
    const c = await h.clickOk(srv, l.code);
    return h.convOk(srv, { program_id: prog.id, order_id: h.uniq('O'), amount_minor: amountMinor, click_id: c.clickId, ...over });
  }
  const lines = (q) => h.listAll(srv, `/v1/commissions?${q}`);
  const getConv = async (id) => {
    const g = await srv.api('GET', `/v1/conversions/${id}`);
    h.expectStatus(g, 200, `GET /v1/conversions/${id}`);
    return g.json.conversion || g.json;
  };
  // [rule, amount] pairs of a conversion's commission lines, in order.
  const rules = (ls) => ls.map((l) => [l.rule, l.amount_minor]);

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

  describe('plans', () => {
    it('a rich valid plan round-trips in canonical form (POST, GET, PATCH)', async () => {
      const plan = {
        sale: {
          percent: '10',
          exclude: ['shipping', 'tax'],
          cap_minor: 5000,
          affiliates: { 42: { percent: '25' } },
          skus: { 'TSHIRT-M': { flat_minor: 300 } },
          categories: { books: { percent: '4' } },
          groups: { gold: { percent: '15' } },
          tiers: { basis: 'conversions', period: 'month', retroactive: false, levels: [{ min: 11, percent: '12' }, { min: 51, percent: '15' }] },
          recurring: { months: 12, rate: 'original' },
        },
        lead: { flat_minor: 200 },
        signup: { percent: '12.5' },
        bonuses: [
          { name: 'first_ten', event: 'sale', conversions: 10, flat_minor: 5000 },
          { name: 'big_month', event: 'sale', revenue_minor: 1000000, flat_minor: 20000, period: 'month' },
        ],
        sub_affiliates: ['10', '5'],
        caps: { affiliate_minor: 100000, period: 'month' },
      };
      // Canonical: bonus period defaults to "month"; everything else as given.
      const canonical = structuredClone(plan);
      canonical.bonuses[0].period = 'month';
      const p = await program(plan);
      assert.deepEqual(p.commission, canonical, 'POST answers the canonical plan');
      assert.equal(p.commission_version, 1);
      const g = await srv.api('GET', `/v1/programs/${p.id}`);
      h.expectStatus(g, 200);
      assert.deepEqual(g.json.commission, canonical, 'GET answers the same plan');

      // Defaults filled in: tiers basis/period/retroactive, recurring rate.
      const short = { sale: { percent: '10', tiers: { levels: [{ min: 2, percent: '20' }] }, recurring: { months: 'lifetime' } } };
      const r = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { commission: short } });
      h.expectStatus(r, 200, 'PATCH short plan');
      assert.equal(r.json.commission_version, 2);
      assert.deepEqual(r.json.commission, {
        sale: { percent: '10', tiers: { basis: 'conversions', period: 'month', retroactive: false, levels: [{ min: 2, percent: '20' }] }, recurring: { months: 'lifetime', rate: 'original' } },
      });
      // A custom period round-trips too.
      const custom = { sale: { percent: '10', tiers: { basis: 'revenue', period: { days: 14, start: '2026-01-05' }, retroactive: true, levels: [{ min: 100000, percent: '11.5' }] } } };
      const r2 = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { commission: custom } });
      h.expectStatus(r2, 200, 'PATCH custom period');
      assert.deepEqual(r2.json.commission, custom);
      assert.equal(r2.json.commission_version, 3);
    });

    it('plan_version: +1 only on a PATCH that changes the plan; lines record it', async () => {
      const aff = await h.createAffiliate(srv);
      const p = await program({ sale: { percent: '10' } });
      assert.equal(p.commission_version, 1);
      const s1 = await sale(p, aff, 10000); // 10 % of 100.00 = 10.00
      assert.deepEqual(rules(s1.commissions), [['sale:percent', 1000]]);
      assert.equal(s1.commissions[0].plan_version, 1);
      assert.equal(s1.conversion.plan_version, 1);

      let r = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { name: 'renamed' } });
      h.expectStatus(r, 200);
      assert.equal(r.json.commission_version, 1, 'a PATCH without commission keeps the version');
      r = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { commission: { sale: { percent: '10' } } } });
      h.expectStatus(r, 200);
      assert.equal(r.json.commission_version, 1, 'the same plan again is not a change');

      r = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { commission: { sale: { flat_minor: 250 } } } });
      h.expectStatus(r, 200);
      assert.equal(r.json.commission_version, 2);
      const s2 = await sale(p, aff, 10000);
      assert.deepEqual(rules(s2.commissions), [['sale:flat_minor', 250]]);
      assert.equal(s2.commissions[0].plan_version, 2);

      r = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { commission: { sale: { percent: '7.5' } } } });
      assert.equal(r.json.commission_version, 3);
      const s3 = await sale(p, aff, 10001); // 7.5 % of 100.01 = 7.50075 -> 750
      assert.deepEqual(rules(s3.commissions), [['sale:percent', 750]]);
      assert.equal(s3.commissions[0].plan_version, 3);
      // Earlier lines keep their version and amount.
      const old = await lines(`conversion_id=${s1.conversion.id}`);
      assert.deepEqual(old.map((l) => [l.plan_version, l.amount_minor]), [[1, 1000]]);
    });

    it('invalid plans: 422 field "commission" with the member path in the message; nothing changes', async () => {
      const p = await program({ sale: { percent: '10' } });
      const cases = [
        ['commission', 'not an object'],
        ['commission.sale', { sale: {} }],
        ['commission.sale', { sale: { percent: '10', flat_minor: 100 } }],
        ['commission.sale.percent', { sale: { percent: '100.5' } }],
        ['commission.sale.percent', { sale: { percent: '-1' } }],
        ['commission.sale.percent', { sale: { percent: '1.1234567' } }],
        ['commission.sale.percent', { sale: { percent: 10 } }],
        ['commission.sale.flat_minor', { sale: { flat_minor: -1 } }],
        ['commission.sale.flat_minor', { sale: { flat_minor: 1.5 } }],
        ['commission.sale.exclude[1]', { sale: { percent: '10', exclude: ['shipping', 'fees'] } }],
        ['commission.sale.cap_minor', { sale: { percent: '10', cap_minor: -5 } }],
        ['commission.sale.skus.A.percent', { sale: { percent: '10', skus: { A: { percent: '101' } } } }],
        ['commission.sale.categories.books', { sale: { percent: '10', categories: { books: {} } } }],
        ['commission.sale.groups.gold.flat_minor', { sale: { percent: '10', groups: { gold: { flat_minor: 'x' } } } }],
        ['commission.sale.affiliates', { sale: { percent: '10', affiliates: { abc: { percent: '1' } } } }],
        ['commission.sale.tiers.levels[1].min', { sale: { percent: '10', tiers: { levels: [{ min: 5, percent: '12' }, { min: 3, percent: '15' }] } } }],
        ['commission.sale.tiers.levels[0].percent', { sale: { percent: '10', tiers: { levels: [{ min: 5, percent: '120' }] } } }],
        ['commission.sale.tiers.basis', { sale: { percent: '10', tiers: { basis: 'clicks', levels: [{ min: 5, percent: '12' }] } } }],
        ['commission.sale.tiers.period', { sale: { percent: '10', tiers: { period: 'fortnight', levels: [{ min: 5, percent: '12' }] } } }],
        ['commission.sale.recurring.months', { sale: { percent: '10', recurring: { months: 0 } } }],
        ['commission.sale.recurring.rate', { sale: { percent: '10', recurring: { months: 12, rate: 'newest' } } }],
        ['commission.bonuses[0].name', { sale: { percent: '10' }, bonuses: [{ event: 'sale', conversions: 10, flat_minor: 100 }] }],
        ['commission.bonuses[1].flat_minor', { sale: { percent: '10' }, bonuses: [{ name: 'a', event: 'sale', conversions: 1, flat_minor: 1 }, { name: 'b', event: 'sale', conversions: 2 }] }],
        ['commission.sub_affiliates', { sale: { percent: '10' }, sub_affiliates: Array(11).fill('1') }],
        ['commission.sub_affiliates[0]', { sale: { percent: '10' }, sub_affiliates: ['150'] }],
        ['commission.caps.affiliate_minor', { sale: { percent: '10' }, caps: { affiliate_minor: -1 } }],
        ['commission', { 'Big Sale': { percent: '10' } }],
      ];
      for (const [pathPrefix, commission] of cases) {
        const what = `PATCH commission ${JSON.stringify(commission).slice(0, 140)}`;
        const r = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { commission } });
        h.expectError(r, 422, 'invalid_argument', 'commission', what);
        assert.ok(r.json.error.message.startsWith(pathPrefix), `${what}: message "${r.json.error.message}" starts with ${pathPrefix}`);
        const c = await srv.api('POST', '/v1/programs', { body: { name: 'bad', currency: 'USD', destination_url: 'https://shop.example.com/', commission } });
        h.expectError(c, 422, 'invalid_argument', 'commission', `POST ${what}`);
      }
      const g = await srv.api('GET', `/v1/programs/${p.id}`);
      assert.deepEqual(g.json.commission, { sale: { percent: '10' } }, 'the plan is unchanged');
      assert.equal(g.json.commission_version, 1, 'the version is unchanged');
    });
  });

  describe('pricing', () => {
    it('percent rounds half away from zero; flat pays once; unnamed events earn nothing', async () => {
      const aff = await h.createAffiliate(srv);
      const p = await program({ sale: { percent: '10' }, lead: { flat_minor: 200 } });
      // 10 % of 123.45 = 12.345 -> 12.35 (1235); 10 % of 0.05 = 0.005 -> 0.01
      assert.deepEqual(rules((await sale(p, aff, 12345)).commissions), [['sale:percent', 1235]]);
      assert.deepEqual(rules((await sale(p, aff, 5)).commissions), [['sale:percent', 1]]);
      // 10 % of 0.15 = 0.015 -> 0.02; 10 % of 0.04 = 0.004 -> 0
      assert.deepEqual(rules((await sale(p, aff, 15)).commissions), [['sale:percent', 2]]);
      const tiny = await sale(p, aff, 4);
      assert.equal(tiny.conversion.earned_minor, 0);
      assert.equal(sum(tiny.commissions), 0);
      const lead = await sale(p, aff, 99999, { event: 'lead' });
      assert.deepEqual(rules(lead.commissions), [['lead:flat_minor', 200]]);
      assert.equal(lead.conversion.earned_minor, 200);
      const other = await sale(p, aff, 5000, { event: 'signup' });
      assert.equal(other.conversion.earned_minor, 0, 'an event the plan does not name earns nothing');
      assert.equal(sum(other.commissions), 0);
    });

    it('precedence: affiliate > sku > category > group > default, with items', async () => {
      const affA = await h.createAffiliate(srv, { group: 'gold' }); // has an affiliate override
      const affG = await h.createAffiliate(srv, { group: 'gold' });
      const affN = await h.createAffiliate(srv);
      const p = await program({
        sale: {
          percent: '10',
          affiliates: { [affA.id]: { percent: '25' } },
          skus: { 'TSHIRT-M': { flat_minor: 300 } },
          categories: { books: { percent: '4' }, posters: { flat_minor: 50 } },
          groups: { gold: { percent: '15' } },
        },
      });
      // amount 100.00 = items 40.00 + 45.00 + 10.00 + 2.00 = 97.00, plus 3.00 not covered
      const items = [
        { sku: 'TSHIRT-M', category: 'books', amount_minor: 2000, quantity: 2 }, // sku beats category: 300 * 2 = 600
        { sku: 'NOVEL', category: 'books', amount_minor: 1500, quantity: 3 }, // 4 % of 45.00 = 180
        { sku: 'MUG', category: 'kitchen', amount_minor: 1000, quantity: 1 }, // group-or-default
        { sku: 'PST', category: 'posters', amount_minor: 100, quantity: 2 }, // flat category per unit: 50 * 2 = 100
      ];
      // No group: default 10 % of (10.00 + 3.00) = 130
      const n = await sale(p, affN, 10000, { items });
      assert.deepEqual(rules(n.commissions).sort(), [['sale:category:books', 180], ['sale:category:posters', 100], ['sale:percent', 130], ['sale:sku:TSHIRT-M', 600]].sort());
      assert.equal(n.conversion.earned_minor, 1010);
      // Group gold replaces the default: 15 % of 13.00 = 195
      const g = await sale(p, affG, 10000, { items });
      assert.deepEqual(rules(g.commissions).sort(), [['sale:category:books', 180], ['sale:category:posters', 100], ['sale:group:gold', 195], ['sale:sku:TSHIRT-M', 600]].sort());
      assert.equal(g.conversion.earned_minor, 1075);
      // The affiliate override takes the whole base: 25 % of 100.00 = 2500
      const a = await sale(p, affA, 10000, { items });
      assert.deepEqual(rules(a.commissions), [[`sale:affiliate:${affA.id}`, 2500]]);
      assert.equal(a.conversion.earned_minor, 2500);
      // Without items everything is the rest: group 15 % of 100.00
      const g2 = await sale(p, affG, 10000);
      assert.deepEqual(rules(g2.commissions), [['sale:group:gold', 1500]]);
      for (const l of [...n.commissions, ...g.commissions, ...a.commissions]) {
        assert.equal(l.kind, 'commission');
        assert.equal(l.slot, 'commission');
        assert.equal(l.status, 'pending');
      }
    });

    it('discounts: items worth more than the base are scaled down pro rata', async () => {
      const aff = await h.createAffiliate(srv);
      const p = await program({ sale: { percent: '10', categories: { books: { percent: '20' } } } });
      // items 60.00 (books) + 40.00 (other) = 100.00 > base 80.00: scale 0.8
      // books 48.00 * 20 % = 960; other 32.00 * 10 % = 320
      const r = await sale(p, aff, 8000, { items: [{ sku: 'B', category: 'books', amount_minor: 6000, quantity: 1 }, { sku: 'O', category: 'misc', amount_minor: 4000, quantity: 1 }] });
      assert.deepEqual(rules(r.commissions).sort(), [['sale:category:books', 960], ['sale:percent', 320]].sort());
      // rounded once per line, never per item or on the scaled base:
      // base 0.05, items 0.13 (books) + 0.12: books share 0.05 * 13/25 = 0.026 -> 50 % = 0.013 -> 1
      // (rounding the scaled base first would give round(2.6) = 3 * 50 % = 1.5 -> 2)
      const q = await program({ sale: { percent: '10', categories: { books: { percent: '50' } } } });
      const r2 = await sale(q, aff, 5, { items: [{ sku: 'A', category: 'books', amount_minor: 13, quantity: 1 }, { sku: 'B', category: 'misc', amount_minor: 12, quantity: 1 }] });
      assert.equal(sum(r2.commissions.filter((l) => l.rule === 'sale:category:books')), 1);
      assert.equal(r2.conversion.earned_minor, 1, 'misc: 10 % of 0.024 -> 0');
      // two books items of 0.01: 50 % of 0.02 = 1 (per item it would be 1 + 1)
      const r3 = await sale(q, aff, 2, { items: [{ sku: 'A', category: 'books', amount_minor: 1, quantity: 1 }, { sku: 'B', category: 'books', amount_minor: 1, quantity: 1 }] });
      assert.deepEqual(rules(r3.commissions), [['sale:category:books', 1]]);
    });

    it('exclude shipping and tax from the base', async () => {
      const aff = await h.createAffiliate(srv);
      const both = await program({ sale: { percent: '10', exclude: ['shipping', 'tax'] } });
      const ship = await program({ sale: { percent: '10', exclude: ['shipping'] } });
      const none = await program({ sale: { percent: '10' } });
      const body = { amount: '121.00', shipping: '10.00', tax: '11.00' };
      // 121.00 - 10.00 - 11.00 = 100.00 -> 10.00
      const b = await sale(both, aff, undefined, { ...body, amount_minor: undefined });
      assert.equal(b.conversion.shipping_minor, 1000);
      assert.equal(b.conversion.tax_minor, 1100);
      assert.deepEqual(rules(b.commissions), [['sale:percent', 1000]]);
      // 121.00 - 10.00 = 111.00 -> 11.10
      assert.deepEqual(rules((await sale(ship, aff, undefined, { ...body, amount_minor: undefined })).commissions), [['sale:percent', 1110]]);
      // docs example: 110.00 with 10.00 shipping -> 10.00
      assert.deepEqual(rules((await sale(ship, aff, 11000, { shipping_minor: 1000 })).commissions), [['sale:percent', 1000]]);
      // nothing excluded: 12.10
      assert.deepEqual(rules((await sale(none, aff, undefined, { ...body, amount_minor: undefined })).commissions), [['sale:percent', 1210]]);
      // shipping + tax above amount: 422 field shipping
      const l = await linkFor(both, aff);
      const c = await h.clickOk(srv, l.code);
      const r = await h.postConversion(srv, { program_id: both.id, order_id: h.uniq('X'), amount: '10.00', shipping: '6.00', tax: '5.00', click_id: c.clickId });
      h.expectError(r, 422, 'invalid_argument', 'shipping');
    });

    it('cap_minor: rules over the cap collapse into one sale:cap line', async () => {
      const aff = await h.createAffiliate(srv);
      const p = await program({ sale: { percent: '10', cap_minor: 5000, skus: { S: { flat_minor: 3000 } } } });
      // sku 30.00 + 10 % of 900.00 = 120.00 > 50.00 -> one sale:cap line of 50.00
      const big = await sale(p, aff, 100000, { items: [{ sku: 'S', amount_minor: 10000, quantity: 1 }] });
      assert.deepEqual(rules(big.commissions), [['sale:cap', 5000]]);
      assert.equal(big.conversion.earned_minor, 5000);
      // 10 % of 200.00 = 20.00 under the cap
      assert.deepEqual(rules((await sale(p, aff, 20000)).commissions), [['sale:percent', 2000]]);
      // exactly the cap: 10 % of 500.00 = 50.00 (not more than the cap: no collapse needed)
      const exact = await sale(p, aff, 50000);
      assert.equal(sum(exact.commissions), 5000);
    });

    it('progressive tiers: the crossing conversion gets the new rate, earlier ones keep theirs', async () => {
      const aff = await h.createAffiliate(srv);
      const p = await program({ sale: { percent: '10', tiers: { levels: [{ min: 3, percent: '20' }, { min: 5, percent: '30' }] } } });
      // sales 1, 2 at 10 %; 3, 4 at 20 % (tier 1); 5, 6 at 30 % (tier 2); each 10.00
      const want = [['sale:percent', 100, 0], ['sale:percent', 100, 0], ['sale:tier:1', 200, 1], ['sale:tier:1', 200, 1], ['sale:tier:2', 300, 2], ['sale:tier:2', 300, 2]];
      const convs = [];
      for (const [rule, amount, tier] of want) {
        const r = await sale(p, aff, 1000);
        assert.deepEqual(rules(r.commissions), [[rule, amount]], `sale ${convs.length + 1}`);
        assert.equal(r.conversion.tier, tier);
        convs.push(r.conversion.id);
      }
      for (let i = 0; i < convs.length; i++) {
        const ls = await lines(`conversion_id=${convs[i]}`);
        assert.deepEqual(rules(ls), [[want[i][0], want[i][1]]], `conversion ${i + 1} unchanged`);
      }
      // Volume is per affiliate: another affiliate starts at the default.
      const other = await h.createAffiliate(srv);
      assert.deepEqual(rules((await sale(p, other, 1000)).commissions), [['sale:percent', 100]]);
      // A lead does not count towards sale volume (tiers are per event).
    });

    it('retroactive tiers: earlier conversions get tier_adjust lines up to the new rate', async () => {
      const aff = await h.createAffiliate(srv);
      const p = await program({ sale: { percent: '10', tiers: { retroactive: true, levels: [{ min: 3, percent: '20' }, { min: 4, percent: '25' }] } } });
      const s1 = await sale(p, aff, 1000); // 10 % -> 100
      const s2 = await sale(p, aff, 2500); // 10 % -> 250
      assert.deepEqual(rules(s1.commissions), [['sale:percent', 100]]);
      assert.deepEqual(rules(s2.commissions), [['sale:percent', 250]]);
      // sale 3 reaches level 1 (20 %): 20 % of 30.00 = 600; s1 +100, s2 +250
      const s3 = await sale(p, aff, 3000);
      assert.deepEqual(rules(s3.commissions), [['sale:tier:1', 600]]);
      let l1 = await lines(`conversion_id=${s1.conversion.id}`);
      let l2 = await lines(`conversion_id=${s2.conversion.id}`);
      assert.deepEqual(l1.map((l) => [l.kind, l.amount_minor]), [['commission', 100], ['tier_adjust', 100]]);
      assert.deepEqual(l2.map((l) => [l.kind, l.amount_minor]), [['commission', 250], ['tier_adjust', 250]]);
      for (const l of [...l1, ...l2]) {
        assert.equal(l.slot, 'commission');
        assert.equal(l.status, 'pending', 'a new line of a pending conversion is pending');
      }
      // sale 4 reaches level 2 (25 %): 25 % of 20.00 = 500;
      // s1 250 - 200 = +50, s2 625 - 500 = +125, s3 750 - 600 = +150
      const s4 = await sale(p, aff, 2000);
      assert.deepEqual(rules(s4.commissions), [['sale:tier:2', 500]]);
      l1 = await lines(`conversion_id=${s1.conversion.id}`);
      l2 = await lines(`conversion_id=${s2.conversion.id}`);
      const l3 = await lines(`conversion_id=${s3.conversion.id}`);
      assert.deepEqual(l1.map((l) => l.amount_minor), [100, 100, 50]);
      assert.deepEqual(l2.map((l) => l.amount_minor), [250, 250, 125]);
      assert.deepEqual(l3.map((l) => [l.kind, l.amount_minor]), [['commission', 600], ['tier_adjust', 150]]);
      // each ends at 25 %: 250, 625, 750, 500
      assert.deepEqual([sum(l1), sum(l2), sum(l3)], [250, 625, 750]);
      // sale 5 at 25 %, no more adjustments
      const s5 = await sale(p, aff, 4000);
      assert.deepEqual(rules(s5.commissions), [['sale:tier:2', 1000]]);
      assert.equal((await lines(`conversion_id=${s1.conversion.id}`)).length, 3);
      // earned_minor (the commission share's gross) follows the adjustments
      assert.equal((await getConv(s1.conversion.id)).earned_minor, 250);
    });

    it('milestone bonuses: once per period, on the conversion that reaches it', async () => {
      const aff = await h.createAffiliate(srv);
      const p = await program({
        sale: { percent: '10' },
        bonuses: [
          { name: 'three', event: 'sale', conversions: 3, flat_minor: 700 },
          { name: 'big', event: 'sale', revenue_minor: 5000, flat_minor: 1000 },
        ],
      });
      // revenue 20.00, 40.00, 60.00 (>= 50.00: big), count 3 (three) both on sale 3
      const s1 = await sale(p, aff, 2000);
      const s2 = await sale(p, aff, 2000);
      assert.deepEqual(rules(s1.commissions), [['sale:percent', 200]]);
      assert.deepEqual(rules(s2.commissions), [['sale:percent', 200]]);
      const s3 = await sale(p, aff, 2000);
      const bonus = s3.commissions.filter((l) => l.kind === 'bonus');
      assert.deepEqual(bonus.map((l) => [l.rule, l.slot, l.amount_minor]).sort(), [['bonus:big', 'bonus:big', 1000], ['bonus:three', 'bonus:three', 700]]);
      assert.equal(sum(s3.commissions), 200 + 700 + 1000);
      assert.equal(s3.conversion.earned_minor, 200, 'earned_minor is the commission share only');
      for (const l of bonus) assert.equal(l.affiliate_id, aff.id);
      // sale 4 and 5: no second bonus in the period
      for (let i = 0; i < 2; i++) {
        const s = await sale(p, aff, 2000);
        assert.deepEqual(rules(s.commissions), [['sale:percent', 200]], `sale ${4 + i}`);
      }
      // a lead does not count towards a sale bonus
      const other = await h.createAffiliate(srv);
      await sale(p, other, 2000);
      await sale(p, other, 2000, { event: 'lead' });
      assert.deepEqual(rules((await sale(p, other, 500)).commissions), [['sale:percent', 50]], '2 sales + 1 lead: no bonus, revenue 45.00');
    });

    it('sub_affiliates: parent and grandparent overrides; only approved parents earn', async () => {
      const ggp = await h.createAffiliate(srv);
      const gp = await h.createAffiliate(srv, { parent_id: ggp.id });
      const par = await h.createAffiliate(srv, { parent_id: gp.id });
      const child = await h.createAffiliate(srv, { parent_id: par.id });
      const p = await program({ sale: { percent: '10' }, sub_affiliates: ['10', '5'] });
      // child 10 % of 123.40 = 1234; parent 10 % of 1234 = 123.4 -> 123; grandparent 5 % = 61.7 -> 62
      const r = await sale(p, child, 12340);
      const by = (id) => r.commissions.filter((l) => l.affiliate_id === id).map((l) => [l.kind, l.slot, l.rule, l.amount_minor]);
      assert.deepEqual(by(child.id), [['commission', 'commission', 'sale:percent', 1234]]);
      assert.deepEqual(by(par.id), [['override', 'override:1', 'sub_affiliates:1', 123]]);
      assert.deepEqual(by(gp.id), [['override', 'override:2', 'sub_affiliates:2', 62]]);
      assert.deepEqual(by(ggp.id), [], 'only two levels');
      assert.equal(r.commissions.length, 3);
      assert.equal(r.conversion.earned_minor, 1234);
      // The parent's sales pay the grandparent at level 1 and the great-grandparent at level 2.
      const rp = await sale(p, par, 10000);
      assert.deepEqual(rp.commissions.map((l) => [l.affiliate_id, l.rule, l.amount_minor]), [[par.id, 'sale:percent', 1000], [gp.id, 'sub_affiliates:1', 100], [ggp.id, 'sub_affiliates:2', 50]]);
      // The parent's admin list shows its override line.
      const pl = await lines(`affiliate_id=${par.id}&conversion_id=${r.conversion.id}`);
      assert.deepEqual(pl.map((l) => l.amount_minor), [123]);

      // A pending parent does not start earning.
      const pendingParent = await h.createAffiliate(srv, { status: 'pending' });
      const kid = await h.createAffiliate(srv, { parent_id: pendingParent.id });
      const k = await sale(p, kid, 10000);
      assert.deepEqual(k.commissions.map((l) => [l.affiliate_id, l.rule, l.amount_minor]), [[kid.id, 'sale:percent', 1000]]);
      // Once approved, it earns on the next sale.
      h.expectStatus(await srv.api('PATCH', `/v1/affiliates/${pendingParent.id}`, { body: { status: 'approved' } }), 200);
      const k2 = await sale(p, kid, 10000);
      assert.deepEqual(k2.commissions.map((l) => [l.affiliate_id, l.rule, l.amount_minor]), [[kid.id, 'sale:percent', 1000], [pendingParent.id, 'sub_affiliates:1', 100]]);
    });

    it('caps.affiliate_minor: lines collapse into caps:affiliate for what was left, then 0', async () => {
      const aff = await h.createAffiliate(srv);
      const p = await program({ sale: { percent: '10' }, lead: { flat_minor: 300 }, caps: { affiliate_minor: 2500, period: 'month' } });
      assert.deepEqual(rules((await sale(p, aff, 10000)).commissions), [['sale:percent', 1000]]); // 1000 of 2500
      assert.deepEqual(rules((await sale(p, aff, 10000, { event: 'lead' })).commissions), [['lead:flat_minor', 300]]); // 1300: caps are over all events
      assert.deepEqual(rules((await sale(p, aff, 8000)).commissions), [['sale:percent', 800]]); // 2100
      const c4 = await sale(p, aff, 10000); // would be 1000, 400 left
      assert.deepEqual(rules(c4.commissions), [['caps:affiliate', 400]]);
      assert.equal(c4.conversion.earned_minor, 400);
      const c5 = await sale(p, aff, 10000); // nothing left
      assert.deepEqual(rules(c5.commissions), [['caps:affiliate', 0]]);
      assert.equal(c5.conversion.earned_minor, 0);
      // another affiliate has its own cap
      const other = await h.createAffiliate(srv);
      assert.deepEqual(rules((await sale(p, other, 10000)).commissions), [['sale:percent', 1000]]);
    });

    it('recurring renewals: original plan version and rate; not_attributed; customer_id required', async () => {
      const aff = await h.createAffiliate(srv);
      const p = await program({ sale: { percent: '10', recurring: { months: 12, rate: 'original' } } });
      const cust = h.uniq('cust');
      const first = await sale(p, aff, 10000, { customer_id: cust });
      assert.deepEqual(rules(first.commissions), [['sale:percent', 1000]]);
      h.expectStatus(await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { commission: { sale: { percent: '20', recurring: { months: 12, rate: 'original' } } } } }), 200);
      // A renewal: no click; attributed to the first sale's affiliate; priced at plan v1 (10 %)
      const ren = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('REN'), amount_minor: 5000, renewal: true, customer_id: cust });
      assert.equal(ren.conversion.renewal, true);
      assert.equal(ren.conversion.affiliate_id, aff.id);
      assert.equal(ren.conversion.origin_id, first.conversion.id);
      assert.deepEqual(rules(ren.commissions), [['sale:percent', 500]]);
      assert.equal(ren.commissions[0].plan_version, 1);
      assert.equal(ren.conversion.earned_minor, 500);
      // A new customer's sale uses plan v2: 20 % of 50.00
      const fresh = await sale(p, aff, 5000, { customer_id: h.uniq('cust') });
      assert.deepEqual(rules(fresh.commissions), [['sale:percent', 1000]]);
      assert.equal(fresh.commissions[0].plan_version, 2);
      // A renewal of a customer nobody earned: 422 not_attributed
      h.expectError(await h.postConversion(srv, { program_id: p.id, order_id: h.uniq('REN'), amount_minor: 5000, renewal: true, customer_id: h.uniq('nobody') }), 422, 'not_attributed');
      // by email instead of customer_id
      const email = `${h.uniq('buyer')}@example.com`;
      const fe = await sale(p, aff, 10000, { email });
      assert.equal(fe.commissions[0].plan_version, 2);
      const rene = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('REN'), amount_minor: 3000, renewal: true, email: email.toUpperCase() });
      assert.equal(rene.conversion.origin_id, fe.conversion.id);
      assert.deepEqual(rules(rene.commissions), [['sale:percent', 600]], '20 % of 30.00 at plan v2');
      // never attributed to a click: another affiliate's click id does not take the renewal
      const other = await h.createAffiliate(srv);
      const oc = await h.clickOk(srv, (await linkFor(p, other)).code);
      const renc = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('REN'), amount_minor: 1000, renewal: true, customer_id: cust, click_id: oc.clickId });
      assert.equal(renc.conversion.affiliate_id, aff.id);
      assert.equal(renc.conversion.origin_id, first.conversion.id);
      // the original must be of the same event
      h.expectError(await h.postConversion(srv, { program_id: p.id, order_id: h.uniq('REN'), event: 'lead', amount_minor: 1000, renewal: true, customer_id: cust }), 422, 'not_attributed');
      // the postback takes renewal=1 too: 10 % of 20.00 at plan v1
      const pb = await srv.api('GET', `/postback?${h.qs({ token: p.postback_token, order_id: h.uniq('PB'), amount: '20.00', renewal: '1', customer_id: cust }).slice(1)}`, { key: null });
      h.expectStatus(pb, 201, 'postback renewal');
      assert.deepEqual([pb.json.conversion.renewal, pb.json.conversion.origin_id, pb.json.conversion.earned_minor], [true, first.conversion.id, 200]);
      // No customer_id nor email: 422 field customer_id
      h.expectError(await h.postConversion(srv, { program_id: p.id, order_id: h.uniq('REN'), amount_minor: 5000, renewal: true }), 422, 'invalid_argument', 'customer_id');

      // rate "current": a renewal uses today's plan
      const pc = await program({ sale: { percent: '10', recurring: { months: 'lifetime', rate: 'current' } } });
      const cust2 = h.uniq('cust');
      await sale(pc, aff, 10000, { customer_id: cust2 });
      h.expectStatus(await srv.api('PATCH', `/v1/programs/${pc.id}`, { body: { commission: { sale: { percent: '20', recurring: { months: 'lifetime', rate: 'current' } } } } }), 200);
      const ren2 = await h.convOk(srv, { program_id: pc.id, order_id: h.uniq('REN'), amount_minor: 5000, renewal: true, customer_id: cust2 });
      assert.deepEqual(rules(ren2.commissions), [['sale:percent', 1000]]);
      assert.equal(ren2.commissions[0].plan_version, 2);

      // Without recurring a renewal earns nothing but is recorded and attributed
      const pn = await program({ sale: { percent: '10' } });
      const cust3 = h.uniq('cust');
      await sale(pn, aff, 10000, { customer_id: cust3 });
      const ren3 = await h.convOk(srv, { program_id: pn.id, order_id: h.uniq('REN'), amount_minor: 5000, renewal: true, customer_id: cust3 });
      assert.equal(ren3.conversion.affiliate_id, aff.id);
      assert.equal(ren3.conversion.earned_minor, 0);
      assert.equal(sum(ren3.commissions), 0);
    });

    it('a group rule replaces the default and its tiers; flat default pays once per conversion', async () => {
      const gold = await h.createAffiliate(srv, { group: 'gold' });
      const plain = await h.createAffiliate(srv);
      const p = await program({ sale: { percent: '10', tiers: { levels: [{ min: 2, percent: '20' }] }, groups: { gold: { percent: '15' } } } });
      // gold: 15 % of 10.00 on every sale, no tier
      for (let i = 0; i < 3; i++) assert.deepEqual(rules((await sale(p, gold, 1000)).commissions), [['sale:group:gold', 150]], `gold sale ${i + 1}`);
      // plain: 10 %, then tier 1 at 20 %
      assert.deepEqual(rules((await sale(p, plain, 1000)).commissions), [['sale:percent', 100]]);
      assert.deepEqual(rules((await sale(p, plain, 1000)).commissions), [['sale:tier:1', 200]]);

      const f = await program({ sale: { flat_minor: 500, skus: { A: { flat_minor: 100 } } } });
      // sku A flat per unit: 100 * 3 = 300; the rest (item B) takes the flat default once: 500
      const r = await sale(f, plain, 10000, { items: [{ sku: 'A', amount_minor: 1000, quantity: 3 }, { sku: 'B', amount_minor: 1000, quantity: 2 }] });
      assert.deepEqual(rules(r.commissions).sort(), [['sale:flat_minor', 500], ['sale:sku:A', 300]]);
      assert.equal(r.conversion.earned_minor, 800);
    });

    it('tiers on revenue; rejections after the fact keep the volume; posted-rejected conversions do not count', async () => {
      const aff = await h.createAffiliate(srv);
      const p = await program({ sale: { percent: '10', tiers: { basis: 'revenue', levels: [{ min: 5000, percent: '20' }] } } });
      assert.deepEqual(rules((await sale(p, aff, 2000)).commissions), [['sale:percent', 200]]); // volume 20.00
      const s2 = await sale(p, aff, 2000); // volume 40.00
      assert.deepEqual(rules(s2.commissions), [['sale:percent', 200]]);
      h.expectStatus(await srv.api('POST', `/v1/conversions/${s2.conversion.id}/reject`, { body: { reason: 'x' } }), 200);
      // volume 60.00 >= 50.00 (the rejected sale still counts): 20 % of 20.00
      assert.deepEqual(rules((await sale(p, aff, 2000)).commissions), [['sale:tier:1', 400]]);

      const b = await h.createAffiliate(srv);
      const q = await program({ sale: { percent: '10', tiers: { levels: [{ min: 2, percent: '20' }] } } });
      assert.deepEqual(rules((await sale(q, b, 1000)).commissions), [['sale:percent', 100]]); // 1
      const rej = await sale(q, b, 1000, { status: 'rejected' }); // not counted
      assert.equal(rej.conversion.status, 'rejected');
      assert.ok(rej.commissions.every((l) => l.status === 'rejected'));
      assert.deepEqual(rules((await sale(q, b, 1000)).commissions), [['sale:tier:1', 200]], 'the second counted sale reaches the tier');
    });

    it('caps: bonuses and overrides are not counted; retroactive adjustments are capped', async () => {
      const par = await h.createAffiliate(srv);
      const kid = await h.createAffiliate(srv, { parent_id: par.id });
      const p = await program({ sale: { percent: '10' }, caps: { affiliate_minor: 1000 }, sub_affiliates: ['10'], bonuses: [{ name: 'one', event: 'sale', conversions: 1, flat_minor: 500 }] });
      // sale 1: 10 % of 100.00 = 1000 (the whole cap); bonus 500 and parent 100 on top
      const s1 = await sale(p, kid, 10000);
      assert.deepEqual(s1.commissions.map((l) => [l.affiliate_id, l.rule, l.amount_minor]).sort(), [[kid.id, 'bonus:one', 500], [kid.id, 'sale:percent', 1000], [par.id, 'sub_affiliates:1', 100]].sort());
      // sale 2: nothing left
      const s2 = await sale(p, kid, 10000);
      assert.deepEqual(s2.commissions.filter((l) => l.affiliate_id === kid.id).map((l) => [l.rule, l.amount_minor]), [['caps:affiliate', 0]]);
      assert.equal(sum(s2.commissions.filter((l) => l.affiliate_id === par.id)), 0, 'the parent earns 10 % of 0');

      // retroactive: 10 % then 20 % from sale 3, cap 1000
      const a = await h.createAffiliate(srv);
      const r = await program({ sale: { percent: '10', tiers: { retroactive: true, levels: [{ min: 3, percent: '20' }] } }, caps: { affiliate_minor: 1000 } });
      const c = [];
      for (let i = 0; i < 3; i++) c.push((await sale(r, a, 3000)).conversion.id); // uncapped: 600 + 600 + 600 = 1800
      let total = 0;
      for (const id of c) total += sum(await lines(`conversion_id=${id}`));
      assert.equal(total, 1000, 'commission plus adjustments stop at the cap');
    });

    it('a flat tier level pays once per conversion', async () => {
      const aff = await h.createAffiliate(srv);
      const p = await program({ sale: { percent: '10', tiers: { levels: [{ min: 2, flat_minor: 500 }] } } });
      assert.deepEqual(rules((await sale(p, aff, 3000)).commissions), [['sale:percent', 300]]);
      // from sale 2: 5.00 per conversion whatever the amount or items
      assert.deepEqual(rules((await sale(p, aff, 100000)).commissions), [['sale:tier:1', 500]]);
      const r = await sale(p, aff, 100000, { items: [{ sku: 'A', amount_minor: 1000, quantity: 10 }] });
      assert.deepEqual(rules(r.commissions), [['sale:tier:1', 500]]);
    });

    it('renewals do not count towards bonus volume; they count in revenue', async () => {
      const aff = await h.createAffiliate(srv);
      const p = await program({ sale: { percent: '10', recurring: { months: 12 } }, bonuses: [{ name: 'two', event: 'sale', conversions: 2, flat_minor: 900 }] });
      const cust = h.uniq('cust');
      await sale(p, aff, 1000, { customer_id: cust }); // 1: 100
      const ren = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('REN'), amount_minor: 2000, renewal: true, customer_id: cust });
      assert.deepEqual(rules(ren.commissions), [['sale:percent', 200]], 'no bonus on the renewal');
      const s2 = await sale(p, aff, 1000); // the second counted sale: 100 + bonus 900
      assert.deepEqual(rules(s2.commissions).sort(), [['bonus:two', 900], ['sale:percent', 100]]);
      const rep = await srv.api('GET', `/v1/reports?program_id=${p.id}&from=${h.utcDay(-1)}&to=${h.utcDay(1)}`);
      h.expectStatus(rep, 200);
      // revenue 10.00 + 20.00 + 10.00; commission 100 + 200 + 100 + 900
      assert.deepEqual([rep.json.totals.conversions, rep.json.totals.revenue_minor, rep.json.totals.commission_minor], [3, 4000, 1300]);
    });

    it('renewals do not count towards tier volume', async () => {
      const aff = await h.createAffiliate(srv);
      const p = await program({ sale: { percent: '10', tiers: { levels: [{ min: 3, percent: '20' }] }, recurring: { months: 12 } } });
      const cust = h.uniq('cust');
      await sale(p, aff, 1000, { customer_id: cust }); // 1: 100
      const ren = await h.convOk(srv, { program_id: p.id, order_id: h.uniq('REN'), amount_minor: 1000, renewal: true, customer_id: cust });
      assert.deepEqual(rules(ren.commissions), [['sale:percent', 100]], 'renewal at the original tier (0)');
      assert.deepEqual(rules((await sale(p, aff, 1000)).commissions), [['sale:percent', 100]], 'sale 2 (the renewal did not count)');
      assert.deepEqual(rules((await sale(p, aff, 1000)).commissions), [['sale:tier:1', 200]], 'sale 3 reaches the tier');
    });
  });

  describe('lifecycle', () => {
    let prog; let aff;
    before(async () => {
      aff = await h.createAffiliate(srv);
      prog = await program({ sale: { percent: '10' } }); // hold_days 30: stays pending
    });
    const approve = (id) => srv.api('POST', `/v1/conversions/${id}/approve`, { body: {} });
    const reject = (id, reason) => srv.api('POST', `/v1/conversions/${id}/reject`, { body: reason === undefined ? {} : { reason } });

    it('approve: pending -> approved with its lines; again 409', async () => {
      const s = await sale(prog, aff, 10000);
      assert.equal(s.conversion.status, 'pending');
      assert.match(s.conversion.hold_until, h.ISO_TIME_RE);
      // hold_until is 30 days after created_at
      assert.equal(Date.parse(s.conversion.hold_until) - Date.parse(s.conversion.created_at), 30 * 86400000);
      const r = await approve(s.conversion.id);
      h.expectStatus(r, 200, 'approve');
      assert.equal(r.json.conversion.status, 'approved');
      assert.equal(r.json.conversion.hold_until, null);
      assert.deepEqual(r.json.commissions.map((l) => [l.status, l.amount_minor]), [['approved', 1000]]);
      h.expectError(await approve(s.conversion.id), 409, 'conflict', undefined, 'approve twice');
      h.expectError(await approve(987654321), 404, 'not_found');
      h.expectError(await srv.api('POST', `/v1/conversions/${s.conversion.id}/approve`, { body: {}, key: aff.api_key }), 403, 'forbidden');
      // an empty body is fine too
      const s2 = await sale(prog, aff, 100);
      const e = await srv.api('POST', `/v1/conversions/${s2.conversion.id}/approve`);
      h.expectStatus(e, 200, 'approve with no body');
      // a conversion posted approved skips the hold
      const s3 = await sale(prog, aff, 100, { status: 'approved' });
      assert.equal(s3.conversion.status, 'approved');
      assert.equal(s3.conversion.hold_until, null);
      assert.equal(s3.commissions[0].status, 'approved');
      h.expectError(await approve(s3.conversion.id), 409, 'conflict');
    });

    // docs/api.md: a replayed POST /v1/conversions answers the same conversion as it is now.
    it('a replay after approval answers the same conversion in its current state', async () => {
      const s = await sale(prog, aff, 1000);
      h.expectStatus(await approve(s.conversion.id), 200);
      const r = await h.postConversion(srv, { program_id: prog.id, order_id: s.conversion.order_id });
      h.expectStatus(r, 200);
      assert.equal(r.headers.get('idempotent-replayed'), 'true');
      assert.equal(r.json.conversion.id, s.conversion.id);
      assert.equal(r.json.conversion.status, 'approved');
      // approved, or already payable if the maintenance round ran in between (every 100 ms here)
      assert.deepEqual(r.json.commissions.map((l) => [l.id, l.amount_minor, l.status === 'payable' ? 'approved' : l.status]),
        s.commissions.map((l) => [l.id, l.amount_minor, 'approved']));
    });

    it('reject with reason: lines rejected; the conversion leaves the reports; 409 after', async () => {
      const a = await h.createAffiliate(srv);
      const p = await program({ sale: { percent: '10' }, sub_affiliates: ['10'] });
      const kid = await h.createAffiliate(srv, { parent_id: a.id });
      const report = async () => {
        const r = await srv.api('GET', `/v1/reports?program_id=${p.id}&group_by=program&from=${h.utcDay(-1)}&to=${h.utcDay(1)}`);
        h.expectStatus(r, 200, 'report');
        const t = r.json.totals;
        return { conversions: t.conversions, revenue_minor: t.revenue_minor, commission_minor: t.commission_minor };
      };
      const keep = await sale(p, kid, 10000); // kid 1000 + parent 100
      const gone = await sale(p, kid, 5000); // kid 500 + parent 50
      assert.deepEqual(await report(), { conversions: 2, revenue_minor: 15000, commission_minor: 1650 });
      const r = await reject(gone.conversion.id, 'duplicate order');
      h.expectStatus(r, 200, 'reject');
      assert.equal(r.json.conversion.status, 'rejected');
      assert.equal(r.json.conversion.reason, 'duplicate order');
      assert.deepEqual(r.json.commissions.map((l) => [l.affiliate_id, l.status]), [[kid.id, 'rejected'], [a.id, 'rejected']]);
      assert.deepEqual(await report(), { conversions: 1, revenue_minor: 10000, commission_minor: 1100 });
      assert.equal((await getConv(gone.conversion.id)).reason, 'duplicate order');
      h.expectError(await reject(gone.conversion.id, 'again'), 409, 'conflict', undefined, 'reject twice');
      h.expectError(await approve(gone.conversion.id), 409, 'conflict', undefined, 'approve a rejected conversion');
      // an approved conversion can be rejected too
      h.expectStatus(await approve(keep.conversion.id), 200);
      const r2 = await reject(keep.conversion.id, 'fraud');
      h.expectStatus(r2, 200, 'reject approved');
      assert.ok(r2.json.commissions.every((l) => l.status === 'rejected'));
      assert.deepEqual(await report(), { conversions: 0, revenue_minor: 0, commission_minor: 0 });
      // balances of rejected lines are zero
      const b = await srv.api('GET', `/v1/balances?program_id=${p.id}&affiliate_id=${kid.id}`);
      for (const row of b.json.data) {
        for (const k of ['pending_minor', 'approved_minor', 'payable_minor', 'in_payout_minor', 'paid_minor']) assert.equal(row[k], 0, k);
      }
    });

    it('bulk approve / reject: per-id results, including a bad id', async () => {
      const s = [];
      for (let i = 0; i < 4; i++) s.push((await sale(prog, aff, 1000 * (i + 1))).conversion.id);
      h.expectStatus(await approve(s[3]), 200);
      const r = await srv.api('POST', '/v1/conversions/bulk', { body: { action: 'approve', ids: [s[0], s[1], 987654321, s[3]] } });
      h.expectStatus(r, 200, 'bulk approve');
      assert.deepEqual(r.json.results.map((x) => [x.id, x.ok, x.error ? x.error.code : null]), [[s[0], true, null], [s[1], true, null], [987654321, false, 'not_found'], [s[3], false, 'conflict']]);
      for (const x of r.json.results.filter((y) => !y.ok)) assert.equal(typeof x.error.message, 'string');
      assert.equal((await getConv(s[0])).status, 'approved');
      assert.equal((await getConv(s[1])).status, 'approved');
      assert.equal((await getConv(s[2])).status, 'pending');

      const rj = await srv.api('POST', '/v1/conversions/bulk', { body: { action: 'reject', ids: [s[2], s[0], 987654321], reason: 'test traffic' } });
      h.expectStatus(rj, 200, 'bulk reject');
      assert.deepEqual(rj.json.results.map((x) => [x.id, x.ok, x.error ? x.error.code : null]), [[s[2], true, null], [s[0], true, null], [987654321, false, 'not_found']]);
      for (const id of [s[2], s[0]]) {
        const c = await getConv(id);
        assert.equal(c.status, 'rejected');
        assert.equal(c.reason, 'test traffic');
        assert.ok((await lines(`conversion_id=${id}`)).every((l) => l.status === 'rejected'));
      }
      // each id on its own: a repeated id is applied twice
      const d = (await sale(prog, aff, 1000)).conversion.id;
      const dup = await srv.api('POST', '/v1/conversions/bulk', { body: { action: 'approve', ids: [d, d] } });
      h.expectStatus(dup, 200);
      assert.deepEqual(dup.json.results.map((x) => [x.id, x.ok, x.error ? x.error.code : null]), [[d, true, null], [d, false, 'conflict']]);
      // many conversions in one bulk: every one leaves the reports (the writer's job
      // staged at most 16 report rows, and the 17th id on failed with out_of_range)
      const report = async () => {
        const r = await srv.api('GET', `/v1/reports?program_id=${prog.id}&from=${h.utcDay(-1)}&to=${h.utcDay(1)}`);
        h.expectStatus(r, 200, 'report');
        return [r.json.totals.conversions, r.json.totals.revenue_minor, r.json.totals.commission_minor];
      };
      const before = await report();
      const bulk = [];
      for (let i = 0; i < 40; i++) bulk.push((await sale(prog, aff, 1000)).conversion.id);
      const rb = await srv.api('POST', '/v1/conversions/bulk', { body: { action: 'reject', ids: bulk } });
      h.expectStatus(rb, 200, 'bulk reject of 40');
      assert.deepEqual(rb.json.results.filter((x) => !x.ok), []);
      assert.deepEqual(await report(), before);
      // 500 ids is the most
      const many = await srv.api('POST', '/v1/conversions/bulk', { body: { action: 'approve', ids: Array.from({ length: 500 }, (_, i) => 900000000 + i) } });
      h.expectStatus(many, 200, '500 ids');
      assert.equal(many.json.results.length, 500);
      assert.ok(many.json.results.every((x) => x.ok === false && x.error.code === 'not_found'));
      // validation
      h.expectError(await srv.api('POST', '/v1/conversions/bulk', { body: { action: 'approve', ids: [] } }), 422, 'invalid_argument', 'ids');
      h.expectError(await srv.api('POST', '/v1/conversions/bulk', { body: { action: 'approve', ids: Array.from({ length: 501 }, (_, i) => i + 1) } }), 422, 'invalid_argument', 'ids');
      h.expectError(await srv.api('POST', '/v1/conversions/bulk', { body: { action: 'pay', ids: [s[1]] } }), 422, 'invalid_argument', 'action');
      // an id that is not a positive integer: 422, and the server lives on (it freed the
      // id array twice and died)
      for (const bad of [null, '1', 0, -3, 1.5]) {
        h.expectError(await srv.api('POST', '/v1/conversions/bulk', { body: { action: 'reject', ids: [s[1], bad] } }), 422, 'invalid_argument', 'ids');
        h.expectError(await srv.api('POST', '/v1/commissions/approve', { body: { ids: [bad] } }), 422, 'invalid_argument', 'ids');
      }
      assert.equal((await getConv(s[1])).status, 'approved');
      h.expectError(await srv.api('POST', '/v1/conversions/bulk', { body: { action: 'approve', ids: [s[1]] }, key: aff.api_key }), 403, 'forbidden');
    });

    it('POST /v1/commissions/approve: pending lines become approved, per-id results', async () => {
      const s = await sale(prog, aff, 20000); // 2000
      const lid = s.commissions[0].id;
      const r = await srv.api('POST', '/v1/commissions/approve', { body: { ids: [lid, 987654321] } });
      h.expectStatus(r, 200, 'approve lines');
      assert.deepEqual(r.json.results.map((x) => [x.id, x.ok, x.error ? x.error.code : null]), [[lid, true, null], [987654321, false, 'not_found']]);
      const ls = await lines(`conversion_id=${s.conversion.id}`);
      // approved, or already payable if the maintenance round ran in between (every 100 ms here)
      assert.deepEqual(ls.map((l) => [l.id, l.status === 'payable' ? 'approved' : l.status]), [[lid, 'approved']]);
      const again = await srv.api('POST', '/v1/commissions/approve', { body: { ids: [lid] } });
      h.expectStatus(again, 200);
      assert.equal(again.json.results[0].ok, false);
      assert.equal(again.json.results[0].error.code, 'conflict');
      h.expectError(await srv.api('POST', '/v1/commissions/approve', { body: { ids: [] } }), 422, 'invalid_argument', 'ids');
    });

    it('auto-approval after hold_days 0 and release to payable only for approved affiliates', async () => {
      const p = await program({ sale: { percent: '10' } }, { hold_days: 0 });
      const ok = await h.createAffiliate(srv);
      const s = await sale(p, ok, 10000); // 1000
      const st = await waitFor('auto-approve and release', async () => {
        const c = await getConv(s.conversion.id);
        const ls = await lines(`conversion_id=${s.conversion.id}`);
        return { ok: c.status === 'approved' && ls[0].status === 'payable', conv: c.status, line: ls[0].status };
      });
      assert.equal(st.conv, 'approved');
      let b = await srv.api('GET', `/v1/balances?program_id=${p.id}&affiliate_id=${ok.id}`);
      assert.deepEqual(b.json.data.map((x) => [x.pending_minor, x.approved_minor, x.payable_minor]), [[0, 0, 1000]]);

      // A suspended affiliate's lines are approved but stay approved.
      const sus = await h.createAffiliate(srv);
      const hold = await program({ sale: { percent: '10' } }); // hold 30 days
      const s2 = await sale(hold, sus, 20000); // 2000
      h.expectStatus(await srv.api('PATCH', `/v1/affiliates/${sus.id}`, { body: { status: 'suspended' } }), 200);
      h.expectStatus(await approve(s2.conversion.id), 200);
      await sleep(600); // several ticks
      const ls = await lines(`conversion_id=${s2.conversion.id}`);
      assert.deepEqual(ls.map((l) => l.status), ['approved'], 'a suspended affiliate\'s line stays approved');
      b = await srv.api('GET', `/v1/balances?program_id=${hold.id}&affiliate_id=${sus.id}`);
      assert.deepEqual(b.json.data.map((x) => [x.approved_minor, x.payable_minor]), [[2000, 0]]);
      // approved again: the ticker releases it
      h.expectStatus(await srv.api('PATCH', `/v1/affiliates/${sus.id}`, { body: { status: 'approved' } }), 200);
      await waitFor('release after re-approval', async () => {
        const l2 = await lines(`conversion_id=${s2.conversion.id}`);
        return { ok: l2[0].status === 'payable', status: l2[0].status };
      });
    });
  });

  it('afftrack replay --json re-prices a program under another plan version', async () => {
    const { spawnSync } = require('node:child_process');
    const aff = await h.createAffiliate(srv);
    const p = await program({ sale: { percent: '10' } });
    await sale(p, aff, 10000); // 1000 under v1
    h.expectStatus(await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { commission: { sale: { percent: '20' } } } }), 200);
    await sale(p, aff, 10000); // 2000 under v2
    // under v1 both would earn 1000: recorded 3000, replayed 2000, difference -1000
    const r = spawnSync(h.BIN, ['replay', '--data', srv.dataDir, '--program', String(p.id), '--from', h.utcDay(-1), '--to', h.utcDay(1), '--version', '1', '--json'], { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 0, `replay exit 0: ${r.stdout} ${r.stderr}`);
    const out = JSON.stringify(JSON.parse(r.stdout));
    for (const n of ['3000', '2000', '-1000']) assert.ok(out.includes(n), `replay output names ${n}: ${r.stdout}`);
  });

  it('afftrack verify reports ok', async () => {
    const v = h.runVerify(srv.dataDir);
    assert.equal(v.status, 0, `verify exit 0: ${v.stdout} ${v.stderr}`);
    assert.equal(v.json.ok, true);
    assert.deepEqual(v.json.problems, []);
  });
});
