'use strict';
// Operations: /healthz, /metrics, SIGTERM drains and exits 0, restart keeps data,
// the bootstrap admin key only applies to an empty store, afftrack verify.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const h = require('./helpers');

describe('operations', () => {
  let srv; let dataDir;
  before(async () => {
    dataDir = h.makeDataDir();
    srv = await h.startServer({ dataDir });
  });
  after(async () => {
    if (srv) await srv.cleanup();
    h.removeDir(dataDir);
  });

  it('GET /healthz is {"status":"ok", "fraud": {...}} without auth', async () => {
    const r = await srv.api('GET', '/healthz', { key: null });
    h.expectStatus(r, 200);
    assert.equal(r.json.status, 'ok');
    assert.deepEqual(Object.keys(r.json).sort(), ['fraud', 'status']);
    // the screening rules with the default config: lists and databases absent = inactive
    const byName = Object.fromEntries(r.json.fraud.rules.map((x) => [x.name, x]));
    assert.deepEqual(byName.bot_user_agent, { code: 101, name: 'bot_user_agent', action: 'reject', active: true });
    assert.deepEqual(byName.blocked_cidr, { code: 103, name: 'blocked_cidr', action: 'block', active: false,
      inactive_reason: 'no blocked_cidrs or blocked_cidrs_file' });
    assert.equal(byName.hosting_asn.inactive_reason, 'no asn_db');
    assert.equal(r.json.fraud.asn_db, false);
    assert.match(r.json.fraud.bot_list, /^crawler-user-agents \d+\.\d+\.\d+$/);
    assert.ok(r.json.fraud.bot_patterns > 1000);
  });

  it('GET /metrics exports the documented series and counts clicks and conversions', async () => {
    const m0 = await srv.raw('GET', '/metrics');
    assert.equal(m0.status, 200);
    assert.match(String(m0.headers['content-type']), /^text\/plain/);
    for (const name of ['afftrack_http_requests_total', 'afftrack_clicks_total', 'afftrack_conversions_total',
      'afftrack_writer_batches_total', 'afftrack_writer_jobs_total', 'afftrack_writer_queue_depth', 'afftrack_pixel_errors_total']) {
      assert.ok(m0.text.includes(name), `metrics contain ${name}`);
      assert.notEqual(h.metricValue(m0.text, name), null, `${name} has a sample`);
    }
    assert.match(m0.text, /afftrack_http_requests_total\{[^}]*route="[^"]+"[^}]*\}\s+\d/);
    const { program, link } = await h.setup(srv);
    const clicks0 = h.metricValue(m0.text, 'afftrack_clicks_total');
    const conv0 = h.metricValue(m0.text, 'afftrack_conversions_total');
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await h.clickOk(srv, link.code)).clickId);
    await h.click(srv, link.code, { method: 'HEAD' });
    const order = h.uniq('m');
    await h.convOk(srv, { program_id: program.id, order_id: order, amount: '1', click_id: ids[0] });
    await h.convOk(srv, { program_id: program.id, order_id: h.uniq('m'), amount: '1', click_id: ids[1] });
    h.expectStatus(await h.postConversion(srv, { program_id: program.id, order_id: order, amount: '1' }), 200, 'replay');
    const m1 = await srv.raw('GET', '/metrics');
    assert.equal(h.metricValue(m1.text, 'afftrack_clicks_total') - clicks0, 5, 'five clicks counted (HEAD not)');
    assert.equal(h.metricValue(m1.text, 'afftrack_conversions_total') - conv0, 2, 'two new conversions counted (not the replay)');
    assert.ok(h.metricValue(m1.text, 'afftrack_writer_jobs_total') >= 7);
    assert.ok(h.metricValue(m1.text, 'afftrack_writer_batches_total') >= 1);
  });

  it('SIGTERM exits 0; a restart keeps everything; the bootstrap key only seeds an empty store', async () => {
    const { program, affiliate, link } = await h.setup(srv);
    const c = await h.clickOk(srv, link.code);
    const conv = await h.convOk(srv, { program_id: program.id, order_id: h.uniq('p'), amount: '12.00', click_id: c.clickId });
    const oldKey = srv.adminKey;
    const exit = await srv.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, 'SIGTERM drains and exits 0');

    const v = h.runVerify(dataDir);
    assert.equal(v.status, 0, `verify: ${v.stdout} ${v.stderr}`);
    assert.equal(v.json.ok, true);
    assert.deepEqual(v.json.problems, []);
    assert.ok(v.json.clicks >= 6);
    assert.ok(v.json.conversions >= 3);

    const newKey = h.randomKey('other');
    srv = await h.startServer({ dataDir, adminKey: newKey });
    h.expectError(await srv.api('GET', '/v1/programs', { key: newKey }), 401, 'unauthenticated', undefined, 'a second bootstrap key is ignored');
    const r = await srv.api('GET', `/v1/programs/${program.id}`, { key: oldKey });
    h.expectStatus(r, 200, 'the first admin key still works');
    assert.equal(r.json.postback_token, program.postback_token);
    h.expectStatus(await srv.api('GET', `/v1/clicks/${c.clickId}`, { key: oldKey }), 200, 'click survived');
    const g = await srv.api('GET', `/v1/conversions/${conv.conversion.id}`, { key: oldKey });
    h.expectStatus(g, 200, 'conversion survived');
    h.expectStatus(await srv.api('GET', '/v1/me', { key: affiliate.api_key }), 200, 'affiliate key survived');
    const again = await h.clickOk(srv, link.code);
    assert.notEqual(again.clickId, c.clickId);
    const replay = await h.postConversion(srv, { program_id: program.id, order_id: conv.conversion.order_id, amount: '12.00' }, { key: oldKey });
    h.expectStatus(replay, 200, 'idempotency survives a restart');
    assert.deepEqual(replay.json, conv);
    srv.adminKey = oldKey;
    // the click id of the earlier process validates in the new one (secret persisted)
    const pb = await srv.api('GET', `/postback${h.qs({ token: program.postback_token, click_id: c.clickId, order_id: h.uniq('p2'), amount: '1' })}`, { key: null });
    h.expectStatus(pb, 201, 'click id from before the restart');
  });

  it('verify works while the server runs', async () => {
    const v = h.runVerify(dataDir);
    assert.equal(v.status, 0, `verify: ${v.stdout} ${v.stderr}`);
    assert.equal(v.json.ok, true);
  });

  it('verify finds a rollup that disagrees with the raw events (exit 1)', async (t) => {
    // Needs the sqlite3 shell to tamper with a copy of the store (table stats_hourly,
    // DESIGN.md section 5). The copy is taken after a clean shutdown.
    if (spawnSync('sqlite3', ['-version']).status !== 0) { t.skip('no sqlite3 shell'); return; }
    const exit = await srv.stop();
    assert.equal(exit.code, 0);
    const copy = h.makeDataDir();
    try {
      fs.cpSync(dataDir, copy, { recursive: true });
      const dbs = fs.readdirSync(copy).filter((f) => /\.(db|sqlite3?)$/.test(f));
      if (dbs.length === 0) { t.skip('no SQLite file in the data dir'); return; }
      const before0 = h.runVerify(copy);
      assert.equal(before0.status, 0, 'the untouched copy verifies');
      const r = spawnSync('sqlite3', [path.join(copy, dbs[0]), 'UPDATE stats_hourly SET clicks = clicks + 1 WHERE hour = (SELECT max(hour) FROM stats_hourly);'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const v = h.runVerify(copy);
      assert.equal(v.status, 1, `verify exit 1 on a mismatch: ${v.stdout} ${v.stderr}`);
      assert.equal(v.json.ok, false);
      assert.ok(Array.isArray(v.json.problems) && v.json.problems.length > 0, 'problems listed');
    } finally {
      h.removeDir(copy);
    }
  });
});
