'use strict';
// Browser test of a parent affiliate's portal overview (docs/api.md "Reports",
// override_income_minor): Debian's Chromium driven by playwright-core against the real
// server, like dashboard.test.js.
//
// The program pays a parent 10 % of its sub-affiliate's commission. Parent P sells
// 20.00 through its own link (commission 2.00); its child C sells 100.00 (commission
// 10.00, P's override 1.00). P's overview shows the override as the "Sub-affiliate
// income" KPI, and its "Your links" table shows P's link with its own figures and the
// income on a row named "Sub-affiliate income" with 1.00 in the income column (that row
// has no link; it used to read "—" with zeros in every column).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startServer, createProgram, createAffiliate, createLink, clickOk, convOk, expectStatus } = require('../e2e/helpers');

const SHOTS = path.join(__dirname, 'screenshots');
const CHROMIUM = process.env.AFFTRACK_CHROMIUM || '/usr/bin/chromium';
const PARENT = { email: 'parent@partner.example', password: 'parent password 1' };
const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

let srv;
let browser;
let page;
const problems = [];
const ids = {};

test.before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  srv = await startServer({ args: ['--signin-attempts-per-minute', '100', '--maintenance-interval-ms', '86400000'] });
  ids.prog = await createProgram(srv, { name: 'Override shop', hold_days: 0, commission: { sale: { percent: '10' }, sub_affiliates: ['10'] } });
  ids.parent = await createAffiliate(srv, { name: 'Parent Media' });
  ids.child = await createAffiliate(srv, { name: 'Child Blog', parent_id: ids.parent.id });
  ids.parentLink = await createLink(srv, ids.prog.id, ids.parent.id, { code: 'parent-own' });
  ids.childLink = await createLink(srv, ids.prog.id, ids.child.id, { code: 'child-own' });
  for (const [link, order, amount] of [[ids.parentLink, 'P-1', '20.00'], [ids.childLink, 'C-1', '100.00']]) {
    const c = await clickOk(srv, link.code, { headers: { 'user-agent': DESKTOP_UA } });
    await convOk(srv, { program_id: ids.prog.id, order_id: order, amount, click_id: c.clickId, status: 'approved' });
  }
  expectStatus(await srv.api('POST', '/v1/users', { body: { email: PARENT.email, password: PARENT.password, affiliate_id: ids.parent.id } }),
    201, 'the parent\'s portal login');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'] });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA });
  page = await ctx.newPage();
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
});

test.after(async () => {
  if (browser) await browser.close();
  if (srv) { await srv.stop(); await srv.cleanup(); }
});

test('the API says what the portal must show: 2.00 earned on the parent\'s link, 1.00 from the child', async () => {
  const r = await srv.api('GET', '/v1/me/reports?group_by=link', { key: ids.parent.api_key });
  expectStatus(r, 200, 'the parent\'s report by link');
  assert.deepEqual(r.json.rows.map((x) => [x.link_id, x.conversions, x.commission_minor, x.override_income_minor]),
    [[null, 0, 0, 100], [ids.parentLink.id, 1, 200, 0]]);
});

test('a parent\'s overview: the Sub-affiliate income KPI and the income row of "Your links"', async () => {
  await page.goto(`${srv.url}/`);
  await page.fill('input[name=email]', PARENT.email);
  await page.fill('input[name=password]', PARENT.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-kpi=override_income]');
  assert.equal((await page.textContent('[data-kpi=override_income] .kpi-label')).trim(), 'Sub-affiliate income');
  assert.equal((await page.textContent('[data-kpi=override_income] .kpi-value')).trim(), '$1.00');
  assert.equal((await page.textContent('[data-kpi=commission] .kpi-value')).trim(), '$2.00', 'its own earnings, without the override');

  const links = page.locator('table[aria-label="Your links"]');
  await links.locator('tbody tr').first().waitFor();
  const headers = (await links.locator('thead th').allTextContents()).map((s) => s.trim());
  assert.ok(headers.includes('Sub-affiliate income'), `an income column: ${headers}`);
  const cells = async (row) => Object.fromEntries((await row.locator('td').evaluateAll((tds) => tds.map((td) => [td.dataset.label, td.textContent.trim()]))));
  const rows = await links.locator('tbody tr').all();
  assert.equal(rows.length, 2, 'the parent\'s link and its income');
  const byName = Object.fromEntries(await Promise.all(rows.map(async (row) => { const c = await cells(row); return [c.Link, c]; })));
  assert.deepEqual(Object.keys(byName).sort(), ['Sub-affiliate income', 'parent-own'], 'no row named "—"');
  const income = byName['Sub-affiliate income'];
  assert.deepEqual([income.Clicks, income['Conv.'], income.Earnings, income['Sub-affiliate income']], ['0', '0', '$0.00', '$1.00']);
  const own = byName['parent-own'];
  assert.deepEqual([own.Clicks, own['Conv.'], own.Sales, own.Earnings, own['Sub-affiliate income']], ['1', '1', '$20.00', '$2.00', '$0.00']);

  // ranked by that income, the income row comes first
  await page.selectOption('select[name=rank]', 'override_income_minor');
  await page.waitForFunction(() => {
    const first = document.querySelector('table[aria-label="Your links"] tbody tr td');
    return first && first.textContent.trim() === 'Sub-affiliate income';
  });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, 'portal-parent-overview.png'), fullPage: true });

  // a period without income drops that rank: the select and the tables go back to earnings
  await page.click('button:has-text("Custom")');
  await page.fill('input[name=from]', '2020-01-01');
  await page.fill('input[name=to]', '2020-01-31');
  await page.waitForFunction(() => !document.querySelector('[data-kpi=override_income]'));
  await page.waitForFunction(() => document.querySelector('select[name=rank]').value === 'commission_minor');
  assert.equal(await page.locator('select[name=rank] option[value=override_income_minor]').count(), 0);
});

test('the child\'s overview has no income KPI, column or rank', async () => {
  const p = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA })).newPage();
  expectStatus(await srv.api('POST', '/v1/users', { body: { email: 'child@partner.example', password: 'child password 1', affiliate_id: ids.child.id } }), 201, 'child login');
  await p.goto(`${srv.url}/`);
  await p.fill('input[name=email]', 'child@partner.example');
  await p.fill('input[name=password]', 'child password 1');
  await p.click('button[type=submit]');
  await p.waitForSelector('table[aria-label="Your links"] tbody tr');
  assert.equal(await p.locator('[data-kpi=override_income]').count(), 0);
  assert.equal((await p.textContent('[data-kpi=commission] .kpi-value')).trim(), '$10.00');
  assert.ok(!(await p.locator('table[aria-label="Your links"] thead').textContent()).includes('Sub-affiliate income'));
  assert.equal(await p.locator('select[name=rank] option[value=override_income_minor]').count(), 0);
  assert.deepEqual((await p.locator('table[aria-label="Your links"] tbody tr td:first-child').allTextContents()).map((s) => s.trim()), ['child-own']);
});

test('no script error and no CSP violation', () => {
  assert.deepEqual(problems, []);
});
