'use strict';
// Browser tests of the shared table (web/ui.js PagedTable): a header click sorts on the
// server (aria-sort, keyboard too), the search and date tools filter, Next/Previous
// follow the API's cursor in the chosen sort, and Export CSV downloads the server's
// CSV of the current filters and sort. The tables that sort since the lists all do
// (clicks, balances, applications, creatives, announcements) sort by their headers.
// On a phone the Sort select does the sorting. Every wait is on the table's own state
// (data-query, data-page, aria-busy: the rows asked for are shown), never on a delay.
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

/** Wait until table `label` shows the rows asked for: not busy, on page `pageNo` when
 * given, with every `parts` (e.g. "sort=-amount") in the query of the rows shown, and
 * none of `without`. */
async function shown(label, { pageNo, parts = [], without = [] } = {}, p = page) {
  await p.waitForFunction(({ label, pageNo, parts, without }) => {
    const box = document.querySelector(`[data-table="${label}"]`);
    if (!box || box.getAttribute('aria-busy') !== 'false') return false;
    if (pageNo !== undefined && box.getAttribute('data-page') !== String(pageNo)) return false;
    const q = new URLSearchParams(box.getAttribute('data-query') || '');
    const has = (part) => { const [k, v] = part.split('='); return q.get(k) === v; };
    return parts.every(has) && !without.some((k) => q.has(k));
  }, { label, pageNo, parts, without });
}

/** Wait until column `column` of table `label` reads `want` (names may come from the
 * catalog a moment after the rows), then compare, so that a wrong order is reported as
 * a difference rather than a timeout. firstLine: compare each cell's first line. */
async function expectCells(label, column, want, { firstLine = false } = {}, p = page) {
  const args = { label, column, firstLine, want };
  const texts = ({ label: l, column: c, firstLine: f }) => [...document.querySelectorAll(
    `table[aria-label="${l}"] tbody tr td[data-label="${c}"]`)].map((td) => (f ? td.innerText.split('\n')[0] : td.innerText));
  try {
    await p.waitForFunction(({ label: l, column: c, firstLine: f, want: w }) => JSON.stringify([...document.querySelectorAll(
      `table[aria-label="${l}"] tbody tr td[data-label="${c}"]`)].map((td) => (f ? td.innerText.split('\n')[0] : td.innerText)))
      === JSON.stringify(w), args, { timeout: 10000 });
  } catch { /* the comparison below says what differs */ }
  assert.deepEqual(await p.evaluate(texts, args), want, `${label}: ${column}`);
}

/** Click the header of `column` until table `label` is sorted `dir` by `sort`, and wait
 * for those rows. */
async function sortBy(label, column, sort, dir, p = page) {
  const head = p.locator(`table[aria-label="${label}"] th:has(button:has-text("${column}"))`);
  for (let i = 0; i < 2; i++) {
    const before = await head.getAttribute('aria-sort');
    if (before === dir) break;
    await head.locator('button').click();
    await p.waitForFunction(({ l, c, b }) => {
      const th = [...document.querySelectorAll(`table[aria-label="${l}"] th`)]
        .find((x) => x.querySelector('button') && x.querySelector('button').textContent.includes(c));
      return th && th.getAttribute('aria-sort') !== b;
    }, { l: label, c: column, b: before });
  }
  assert.equal(await head.getAttribute('aria-sort'), dir, `${label} sorted ${dir} by ${column}`);
  await shown(label, { parts: [`sort=${dir === 'descending' ? '-' : ''}${sort}`] }, p);
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
  await shown('conversions', { pageNo: 1, without: ['sort'] });
  const amountHead = page.locator('table[aria-label=conversions] th:has(button:has-text("Amount"))');
  assert.equal(await amountHead.getAttribute('aria-sort'), 'none');
  await amountHead.locator('button').click();
  await page.waitForFunction(() => document.querySelector('th[aria-sort=ascending]'));
  await shown('conversions', { pageNo: 1, parts: ['sort=amount'] });
  assert.equal((await orders())[0], 'APP-26', 'the smallest amount first');
  // a second activation, from the keyboard: descending
  await amountHead.locator('button').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('th[aria-sort=descending]'));
  await shown('conversions', { pageNo: 1, parts: ['sort=-amount'] });
  const want = byAmountDesc();
  assert.deepEqual(await orders(), want.slice(0, 25));
  await shot('tables-sorted-desc');
  await page.click('button:has-text("Next →")');
  await shown('conversions', { pageNo: 2, parts: ['sort=-amount'] });
  assert.deepEqual(await orders(), want.slice(25), 'page 2 continues the sort without skipping ties');
  await page.click('button:has-text("← Previous")');
  await shown('conversions', { pageNo: 1, parts: ['sort=-amount'] });
  assert.deepEqual(await orders(), want.slice(0, 25));
});

test('search and date filters narrow the rows; Export CSV downloads them in the sort', async () => {
  await page.fill('input[name=q]', 'APP-');
  await page.press('input[name=q]', 'Enter');
  await shown('conversions', { parts: ['q=APP-', 'sort=-amount'] });
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
  await shown('conversions', { parts: [`created_from=${tomorrow}`] });
  await page.waitForSelector('text=No rows match these filters.');
  await page.fill('input[name=created_from]', '');
  await page.press('input[name=created_from]', 'Tab');
  await page.fill('input[name=q]', '');
  await page.press('input[name=q]', 'Enter');
  await shown('conversions', { pageNo: 1, parts: ['sort=-amount'], without: ['q', 'created_from'] });
  // the whole sorted list exports, not one page
  const [all] = await Promise.all([page.waitForEvent('download'), page.click('.pager a:has-text("Export CSV")')]);
  const rows = fs.readFileSync(await all.path(), 'utf8').split('\r\n').filter(Boolean).slice(1);
  assert.equal(rows.length, 30);
  // the page's own filters still apply under the table's tools (an empty tool hides none)
  const app29 = (await srv.api('GET', '/v1/conversions?q=APP-29')).json.data[0];
  expectStatus(await srv.api('POST', `/v1/conversions/${app29.id}/approve`, { body: {} }), 200, 'approve');
  await page.reload();
  await shown('conversions', { pageNo: 1, without: ['sort'] });
  await page.selectOption('select[name=status]', 'approved');
  await shown('conversions', { parts: ['status=approved'] });
  assert.deepEqual(await orders(), ['APP-29']);
  await page.selectOption('select[name=status]', '');
  await shown('conversions', { pageNo: 1, without: ['status'] });
});

test('typing in the search box goes on while a search is loading (the box keeps what is typed)', async () => {
  await shown('conversions', { pageNo: 1 });
  // hold the answer to the first search until more has been typed
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  const held = (url) => url.pathname === '/v1/conversions' && url.searchParams.get('q') === 'APP-2' && !url.searchParams.has('format');
  await page.route(held, async (route) => { await gate; await route.continue(); });
  await page.fill('input[name=q]', 'APP-2');
  await page.press('input[name=q]', 'Enter');
  await page.waitForFunction(() => document.querySelector('[data-table="conversions"]').getAttribute('aria-busy') === 'true');
  await page.type('input[name=q]', '9');
  release();
  await shown('conversions', { parts: ['q=APP-2'] });
  assert.equal(await page.inputValue('input[name=q]'), 'APP-29', 'the rows of "APP-2" arrived without undoing the typing');
  await page.unroute(held);
  await page.press('input[name=q]', 'Enter');
  await shown('conversions', { parts: ['q=APP-29'] });
  assert.deepEqual(await orders(), ['APP-29']);
  await page.fill('input[name=q]', '');
  await page.press('input[name=q]', 'Enter');
  await shown('conversions', { pageNo: 1, without: ['q'] });
});

test('other tables sort by their headers too (affiliates by name, commissions by amount)', async () => {
  for (const name of ['zed', 'Adam', 'mia']) expectStatus(await srv.api('POST', '/v1/affiliates', { body: { name, email: `${name}@x.example` } }), 201, name);
  await page.goto(`${srv.url}/#/affiliates`);
  await shown('affiliates', { pageNo: 1 });
  await sortBy('affiliates', 'Name', 'name', 'ascending');
  await expectCells('affiliates', 'Name', ['Adam', 'mia', 'Tabitha', 'zed']); /* case-insensitive */
  await page.goto(`${srv.url}/#/commissions`);
  await shown('commissions', { pageNo: 1 });
  await sortBy('commissions', 'Amount', 'amount', 'descending');
  assert.ok((await page.locator('table[aria-label=commissions] td[data-label=Amount]').first().innerText()).includes('$1.80'));
  await shot('tables-commissions-sorted');
});

test('the tables that sort since every list does: clicks, balances, applications, creatives, announcements', async () => {
  const prog = (await srv.api('GET', '/v1/programs')).json.data[0];
  const tab = (await srv.api('GET', '/v1/affiliates?q=tab')).json.data[0];
  const make = async (p, body, what) => expectStatus(await srv.api('POST', p, { body }), 201, what);
  // clicks with sub-IDs out of time order
  const link = (await srv.api('POST', '/v1/links', { body: { program_id: prog.id, affiliate_id: tab.id } })).json;
  for (const sub1 of ['m', 'c', 'x']) {
    const r = await srv.raw('GET', `/r/${link.code}?sub1=${sub1}`, { headers: { 'user-agent': DESKTOP_UA } });
    assert.equal(r.status, 302);
  }
  await page.goto(`${srv.url}/#/clicks`);
  await shown('clicks', { pageNo: 1 });
  await expectCells('clicks', 'Sub-IDs', ['sub1=m', 'sub1=c', 'sub1=x']); /* oldest first by default */
  await sortBy('clicks', 'Time', 'ts', 'descending');
  await expectCells('clicks', 'Sub-IDs', ['sub1=x', 'sub1=c', 'sub1=m']);
  await sortBy('clicks', 'Sub-IDs', 'sub1', 'ascending');
  await expectCells('clicks', 'Sub-IDs', ['sub1=c', 'sub1=m', 'sub1=x']);
  await shot('tables-clicks-by-sub1');
  // balances: a second affiliate with less pending than Tabitha
  const zack = (await srv.api('POST', '/v1/affiliates', { body: { name: 'Zack', email: 'zack@x.example' } })).json;
  await make('/v1/coupons', { code: 'ZACK', program_id: prog.id, affiliate_id: zack.id }, 'coupon');
  await make('/v1/conversions', { program_id: prog.id, order_id: 'Z-1', amount_minor: 1000, coupon: 'ZACK' }, 'sale');
  await page.goto(`${srv.url}/#/commissions`);
  await page.click('button:has-text("Balances")');
  await shown('balances', { pageNo: 1 });
  await expectCells('balances', 'Affiliate', ['Tabitha', 'Zack']); /* program, then affiliate */
  await sortBy('balances', 'Pending', 'pending', 'ascending');
  await expectCells('balances', 'Affiliate', ['Zack', 'Tabitha']); /* the smaller pending first */
  await sortBy('balances', 'Pending', 'pending', 'descending');
  await expectCells('balances', 'Affiliate', ['Tabitha', 'Zack']);
  // applications, creatives and announcements of the Content page
  expectStatus(await srv.api('PATCH', `/v1/programs/${prog.id}/terms`, { body: { terms: 'Be fair.', applications_open: true } }), 200, 'terms');
  for (const name of ['Yan', 'abe']) {
    const r = await srv.raw('POST', '/v1/signup', { headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, email: `${name}@apply.example`, password: 'a long password', accept_terms: true, program_id: prog.id }) });
    assert.equal(r.status, 201, r.text);
  }
  for (const name of ['b-text', 'C-text', 'a-text']) await make('/v1/creatives', { program_id: prog.id, name, text: `${name} {link}` }, 'creative');
  for (const title of ['Zeta', 'alpha', 'Mid']) await make('/v1/announcements', { title, body: `${title}!` }, 'announcement');
  await page.goto(`${srv.url}/#/content`);
  await shown('applications', { pageNo: 1 });
  await expectCells('applications', 'Applicant', ['Yan', 'abe'], { firstLine: true });
  await sortBy('applications', 'Applicant', 'name', 'ascending');
  await expectCells('applications', 'Applicant', ['abe', 'Yan'], { firstLine: true });
  await shown('creatives', { pageNo: 1 });
  await expectCells('creatives', 'Name', ['b-text', 'C-text', 'a-text']);
  await sortBy('creatives', 'Name', 'name', 'ascending');
  await expectCells('creatives', 'Name', ['a-text', 'b-text', 'C-text']); /* case-insensitive */
  await shown('announcements', { pageNo: 1 });
  await expectCells('announcements', 'Title', ['Mid', 'alpha', 'Zeta']); /* newest first */
  await sortBy('announcements', 'Title', 'title', 'ascending');
  await expectCells('announcements', 'Title', ['alpha', 'Mid', 'Zeta']);
  await sortBy('announcements', 'Title', 'title', 'descending');
  await expectCells('announcements', 'Title', ['Zeta', 'Mid', 'alpha']);
  await shot('tables-content-sorted');
});

test('on a phone the Sort select sorts and the tools fit the screen', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, userAgent: DESKTOP_UA });
  const p = await phone.newPage();
  watch(p);
  await signIn(p);
  await p.goto(`${srv.url}/#/conversions`);
  await shown('conversions', { pageNo: 1 }, p);
  await p.selectOption('select[name=sort]', '-amount');
  await shown('conversions', { pageNo: 1, parts: ['sort=-amount'] }, p);
  assert.deepEqual((await orders(p)).slice(0, 3), byAmountDesc().slice(0, 3));
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling of the page (overflow ${overflow}px)`);
  await shot('phone-tables-sorted', p);
  await phone.close();
});

test('no script error and no CSP violation', () => {
  assert.deepEqual(problems, []);
});
