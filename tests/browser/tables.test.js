'use strict';
// Browser tests of the shared table (web/ui.js PagedTable): a header click sorts on the
// server (aria-sort, keyboard too), the search and date tools filter, Next/Previous
// follow the API's cursor in the chosen sort, and Export CSV downloads the server's
// CSV of the current filters and sort. On a phone the Sort select does the sorting.
// Screenshots go to tests/browser/screenshots/ (git-ignored).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { chromium } = require('playwright-core');
const { BIN, startServer, expectStatus } = require('../e2e/helpers');

const SHOTS = path.join(__dirname, 'screenshots');
const CHROMIUM = process.env.AFFTRACK_CHROMIUM || '/usr/bin/chromium';
const ADMIN = { email: 'tables@example.com', password: 'tables password 1' };
const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

let srv;
let browser;
let page;
const problems = [];
const amounts = []; // of the conversions, in id order

async function shot(name, p = page) {
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(p) {
  await p.goto(`${srv.url}/`);
  await p.fill('input[name=email]', ADMIN.email);
  await p.fill('input[name=password]', ADMIN.password);
  await p.click('button[type=submit]');
  await p.waitForSelector('.topbar');
}

/** The order ids shown, top to bottom. */
async function orders(p = page) {
  return p.locator('table[aria-label=conversions] tbody tr td[data-label=Order]').allInnerTexts();
}

function watch(p) {
  p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  p.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
}

test.before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  srv = await startServer({ args: ['--signin-attempts-per-minute', '100'] });
  const r = spawnSync(BIN, ['user', 'create', '--data', srv.dataDir, '--admin', '--email', ADMIN.email, '--password-stdin'],
    { input: `${ADMIN.password}\n`, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const prog = await srv.api('POST', '/v1/programs', { body: { name: 'Table shop', currency: 'USD', destination_url: 'https://shop.example.com/', commission: { sale: { percent: '10' } } } });
  expectStatus(prog, 201, 'program');
  const aff = await srv.api('POST', '/v1/affiliates', { body: { name: 'Tabitha', email: 'tab@example.com' } });
  expectStatus(aff, 201, 'affiliate');
  expectStatus(await srv.api('POST', '/v1/coupons', { body: { code: 'TAB', program_id: prog.json.id, affiliate_id: aff.json.id } }), 201, 'coupon');
  // 30 sales: 26 web orders whose amounts tie in threes, and 4 app orders
  for (let i = 0; i < 30; i++) {
    const amount = i < 26 ? 1000 + 100 * Math.floor(i / 3) : 99;
    const order = i < 26 ? `WEB-${String(i).padStart(2, '0')}` : `APP-${i}`;
    expectStatus(await srv.api('POST', '/v1/conversions', { body: { program_id: prog.json.id, order_id: order, amount_minor: amount, coupon: 'TAB' } }), 201, 'sale');
    amounts.push({ order, amount });
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA, acceptDownloads: true });
  page = await context.newPage();
  watch(page);
  await signIn(page);
});

test.after(async () => {
  if (browser) await browser.close();
  if (srv) { await srv.stop(); await srv.cleanup(); }
});

// Newest-amount-first order of the API, ties by id descending.
const byAmountDesc = () => amounts.map((a, id) => ({ ...a, id })).sort((x, y) => y.amount - x.amount || y.id - x.id).map((a) => a.order);

test('a header click sorts on the server; pages follow the sort; Previous goes back', async () => {
  await page.goto(`${srv.url}/#/conversions`);
  await page.waitForSelector('text=Page 1');
  const amountHead = page.locator('table[aria-label=conversions] th:has(button:has-text("Amount"))');
  assert.equal(await amountHead.getAttribute('aria-sort'), 'none');
  await amountHead.locator('button').click();
  await page.waitForFunction(() => document.querySelector('th[aria-sort=ascending]'));
  assert.equal((await orders())[0], 'APP-26', 'the smallest amount first');
  // a second activation, from the keyboard: descending
  await amountHead.locator('button').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('th[aria-sort=descending]'));
  const want = byAmountDesc();
  await page.waitForFunction((first) => document.querySelector('td[data-label=Order]').textContent.includes(first), want[0]);
  assert.deepEqual(await orders(), want.slice(0, 25));
  await shot('tables-sorted-desc');
  await page.click('button:has-text("Next →")');
  await page.waitForSelector('text=Page 2');
  assert.deepEqual(await orders(), want.slice(25), 'page 2 continues the sort without skipping ties');
  await page.click('button:has-text("← Previous")');
  await page.waitForSelector('text=Page 1');
  assert.deepEqual(await orders(), want.slice(0, 25));
});

test('search and date filters narrow the rows; Export CSV downloads them in the sort', async () => {
  await page.fill('input[name=q]', 'APP-');
  await page.press('input[name=q]', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label=conversions] tbody tr').length === 4);
  assert.deepEqual(await orders(), ['APP-29', 'APP-28', 'APP-27', 'APP-26'], 'ties of 0.99 newest first (sort kept)');
  await shot('tables-filtered');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('.pager a:has-text("Export CSV")')]);
  assert.equal(dl.suggestedFilename(), 'conversions.csv');
  const lines = fs.readFileSync(await dl.path(), 'utf8').split('\r\n').filter(Boolean);
  const header = lines[0].split(',');
  const col = (name) => lines.slice(1).map((l) => l.split(',')[header.indexOf(name)]);
  assert.deepEqual(col('order_id'), ['APP-29', 'APP-28', 'APP-27', 'APP-26']);
  assert.deepEqual(col('amount'), ['0.99', '0.99', '0.99', '0.99']);
  // a date range in the future leaves nothing
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  await page.fill('input[name=created_from]', tomorrow);
  await page.press('input[name=created_from]', 'Tab');
  await page.waitForSelector('text=No rows match these filters.');
  await page.fill('input[name=created_from]', '');
  await page.press('input[name=created_from]', 'Tab');
  await page.fill('input[name=q]', '');
  await page.press('input[name=q]', 'Enter');
  await page.waitForSelector('text=Page 1');
  // the whole sorted list exports, not one page
  const [all] = await Promise.all([page.waitForEvent('download'), page.click('.pager a:has-text("Export CSV")')]);
  const rows = fs.readFileSync(await all.path(), 'utf8').split('\r\n').filter(Boolean).slice(1);
  assert.equal(rows.length, 30);
  // the page's own filters still apply under the table's tools (an empty tool hides none)
  const app29 = (await srv.api('GET', '/v1/conversions?q=APP-29')).json.data[0];
  expectStatus(await srv.api('POST', `/v1/conversions/${app29.id}/approve`, { body: {} }), 200, 'approve');
  await page.reload();
  await page.waitForSelector('text=Page 1');
  await page.selectOption('select[name=status]', 'approved');
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label=conversions] tbody tr').length === 1);
  assert.deepEqual(await orders(), ['APP-29']);
  await page.selectOption('select[name=status]', '');
  await page.waitForSelector('text=Page 1');
});

test('other tables sort by their headers too (affiliates by name, commissions by amount)', async () => {
  for (const name of ['zed', 'Adam', 'mia']) expectStatus(await srv.api('POST', '/v1/affiliates', { body: { name, email: `${name}@x.example` } }), 201, name);
  await page.goto(`${srv.url}/#/affiliates`);
  await page.waitForSelector('table[aria-label=affiliates]');
  await page.click('table[aria-label=affiliates] th button:has-text("Name")');
  await page.waitForFunction(() => document.querySelector('table[aria-label=affiliates] th[aria-sort=ascending]'));
  await page.waitForFunction(() => document.querySelector('table[aria-label=affiliates] td[data-label=Name]').textContent === 'Adam');
  const names = await page.locator('table[aria-label=affiliates] td[data-label=Name]').allInnerTexts();
  assert.deepEqual(names, ['Adam', 'mia', 'Tabitha', 'zed'], 'case-insensitive');
  await page.goto(`${srv.url}/#/commissions`);
  await page.waitForSelector('table[aria-label=commissions]');
  await page.click('table[aria-label=commissions] th button:has-text("Amount")');
  await page.click('table[aria-label=commissions] th button:has-text("Amount")');
  await page.waitForFunction(() => document.querySelector('table[aria-label=commissions] th[aria-sort=descending]'));
  await page.waitForFunction(() => document.querySelector('table[aria-label=commissions] td[data-label=Amount]').textContent.includes('$1.80'));
  await shot('tables-commissions-sorted');
});

test('on a phone the Sort select sorts and the tools fit the screen', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, userAgent: DESKTOP_UA });
  const p = await phone.newPage();
  watch(p);
  await signIn(p);
  await p.goto(`${srv.url}/#/conversions`);
  await p.waitForSelector('text=Page 1');
  await p.selectOption('select[name=sort]', '-amount');
  await p.waitForFunction((first) => document.querySelector('td[data-label=Order]').textContent.includes(first), byAmountDesc()[0]);
  assert.deepEqual((await orders(p)).slice(0, 3), byAmountDesc().slice(0, 3));
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling of the page (overflow ${overflow}px)`);
  await shot('phone-tables-sorted', p);
  await phone.close();
});

test('no script error and no CSP violation', () => {
  assert.deepEqual(problems, []);
});
