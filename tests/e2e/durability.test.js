'use strict';
// The SIGKILL test (DESIGN.md section 8, tier 4): concurrent clicks and conversions,
// kill -9 at a random moment, restart on the same data dir, repeat; then prove that
// nothing acknowledged was lost, nothing was doubled, idempotency survived, and that
// `afftrack verify` agrees with the reports.
//
// Round 1 uses click_durability=commit (every acknowledged click must survive).
// Round 2 uses click_durability=async: acknowledged clicks may be lost (at most
// group_commit_ms worth), conversions may not; nothing may be duplicated.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const h = require('./helpers');

const CONCURRENCY = 12;
const ROUNDS = 4;
const UAS = ['load-ua-1', 'load-ua-2', 'load-ua-3'];
// All load comes from 127.0.0.1: the per-IP velocity rules would reject most clicks, and
// conversions naming those click ids would be refused. This test is about durability, so
// they are off here; tests/e2e/fraud.test.js covers them.
const NO_VELOCITY = ['--fraud-ip-velocity', 'off', '--fraud-ip-link-velocity', 'off', '--fraud-duplicate-click', 'off'];

function randInt(lo, hi) { return lo + Math.floor(Math.random() * (hi - lo + 1)); }

/**
 * Run mixed load against srv until it is SIGKILLed after a random 300-800 ms.
 * state: { clicks: [] acked click ids, orders: Map order_id -> {id, amount_minor},
 *          unexpected: [], attempts: 0 }
 */
async function loadAndKill(srv, ctx, state, round, { useClickIds }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let killed = false;
  let seq = 0;
  const worker = async (w) => {
    while (!killed) {
      const doClick = Math.random() < 0.6 || (useClickIds && state.clicks.length === 0);
      try {
        if (doClick) {
          const r = await h.rawRequest(srv.url, 'GET', `/r/${ctx.link.code}`, {
            headers: { 'user-agent': UAS[randInt(0, UAS.length - 1)] }, agent, timeoutMs: 10000,
          });
          if (r.status === 302) {
            const id = new URL(r.headers.location).searchParams.get('click_id');
            if (!h.CLICK_ID_RE.test(String(id))) state.unexpected.push(`bad click id in ${r.headers.location}`);
            state.clicks.push(id);
          } else if (!killed && r.status !== 503) {
            state.unexpected.push(`click -> ${r.status} ${r.text.slice(0, 200)}`);
          }
        } else {
          const orderId = `r${round}-w${w}-${seq++}`;
          const amount = randInt(100, 100000);
          const body = { program_id: ctx.program.id, order_id: orderId, amount_minor: amount };
          if (useClickIds) body.click_id = state.clicks[randInt(0, state.clicks.length - 1)];
          else body.coupon = ctx.coupon.code;
          state.attempts += 1;
          const r = await h.api(srv.url, 'POST', '/v1/conversions', { key: srv.adminKey, body, signal: AbortSignal.timeout(10000) });
          if (r.status === 201) {
            if (state.orders.has(orderId)) state.unexpected.push(`order ${orderId} acknowledged twice`);
            state.orders.set(orderId, { id: r.json.conversion.id, amount_minor: amount, commission: r.json.commissions.reduce((s, l) => s + l.amount_minor, 0) });
          } else if (!killed && r.status !== 503) {
            state.unexpected.push(`conversion ${JSON.stringify(body)} -> ${r.status} ${r.text.slice(0, 200)}`);
          }
        }
      } catch (e) {
        if (!killed) state.unexpected.push(`request error before the kill: ${e.message}`);
      }
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, (_, w) => worker(w));
  await new Promise((resolve) => setTimeout(resolve, randInt(300, 800)));
  killed = true;
  const exit = await srv.kill();
  assert.equal(exit.signal, 'SIGKILL', 'the server died of SIGKILL');
  await Promise.all(workers);
  agent.destroy();
}

async function checkFinal(srv, ctx, state, { clicksMustSurvive }) {
  // acknowledged click ids are never handed out twice
  assert.equal(new Set(state.clicks).size, state.clicks.length, 'no click id acknowledged twice');
  const listedClicks = await h.listAll(srv, `/v1/clicks?link_id=${ctx.link.id}`, { idField: 'click_id' });
  const listedIds = listedClicks.map((c) => c.click_id);
  const listedSet = new Set(listedIds);
  assert.equal(listedSet.size, listedIds.length, 'no click stored twice');
  const acked = new Set(state.clicks);
  if (clicksMustSurvive) {
    const missing = state.clicks.filter((id) => !listedSet.has(id));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} of ${state.clicks.length} acknowledged clicks missing from the list`);
    const statuses = await h.pool(state.clicks, 32, async (id) => (await srv.api('GET', `/v1/clicks/${id}`)).status);
    const bad = state.clicks.filter((_, i) => statuses[i] !== 200);
    assert.deepEqual(bad.slice(0, 10), [], `${bad.length} acknowledged clicks not found by GET /v1/clicks/{id}`);
  } else {
    const unacked = listedIds.filter((id) => !acked.has(id));
    assert.ok(unacked.length <= CONCURRENCY * ROUNDS, `${unacked.length} stored clicks were never acknowledged (more than were in flight)`);
  }

  const conversions = await h.listAll(srv, `/v1/conversions?program_id=${ctx.program.id}`);
  const byOrder = new Map();
  for (const c of conversions) {
    assert.ok(!byOrder.has(c.order_id), `order ${c.order_id} stored twice`);
    byOrder.set(c.order_id, c);
  }
  const lost = [];
  for (const [order, ack] of state.orders) {
    const c = byOrder.get(order);
    if (!c) { lost.push(order); continue; }
    assert.equal(c.id, ack.id, `order ${order} keeps its id`);
    assert.equal(c.amount_minor, ack.amount_minor, `order ${order} keeps its amount`);
  }
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} of ${state.orders.size} acknowledged conversions lost`);
  assert.ok(conversions.length <= state.attempts, 'no more conversions than were attempted');

  // re-posting acknowledged order ids replays
  const sample = [...state.orders.keys()].sort(() => Math.random() - 0.5).slice(0, 10);
  for (const order of sample) {
    const r = await h.postConversion(srv, { program_id: ctx.program.id, order_id: order, amount_minor: 1, coupon: ctx.coupon.code });
    assert.equal(r.status, 200, `re-post of acknowledged ${order}: ${r.status} ${r.text}`);
    assert.equal(r.headers.get('idempotent-replayed'), 'true');
    assert.equal(r.json.conversion.id, state.orders.get(order).id);
  }

  // reports agree with the raw data
  const from = h.utcDay(-1);
  const to = h.utcDay(1);
  const rep = await srv.api('GET', `/v1/reports${h.qs({ from, to, program_id: ctx.program.id })}`);
  h.expectStatus(rep, 200);
  const t = rep.json.totals;
  // every stored click is in exactly one of clicks, bot_clicks and rejected_clicks (docs/fraud.md:
  // this load comes from one IP, so velocity rules reject part of it)
  assert.equal(t.clicks + t.bot_clicks + t.rejected_clicks, listedClicks.length, 'report clicks = stored clicks');
  assert.equal(t.clicks, listedClicks.filter((c) => !c.bot && !c.rejected).length, 'report clicks = stored valid clicks');
  assert.equal(t.bot_clicks, listedClicks.filter((c) => c.bot).length, 'report bot clicks = stored bot clicks');
  assert.equal(t.unique_clicks, listedClicks.filter((c) => c.unique).length, 'report unique clicks = stored unique clicks');
  assert.equal(t.conversions, conversions.length, 'report conversions = stored conversions');
  assert.equal(t.revenue_minor, conversions.reduce((s, c) => s + c.amount_minor, 0), 'report revenue = sum of stored amounts');
  assert.equal(t.commission_minor, conversions.reduce((s, c) => s + h.percentOf(c.amount_minor, '10'), 0), 'report commission = 10% of each stored amount');
  assert.equal(t.refunds_minor, 0);
  return t;
}

function checkVerify(dataDir, totals, what) {
  const v = h.runVerify(dataDir);
  assert.equal(v.status, 0, `${what}: afftrack verify exit status (stdout ${v.stdout} stderr ${v.stderr})`);
  assert.ok(v.json, `${what}: verify printed JSON: ${v.stdout}`);
  assert.equal(v.json.ok, true, what);
  assert.deepEqual(v.json.problems, [], what);
  if (totals) {
    for (const k of ['clicks', 'unique_clicks', 'conversions', 'revenue_minor', 'commission_minor', 'refunds_minor']) {
      assert.equal(v.json[k], totals[k], `${what}: verify ${k} = report ${k}`);
    }
  }
}

async function scenario(t, args, { clicksMustSurvive, useClickIds }) {
  const dataDir = h.makeDataDir();
  const adminKey = h.randomKey();
  let srv;
  try {
    srv = await h.startServer({ dataDir, adminKey, args: [...args, ...NO_VELOCITY] });
    const ctx = await h.setup(srv, { program: { commission: { sale: { percent: '10' } } } });
    ctx.coupon = await h.createCoupon(srv, ctx.program.id, ctx.affiliate.id, h.uniq('DUR'));
    const state = { clicks: [], orders: new Map(), unexpected: [], attempts: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) srv = await h.startServer({ dataDir, adminKey, args: [...args, ...NO_VELOCITY] });
      await loadAndKill(srv, ctx, state, round, { useClickIds });
      if (round === 0) checkVerify(dataDir, null, 'verify right after a SIGKILL');
    }
    assert.deepEqual(state.unexpected.slice(0, 10), [], `${state.unexpected.length} unexpected answers before the kill`);
    assert.ok(state.clicks.length > 0 && state.orders.size > 0, `load made progress (${state.clicks.length} clicks, ${state.orders.size} conversions)`);

    srv = await h.startServer({ dataDir, adminKey, args: [...args, ...NO_VELOCITY] });
    const totals = await checkFinal(srv, ctx, state, { clicksMustSurvive });
    t.diagnostic(`${ROUNDS} kills: ${state.clicks.length} clicks and ${state.orders.size} conversions acknowledged; stored ${totals.clicks} clicks, ${totals.conversions} conversions`);

    // a clean shutdown drains: every click acknowledged before SIGTERM is kept
    const drained = [];
    await h.pool(Array.from({ length: 40 }, (_, i) => i), 8, async () => { drained.push((await h.clickOk(srv, ctx.link.code)).clickId); });
    const exit = await srv.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, 'SIGTERM exits 0');
    srv = await h.startServer({ dataDir, adminKey, args: [...args, ...NO_VELOCITY] });
    for (const id of drained) h.expectStatus(await srv.api('GET', `/v1/clicks/${id}`), 200, `click ${id} acknowledged before SIGTERM`);
    const rep = await srv.api('GET', `/v1/reports${h.qs({ from: h.utcDay(-1), to: h.utcDay(1), program_id: ctx.program.id })}`);
    assert.equal(rep.json.totals.clicks, totals.clicks + drained.length);
    const exit2 = await srv.stop();
    assert.equal(exit2.code, 0);
    checkVerify(dataDir, rep.json.totals, 'verify after the final shutdown');
  } finally {
    if (srv) await srv.cleanup();
    h.removeDir(dataDir);
  }
}

describe('durability under kill -9', { timeout: 120000 }, () => {
  it('click_durability=commit: every acknowledged click and conversion survives, none doubled', async (t) => {
    await scenario(t, [], { clicksMustSurvive: true, useClickIds: true });
  });

  it('click_durability=async: conversions survive, nothing is doubled', async (t) => {
    await scenario(t, ['--click-durability', 'async'], { clicksMustSurvive: false, useClickIds: false });
  });
});
