'use strict';
// Browser tests of the dashboard and the affiliate portal: Debian's Chromium driven by
// playwright-core against the real server on a loopback port (DESIGN.md section 8).
//
// One story, in order: an admin signs in, creates a program, an affiliate (with a portal
// login) and a link in the pages; a visitor follows the link; the merchant posts a
// conversion; the overview's numbers and chart show it. Then the affiliate signs in and
// sees only its own data, and asks for another affiliate's ids (404). Screenshots of
// each main page go to tests/browser/screenshots/ (git-ignored) for people to look at.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { chromium } = require('playwright-core');
const { BIN, startServer, setup, clickOk, expectStatus } = require('../e2e/helpers');

const SHOTS = path.join(__dirname, 'screenshots');
const CHROMIUM = process.env.AFFTRACK_CHROMIUM || '/usr/bin/chromium';
const ADMIN = { email: 'admin@example.com', password: 'admin password 1' };
const PARTNER = { email: 'partner@example.com', password: 'partner password 1' };
const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const LONG_NAME = 'Spring Campaign for the Extraordinarily Long-Named Outdoor Equipment Store Partnership 2026';
const XSS = '<img src=x onerror="window.__xss=1">';

let srv;
let shop; // the program's shop, on a loopback port that Chromium resolves shop.example.com to
let browser;
let context;
let page;
const problems = []; // page errors and CSP violations, checked at the end
const ids = {};

async function shot(name, p = page) {
  await p.evaluate(() => window.scrollTo(0, 0)); // a full-page shot draws the sticky header where the page was scrolled to
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function go(hash) {
  await page.goto(`${srv.url}/#${hash}`);
  await page.waitForLoadState('networkidle');
}

async function signIn(who) {
  await page.goto(`${srv.url}/`);
  await page.fill('input[name=email]', who.email);
  await page.fill('input[name=password]', who.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('.topbar');
}

async function kpi(id) {
  return (await page.textContent(`[data-kpi=${id}] .kpi-value`)).trim();
}

function watch(p) {
  p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  p.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
}

test.before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  srv = await startServer({ args: ['--signin-attempts-per-minute', '100', '--affiliate-signup', 'on'] });
  const r = spawnSync(BIN, ['user', 'create', '--data', srv.dataDir, '--admin', '--email', ADMIN.email, '--password-stdin'],
    { input: `${ADMIN.password}\n`, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  shop = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>Shop</title><h1>Welcome to the shop</h1>');
  });
  await new Promise((resolve) => shop.listen(0, '127.0.0.1', resolve));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
      `--host-resolver-rules=MAP shop.example.com 127.0.0.1:${shop.address().port}`],
  });
  // A desktop Chrome user agent: headless Chromium's own ("HeadlessChrome") is on the
  // known-bot list, and a screened click would rightly earn nothing.
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.url });
  page = await context.newPage();
  watch(page);
});

test.after(async () => {
  if (browser) await browser.close();
  if (shop) shop.close();
  if (srv) { await srv.stop(); await srv.cleanup(); }
});

test('sign-in page, a wrong password, then the empty overview', async () => {
  await page.goto(`${srv.url}/`);
  await page.waitForSelector('form[aria-label="sign in"]');
  await shot('signin');
  await page.fill('input[name=email]', ADMIN.email);
  await page.fill('input[name=password]', 'wrong password');
  await page.click('button[type=submit]');
  await page.waitForSelector('.banner.error');
  assert.match(await page.textContent('.banner.error'), /wrong email or password/);
  await shot('signin-error');
  await page.fill('input[name=password]', ADMIN.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-kpi=clicks]');
  assert.equal(await kpi('clicks'), '0');
  assert.equal(await page.getAttribute('[data-testid=chart]', 'data-sums'), '0,0,0');
  assert.match(await page.textContent('main'), /No program yet/);
  await shot('overview-empty');
});

test('admin creates a program, an affiliate with a portal login, and a link', async () => {
  await go('/programs');
  await page.waitForSelector('text=No programs yet');
  // a refused field is shown under its input
  await page.fill('input[name=name]', LONG_NAME);
  await page.fill('input[name=currency]', 'usd1');
  await page.fill('input[name=destination_url]', 'http://shop.example.com/');
  await page.fill('input[name=sale_percent]', '10');
  await page.click('form button[type=submit]');
  await page.waitForSelector('.field-error');
  assert.match(await page.textContent('.field-error'), /currency/);
  await shot('programs-error');
  await page.fill('input[name=currency]', 'USD');
  await page.click('form button[type=submit]');
  await page.waitForSelector(`td:has-text("${LONG_NAME}")`);
  ids.postback = (await page.textContent('.banner.success code')).trim();
  // edit the settings: a refused value is shown, a good one saved
  await page.click('button:has-text("Edit")');
  const edit = page.locator('.edit form');
  await edit.locator('input[name=allowed_domains]').fill('shop.example.com, http://bad/');
  await edit.locator('button[type=submit]').click();
  await page.waitForSelector('.edit .field-error');
  assert.match(await page.textContent('.edit .field-error'), /allowed_domains/);
  await shot('programs-edit-error');
  await edit.locator('input[name=allowed_domains]').fill('shop.example.com, *.shop.example.com');
  await edit.locator('input[name=cookie_days]').fill('45');
  await edit.locator('button[type=submit]').click();
  await page.waitForSelector('text=saved.');
  await page.waitForSelector('td:has-text("45 d")');
  const saved = (await srv.api('GET', '/v1/programs')).json.data[0];
  assert.deepEqual(saved.allowed_domains, ['shop.example.com', '*.shop.example.com']);
  assert.deepEqual(saved.commission, { sale: { percent: '10' } }, 'the plan is left as it was');
  assert.match(ids.postback, new RegExp(`^${srv.url}/postback\\?token=pt_[0-9a-z]+&click_id=\\{click_id\\}&order_id=\\{order_id\\}&amount=\\{amount\\}&currency=USD$`));
  await shot('programs');

  await go('/affiliates');
  const forms = page.locator('form');
  await forms.nth(0).locator('input[name=name]').fill(`Partner A ${XSS}`);
  await forms.nth(0).locator('input[name=email]').fill('a@partner.example');
  await forms.nth(0).locator('button[type=submit]').click();
  await page.waitForSelector('.banner.success >> text=API key');
  const affiliates = await srv.api('GET', '/v1/affiliates');
  ids.a = affiliates.json.data.find((a) => a.email === 'a@partner.example').id;
  await forms.nth(1).locator('select[name=affiliate_id]').selectOption(String(ids.a));
  await forms.nth(1).locator('input[name=email]').fill(PARTNER.email);
  await forms.nth(1).locator('input[name=password]').fill(PARTNER.password);
  await forms.nth(1).locator('button[type=submit]').click();
  await page.waitForSelector(`.banner.success >> text=Portal login ${PARTNER.email}`);
  // the affiliate's name is shown as text, never run as HTML
  await page.locator('td', { hasText: XSS }).first().waitFor();
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  // status changes go through PATCH with the CSRF token: suspend, then approve again
  await page.click('button:has-text("Suspend")');
  await page.waitForSelector('.pill.suspended');
  await page.click('button:has-text("Approve")');
  await page.waitForSelector('.pill.approved');
  await shot('affiliates');

  await go('/links');
  const programs = await srv.api('GET', '/v1/programs');
  ids.program = programs.json.data[0].id;
  await page.selectOption('select[name=program_id]', String(ids.program));
  await page.selectOption('select[name=affiliate_id]', String(ids.a));
  await page.fill('input[name=code]', 'spring-a');
  await page.fill('input[name=sub1]', 'newsletter');
  await page.click('form button[type=submit]');
  await page.waitForSelector('td:has-text("spring-a")');
  assert.match(await page.textContent('table'), new RegExp(`${srv.url}/r/spring-a`));
  await shot('links');

  await go('/coupons');
  await page.waitForSelector('text=No coupon codes yet');
  await page.fill('input[name=code]', 'spring10');
  await page.selectOption('select[name=program_id]', String(ids.program));
  await page.selectOption('select[name=affiliate_id]', String(ids.a));
  await page.click('form button[type=submit]');
  await page.waitForSelector('td:has-text("SPRING10")');
  await shot('coupons');
});

test('a visitor follows the link, the merchant posts a conversion, the overview shows it', async () => {
  const visitor = await context.newPage();
  watch(visitor);
  await visitor.goto(`${srv.url}/r/spring-a?sub1=newsletter&sub2=browser`);
  await visitor.waitForSelector('text=Welcome to the shop');
  const landed = new URL(visitor.url());
  assert.equal(landed.host, 'shop.example.com');
  const clickId = landed.searchParams.get('click_id');
  assert.match(clickId, /^[0-9a-z]{32}$/);
  await visitor.close();
  // the merchant's system calls the postback URL copied from the Programs page
  const pb = ids.postback.slice(srv.url.length).replace('{click_id}', clickId).replace('{order_id}', 'ORDER-1').replace('{amount}', '49.90');
  const conv = await srv.raw('GET', pb);
  assert.equal(conv.status, 201, conv.text);
  assert.equal(conv.json.commissions[0].amount_minor, 499);

  await go('/');
  await page.waitForSelector('[data-kpi=clicks]');
  assert.equal(await kpi('clicks'), '1');
  assert.equal(await kpi('unique_clicks'), '1');
  assert.equal(await kpi('conversions'), '1');
  assert.equal(await kpi('cr'), '100.00 %');
  assert.equal(await kpi('revenue'), '$49.90');
  assert.equal(await kpi('commission'), '$4.99');
  assert.equal(await kpi('epc'), '$4.99');
  assert.equal(await kpi('aov'), '$49.90');
  assert.equal(await kpi('roi'), '900 %', 'ROI: (49.90 - 4.99) / 4.99');
  // against an empty previous period: every count is up, shown with its arrow
  assert.match(await page.textContent('[data-kpi=clicks] .kpi-change.up'), /▲ \+1 \(new\)/);
  assert.match(await page.textContent('[data-kpi=revenue] .kpi-change.up'), /▲ \+\$49\.90 \(new\)/);
  assert.match(await page.textContent('[data-kpi=roi] .kpi-change'), /—/, 'no ROI to compare with: no commission before');
  assert.equal(await page.locator('[data-testid=chart] canvas').count(), 1, 'the uPlot chart is drawn');
  assert.equal(await page.getAttribute('[data-testid=chart]', 'data-sums'), '1,1,49.9', 'the chart plots the click, the conversion and its revenue');
  assert.match(await page.textContent('table[aria-label="Top links"]'), /spring-a/);
  const subs = await page.textContent('table[aria-label="Top sub-IDs"]');
  assert.ok(subs.includes(`newsletter · Partner A ${XSS}`), 'the sub-ID and its affiliate, as text');
  assert.match(subs, /900 %/, 'the sub-ID row carries the conversion and its ROI');
  // the period switch asks for another report
  await page.click('button:has-text("7 days")');
  await page.waitForSelector('button.active:has-text("7 days")');
  assert.equal(await kpi('clicks'), '1');
  await shot('overview');
  // a custom range that ended yesterday: nothing in it, and the previous period too
  await page.click('button:has-text("Custom")');
  const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
  const weekAgo = new Date(Date.now() - 7 * 86400000).toISOString().slice(0, 10);
  await page.fill('input[name=from]', weekAgo);
  await page.fill('input[name=to]', yesterday);
  await page.waitForFunction((d) => document.querySelector('[data-testid=period]').textContent.includes(`– ${d}`), yesterday);
  await page.waitForFunction(() => document.querySelector('[data-kpi=clicks] .kpi-value').textContent.trim() === '0');
  assert.match(await page.textContent('[data-testid=period]'), /7 days/);
  await page.click('button:has-text("Today")');
  await page.waitForSelector('button.active:has-text("Today")');
  await page.waitForFunction(() => document.querySelector('[data-kpi=clicks] .kpi-value').textContent.trim() === '1');

  // a second program in another currency: amounts per program, in its currency
  const eur = await srv.api('POST', '/v1/programs', { body: { name: 'Euro shop', currency: 'EUR', destination_url: 'http://shop.example.com/eu' } });
  expectStatus(eur, 201, 'EUR program');
  await page.reload(); // the overview loads the programs once per page view
  await page.waitForLoadState('networkidle');
  await page.waitForSelector('text=Programs use different currencies');
  await page.selectOption('select[name=report_program]', String(ids.program));
  await page.waitForFunction(() => document.querySelector('[data-kpi=revenue] .kpi-value').textContent.includes('$'));
  assert.equal(await kpi('revenue'), '$49.90');
  await page.selectOption('select[name=report_program]', String(eur.json.id));
  await page.waitForFunction(() => document.querySelector('[data-kpi=revenue] .kpi-value').textContent.includes('€'));
  assert.equal(await kpi('clicks'), '0');
  await page.selectOption('select[name=report_program]', String(ids.program));
  await page.waitForFunction(() => document.querySelector('[data-kpi=revenue] .kpi-value').textContent.includes('$'));
  await shot('overview-program');

  // CSV export of the same report, with the session cookie
  const href = await page.getAttribute('a:has-text("Export CSV")', 'href');
  const csv = await page.evaluate((u) => fetch(u).then((r) => r.text()), href);
  const header = csv.split('\n')[0].trim().split(',');
  assert.equal(header[0], 'day');
  for (const col of ['clicks', 'unique_clicks', 'conversions', 'revenue_minor', 'commission_minor']) assert.ok(header.includes(col), col);

  await go('/conversions');
  await page.waitForSelector('td:has-text("ORDER-1")');
  assert.match(await page.textContent('table'), /\$49\.90/);
  await shot('conversions');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('.pager a:has-text("Export CSV")')]);
  assert.equal(download.suggestedFilename(), 'conversions.csv');
  const exported = fs.readFileSync(await download.path(), 'utf8').split('\r\n');
  assert.match(exported[0], /^id,program_id,event,order_id,/);
  assert.match(exported[1], /,ORDER-1,49\.90,4990,USD,/);

  // a spreadsheet formula in exported data is neutralised
  expectStatus(await srv.api('POST', '/v1/affiliates', { body: { name: '=HYPERLINK("http://evil.example","x")', email: 'f@x.example' } }), 201, 'formula affiliate');
  await go('/affiliates');
  const [aff] = await Promise.all([page.waitForEvent('download'), page.click('.pager a:has-text("Export CSV")')]);
  const affCsv = fs.readFileSync(await aff.path(), 'utf8');
  assert.ok(affCsv.includes('"\'=HYPERLINK(""http://evil.example"",""x"")"'), affCsv);
  await go('/commissions');
  await page.waitForSelector('td:has-text("$4.99")');
  await shot('commissions');
  await go('/payouts');
  await page.waitForSelector('text=No payouts yet');
  await shot('payouts-empty');
});

test('tables page on the server with the API cursor', async () => {
  const before = (await srv.api('GET', '/v1/affiliates?limit=500')).json.data.length;
  for (let i = 0; i < 26; i++) {
    expectStatus(await srv.api('POST', '/v1/affiliates', { body: { name: `Paged ${String(i).padStart(2, '0')}`, email: `p${i}@x.example` } }), 201, 'affiliate');
  }
  const total = before + 26;
  await go('/affiliates');
  await page.waitForSelector('text=Page 1');
  assert.equal(await page.locator('table[aria-label=affiliates] tbody tr').count(), 25);
  await page.click('button:has-text("Next →")');
  await page.waitForSelector('text=Page 2');
  assert.equal(await page.locator('table[aria-label=affiliates] tbody tr').count(), total - 25);
  assert.ok(await page.isDisabled('button:has-text("Next →")'));
  await shot('affiliates-page2');
  await page.click('button:has-text("← Previous")');
  await page.waitForSelector('text=Page 1');
  assert.equal(await page.locator('table[aria-label=affiliates] tbody tr').count(), 25);
});

test('visitor-controlled click fields are shown as text on the Clicks page (stored XSS)', async () => {
  const payloads = {
    ua: '<script>window.__xss=2</script>Mozilla/5.0',
    referer: 'https://ref.example/"><img src=x onerror="window.__xss=3">',
    sub1: '<svg onload="window.__xss=4">',
  };
  await clickOk(srv, 'spring-a', { query: { sub1: payloads.sub1 }, headers: { 'user-agent': payloads.ua, referer: payloads.referer } });
  await go('/clicks');
  await page.locator('td', { hasText: payloads.ua }).first().waitFor();
  const text = await page.textContent('table');
  assert.ok(text.includes(payloads.referer) && text.includes(`sub1=${payloads.sub1}`), 'payloads shown literally');
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no payload ran');
  assert.equal(await page.locator('table img, table svg, table script').count(), 0, 'no element made from data');
  await shot('clicks');
});

test('the affiliate signs in and sees only its own data; other ids answer 404', async () => {
  // another affiliate with its own link and traffic, created by API
  const b = await setup(srv, { program: { name: 'Program of B only' }, affiliate: { name: 'Partner B Secret' }, link: { code: 'b-only' } });
  await clickOk(srv, 'b-only', { query: { sub1: 'b-secret-sub' } });
  // B's sub-ID on the admin overview, beside A's
  await go('/');
  await page.waitForSelector('table[aria-label="Top sub-IDs"]');
  await page.waitForFunction(() => document.querySelector('table[aria-label="Top sub-IDs"]').textContent.includes('b-secret-sub'));
  ids.b = b.affiliate.id;
  ids.bLink = b.link.id;

  await page.click('button:has-text("Sign out")');
  await page.waitForSelector('form[aria-label="sign in"]');
  await signIn(PARTNER);
  await page.waitForSelector('[data-kpi=clicks]');
  assert.match(await page.textContent('.topbar'), /partner portal/);
  assert.equal(await kpi('clicks'), '2'); // the visitor's and the stored-XSS test's
  assert.equal(await kpi('conversions'), '1');
  assert.equal(await kpi('commission'), '$4.99');
  // its own referred sales (it sees each conversion's amount anyway), never the brand's ROI
  assert.equal(await kpi('revenue'), '$49.90');
  assert.match(await page.textContent('[data-kpi=revenue] .kpi-label'), /Sales/);
  assert.equal(await page.locator('[data-kpi=roi]').count(), 0, 'no brand ROI in the portal');
  assert.equal(await page.locator('[data-testid=chart] canvas').count(), 1);
  const mySubs = await page.textContent('table[aria-label="Your sub-IDs"]');
  assert.match(mySubs, /newsletter/);
  assert.ok(mySubs.includes('<svg onload="window.__xss=4">'), 'a hostile sub-ID is shown as text');
  assert.doesNotMatch(mySubs, /b-secret-sub/, "another affiliate's sub-ID never shows");
  assert.doesNotMatch(await page.textContent('thead'), /ROI/);
  await shot('portal-overview');

  await go('/links');
  await page.waitForSelector('td:has-text("spring-a")');
  const table = await page.textContent('table');
  assert.doesNotMatch(table, /b-only/);
  await page.fill('input[name=url]', 'http://shop.example.com/product/42');
  await page.fill('input[name=sub1]', 'yt video');
  const built = await page.textContent('[data-testid=deep-link]');
  const u = new URL(built);
  assert.equal(u.pathname, '/r/spring-a');
  assert.equal(u.searchParams.get('url'), 'http://shop.example.com/product/42');
  assert.equal(u.searchParams.get('sub1'), 'yt video');
  await page.click('button:has-text("Copy link")');
  await page.waitForSelector('button:has-text("Copied")');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), built);
  await shot('portal-links');
  // the built deep link works: it redirects to the landing page with a click id
  const visitor = await context.newPage();
  await visitor.goto(built);
  await visitor.waitForSelector('text=Welcome to the shop');
  assert.equal(new URL(visitor.url()).pathname, '/product/42');
  await visitor.close();

  await go('/coupons');
  await page.waitForSelector('td:has-text("SPRING10")');
  await shot('portal-coupons');
  await go('/commissions');
  await page.waitForSelector('td:has-text("$4.99")');
  await shot('portal-commissions');
  await go('/payouts');
  await page.waitForSelector('text=No payouts yet');

  // admin pages are not in the portal: the hash falls back to the portal overview
  await go('/programs');
  await page.waitForSelector('[data-kpi=clicks]');
  const text = await page.textContent('body');
  assert.doesNotMatch(text, /Partner B Secret|Program of B only|b-only/);

  // the session, used from the page, cannot reach B's objects or admin routes
  const statuses = await page.evaluate(async (x) => {
    const out = {};
    for (const p of [`/v1/me/links/${x.bLink}`, `/v1/me/reports?affiliate_id=${x.b}`, `/v1/me/commissions?affiliate_id=${x.b}`,
      `/v1/me/coupons?affiliate_id=${x.b}`, '/v1/coupons',
      `/v1/me/payouts?affiliate_id=${x.b}`, `/v1/me/links?affiliate_id=${x.b}`, `/v1/links/${x.bLink}`, `/v1/affiliates/${x.b}`,
      '/v1/programs', '/v1/reports']) {
      out[p] = (await fetch(p)).status;
    }
    return out;
  }, ids);
  for (const [p, status] of Object.entries(statuses)) {
    assert.equal(status, p.startsWith('/v1/me/') ? 404 : 403, `${p} from A's portal session`);
  }
  // a write without the CSRF token is refused even from the page's own origin
  const forged = await page.evaluate(() => fetch('/v1/me/links', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"program_id":1}' }).then((r) => r.status));
  assert.equal(forged, 403);
});

test('a new partner applies on the sign-up page, signs in pending, and is approved', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA });
  const p = await ctx.newPage();
  watch(p);
  await p.goto(`${srv.url}/`);
  await p.click('text=Apply to the program');
  await p.waitForSelector('form[aria-label=apply]');
  await p.fill('input[name=name]', 'Newcomer Media');
  await p.fill('input[name=email]', 'new@partner.example');
  await p.fill('input[name=password]', 'newcomer pw 1');
  await p.click('button:has-text("Apply")');
  await p.waitForSelector('.field-error');
  assert.match(await p.textContent('.field-error'), /terms/);
  await shot('signup-error', p);
  await p.check('input[name=accept_terms]');
  await p.click('button:has-text("Apply")');
  await p.waitForSelector('text=Application received');
  await shot('signup-done', p);
  await p.click('a:has-text("Sign in")');
  await p.fill('input[name=email]', 'new@partner.example');
  await p.fill('input[name=password]', 'newcomer pw 1');
  await p.click('button[type=submit]');
  await p.waitForSelector('text=Your application is being reviewed');
  await shot('portal-pending', p);
  const affs = await srv.api('GET', '/v1/affiliates?status=pending');
  const applicant = affs.json.data.find((a) => a.email === 'new@partner.example');
  assert.ok(applicant, 'the applicant is a pending affiliate');
  expectStatus(await srv.api('PATCH', `/v1/affiliates/${applicant.id}`, { body: { status: 'approved' } }), 200, 'approve');
  await p.reload();
  await p.waitForSelector('[data-kpi=clicks]');
  assert.equal(await p.locator('text=Your application is being reviewed').count(), 0);
  await ctx.close();
});

test('phone-sized screens', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, userAgent: DESKTOP_UA });
  const p = await phone.newPage();
  watch(p);
  await p.goto(`${srv.url}/`);
  await p.fill('input[name=email]', PARTNER.email);
  await p.fill('input[name=password]', PARTNER.password);
  await p.click('button[type=submit]');
  await p.waitForSelector('[data-kpi=clicks]');
  await p.waitForTimeout(300);
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling of the page (overflow ${overflow}px)`);
  await shot('phone-portal-overview', p);
  await p.goto(`${srv.url}/#/`);
  await p.click('button:has-text("Custom")');
  await p.waitForSelector('input[name=from]');
  const overflow2 = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow2 <= 0, `no horizontal scrolling with the custom range open (overflow ${overflow2}px)`);
  await shot('phone-portal-custom-range', p);
  await p.goto(`${srv.url}/#/links`);
  await p.waitForSelector('td:has-text("spring-a")');
  await shot('phone-portal-links', p);
  await phone.close();
});

test('no script error and no CSP violation on any page', () => {
  assert.deepEqual(problems, []);
});

test('the session cookie is HttpOnly: page scripts cannot read it', async () => {
  assert.equal(await page.evaluate(() => document.cookie.includes('afftrack_session')), false);
  const cookies = await context.cookies(srv.url);
  const s = cookies.find((c) => c.name === 'afftrack_session');
  assert.ok(s && s.httpOnly && s.sameSite === 'Lax');
  expectStatus(await srv.api('GET', '/healthz', { key: null }), 200, 'server still healthy');
});
