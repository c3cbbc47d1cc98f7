'use strict';
// Several HTTP event loops (--workers N) under concurrent load: every loop answers, the
// server stays up and exits 0 on SIGTERM, and every acknowledged click and conversion is
// stored exactly once.
//
// Regression: with two loops the h2o objects of every loop were made on the main thread,
// so the loops shared its per-thread buffer recycler and corrupted the heap within
// seconds of keep-alive click load ("corrupted double-linked list", SIGSEGV; found by
// `make bench`'s two-worker run, diagnosed with ThreadSanitizer).

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const h = require('./helpers');

const CONNECTIONS = 48;
const CLICKS = 6000;
const CONVERSIONS = 300;
const NO_VELOCITY = ['--fraud-ip-velocity', 'off', '--fraud-ip-link-velocity', 'off', '--fraud-duplicate-click', 'off'];
const BROWSER = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml', 'accept-language': 'en-US,en;q=0.9',
};

let srv;
after(async () => { if (srv) await srv.cleanup(); });

test('two event loops under concurrent clicks and conversions stay up and lose nothing', async () => {
  srv = await h.startServer({ args: ['--workers', '2', '--log-level', 'warn', ...NO_VELOCITY] });
  const ctx = await h.setup(srv);
  const coupon = await h.createCoupon(srv, ctx.program.id, ctx.affiliate.id, h.uniq('W').toUpperCase());

  // Many keep-alive connections, so both loops (SO_REUSEPORT spreads connections) get work.
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const acked = [];
  const bad = [];
  let next = 0;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (next < CLICKS) {
      next += 1;
      const r = await h.rawRequest(srv.url, 'GET', `/r/${ctx.link.code}?sub1=w`, { agent, headers: BROWSER, timeoutMs: 20000 });
      if (r.status === 302) acked.push(new URL(r.headers.location).searchParams.get('click_id'));
      else bad.push(`click -> ${r.status}`);
    }
  }));
  const orders = [];
  await h.pool(Array.from({ length: CONVERSIONS }, (_, i) => `wk-${i}`), 32, async (order) => {
    const r = await h.postConversion(srv, { program_id: ctx.program.id, order_id: order, amount_minor: 1000, coupon: coupon.code });
    if (r.status === 201) orders.push(order);
    else bad.push(`conversion ${order} -> ${r.status} ${r.text.slice(0, 120)}`);
  });
  agent.destroy();
  assert.deepEqual(bad.slice(0, 5), [], `${bad.length} requests failed`);
  assert.ok(srv.running(), `the server is still running (stderr: ${srv.stderr().slice(-500)})`);

  const metrics = await srv.raw('GET', '/metrics');
  assert.equal(metrics.status, 200);

  const clicks = await h.listAll(srv, `/v1/clicks?link_id=${ctx.link.id}`, { idField: 'click_id' });
  const stored = new Set(clicks.map((c) => c.click_id));
  assert.equal(stored.size, clicks.length, 'no click stored twice');
  assert.equal(new Set(acked).size, acked.length, 'no click id handed out twice');
  assert.equal(clicks.length, acked.length, 'clicks stored == 302s answered');
  assert.deepEqual(acked.filter((id) => !stored.has(id)).slice(0, 5), [], 'every acknowledged click is stored');

  const convs = await h.listAll(srv, `/v1/conversions?program_id=${ctx.program.id}`);
  assert.equal(convs.length, orders.length, 'conversions stored == 201s answered');
  assert.equal(new Set(convs.map((c) => c.order_id)).size, convs.length, 'no duplicate order ids');

  const exit = await srv.stop(20000);
  assert.deepEqual(exit, { code: 0, signal: null }, `clean exit on SIGTERM (stderr: ${srv.stderr().slice(-500)})`);
});
