'use strict';
// Layout with long names: a program, an affiliate, a link, a coupon, an order, sub-IDs,
// a payout reference, creatives and an announcement whose names are long and have no
// spaces (nothing to break a line at). Every page of the dashboard and of the portal,
// on a desktop and on a 390 px phone, must fit its width: no horizontal scrolling of the
// page, nothing sticking out of the viewport, and no table that has to scroll sideways
// inside its card. Screenshots: tests/browser/screenshots/layout-*.png.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startServer, expectStatus, clickOk, convOk } = require('../e2e/helpers');

const ROOT = path.resolve(__dirname, '../..');
const SHOTS = path.join(__dirname, 'screenshots');
const CHROMIUM = process.env.AFFTRACK_CHROMIUM || '/usr/bin/chromium';
const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const ADMIN = { email: 'layout-admin@example.com', password: 'layout admin password' };
const PARTNER = { email: `${'partner'.repeat(9)}@${'longdomain'.repeat(6)}.example`, password: 'layout partner password' };

/** n characters of prefix then "Abc" repeated: no space, nowhere to break. */
const long = (prefix, n = 120) => (prefix + 'Abcdefghij'.repeat(Math.ceil(n / 10))).slice(0, n);

let srv;
let browser;
const ids = {};

async function ok(p, status, what) {
  const r = await p;
  expectStatus(r, status, what);
  return r.json;
}

test.before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  srv = await startServer({ args: ['--signin-attempts-per-minute', '1000', '--maintenance-interval-ms', '86400000'] });
  const api = (m, p, body) => srv.api(m, p, body === undefined ? {} : { body });
  await ok(api('POST', '/v1/users', { ...ADMIN, role: 'admin' }), 201, 'admin login');
  const prog = await ok(api('POST', '/v1/programs', {
    name: long('LongProgramName'), currency: 'USD', destination_url: `https://shop.example.com/${long('landing', 200)}`,
    allowed_domains: ['shop.example.com'], hold_days: 0, commission: { sale: { percent: '10' } },
  }), 201, 'program');
  ids.program = prog.id;
  await ok(api('PATCH', `/v1/programs/${prog.id}/terms`, {
    description: long('LongDescription', 300), terms: `1. ${long('LongTermsToken', 400)}`, applications_open: true,
  }), 200, 'terms');
  const aff = await ok(api('POST', '/v1/affiliates', {
    name: long('LongAffiliateName'), email: `${long('mail', 60)}@${long('domain', 60)}.example`,
    group: long('LongGroup', 120), payout_method: 'paypal', payout_account: `${long('pay', 60)}@${long('paydomain', 60)}.example`,
  }), 201, 'affiliate');
  ids.affiliate = aff.id;
  await ok(api('POST', '/v1/users', { ...PARTNER, affiliate_id: aff.id }), 201, 'partner login');
  const link = await ok(api('POST', '/v1/links', {
    program_id: prog.id, affiliate_id: aff.id, code: long('LongLinkCode', 64),
    destination_url: `https://shop.example.com/${long('deeppath', 300)}`, sub1: long('LongDefaultSub', 200),
  }), 201, 'link');
  await ok(api('POST', '/v1/coupons', { program_id: prog.id, affiliate_id: aff.id, code: long('LONGCOUPON', 64) }), 201, 'coupon');
  const c = await clickOk(srv, link.code, { query: { sub1: long('LongClickSub', 255), sub2: long('Sub2', 200), source_id: long('Source', 120) },
    headers: { 'user-agent': `Mozilla/5.0 ${long('LongUserAgent', 300)}`, referer: `https://ref.example/${long('refpath', 300)}` } });
  await convOk(srv, { program_id: prog.id, order_id: long('LongOrderId', 128), amount_minor: 123456789, click_id: c.clickId, status: 'approved' });
  await convOk(srv, { program_id: prog.id, order_id: long('PendingOrder', 128), amount_minor: 4990, coupon: long('LONGCOUPON', 64) });
  const run = await ok(api('POST', '/v1/payouts/run', { program_id: prog.id }), 201, 'payout run');
  await ok(api('POST', `/v1/payouts/${run.payouts[0].id}/paid`, { reference: long('LongPayoutReference', 200) }), 200, 'paid');
  await ok(api('POST', '/v1/creatives', { program_id: prog.id, name: long('LongCreativeName', 200), text: `${long('LongCreativeText', 500)} {link}` }), 201, 'creative');
  await ok(api('POST', '/v1/announcements', { program_id: prog.id, title: long('LongAnnouncementTitle', 200), body: long('LongBody', 600) }), 201, 'news');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'] });
});

test.after(async () => {
  if (browser) await browser.close();
  if (srv) { await srv.stop(); await srv.cleanup(); }
});

/** The paths of a route table of web/app.js. */
function routes(name) {
  const src = fs.readFileSync(path.join(ROOT, 'web/app.js'), 'utf8');
  const m = src.match(new RegExp(`const ${name} = \\[([\\s\\S]*?)\\n\\];`));
  return [...m[1].matchAll(/path: '([^']*)'/g)].map((x) => x[1]);
}

const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
};

/** How the page fits its width: page overflow, elements past the right edge, tables that scroll. */
function measure() {
  const vw = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.table-wrap, .nav, .terms, textarea, select, option')) continue; // scroll (or clip) by design
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 1) out.push(`${el.tagName.toLowerCase()}.${el.className || ''} right ${Math.round(r.right)}px`);
  }
  const tables = [...document.querySelectorAll('.table-wrap')]
    .filter((t) => t.scrollWidth > t.clientWidth + 1)
    .map((t) => `${(t.querySelector('table') || t).getAttribute('aria-label') || 'table'}: ${t.scrollWidth - t.clientWidth}px`);
  return { page: document.documentElement.scrollWidth - vw, out: out.slice(0, 8), tables };
}

for (const [who, login, list, extra] of [
  ['admin', ADMIN, 'ADMIN_ROUTES', () => [`/program?id=${ids.program}`]],
  ['partner', PARTNER, 'PORTAL_ROUTES', () => [`/apply/${ids.program}`]],
]) {
  test(`every ${who} page fits a desktop and a phone screen with long names`, async () => {
    const problems = [];
    for (const [size, opts] of Object.entries(VIEWPORTS)) {
      const ctx = await browser.newContext({ ...opts, userAgent: DESKTOP_UA });
      const page = await ctx.newPage();
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.goto(`${srv.url}/`);
      await page.fill('input[name=email]', login.email);
      await page.fill('input[name=password]', login.password);
      await page.click('button[type=submit]');
      await page.waitForSelector('.topbar');
      let n = 0;
      for (const hash of [...new Set([...routes(list), ...extra()])]) {
        n += 1;
        await page.goto(`${srv.url}/?layout=${size}-${n}#${hash}`); // a new document: networkidle means its fetches are done
        await page.waitForLoadState('networkidle');
        await page.waitForFunction(() => !document.body.innerText.includes('Loading…'), null, { timeout: 5000 }).catch(() => {});
        const m = await page.evaluate(measure);
        const name = `layout-${who}-${size}${hash.split('?')[0].replace(/\//g, '-')}`;
        await page.screenshot({ path: path.join(SHOTS, `${name.replace(/-$/, '-overview')}.png`), fullPage: true });
        if (m.page > 0) problems.push(`${size} #${hash}: the page scrolls sideways by ${m.page}px`);
        if (m.out.length) problems.push(`${size} #${hash}: past the right edge: ${m.out.join('; ')}`);
        if (m.tables.length) problems.push(`${size} #${hash}: tables scroll sideways: ${m.tables.join('; ')}`);
      }
      await ctx.close();
    }
    assert.deepEqual(problems, []);
  });
}

async function signedIn(login, opts = VIEWPORTS.desktop) {
  const ctx = await browser.newContext({ ...opts, userAgent: DESKTOP_UA });
  const page = await ctx.newPage();
  await page.goto(`${srv.url}/`);
  await page.fill('input[name=email]', login.email);
  await page.fill('input[name=password]', login.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('.topbar');
  return { ctx, page };
}

test('a program\'s settings page follows the hash from one program to another', async () => {
  const other = await ok(srv.api('POST', '/v1/programs', { body: { name: 'Second program', currency: 'EUR', destination_url: 'https://shop.example.com/' } }), 201, 'second');
  const { ctx, page } = await signedIn(ADMIN);
  await page.goto(`${srv.url}/#/program`);
  await page.waitForSelector('text=No program chosen');
  await page.evaluate((id) => { window.location.hash = `#/program?id=${id}`; }, ids.program);
  await page.waitForSelector(`h1:has-text("${long('LongProgramName')}")`);
  await page.evaluate((id) => { window.location.hash = `#/program?id=${id}`; }, other.id);
  await page.waitForSelector('h1:has-text("Program “Second program”")');
  assert.match(await page.textContent('main'), /EUR/);
  await page.goBack();
  await page.waitForSelector(`h1:has-text("${long('LongProgramName')}")`);
  await ctx.close();
});

test('the portal names the partner\'s programs in its tables and balances', async () => {
  const { ctx, page } = await signedIn(PARTNER);
  for (const hash of ['/links', '/coupons', '/conversions', '/payouts']) {
    await page.goto(`${srv.url}/#${hash}`);
    await page.waitForSelector(`td[data-label=Program]:has-text("${long('LongProgramName')}")`);
  }
  await ctx.close();
});
