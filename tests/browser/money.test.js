'use strict';
// Browser tests of the money pages: the review queue, commissions and balances, payout
// runs with their export files, a program's settings and caps, an affiliate's settings,
// and the partner portal's balance, conversions and payouts. Debian's Chromium driven by
// playwright-core against the real server, like dashboard.test.js.
//
// One story, in order: a program holds bursts (conversion_velocity hold at 2); two quick
// sales of partner A are held and shown in Review, one is rejected there with a reason
// and one approved; a sale in a second program is approved as a line on the
// Commissions page; the Balances view shows it; a payout run from the Payouts page is
// exported (CSV, PayPal, JSON) and its payout marked paid, another one failed; the
// partner, signed in next to the admin, sees its balance move and its conversions with
// status and reason, and never B's. Screenshots go to tests/browser/screenshots/.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { chromium } = require('playwright-core');
const { BIN, startServer, createProgram, createAffiliate, createLink, clickOk, convOk, expectStatus } = require('../e2e/helpers');

const SHOTS = path.join(__dirname, 'screenshots');
const CHROMIUM = process.env.AFFTRACK_CHROMIUM || '/usr/bin/chromium';
const ADMIN = { email: 'boss@example.com', password: 'boss password 1' };
const PARTNER = { email: 'alice@partner.example', password: 'alice password 1' };
const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

let srv;
let browser;
let admin; // the admin's page
let partner; // the partner's page, in a context of its own
const problems = [];
const ids = {};

async function shot(name, p = admin) {
  await p.evaluate(() => window.scrollTo(0, 0)); // a full-page shot draws the sticky header where the page was scrolled to
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Open a page afresh (a goto to the hash already shown would not load anything). */
async function go(p, hash) {
  const url = `${srv.url}/#${hash}`;
  if (p.url() === url) await p.reload(); else await p.goto(url);
  await p.waitForLoadState('networkidle');
}

function watch(p) {
  p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  p.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
}

async function signIn(ctx, who) {
  const p = await ctx.newPage();
  watch(p);
  await p.goto(`${srv.url}/`);
  await p.fill('input[name=email]', who.email);
  await p.fill('input[name=password]', who.password);
  await p.click('button[type=submit]');
  await p.waitForSelector('.topbar');
  return p;
}

/** A sale of `amount` through a fresh click on `link` (a browser-like visitor). */
async function sale(link, programId, orderId, amount) {
  const c = await clickOk(srv, link.code, { headers: { 'user-agent': DESKTOP_UA } });
  return convOk(srv, { program_id: programId, order_id: orderId, amount, click_id: c.clickId });
}

test.before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  srv = await startServer({ args: ['--signin-attempts-per-minute', '100'] });
  const r = spawnSync(BIN, ['user', 'create', '--data', srv.dataDir, '--admin', '--email', ADMIN.email, '--password-stdin'],
    { input: `${ADMIN.password}\n`, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // program 1 holds bursts of two; program 2 screens with the defaults
  ids.p1 = await createProgram(srv, { name: 'Burst-guarded shop', commission: { sale: { percent: '10' } },
    screening: { conversion_velocity: { action: 'hold', threshold: 2 } } });
  ids.p2 = await createProgram(srv, { name: 'Plain shop', commission: { sale: { percent: '5' } } });
  ids.a = await createAffiliate(srv, { name: 'Alice Media', email: 'alice@media.example' });
  ids.b = await createAffiliate(srv, { name: 'Bob Secret Deals', email: 'bob@deals.example' });
  ids.a1 = await createLink(srv, ids.p1.id, ids.a.id, { code: 'alice-1' });
  ids.a2 = await createLink(srv, ids.p2.id, ids.a.id, { code: 'alice-2' });
  ids.b2 = await createLink(srv, ids.p2.id, ids.b.id, { code: 'bob-2' });
  expectStatus(await srv.api('POST', '/v1/users', { body: { email: PARTNER.email, password: PARTNER.password, affiliate_id: ids.a.id } }), 201, 'partner login');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'] });
  const adminCtx = await browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA, acceptDownloads: true });
  admin = await signIn(adminCtx, ADMIN);
  const partnerCtx = await browser.newContext({ viewport: { width: 1280, height: 900 }, userAgent: DESKTOP_UA });
  partner = await signIn(partnerCtx, PARTNER);
});

test.after(async () => {
  if (browser) await browser.close();
  if (srv) { await srv.stop(); await srv.cleanup(); }
});

test('empty money pages say so', async () => {
  await go(admin, '/review');
  await admin.waitForSelector('text=Nothing to review');
  await shot('review-empty');
  await go(admin, '/payouts');
  await admin.waitForSelector('text=No payout run yet');
  await go(partner, '/payouts');
  await partner.waitForSelector('text=No balance yet');
  await shot('portal-payouts-empty', partner);
});

test('a burst of two sales is held, shown in Review, and decided there', async () => {
  ids.c1 = (await sale(ids.a1, ids.p1.id, 'BURST-1', '100.00')).conversion;
  ids.c2 = (await sale(ids.a1, ids.p1.id, 'BURST-2', '80.00')).conversion;
  const held = (await srv.api('GET', `/v1/conversions/${ids.c1.id}`)).json.conversion;
  assert.equal(held.status, 'held', 'the burst is held whole');
  assert.equal(ids.c2.status, 'held');

  await go(admin, '/review');
  await admin.waitForSelector('td:has-text("BURST-2")');
  const table = admin.locator('table[aria-label=review]');
  assert.equal(await table.locator('tbody tr').count(), 2);
  const text = await table.textContent();
  assert.match(text, /203 conversion_velocity/);
  assert.match(text, /hold, 40/);
  assert.match(text, /Burst-guarded shop/);
  assert.match(text, /Alice Media/);
  // the partner sees them held, without the screening internals
  await go(partner, '/conversions');
  await partner.waitForSelector('td:has-text("BURST-1")');
  const ptext = await partner.textContent('table');
  assert.match(ptext, /held for review/);
  assert.doesNotMatch(ptext, /conversion_velocity|score/i);
  await shot('portal-conversions-held', partner);

  // nothing selected: nothing to do
  assert.ok(await admin.isDisabled('button:has-text("Approve selected")'));
  await admin.check(`input[name=select][value="${ids.c1.id}"]`);
  await shot('review');
  // a rejection needs a reason
  await admin.click('button:has-text("Reject selected")');
  await admin.waitForSelector('.bulk .field-error');
  assert.match(await admin.textContent('.bulk .field-error'), /reason/);
  await shot('review-error');
  await admin.fill('input[name=reason]', 'duplicate order');
  await admin.click('button:has-text("Reject selected")');
  await admin.waitForSelector('[data-testid=bulk-results] >> text=Rejected: 1 of 1 conversions done');
  await admin.waitForFunction(() => document.querySelectorAll('table[aria-label=review] tbody tr').length === 1);
  await admin.check(`input[name=select][value="${ids.c2.id}"]`);
  await admin.click('button:has-text("Approve selected")');
  await admin.waitForSelector('[data-testid=bulk-results] >> text=Approved: 1 of 1 conversions done');
  await admin.waitForSelector('text=Nothing to review');
  assert.equal((await srv.api('GET', `/v1/conversions/${ids.c1.id}`)).json.conversion.status, 'rejected');
  assert.equal((await srv.api('GET', `/v1/conversions/${ids.c2.id}`)).json.conversion.status, 'approved');

  // every status: both decided rows; approving an approved one again is refused per id
  await admin.selectOption('select[name=status]', '');
  await admin.waitForSelector('td:has-text("BURST-1")');
  assert.equal(await admin.locator(`input[name=select][value="${ids.c1.id}"]`).count(), 0, 'a rejected conversion cannot be chosen');
  await admin.check(`input[name=select][value="${ids.c2.id}"]`);
  await admin.click('button:has-text("Approve selected")');
  await admin.waitForSelector('[data-testid=bulk-results] >> text=1 refused');
  assert.match(await admin.textContent('table[aria-label=refused]'), /conflict/);
  await shot('review-results');

  await go(partner, '/conversions');
  await partner.waitForSelector('td:has-text("BURST-1")');
  const rows = await partner.locator('table tbody tr').allTextContents();
  assert.ok(rows.some((r) => /BURST-1/.test(r) && /rejected/.test(r) && /duplicate order/.test(r)), rows.join('\n'));
  assert.ok(rows.some((r) => /BURST-2/.test(r) && /approved/.test(r)), rows.join('\n'));
  await shot('portal-conversions', partner);
});

test('pending lines are approved on the Commissions page; Balances shows them', async () => {
  ids.c3 = (await sale(ids.a2, ids.p2.id, 'PLAIN-1', '200.00')).conversion; // A: 10.00 pending
  ids.c4 = (await sale(ids.b2, ids.p2.id, 'BOB-1', '40.00')).conversion; // B: 2.00 pending
  await go(partner, '/payouts');
  await partner.waitForSelector(`[data-program="${ids.p2.id}"] [data-kpi=balance-pending]`);
  assert.equal((await partner.textContent(`[data-program="${ids.p2.id}"] [data-kpi=balance-pending] .kpi-value`)).trim(), '$10.00');

  await go(admin, '/commissions');
  await admin.selectOption('select[name=status]', 'pending');
  await admin.waitForSelector('td:has-text("$10.00")');
  const lineA = (await srv.api('GET', `/v1/commissions?conversion_id=${ids.c3.id}`)).json.data[0];
  const lineB = (await srv.api('GET', `/v1/commissions?conversion_id=${ids.c4.id}`)).json.data[0];
  await admin.check(`input[name=select][value="${lineA.id}"]`);
  await admin.check(`input[name=select][value="${lineB.id}"]`);
  await shot('commissions-select');
  await admin.click('button:has-text("Approve selected")');
  await admin.waitForSelector('[data-testid=bulk-results] >> text=Approved: 2 of 2 lines done');
  await admin.waitForSelector('text=No commission lines match.');
  assert.equal((await srv.api('GET', `/v1/commissions?conversion_id=${ids.c3.id}`)).json.data[0].status, 'approved');

  await admin.click('button:has-text("Balances")');
  await admin.waitForSelector('table[aria-label=balances]');
  const bal = await admin.locator('table[aria-label=balances] tbody tr').allTextContents();
  assert.ok(bal.some((r) => /Alice Media/.test(r) && /Plain shop/.test(r) && /\$10\.00/.test(r)), bal.join('\n'));
  assert.ok(bal.some((r) => /Alice Media/.test(r) && /Burst-guarded shop/.test(r) && /\$8\.00/.test(r)), bal.join('\n'));
  await admin.selectOption('select[name=affiliate_id]', String(ids.b.id));
  await admin.waitForFunction(() => document.querySelectorAll('table[aria-label=balances] tbody tr').length === 1);
  assert.match(await admin.textContent('table[aria-label=balances]'), /Bob Secret Deals/);
  await admin.selectOption('select[name=affiliate_id]', '');
  await admin.waitForFunction(() => document.querySelectorAll('table[aria-label=balances] tbody tr').length === 3);
  await shot('balances');

  await go(partner, '/payouts');
  await partner.waitForSelector('[data-program]');
  assert.equal(await partner.locator('[data-program]').count(), 2, 'one balance per program of A, none of B');
  assert.doesNotMatch(await partner.textContent('main'), /\$2\.00/);
});

test('a payout run from the page, its exports, marked paid and failed; the partner sees it', async () => {
  await go(admin, '/payouts');
  await admin.selectOption('select[name=program_id]', String(ids.p1.id));
  await admin.click('button:has-text("Run payouts")');
  await admin.waitForSelector('.banner.success >> text=1 payout');
  const runs = (await srv.api('GET', '/v1/payout-runs')).json.data;
  const run = runs[0];
  assert.equal(run.program_id, ids.p1.id);
  await admin.waitForSelector(`table[aria-label=payouts] td:has-text("$8.00")`);
  assert.match(await admin.textContent('h2.section >> nth=1'), new RegExp(`run #${run.id}`));

  // the exports are downloads made with the session cookie
  const row = admin.locator('table[aria-label="payout runs"] tbody tr').first();
  const [csvDl] = await Promise.all([admin.waitForEvent('download'), row.locator('a:has-text("CSV")').click()]);
  assert.equal(csvDl.suggestedFilename(), `payout-run-${run.id}.csv`);
  const csv = fs.readFileSync(await csvDl.path(), 'utf8').trim().split(/\r?\n/);
  assert.equal(csv[0], 'payout_id,affiliate_id,name,email,payout_method,payout_account,amount,currency,status,reference');
  assert.equal(csv.length, 2);
  assert.match(csv[1], new RegExp(`^\\d+,${ids.a.id},Alice Media,alice@media\\.example,,alice@media\\.example,8\\.00,USD,pending,$`));
  const [ppDl] = await Promise.all([admin.waitForEvent('download'), row.locator('a:has-text("PayPal")').click()]);
  const pp = fs.readFileSync(await ppDl.path(), 'utf8').trim();
  assert.match(pp, /^alice@media\.example,8\.00,USD,/);
  const [jsDl] = await Promise.all([admin.waitForEvent('download'), row.locator('a:has-text("JSON")').click()]);
  const js = JSON.parse(fs.readFileSync(await jsDl.path(), 'utf8'));
  assert.equal(js.length, 1);
  assert.equal(js[0].amount_minor, 800);
  await shot('payouts-run');

  // mark it paid with a reference
  await admin.click('table[aria-label=payouts] button:has-text("Mark paid")');
  await admin.fill('input[name=reference]', 'PP-2026-0042');
  await admin.click('form.settle button[type=submit]');
  await admin.waitForSelector('table[aria-label=payouts] .pill.paid');
  assert.match(await admin.textContent('table[aria-label=payouts]'), /PP-2026-0042/);
  const paid = (await srv.api('GET', `/v1/payouts?run_id=${run.id}`)).json.data[0];
  assert.equal(paid.status, 'paid');
  assert.equal(paid.reference, 'PP-2026-0042');

  await go(partner, '/payouts');
  await partner.waitForSelector('td:has-text("PP-2026-0042")');
  const paidCard = partner.locator(`[data-program="${ids.p1.id}"]`);
  assert.equal((await paidCard.locator('[data-kpi=balance-paid] .kpi-value').textContent()).trim(), '$8.00');
  assert.equal((await paidCard.locator('[data-kpi=balance-approved] .kpi-value').textContent()).trim(), '$0.00');
  await shot('portal-payouts', partner);

  // every program: A's and B's payouts of program 2; B's fails
  await go(admin, '/payouts');
  await admin.click('button:has-text("Run payouts")');
  await admin.waitForSelector('.banner.success >> text=2 payouts');
  await admin.waitForSelector('table[aria-label=payouts] td:has-text("Bob Secret Deals")');
  const bobRow = admin.locator('table[aria-label=payouts] tbody tr', { hasText: 'Bob Secret Deals' });
  await bobRow.locator('button:has-text("Failed")').click();
  await bobRow.locator('input[name=failure_reason]').fill('account closed');
  await bobRow.locator('form.settle button[type=submit]').click();
  await admin.waitForSelector('table[aria-label=payouts] .pill.failed');
  const bobPayout = (await srv.api('GET', `/v1/payouts?affiliate_id=${ids.b.id}`)).json.data[0];
  assert.equal(bobPayout.status, 'failed');
  ids.bobPayout = bobPayout.id;
  await shot('payouts-paid-and-failed');

  // the partner sees its own payouts only; B's ids answer 404
  await go(partner, '/payouts');
  await partner.waitForSelector('td:has-text("$10.00")');
  assert.doesNotMatch(await partner.textContent('main'), /Bob|\$2\.00/);
  const statuses = await partner.evaluate(async (x) => {
    const out = {};
    for (const p of [`/v1/me/payouts/${x.bobPayout}`, `/v1/me/balance?affiliate_id=${x.b}`, `/v1/me/conversions?affiliate_id=${x.b}`,
      '/v1/balances', '/v1/review', '/v1/payout-runs', `/v1/payout-runs/1/export?format=csv`, `/v1/programs/${x.p1}/caps`]) {
      out[p] = (await fetch(p)).status;
    }
    out.bulk = (await fetch('/v1/conversions/bulk', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"action":"approve","ids":[1]}' })).status;
    return out;
  }, { bobPayout: ids.bobPayout, b: ids.b.id, p1: ids.p1.id });
  for (const [p, status] of Object.entries(statuses)) {
    assert.equal(status, p.startsWith('/v1/me/') ? 404 : 403, `${p} from A's portal session`);
  }
  const mine = await partner.evaluate(() => fetch('/v1/me/conversions').then((r) => r.json()));
  assert.ok(mine.data.every((c) => c.order_id !== 'BOB-1'), 'B\'s conversion is not listed');
});

test('program settings: validation next to the field, save, caps usage', async () => {
  await go(admin, '/programs');
  await admin.locator('table[aria-label=programs] tbody tr', { hasText: 'Burst-guarded shop' }).locator('a:has-text("Settings")').click();
  await admin.waitForSelector('textarea[name=commission]');
  assert.match(await admin.textContent('h1'), /Burst-guarded shop/);
  assert.equal(await admin.inputValue('input[name=hold_days]'), '30');
  assert.deepEqual(JSON.parse(await admin.inputValue('textarea[name=screening]')), { conversion_velocity: { action: 'hold', threshold: 2 } });
  assert.match(await admin.textContent('table[aria-label="caps usage"], .card:has-text("No caps")'), /No caps/);

  // not JSON: refused in the page; a plan the server refuses: its member path next to the field
  await admin.fill('textarea[name=commission]', '{"sale": {"percent": "10"');
  await admin.click('button:has-text("Save settings")');
  await admin.waitForSelector('textarea[name=commission] ~ .field-error');
  assert.match(await admin.textContent('.field-error'), /commission: not valid JSON/);
  await admin.fill('textarea[name=commission]', '{"sale": {"percent": "10", "tiers": {"levels": [{"min": 1, "percent": "12"}, {"min": "x"}]}}}');
  await admin.click('button:has-text("Save settings")');
  await admin.waitForSelector('textarea[name=commission][aria-invalid=true]');
  const planError = await admin.textContent('.field-error');
  assert.match(planError, /^commission\.sale/, planError);
  await admin.fill('textarea[name=commission]', '{"sale": {"percent": "12"}}');
  await admin.fill('textarea[name=caps]', '[{"metric": "visits", "period": "day", "limit": 10}]');
  await admin.click('button:has-text("Save settings")');
  await admin.waitForSelector('textarea[name=caps][aria-invalid=true]');
  assert.match(await admin.textContent('.field-error'), /^caps\[0\]\.metric/);
  await shot('program-settings-error');

  await admin.fill('textarea[name=caps]', '[{"metric": "conversions", "period": "day", "limit": 100}, {"metric": "commission_minor", "period": "month", "limit": 50000, "per": "affiliate"}]');
  await admin.fill('input[name=hold_days]', '7');
  await admin.fill('input[name=min_payout_minor]', '50.00');
  await admin.selectOption('select[name=payout_schedule]', 'weekly');
  await admin.fill('input[name=fallback_url]', 'https://shop.example.com/sorry');
  await admin.click('button:has-text("Save settings")');
  await admin.waitForSelector('text=Settings saved.');
  const p = (await srv.api('GET', `/v1/programs/${ids.p1.id}`)).json;
  assert.equal(p.hold_days, 7);
  assert.equal(p.min_payout_minor, 5000);
  assert.equal(p.payout_schedule, 'weekly');
  assert.equal(p.fallback_url, 'https://shop.example.com/sorry');
  assert.deepEqual(p.commission, { sale: { percent: '12' } });
  assert.equal(p.commission_version, 2);
  assert.deepEqual(p.screening, { conversion_velocity: { action: 'hold', threshold: 2 } }, 'screening left as it was');
  assert.equal(p.caps.length, 2);
  // caps usage as the server counts it: the daily conversion cap and A's monthly commission
  await admin.waitForSelector('table[aria-label="caps usage"]');
  const usage = (await srv.api('GET', `/v1/programs/${ids.p1.id}/caps`)).json.data;
  const caps = await admin.locator('table[aria-label="caps usage"] tbody tr').allTextContents();
  assert.equal(caps.length, usage.length + (usage.some((c) => c.metric === 'commission_minor') ? 0 : 1));
  assert.ok(caps.some((r) => /commission/.test(r) && /\$500\.00/.test(r)), caps.join('\n'));
  const daily = usage.find((c) => c.metric === 'conversions');
  assert.ok(caps.some((r) => /conversions/.test(r) && r.includes(`${daily.used}100${daily.remaining}`.replace(/\s/g, ''))
    || (/conversions/.test(r) && r.includes('100') && r.includes(String(daily.remaining)))), caps.join('\n'));
  // saving again with nothing changed says so, and leaves the plan's version alone
  await admin.click('button:has-text("Save settings")');
  await admin.waitForSelector('text=Nothing changed.');
  assert.equal((await srv.api('GET', `/v1/programs/${ids.p1.id}`)).json.commission_version, 2);
  await shot('program-settings');
});

/** The Affiliates table's row of the affiliate named `name` (not the rows naming it as parent). */
function affRow(name) {
  return admin.locator(`table[aria-label=affiliates] tbody tr:has(td[data-label=Name]:text-is("${name}"))`);
}

test('affiliate settings: group, parent, payout method and account', async () => {
  await go(admin, '/affiliates');
  await affRow('Alice Media').locator('button:has-text("Edit")').click();
  const form = admin.locator('.edit form');
  await form.locator('input[name=group]').fill('vip');
  await form.locator('select[name=parent_id]').selectOption(String(ids.b.id));
  await form.locator('select[name=payout_method]').selectOption('paypal');
  await form.locator('input[name=payout_account]').fill('=cmd|x');
  await form.locator('button[type=submit]').click();
  await admin.waitForSelector('text=Affiliate “Alice Media” saved.');
  const a = (await srv.api('GET', `/v1/affiliates/${ids.a.id}`)).json;
  assert.equal(a.group, 'vip');
  assert.equal(a.parent_id, ids.b.id);
  assert.equal(a.payout_method, 'paypal');
  assert.equal(a.payout_account, '=cmd|x');
  const row = affRow('Alice Media');
  await admin.waitForFunction(() => /vip/.test(document.querySelector('table[aria-label=affiliates] tbody').textContent));
  assert.match(await row.textContent(), /vip.*Bob Secret Deals.*paypal: =cmd\|x/s);
  // a parent loop is refused by the server, next to the field
  await affRow('Bob Secret Deals').locator('button:has-text("Edit")').click();
  await form.locator('select[name=parent_id]').selectOption(String(ids.a.id));
  await form.locator('button[type=submit]').click();
  await admin.waitForSelector('.edit select[name=parent_id] ~ .field-error');
  assert.match(await admin.textContent('.edit .field-error'), /its own ancestor/);
  await shot('affiliate-edit-error');
  await form.locator('button:has-text("Cancel")').click();
  // the new account is what the next export pays to, with the formula neutralised
  const exp = await admin.evaluate(() => fetch('/v1/payout-runs/1/export?format=csv').then((r) => r.text()));
  assert.match(exp, /,paypal,'=cmd\|x,8\.00,USD,paid,PP-2026-0042/);
  await shot('affiliates-settings');
});

test('phone-sized screens of the new pages', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, userAgent: DESKTOP_UA });
  const p = await signIn(phone, ADMIN);
  for (const [hash, name, ready] of [['/review', 'phone-review', 'select[name=status]'], ['/payouts', 'phone-payouts', 'table[aria-label=payouts]'],
    [`/program?id=${ids.p1.id}`, 'phone-program-settings', 'table[aria-label="caps usage"]'], ['/commissions', 'phone-commissions', 'table[aria-label=commissions]']]) {
    await go(p, hash);
    await p.waitForSelector(ready);
    if (hash === '/review') { // the decided ones, as cards
      await p.selectOption('select[name=status]', '');
      await p.waitForSelector('td:has-text("BURST-1")');
    }
    await p.waitForTimeout(200);
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${hash}: no horizontal scrolling of the page (overflow ${overflow}px)`);
    await shot(name, p);
  }
  await phone.close();
  const phone2 = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, userAgent: DESKTOP_UA });
  const q = await signIn(phone2, PARTNER);
  for (const [hash, name, ready] of [['/payouts', 'phone-portal-payouts', '[data-kpi=balance-paid]'], ['/conversions', 'phone-portal-conversions', 'td:has-text("BURST-1")']]) {
    await go(q, hash);
    await q.waitForSelector(ready);
    await q.waitForTimeout(200);
    const overflow = await q.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${hash}: no horizontal scrolling (overflow ${overflow}px)`);
    await shot(name, q);
  }
  await phone2.close();
});

test('no script error and no CSP violation on the money pages', () => {
  assert.deepEqual(problems, []);
});
