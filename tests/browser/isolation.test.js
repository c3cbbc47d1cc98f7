'use strict';
// Affiliate isolation in the browser: affiliate A signs in to the portal and walks every
// page the dashboard has (the hash routes of web/app.js: the portal's, the admin's that
// must fall back to the portal, and the pages outside the tables, such as a program's
// application page #/apply/{id}), plain and with B's ids in the URL; on each page it
// sorts every sortable table, searches for B's codes and downloads every CSV export.
// Neither the DOM nor any response the page received may hold anything of B's
// (tests/e2e/isolation_world.js says how that is told), and nothing is written.
// The API walk is tests/e2e/isolation.test.js.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startServer } = require('../e2e/helpers');
const { WORLD_FLAGS, buildWorld, leaksIn, snapshot } = require('../e2e/isolation_world');

const ROOT = path.resolve(__dirname, '../..');
const SHOTS = path.join(__dirname, 'screenshots');
const CHROMIUM = process.env.AFFTRACK_CHROMIUM || '/usr/bin/chromium';
const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

// Routes of web/app.js outside its two tables, each with the hashes that walk it. A new
// one fails the walk until it is added here.
const EXTRA_ROUTES = {
  '/^\\/apply\\/(\\d+)$/': (w) => [`/apply/${w.excl.id}`, `/apply/${w.open.id}`, `/apply/${w.ids.application[0]}`],
  "'/apply'": () => ['/apply'],
};

/** The hash routes of web/app.js: { portal: [paths], admin: [paths], extra: [sources] }. */
function hashRoutes() {
  const src = fs.readFileSync(path.join(ROOT, 'web/app.js'), 'utf8');
  const table = (name) => {
    const m = src.match(new RegExp(`const ${name} = \\[([\\s\\S]*?)\\n\\];`));
    assert.ok(m, `web/app.js: ${name} not found (update hashRoutes() in tests/browser/isolation.test.js)`);
    return [...m[1].matchAll(/path: '([^']*)'/g)].map((x) => x[1]);
  };
  const extra = [...[...src.matchAll(/path\.match\((\/.*?\/)\)/g)].map((x) => x[1]),
    ...[...src.matchAll(/path === ('[^']*')/g)].map((x) => x[1])];
  return { portal: table('PORTAL_ROUTES'), admin: table('ADMIN_ROUTES'), extra };
}

let srv;
let w;
let browser;
let page;
const seen = []; // { url, status, findings }
const problems = [];

test.before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  srv = await startServer({ args: WORLD_FLAGS });
  w = await buildWorld(srv);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA, acceptDownloads: false });
  page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', () => { inflight += 1; });
  page.on('requestfinished', () => { inflight -= 1; });
  page.on('requestfailed', () => { inflight -= 1; });
  page.on('response', async (res) => {
    if (!res.url().startsWith(srv.url)) return;
    const type = res.headers()['content-type'] || '';
    if (!/json|csv|text\/plain/.test(type)) return; // the app's own files, images
    let text = '';
    try { text = await res.text(); } catch { return; } // a redirect or a body gone with its page
    seen.push({ url: res.url().slice(srv.url.length), status: res.status(), findings: leaksIn(w, text) });
  });
});

test.after(async () => {
  if (browser) await browser.close();
  if (srv) { await srv.stop(); await srv.cleanup(); }
});

/** The page's text, its markup (attribute values, form values) and what it received: nothing of B's. */
async function assertClean(what) {
  const dom = await page.evaluate(() => {
    // form values too (snippets, the deep-link builder), except the searches A typed itself
    const values = [...document.querySelectorAll('input:not([type=search]), textarea, select')].map((e) => e.value);
    return `${document.body.innerText}\n${document.documentElement.outerHTML}\n${values.join('\n')}`;
  });
  const found = leaksIn(w, dom);
  assert.deepEqual(found, [], `${what}: B's data in the page:\n  ${found.join('\n  ')}`);
  const bad = seen.filter((s) => s.findings.length > 0);
  assert.deepEqual(bad, [], `${what}: B's data in a response the page received`);
}

/** Wait until the page has had no request in flight for 250 ms and shows no "Loading…"
 * (waitForLoadState('networkidle') only waits for a document's load, not for the fetches
 * a click or a search starts later). */
let inflight = 0;
async function settle() {
  const t0 = Date.now();
  let quiet = Date.now();
  while (Date.now() - t0 < 5000) {
    if (inflight > 0) quiet = Date.now();
    else if (Date.now() - quiet >= 250) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  await page.waitForFunction(() => !document.body.innerText.includes('Loading…'), null, { timeout: 5000 }).catch(() => {});
}

/** Sort by every sortable column, search each search box for B's codes, fetch every CSV export. */
async function exercise() {
  const sorts = await page.locator('th.sortable button.sort').count();
  for (let i = 0; i < sorts; i++) {
    await page.locator('th.sortable button.sort').nth(i).click();
    await settle();
  }
  const searches = page.locator('input[type=search]');
  for (let i = 0; i < await searches.count(); i++) {
    for (const q of ['bravo', 'BRAVO', 'b']) {
      await searches.nth(i).fill(q);
      await searches.nth(i).press('Enter');
      await settle();
    }
    await searches.nth(i).fill('');
    await searches.nth(i).press('Enter');
    await settle();
  }
  const presets = page.locator('[aria-pressed]');
  const chosen = presets.locator('xpath=self::*[@aria-pressed="true"]');
  const initial = await chosen.count() ? await chosen.first().textContent() : null;
  for (let i = 0; i < await presets.count(); i++) {
    await presets.nth(i).click();
    await settle();
  }
  if (initial) await page.locator('[aria-pressed]', { hasText: initial }).first().click(); // back to the page's own period
  await settle();
  await settle();
  const exports = await page.$$eval('a[download]', (as) => as.map((a) => a.getAttribute('href')));
  for (const href of exports) {
    const r = await page.evaluate((u) => fetch(u).then(async (x) => ({ status: x.status, type: x.headers.get('content-type'), text: await x.text() })), href);
    assert.equal(r.status, 200, `the CSV export ${href}`);
    assert.match(r.type, /^text\/csv/, `the CSV export ${href}`);
    seen.push({ url: href, status: r.status, findings: leaksIn(w, r.text) });
  }
  await settle();
  return { sorts, exports: exports.length };
}

test('every route of web/app.js is walked', () => {
  const { portal, admin, extra } = hashRoutes();
  assert.ok(portal.length >= 9 && admin.length >= 10, 'web/app.js: the route tables parsed');
  const unknown = extra.filter((x) => !(x in EXTRA_ROUTES));
  assert.deepEqual(unknown, [], 'web/app.js routes outside its tables that the isolation walk does not know: add each to '
    + 'EXTRA_ROUTES in tests/browser/isolation.test.js with the hashes (B\'s ids) that walk it');
});

test('affiliate A walks every page of the dashboard with B\'s ids: nothing of B\'s anywhere', async (t) => {
  const before = await snapshot(srv, w);
  await page.goto(`${srv.url}/`);
  await page.fill('input[name=email]', 'alpha.login@alpha.example');
  await page.fill('input[name=password]', 'alpha portal password 1');
  await page.click('button[type=submit]');
  await page.waitForSelector('.topbar');

  const { portal, admin, extra } = hashRoutes();
  const withIds = `?id=${w.excl.id}&program_id=${w.excl.id}&affiliate_id=${w.b.id}&link_id=${w.ids.link[0]}`;
  const hashes = [];
  for (const p of new Set([...portal, ...admin])) hashes.push(p, `${p}${withIds}`);
  for (const x of extra) hashes.push(...EXTRA_ROUTES[x](w));
  let n = 0;
  let sorted = 0;
  let exported = 0;
  const exercised = new Set([...portal, ...extra.flatMap((x) => EXTRA_ROUTES[x](w))]); // pages of their own
  for (const hash of hashes) {
    n += 1;
    await page.goto(`${srv.url}/?walk=${n}#${hash}`); // a new document each time, as a bookmark opens it
    await settle();
    await assertClean(`#${hash}`);
    if (portal.includes(hash)) await page.screenshot({ path: path.join(SHOTS, `isolation-portal${hash.replace(/\//g, '-') || '-'}.png`), fullPage: true });
    if (exercised.has(hash)) {
      const did = await exercise();
      sorted += did.sorts;
      exported += did.exports;
      await assertClean(`#${hash} after sorting, searching and exporting`);
    }
  }
  // the walk saw A's own data (it is not vacuous) and every /v1/me list the portal uses
  const urls = seen.map((s) => s.url);
  for (const p of ['/v1/me/links', '/v1/me/coupons', '/v1/me/conversions', '/v1/me/commissions', '/v1/me/payouts', '/v1/me/balance',
    '/v1/me/reports', '/v1/me/programs', '/v1/me/creatives', '/v1/me/announcements', `/v1/public/programs/${w.open.id}`]) {
    assert.ok(urls.some((u) => u.startsWith(p)), `the portal asked for ${p}`);
  }
  assert.ok(urls.some((u) => /format=csv/.test(u)), 'CSV exports were fetched');
  assert.ok(sorted > 10 && exported >= 6, `tables sorted (${sorted}) and exported (${exported})`);
  await page.goto(`${srv.url}/?walk=links#/links`);
  await page.waitForSelector('td:has-text("alpha-shared")');
  await settle();
  await assertClean('the end of the walk'); // responses that arrived after the last page's check
  assert.deepEqual(problems, []);
  const after = await snapshot(srv, w);
  assert.deepEqual(after, before, 'the walk wrote nothing');
  t.diagnostic(`portal walk: ${hashes.length} hashes, ${seen.length} responses checked, ${sorted} sorts, ${exported} CSV exports`);
});
