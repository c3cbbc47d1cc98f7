'use strict';
// The dashboard's embedded files: served from "/" and "/assets/...", with their content
// types, ETag revalidation (304) and the security headers (CSP without inline scripts,
// frame-ancestors 'none', nosniff).
const test = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./helpers');

let srv;
test.before(async () => { srv = await startServer(); });
test.after(async () => { await srv.stop(); await srv.cleanup(); });

function expectSecurityHeaders(r, what) {
  const csp = r.headers['content-security-policy'];
  assert.ok(csp, `${what}: has a CSP`);
  assert.match(csp, /default-src 'none'/, what);
  assert.match(csp, /script-src 'self'(;|$)/, `${what}: scripts only from the server`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, what);
  assert.match(csp, /frame-ancestors 'none'/, what);
  assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
}

test('GET / serves the page shell with security headers and no inline script', async () => {
  const r = await srv.raw('GET', '/');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  expectSecurityHeaders(r, 'GET /');
  assert.match(r.headers.etag, /^"[0-9a-f]{20}"$/);
  assert.equal(r.headers['cache-control'], 'no-cache');
  assert.match(r.text, /<script type="module" src="\/assets\/app\.js"><\/script>/);
  // every <script> has a src: nothing inline for the CSP to allow
  for (const m of r.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(m[1], /\ssrc="/, 'script has a src');
    assert.equal(m[2].trim(), '', 'script body is empty');
  }
  assert.match(r.text, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
});

test('assets have their content types; vendor modules import by relative URL', async () => {
  const cases = [
    ['/assets/app.js', 'text/javascript; charset=utf-8'],
    ['/assets/style.css', 'text/css; charset=utf-8'],
    ['/assets/favicon.svg', 'image/svg+xml'],
    ['/assets/vendor/preact.mjs', 'text/javascript; charset=utf-8'],
    ['/assets/vendor/hooks.mjs', 'text/javascript; charset=utf-8'],
    ['/assets/vendor/htm.mjs', 'text/javascript; charset=utf-8'],
    ['/assets/vendor/uplot.mjs', 'text/javascript; charset=utf-8'],
    ['/assets/vendor/uplot.css', 'text/css; charset=utf-8'],
  ];
  for (const [p, type] of cases) {
    const r = await srv.raw('GET', p);
    assert.equal(r.status, 200, p);
    assert.equal(r.headers['content-type'], type, p);
    assert.equal(Number(r.headers['content-length']), r.body.length, p);
    expectSecurityHeaders(r, p);
  }
  const hooks = await srv.raw('GET', '/assets/vendor/hooks.mjs');
  assert.match(hooks.text, /from"\.\/preact\.mjs"/);
  assert.doesNotMatch(hooks.text, /from\s*["']preact["']/);
});

test('ETag revalidation answers 304 without a body; a stale tag gets the file', async () => {
  const first = await srv.raw('GET', '/assets/app.js');
  const etag = first.headers.etag;
  const again = await srv.raw('GET', '/assets/app.js', { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  assert.equal(again.headers.etag, etag);
  const stale = await srv.raw('GET', '/assets/app.js', { headers: { 'if-none-match': '"0000"' } });
  assert.equal(stale.status, 200);
  assert.equal(stale.body.length, first.body.length);
});

test('HEAD answers headers only; unknown assets and other methods are JSON errors', async () => {
  const head = await srv.raw('HEAD', '/assets/app.js');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  const missing = await srv.raw('GET', '/assets/nope.js');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, 'not_found');
  const post = await srv.raw('POST', '/assets/app.js', { body: '' });
  assert.equal(post.status, 404);
  const traversal = await srv.raw('GET', '/assets/../afftrack.db');
  assert.equal(traversal.status, 404);
});
