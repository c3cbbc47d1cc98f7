'use strict';
// Browser tests of the portal content (pages/content.js): the admin sets a program's
// page and terms, uploads a banner, adds a text creative and posts announcements on the
// Content page; the affiliate sees them in its portal and copies a snippet holding its
// own link (never another affiliate's); a newcomer applies on the program's public page
// and the admin approves the application. Phone-sized screens and empty states are
// screenshotted to tests/browser/screenshots/ (git-ignored).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { spawnSync } = require('node:child_process');
const { chromium } = require('playwright-core');
const { BIN, startServer, createProgram, createAffiliate, createLink, expectStatus } = require('../e2e/helpers');

const SHOTS = path.join(__dirname, 'screenshots');
const CHROMIUM = process.env.AFFTRACK_CHROMIUM || '/usr/bin/chromium';
const ADMIN = { email: 'content-admin@example.com', password: 'admin password 1' };
const ALICE = { email: 'alice@partner.example', password: 'alice password 1' };
const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const LONG_NAME = 'Spring Campaign for the Extraordinarily Long-Named Outdoor Equipment Store Partnership 2026';
const XSS = '<img src=x onerror="window.__xss=1">';

let srv;
let browser;
let page;
let bannerFile;
const problems = [];
const ids = {};

/** A real w x h PNG in two colours (so Chromium draws it), built with zlib. */
function pngFile(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) {
      const on = y < h / 2;
      row[1 + x * 3] = on ? 0x1f : 0xd9; row[2 + x * 3] = on ? 0x5f : 0x82; row[3 + x * 3] = on ? 0x8b : 0x2b;
    }
    rows.push(row);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

async function shot(name, p = page) {
  await p.evaluate(() => window.scrollTo(0, 0)); // a full-page shot draws the sticky header where the page was scrolled to
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function go(hash, p = page) {
  await p.goto(`${srv.url}/#${hash}`);
  await p.waitForLoadState('networkidle');
}

async function signIn(p, who) {
  await p.goto(`${srv.url}/`);
  await p.fill('input[name=email]', who.email);
  await p.fill('input[name=password]', who.password);
  await p.click('button[type=submit]');
  await p.waitForSelector('.topbar');
}

function watch(p) {
  p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  p.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
}

async function newPage(viewport = { width: 1280, height: 900 }, extra = {}) {
  const ctx = await browser.newContext({ viewport, userAgent: DESKTOP_UA, ...extra });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.url });
  const p = await ctx.newPage();
  watch(p);
  return p;
}

test.before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  srv = await startServer({ args: ['--signin-attempts-per-minute', '100'] });
  const r = spawnSync(BIN, ['user', 'create', '--data', srv.dataDir, '--admin', '--email', ADMIN.email, '--password-stdin'],
    { input: `${ADMIN.password}\n`, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const p1 = await createProgram(srv, { name: LONG_NAME });
  const p2 = await createProgram(srv, { name: 'Bob Only Program' });
  const alice = await createAffiliate(srv, { name: 'Alice Media', email: ALICE.email });
  const bob = await createAffiliate(srv, { name: 'Bob Secret' });
  const aLink = await createLink(srv, p1.id, alice.id, { code: 'alice-spring' });
  const bLink = await createLink(srv, p2.id, bob.id, { code: 'bob-only' });
  expectStatus(await srv.api('POST', '/v1/users', { body: { email: ALICE.email, password: ALICE.password, affiliate_id: alice.id } }), 201, 'alice login');
  Object.assign(ids, { p1: p1.id, p2: p2.id, alice: alice.id, bob: bob.id, aLink, bLink });
  bannerFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'afftrack-banner-')), 'spring-300x250.png');
  fs.writeFileSync(bannerFile, pngFile(300, 250));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'] });
  page = await newPage();
});

test.after(async () => {
  if (browser) await browser.close();
  if (bannerFile) fs.rmSync(path.dirname(bannerFile), { recursive: true, force: true });
  if (srv) { await srv.stop(); await srv.cleanup(); }
});

test('the portal pages say so when there is nothing yet', async () => {
  await signIn(page, ALICE);
  await go('/creatives');
  await page.waitForSelector('text=No creatives yet');
  await shot('portal-creatives-empty');
  await go('/news');
  await page.waitForSelector('text=No announcements yet');
  await go('/my-programs');
  await page.waitForSelector(`text=${LONG_NAME}`);
  assert.match(await page.textContent('main'), /no written terms/);
  await page.click('button:has-text("Sign out")');
  await page.waitForSelector('form[aria-label="sign in"]');
});

test('the admin sets the program page and terms, uploads a banner, adds a text and posts announcements', async () => {
  await signIn(page, ADMIN);
  await go('/content');
  await page.waitForSelector('form[aria-label="program page"]');
  await page.waitForSelector('text=No applications waiting.');
  await page.waitForSelector('text=No creatives yet');
  await shot('content-empty');
  // opening applications without terms is refused next to the terms field
  await page.check('input[name=applications_open]');
  await page.click('button:has-text("Save program page")');
  await page.waitForSelector('.field-error');
  assert.match(await page.textContent('.field-error'), /needs terms/);
  await page.fill('textarea[name=description]', `Outdoor gear for every season.\n${XSS}`);
  await page.fill('textarea[name=terms]', `1. No paid search on our brand.\n2. No coupon sites.\n3. ${XSS}`);
  await page.click('button:has-text("Save program page")');
  await page.waitForSelector('text=Saved.');
  const applyUrl = await page.textContent('[data-testid=apply-url]');
  assert.equal(applyUrl, `${srv.url}/#/apply/${ids.p1}`);
  ids.applyUrl = applyUrl;

  // a banner: a wrong file first (refused with the server's message), then a PNG
  const bad = path.join(path.dirname(bannerFile), 'logo.svg');
  fs.writeFileSync(bad, '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await page.setInputFiles('input[name=image]', bad);
  await page.click('button:has-text("Upload")');
  await page.waitForSelector('text=SVG and other markup is not accepted');
  await page.fill('input[name=banner_name]', 'Spring banner 300×250');
  await page.setInputFiles('input[name=image]', bannerFile);
  await page.click('button:has-text("Upload")');
  await page.waitForSelector('td:has-text("Spring banner 300×250")');
  assert.match(await page.textContent('table[aria-label=creatives]'), /300×250/);
  const natural = await page.$eval('img.thumb', (img) => img.naturalWidth);
  assert.equal(natural, 300, 'the uploaded banner is served and drawn');

  await page.fill('input[name=name]', 'Newsletter blurb');
  await page.fill('textarea[name=text]', 'Gear up for spring: {link}');
  await page.click('button:has-text("Add text")');
  await page.waitForSelector('td:has-text("Newsletter blurb")');

  await page.fill('input[name=title]', 'Double commission this weekend');
  await page.fill('textarea[name=body]', `All sales from Friday to Sunday earn double.\nHappy selling! ${XSS}`);
  await page.click('button:has-text("Post")');
  await page.waitForSelector('td:has-text("Double commission this weekend")');
  expectStatus(await srv.api('POST', '/v1/announcements', { body: { program_id: ids.p2, title: 'Only for Bob', body: 'secret' } }), 201, 'bob news');
  await page.reload();
  await page.waitForSelector('td:has-text("Only for Bob")');
  await shot('content-admin');
});

test('the affiliate sees its creatives with its own link, copies a snippet, reads news and terms as text', async () => {
  await page.click('button:has-text("Sign out")');
  await page.waitForSelector('form[aria-label="sign in"]');
  await signIn(page, ALICE);
  await go('/creatives');
  await page.waitForSelector('article.creative img');
  await page.waitForFunction(() => document.querySelector('article.creative img').naturalWidth === 300);
  const snippets = await page.$$eval('[data-testid=snippet]', (els) => els.map((e) => e.value));
  assert.equal(snippets.length, 2);
  const html = snippets.find((s) => s.startsWith('<a '));
  assert.equal(html, `<a href="${srv.url}/r/alice-spring"><img src="${srv.url}/c/1.png" alt="Spring banner 300×250" width="300" height="250"></a>`);
  assert.ok(snippets.includes(`Gear up for spring: ${srv.url}/r/alice-spring`));
  await page.click('article.creative:has(img) button:has-text("Copy HTML")');
  await page.waitForSelector('button:has-text("Copied")');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, html);
  assert.match(copied, /\/r\/alice-spring"/);
  assert.doesNotMatch(await page.textContent('body'), /bob-only|Bob Only Program/);
  await shot('portal-creatives');

  await go('/news');
  await page.waitForSelector('text=Double commission this weekend');
  assert.doesNotMatch(await page.textContent('main'), /Only for Bob/);
  assert.match(await page.textContent('article.announcement .pre'), /<img src=x onerror/);
  await shot('portal-news');

  await go('/my-programs');
  await page.waitForSelector('[data-testid=program-link]');
  await page.click('summary:has-text("Program terms")');
  await page.waitForSelector('.terms');
  assert.match(await page.textContent('.terms'), /1\. No paid search on our brand\.\n2\. No coupon sites\./);
  assert.match(await page.textContent('[data-testid=program-link]'), /\/r\/alice-spring$/);
  await shot('portal-programs');

  // the session cannot reach Bob's program's content
  const statuses = await page.evaluate(async (x) => {
    const out = {};
    for (const p of [`/v1/me/programs/${x.p2}`, '/v1/me/creatives/999', `/v1/me/creatives?affiliate_id=${x.bob}`, '/v1/creatives', '/v1/applications']) {
      out[p] = (await fetch(p)).status;
    }
    return out;
  }, ids);
  for (const [p, status] of Object.entries(statuses)) assert.equal(status, p.startsWith('/v1/me/') ? 404 : 403, p);
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no text ran as HTML');
});

test('a newcomer applies on the public program page; the admin approves the application', async () => {
  const p = await newPage();
  await p.goto(ids.applyUrl);
  await p.waitForSelector('form[aria-label=apply]');
  assert.match(await p.textContent('h1'), /Apply to Spring Campaign/);
  assert.match(await p.textContent('.terms'), /No coupon sites/);
  await p.fill('input[name=name]', 'Trail Reviews Weekly');
  await p.fill('input[name=email]', 'trail@reviews.example');
  await p.fill('input[name=password]', 'trail reviews 1');
  await p.fill('input[name=website]', 'https://trail-reviews.example');
  await p.fill('textarea[name=promotion]', 'Gear reviews on my blog\nand a weekly newsletter (12k readers).');
  await p.click('button:has-text("Apply")');
  await p.waitForSelector('.field-error');
  assert.match(await p.textContent('.field-error'), /terms/);
  await shot('apply-error', p);
  await p.check('input[name=accept_terms]');
  await p.click('button:has-text("Apply")');
  await p.waitForSelector('text=Application received');
  await shot('apply-done', p);
  // a program that is not open answers with a friendly page
  await p.goto(`${srv.url}/#/apply/${ids.p2}`);
  await p.waitForSelector('text=Applications closed');
  await p.context().close();

  await page.click('button:has-text("Sign out")');
  await page.waitForSelector('form[aria-label="sign in"]');
  await signIn(page, ADMIN);
  await go('/content');
  await page.waitForSelector('td:has-text("Trail Reviews Weekly")');
  assert.match(await page.textContent('table[aria-label=applications]'), /weekly newsletter/);
  await shot('content-applications');
  await page.click('table[aria-label=applications] button:has-text("Approve")');
  await page.waitForSelector('text=No applications waiting.');
  // someone signed in who opens an application page is told it makes a new account
  await go(`/apply/${ids.p1}`);
  await page.waitForSelector('form[aria-label=apply]');
  assert.match(await page.textContent('.banner.info'), new RegExp(`signed in as ${ADMIN.email}`));
  const apps = await srv.api('GET', `/v1/applications?program_id=${ids.p1}`);
  assert.equal(apps.json.data.length, 1);
  assert.equal(apps.json.data[0].status, 'approved');
  assert.equal(apps.json.data[0].terms_version, 1);

  // an existing partner applies to a further program with its account; the admin approves
  expectStatus(await srv.api('PATCH', `/v1/programs/${ids.p2}/terms`, { body: { terms: 'Bob program terms.', applications_open: true } }), 200, 'open p2');
  const a = await newPage();
  await signIn(a, ALICE);
  await go(`/apply/${ids.p2}`, a);
  await a.waitForSelector('text=apply with your partner account');
  await a.click('button:has-text("Apply")');
  await a.waitForSelector('.field-error');
  await a.check('input[name=accept_terms]');
  await a.click('button:has-text("Apply")');
  await a.waitForSelector('text=is waiting for the program manager');
  await shot('apply-as-partner', a);
  await go('/my-programs', a);
  await a.waitForSelector('text=application pending');
  assert.doesNotMatch(await a.textContent('main'), /bob-only/);
  await go('/content');
  await page.selectOption('select[aria-label=program]', String(ids.p2));
  await page.waitForSelector('td:has-text("existing partner")');
  await page.click('table[aria-label=applications] button:has-text("Approve")');
  await page.waitForSelector('text=No applications waiting.');
  await a.reload();
  await a.waitForSelector('button:has-text("Get my link")');
  await a.click('button:has-text("Get my link")');
  await a.waitForSelector('[data-program="' + ids.p2 + '"] [data-testid=program-link]');
  await shot('portal-programs-two', a);
  await a.context().close();
});

test('phone-sized screens of the content pages', async () => {
  const opts = { isMobile: true, hasTouch: true };
  const check = async (p, name) => {
    await p.waitForTimeout(300);
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: no horizontal scrolling (overflow ${overflow}px)`);
    await shot(name, p);
  };
  const a = await newPage({ width: 390, height: 844 }, opts);
  await signIn(a, ALICE);
  await go('/creatives', a);
  await a.waitForSelector('article.creative img');
  await check(a, 'phone-portal-creatives');
  await go('/news', a);
  await a.waitForSelector('article.announcement');
  await check(a, 'phone-portal-news');
  await a.context().close();
  const m = await newPage({ width: 390, height: 844 }, opts);
  await signIn(m, ADMIN);
  await go('/content', m);
  await m.waitForSelector('td:has-text("Newsletter blurb")');
  await check(m, 'phone-content-admin');
  await m.context().close();
  const v = await newPage({ width: 390, height: 844 }, opts);
  await v.goto(ids.applyUrl);
  await v.waitForSelector('form[aria-label=apply]');
  await check(v, 'phone-apply');
  await v.context().close();
});

test('no script error and no CSP violation on the content pages', () => {
  assert.deepEqual(problems, []);
});
