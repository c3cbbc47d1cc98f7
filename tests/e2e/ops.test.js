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

// Numbers on the command line are plain decimals, as ids are in the API: strtoll took
// "+5" and " 5" and clamped "99999999999999999999" to the largest int64. Each refusal
// exits 2 before the store is touched and names the option and the value; the same
// option with a plain number is read (the command goes on to its own answer).
describe('command-line numbers', () => {
  let dir;
  before(() => { dir = h.makeDataDir(); });
  after(() => { h.removeDir(dir); });

  const run = (args) => spawnSync(h.BIN, args, { encoding: 'utf8', timeout: 30000, input: 'a long password\n' });
  const cases = [
    { args: (v) => ['payout', 'paid', '--data', dir, '--id', v], option: '--id', good: '5' },
    { args: (v) => ['payout', 'run', '--data', dir, '--program', v], option: '--program', good: '1' },
    { args: (v) => ['replay', '--data', dir, '--program', v, '--from', '2026-01-01', '--to', '2026-01-02'], option: '--program', good: '1' },
    { args: (v) => ['replay', '--data', dir, '--program', '1', '--from', '2026-01-01', '--to', '2026-01-02', '--version', v], option: '--version', good: '1' },
    { args: (v) => ['user', 'create', '--data', dir, '--email', 'x@example.com', '--password-stdin', '--affiliate-id', v], option: '--affiliate-id', good: '7' },
    { args: (v) => ['generate', '--data', dir, '--clicks', '0', '--days', v], option: '--days', good: '3' },
  ];
  const bad = ['+5', ' 5', '5 ', '-5', '0', '0x10', '1e3', '', '99999999999999999999', '9223372036854775808'];

  for (const c of cases) {
    it(`${c.args('N').slice(0, 2).join(' ')} ${c.option}: only a plain decimal in range`, () => {
      const runs = bad.map((v) => [v, run(c.args(v))]);
      assert.deepEqual(runs.map(([v, r]) => [v, r.status]), bad.map((v) => [v, 2]), `${c.option}: every one refused, exit 2`);
      for (const [v, r] of runs) {
        assert.ok(r.stderr.includes(`${c.option}: "${v}"`), `${c.option} "${v}": names the option and the value: ${r.stderr}`);
      }
      const ok = run(c.args(c.good));
      assert.ok(!ok.stderr.includes(`${c.option}:`), `${c.option} ${c.good} is read: ${ok.stderr}`);
    });
  }

  it('generate counts keep their ranges, with the range in the message', () => {
    const r = run(['generate', '--data', dir, '--clicks', '0', '--days', '3651']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--days: "3651" is not an integer from 1 to 3650/);
    const seed = run(['generate', '--data', dir, '--clicks', '0', '--seed', '9223372036854775808']);
    assert.equal(seed.status, 2, 'one past the largest int64 is refused, not clamped');
    assert.match(seed.stderr, /--seed: "9223372036854775808"/);
  });
});
