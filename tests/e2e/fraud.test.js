'use strict';
// Click-time fraud screening (docs/fraud.md): known-bot and empty user agents counted as
// bot_clicks and never attributed, HEAD and prefetch never counted, the actions flag /
// reject / block per rule, blocked CIDRs (inline and file), velocity, and ASN / country
// from MaxMind DB files written by scripts/mmdb-write.js. Client addresses other than
// 127.0.0.1 arrive as X-Forwarded-For from a trusted 127.0.0.1 (the test connects over
// loopback only).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const h = require('./helpers');

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const MMDB_WRITE = path.resolve(__dirname, '../../scripts/mmdb-write.js');

async function totals(srv, programId) {
  const r = await srv.api('GET', `/v1/reports${h.qs({ from: h.utcDay(-1), to: h.utcDay(1), program_id: programId })}`);
  h.expectStatus(r, 200);
  return r.json.totals;
}

async function clickRow(srv, id) {
  const r = await srv.api('GET', `/v1/clicks/${id}`);
  h.expectStatus(r, 200);
  return r.json;
}

async function clicksOfLink(srv, linkId) {
  return h.listAll(srv, `/v1/clicks?link_id=${linkId}`, { idField: 'click_id' });
}

const as = (ip, ua = BROWSER, extra = {}) => ({ headers: { 'user-agent': ua, 'x-forwarded-for': ip, ...extra } });

describe('fraud screening, default rules', () => {
  let srv; let ctx;
  before(async () => {
    srv = await h.startServer({ args: ['--trusted-proxies', '127.0.0.1'] });
    ctx = await h.setup(srv, { program: { commission: { sale: { percent: '10' } } } });
  });
  after(async () => { if (srv) await srv.cleanup(); });

  it('a known bot is redirected without cookie, counted in bot_clicks and never attributed', async () => {
    const before0 = await totals(srv, ctx.program.id);
    const c = await h.clickOk(srv, ctx.link.code, as('127.0.10.1', GOOGLEBOT));
    assert.equal(c.cookie, null, 'no afftrack_click cookie for a bot');
    const row = await clickRow(srv, c.clickId);
    assert.equal(row.bot, true);
    assert.equal(row.rejected, false);
    assert.equal(row.unique, false);
    assert.equal(row.reason, 'bot_user_agent');
    assert.equal(row.reason_code, 101);
    const t = await totals(srv, ctx.program.id);
    assert.equal(t.bot_clicks, before0.bot_clicks + 1);
    assert.equal(t.clicks, before0.clicks, 'bots are not clicks');
    assert.equal(t.unique_clicks, before0.unique_clicks);
    const r = await h.postConversion(srv, { program_id: ctx.program.id, order_id: h.uniq('bot'), amount: '10.00', click_id: c.clickId });
    h.expectError(r, 422, 'not_attributed', 'click_id');
    assert.match(r.json.error.message, /screened/);
  });

  it('a screened click id is skipped: the visitor\'s earlier, valid cookie click attributes', async () => {
    const human = await h.clickOk(srv, ctx.link.code, as('127.0.10.2'));
    const bot = await h.clickOk(srv, ctx.link.code, as('127.0.10.2', 'curl/8.4.0'));
    assert.equal(bot.cookie, null, 'the bot click leaves the cookie alone');
    const order = h.uniq('mix');
    const px = await srv.raw('GET', `/px.gif${h.qs({ token: ctx.program.postback_token, click_id: bot.clickId, order_id: order, amount: '10.00' })}`,
      { headers: { cookie: `afftrack_click=${human.cookie}` } });
    assert.equal(px.status, 200);
    const conv = (await h.listAll(srv, `/v1/conversions?program_id=${ctx.program.id}`)).filter((c) => c.order_id === order);
    assert.equal(conv.length, 1, 'the pixel recorded a conversion');
    assert.equal(conv[0].method, 'cookie');
    assert.equal(conv[0].click_id, human.clickId);
  });

  it('an empty User-Agent is a bot', async () => {
    const before0 = await totals(srv, ctx.program.id);
    const c = await h.clickOk(srv, ctx.link.code, as('127.0.10.3', ''));
    const row = await clickRow(srv, c.clickId);
    assert.equal(row.bot, true);
    assert.equal(row.reason, 'empty_user_agent');
    assert.equal((await totals(srv, ctx.program.id)).bot_clicks, before0.bot_clicks + 1);
  });

  it('a browser is a click: counted, unique, attributable, nothing flagged', async () => {
    const before0 = await totals(srv, ctx.program.id);
    const c = await h.clickOk(srv, ctx.link.code, as('127.0.10.4'));
    assert.equal(c.cookie, c.clickId);
    const row = await clickRow(srv, c.clickId);
    assert.deepEqual([row.bot, row.rejected, row.flagged, row.reason, row.reason_code, row.unique], [false, false, false, null, null, true]);
    const t = await totals(srv, ctx.program.id);
    assert.equal(t.clicks, before0.clicks + 1);
    assert.equal(t.unique_clicks, before0.unique_clicks + 1);
    const r = await h.postConversion(srv, { program_id: ctx.program.id, order_id: h.uniq('ok'), amount: '10.00', click_id: c.clickId });
    h.expectStatus(r, 201);
  });

  for (const [name, value] of [['purpose', 'prefetch'], ['sec-purpose', 'prefetch'], ['sec-purpose', 'prefetch;prerender'], ['x-moz', 'prefetch']]) {
    it(`a prefetch (${name}: ${value}) is redirected but never counted`, async () => {
      const l = await h.createLink(srv, ctx.program.id, ctx.affiliate.id);
      const m0 = h.metricValue((await srv.raw('GET', '/metrics')).text, 'afftrack_clicks_not_counted_total');
      const c = await h.click(srv, l.code, as('127.0.10.5', BROWSER, { [name]: value }));
      assert.equal(c.status, 302);
      assert.ok(c.location.startsWith('https://'), c.location);
      assert.equal(c.clickId, null, 'no click id');
      assert.equal(c.cookie, null, 'no cookie');
      assert.equal((await clicksOfLink(srv, l.id)).length, 0, 'nothing recorded');
      const m1 = h.metricValue((await srv.raw('GET', '/metrics')).text, 'afftrack_clicks_not_counted_total');
      assert.equal(m1, m0 + 1);
    });
  }

  for (const [name, value] of [['sec-fetch-dest', 'image'], ['sec-fetch-dest', 'iframe'], ['sec-fetch-dest', 'script'], ['accept', 'image/avif,image/webp,*/*']]) {
    it(`a link loaded as a subresource (${name}: ${value}) is rejected as non_interactive`, async () => {
      const before0 = await totals(srv, ctx.program.id);
      const c = await h.clickOk(srv, ctx.link.code, as('127.0.10.7', BROWSER, { [name]: value }));
      assert.equal(c.cookie, null, 'a stuffed cookie is exactly what this rule prevents');
      const row = await clickRow(srv, c.clickId);
      assert.deepEqual([row.rejected, row.bot, row.reason, row.reason_code], [true, false, 'non_interactive', 109]);
      assert.equal((await totals(srv, ctx.program.id)).rejected_clicks, before0.rejected_clicks + 1);
    });
  }

  it('a navigation (sec-fetch-dest: document, accept: text/html) is a click', async () => {
    const c = await h.clickOk(srv, ctx.link.code, as('127.0.10.8', BROWSER, { 'sec-fetch-dest': 'document', accept: 'text/html,*/*' }));
    assert.equal(c.cookie, c.clickId);
    assert.equal((await clickRow(srv, c.clickId)).reason, null);
  });

  it('HEAD is never counted', async () => {
    const l = await h.createLink(srv, ctx.program.id, ctx.affiliate.id);
    const c = await h.click(srv, l.code, { ...as('127.0.10.6'), method: 'HEAD' });
    assert.equal(c.status, 302);
    assert.equal((await clicksOfLink(srv, l.id)).length, 0);
  });

  it('healthz lists the rules and metrics count their matches', async () => {
    const hz = (await srv.api('GET', '/healthz', { key: null })).json;
    assert.deepEqual(hz.fraud.rules.map((r) => r.code), [101, 102, 103, 104, 105, 106, 107, 108, 109]);
    const m = (await srv.raw('GET', '/metrics')).text;
    assert.ok(/afftrack_fraud_rule_matches_total\{rule="bot_user_agent",code="101"\} [1-9]/.test(m), m);
  });
});

describe('fraud screening, actions and lists', () => {
  let srv; let ctx; let dir;
  before(async () => {
    dir = h.makeDataDir();
    const listFile = path.join(dir, 'blocked.txt');
    fs.writeFileSync(listFile, '# blocked by the admin\n127.0.30.0/24\n\n::ffff:127.0.31.7 # one address\n');
    srv = await h.startServer({
      args: ['--trusted-proxies', '127.0.0.1', '--blocked-cidrs', '127.0.20.0/24, 127.0.21.9', '--blocked-cidrs-file', listFile,
        '--fraud-bot-user-agent', 'flag', '--fraud-empty-user-agent', 'block',
        '--ip-velocity-max', '1000', '--ip-link-velocity-max', '3', '--velocity-window-s', '600'],
    });
    ctx = await h.setup(srv, { program: { commission: { sale: { percent: '10' } } } });
  });
  after(async () => { if (srv) await srv.cleanup(); h.removeDir(dir); });

  for (const ip of ['127.0.20.1', '127.0.20.255', '127.0.21.9', '127.0.30.77', '127.0.31.7']) {
    it(`blocked network ${ip}: 403, no redirect, nothing recorded`, async () => {
      const l = await h.createLink(srv, ctx.program.id, ctx.affiliate.id);
      const c = await h.click(srv, l.code, as(ip));
      assert.equal(c.status, 403);
      assert.equal(c.location, null);
      assert.equal(c.cookie, null);
      assert.equal((await clicksOfLink(srv, l.id)).length, 0);
    });
  }

  it('neighbours of blocked networks pass', async () => {
    for (const ip of ['127.0.19.255', '127.0.21.8', '127.0.22.0', '127.0.31.8']) await h.clickOk(srv, ctx.link.code, as(ip));
  });

  it('bot_user_agent=flag: the bot is a click, flagged, and attributable', async () => {
    const before0 = await totals(srv, ctx.program.id);
    const c = await h.clickOk(srv, ctx.link.code, as('127.0.40.1', GOOGLEBOT));
    assert.equal(c.cookie, c.clickId, 'a flagged click gets its cookie');
    const row = await clickRow(srv, c.clickId);
    assert.deepEqual([row.bot, row.rejected, row.flagged, row.reason], [false, false, true, 'bot_user_agent']);
    const t = await totals(srv, ctx.program.id);
    assert.equal(t.clicks, before0.clicks + 1);
    assert.equal(t.bot_clicks, before0.bot_clicks);
    h.expectStatus(await h.postConversion(srv, { program_id: ctx.program.id, order_id: h.uniq('f'), amount: '5', click_id: c.clickId }), 201);
  });

  it('empty_user_agent=block: 403', async () => {
    const c = await h.click(srv, ctx.link.code, as('127.0.40.2', ''));
    assert.equal(c.status, 403);
  });

  it('ip_link_velocity: the 4th click of one IP on one link is rejected, another link or IP is not', async () => {
    const l = await h.createLink(srv, ctx.program.id, ctx.affiliate.id);
    const l2 = await h.createLink(srv, ctx.program.id, ctx.affiliate.id);
    const before0 = await totals(srv, ctx.program.id);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await h.clickOk(srv, l.code, as('127.0.50.1', `${BROWSER} n${i}`))).clickId);
    const rows = await Promise.all(ids.map((id) => clickRow(srv, id)));
    assert.deepEqual(rows.map((r) => r.rejected), [false, false, false, true, true]);
    assert.equal(rows[3].reason, 'ip_link_velocity');
    assert.equal(rows[3].bot, false);
    const t = await totals(srv, ctx.program.id);
    assert.equal(t.rejected_clicks, before0.rejected_clicks + 2);
    assert.equal(t.clicks, before0.clicks + 3);
    h.expectError(await h.postConversion(srv, { program_id: ctx.program.id, order_id: h.uniq('v'), amount: '5', click_id: ids[4] }), 422, 'not_attributed');
    assert.equal((await clickRow(srv, (await h.clickOk(srv, l2.code, as('127.0.50.1'))).clickId)).rejected, false);
    assert.equal((await clickRow(srv, (await h.clickOk(srv, l.code, as('127.0.50.2'))).clickId)).rejected, false);
  });

  it('healthz: blocked_cidr active, blocked_country inactive without a country_db', async () => {
    const byName = Object.fromEntries((await srv.api('GET', '/healthz', { key: null })).json.fraud.rules.map((r) => [r.name, r]));
    assert.equal(byName.blocked_cidr.active, true);
    assert.equal(byName.empty_user_agent.action, 'block');
    assert.equal(byName.blocked_country.active, false);
    assert.equal(byName.blocked_country.inactive_reason, 'no country_db');
  });

  it('afftrack verify recounts clicks, bot_clicks and rejected_clicks from the click rows', async () => {
    const t = await totals(srv, ctx.program.id);
    assert.ok(t.rejected_clicks > 0 && t.clicks > 0, JSON.stringify(t));
    const v = h.runVerify(srv.dataDir);
    assert.equal(v.status, 0, `verify exit 0: ${v.stdout} ${v.stderr}`);
    assert.deepEqual(v.json.problems, []);
    for (const k of ['clicks', 'unique_clicks', 'bot_clicks', 'rejected_clicks']) assert.equal(v.json[k], t[k], k);
  });

  it('a program with a fallback_url sends blocked clicks there (302, no click id, nothing recorded); "" restores 403', async () => {
    const p = await h.createProgram(srv, { fallback_url: 'https://shop.example.com/sorry?x=1' });
    const l = await h.createLink(srv, p.id, ctx.affiliate.id);
    const c = await h.click(srv, l.code, as('127.0.20.9'));
    assert.equal(c.status, 302);
    assert.equal(c.location, 'https://shop.example.com/sorry?x=1');
    assert.equal(c.clickId, null);
    assert.equal(c.cookie, null);
    assert.equal(c.setCookie.length, 0);
    assert.equal((await clicksOfLink(srv, l.id)).length, 0);
    h.expectStatus(await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { fallback_url: '' } }), 200);
    assert.equal((await h.click(srv, l.code, as('127.0.20.9'))).status, 403);
    assert.equal((await srv.api('GET', `/v1/programs/${p.id}`)).json.fallback_url, null);
  });

  it('a bad list entry stops the server at start with the key named', async () => {
    const bad = await h.startServer({ args: ['--blocked-cidrs', '127.0.0.0/33'] }).catch((e) => e);
    assert.ok(bad instanceof Error, 'the server did not start');
    assert.match(String(bad.message), /blocked_cidrs: "127\.0\.0\.0\/33" is not an IP address or CIDR/);
  });
});

describe('fraud screening, ip velocity and ASN / country databases', () => {
  let srv; let ctx; let dir;
  before(async () => {
    dir = h.makeDataDir();
    const db = path.join(dir, 'geo.mmdb');
    execFileSync('node', [MMDB_WRITE, db, 'afftrack-test'], {
      input: JSON.stringify([
        { network: '127.0.60.0/24', data: { autonomous_system_number: 16509, country_code: 'US' } },
        { network: '127.0.61.0/24', data: { autonomous_system_number: 3320, country_code: 'DE' } },
        { network: '127.0.62.0/24', data: { autonomous_system_number: 64500, country_code: 'KP' } },
      ]),
    });
    srv = await h.startServer({
      args: ['--trusted-proxies', '127.0.0.1', '--asn-db', db, '--country-db', db, '--blocked-countries', 'KP',
        '--ip-velocity-max', '2', '--fraud-duplicate-click', 'off'],
    });
    ctx = await h.setup(srv);
  });
  after(async () => { if (srv) await srv.cleanup(); h.removeDir(dir); });

  it('asn and country are stored on the click; a hosting ASN is flagged', async () => {
    const a = await clickRow(srv, (await h.clickOk(srv, ctx.link.code, as('127.0.60.5'))).clickId);
    assert.deepEqual([a.asn, a.country, a.flagged, a.reason, a.rejected], [16509, 'US', true, 'hosting_asn', false]);
    const b = await clickRow(srv, (await h.clickOk(srv, ctx.link.code, as('127.0.61.5'))).clickId);
    assert.deepEqual([b.asn, b.country, b.flagged, b.reason], [3320, 'DE', false, null]);
    const c = await clickRow(srv, (await h.clickOk(srv, ctx.link.code, as('127.0.63.5'))).clickId);
    assert.deepEqual([c.asn, c.country], [null, null]);
  });

  it('country_mismatch (207): a conversion from another country than its click is flagged, one from the same is not', async () => {
    const click = (await h.clickOk(srv, ctx.link.code, as('127.0.61.7'))).clickId; // DE
    const far = await h.convOk(srv, { program_id: ctx.program.id, order_id: h.uniq('cm'), amount_minor: 1000, click_id: click, ip: '127.0.60.9' }); // US
    assert.ok(far.conversion.screening.some((x) => x.code === 207 && x.rule === 'country_mismatch' && x.action === 'flag'),
      JSON.stringify(far.conversion.screening));
    assert.equal(far.conversion.status, 'pending'); // flag: approved normally
    const near = await h.convOk(srv, { program_id: ctx.program.id, order_id: h.uniq('cm'), amount_minor: 1000, click_id: click, ip: '127.0.61.200' });
    assert.ok(!(near.conversion.screening || []).some((x) => x.rule === 'country_mismatch'), JSON.stringify(near.conversion.screening));
    const unknown = await h.convOk(srv, { program_id: ctx.program.id, order_id: h.uniq('cm'), amount_minor: 1000, click_id: click, ip: '203.0.113.9' });
    assert.ok(!(unknown.conversion.screening || []).some((x) => x.rule === 'country_mismatch'), 'an IP outside the database is not a mismatch');
  });

  it('a blocked country gets 403', async () => {
    assert.equal((await h.click(srv, ctx.link.code, as('127.0.62.5'))).status, 403);
  });

  it('ip_velocity: the 3rd click of one IP on any links is rejected', async () => {
    const l2 = await h.createLink(srv, ctx.program.id, ctx.affiliate.id);
    const ids = [];
    for (const code of [ctx.link.code, l2.code, ctx.link.code]) ids.push((await h.clickOk(srv, code, as('127.0.64.1'))).clickId);
    const rows = await Promise.all(ids.map((id) => clickRow(srv, id)));
    assert.deepEqual(rows.map((r) => r.reason), [null, null, 'ip_velocity']);
    assert.equal(rows[2].rejected, true);
  });

  it('healthz says both databases are loaded and the rules needing them active', async () => {
    const hz = (await srv.api('GET', '/healthz', { key: null })).json.fraud;
    assert.equal(hz.asn_db, true);
    assert.equal(hz.country_db, true);
    const byName = Object.fromEntries(hz.rules.map((r) => [r.name, r]));
    assert.equal(byName.hosting_asn.active, true);
    assert.equal(byName.blocked_country.active, true);
  });
});

describe('fraud screening, duplicate clicks and async durability', () => {
  let srv; let ctx;
  before(async () => {
    srv = await h.startServer({
      args: ['--trusted-proxies', '127.0.0.1', '--click-durability', 'async', '--duplicate-click-max', '2',
        '--duplicate-click-window-s', '3600'],
    });
    ctx = await h.setup(srv);
  });
  after(async () => { if (srv) await srv.cleanup(); });

  async function settledRow(id) { // async: the 302 may come before the commit
    for (let i = 0; i < 100; i++) {
      const r = await srv.api('GET', `/v1/clicks/${id}`);
      if (r.status === 200) return r.json;
      await new Promise((res) => setTimeout(res, 20));
    }
    throw new Error(`click ${id} never committed`);
  }

  it('duplicate_click: the 3rd click of one visitor on one link is flagged, still a click and attributable', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await h.clickOk(srv, ctx.link.code, as('127.0.70.1'))).clickId);
    const rows = await Promise.all(ids.map(settledRow));
    assert.deepEqual(rows.map((r) => r.reason), [null, null, 'duplicate_click']);
    assert.deepEqual(rows.map((r) => r.flagged), [false, false, true]);
    assert.equal(rows[2].rejected, false);
    const other = await settledRow((await h.clickOk(srv, ctx.link.code, as('127.0.70.1', `${BROWSER} other`))).clickId);
    assert.equal(other.reason, null, 'another user agent is another visitor');
    h.expectStatus(await h.postConversion(srv, { program_id: ctx.program.id, order_id: h.uniq('d'), amount: '5', click_id: ids[2] }), 201);
  });

  it('async mode: a bot is answered at once without cookie and recorded as a bot', async () => {
    const c = await h.clickOk(srv, ctx.link.code, as('127.0.70.2', GOOGLEBOT));
    assert.equal(c.cookie, null);
    assert.equal(c.setCookie.length, 0);
    const row = await settledRow(c.clickId);
    assert.equal(row.bot, true);
    const human = await h.clickOk(srv, ctx.link.code, as('127.0.70.3'));
    assert.equal(human.cookie, human.clickId);
  });
});
