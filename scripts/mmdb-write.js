#!/usr/bin/env node
// mmdb-write.js - writes a MaxMind DB (.mmdb, format 2.0) file that libmaxminddb reads:
// for afftrack's tests (tiny databases over loopback and documentation addresses) and to
// turn the ASN ranges of the npm package @ip-location-db/asn (CSV) into the asn_db that
// rule hosting_asn needs, since no ASN database in MaxMind format is on npm
// (docs/fraud.md).
//
//   node scripts/mmdb-write.js OUT.mmdb TYPE < networks.json
//       networks.json: [{"network": "127.0.0.2/32", "data": {"autonomous_system_number": 16509}}, ...]
//   node scripts/mmdb-write.js OUT.mmdb --asn-csv asn-ipv4.csv [asn-ipv6.csv ...]
//       lines "first,last,asn,organization" (IPv4 or IPv6) -> {autonomous_system_number,
//       autonomous_system_organization}
//
// Data types: integers become uint32 (uint64 when larger), other numbers doubles,
// strings utf8_string, booleans, arrays and objects (maps). Where networks overlap the
// most specific one wins.
'use strict';
const fs = require('node:fs');
const net = require('node:net');

// ---- data section ------------------------------------------------------------------

function ctrl(type, size) {
  const out = [];
  const ext = type > 7;
  let first = (ext ? 0 : type) << 5;
  if (size < 29) out.push(first | size);
  else if (size < 285) out.push(first | 29, size - 29);
  else if (size < 65821) out.push(first | 30, (size - 285) >> 8, (size - 285) & 0xff);
  else {
    const s = size - 65821;
    out.push(first | 31, (s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff);
  }
  if (ext) out.splice(1, 0, type - 7);
  return Buffer.from(out);
}

function uintBytes(v) {
  const bytes = [];
  let x = BigInt(v);
  while (x > 0n) {
    bytes.unshift(Number(x & 0xffn));
    x >>= 8n;
  }
  return Buffer.from(bytes);
}

function uint64(v) {
  const b = uintBytes(v);
  return Buffer.concat([ctrl(9, b.length), b]);
}

function encode(v) {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([ctrl(2, b.length), b]);
  }
  if (typeof v === 'boolean') return ctrl(14, v ? 1 : 0);
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
    const b = uintBytes(v);
    return Buffer.concat([v < 2 ** 32 ? ctrl(6, b.length) : ctrl(9, b.length), b]);
  }
  if (typeof v === 'number') {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return Buffer.concat([ctrl(3, 8), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([ctrl(11, v.length), ...v.map(encode)]);
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    return Buffer.concat([ctrl(7, keys.length), ...keys.flatMap((k) => [encode(k), encode(v[k])])]);
  }
  throw new Error(`mmdb-write: cannot encode ${JSON.stringify(v)}`);
}

// ---- search tree over 128-bit addresses (IPv4 as ::a.b.c.d) ----------------------------

class Tree {
  constructor() {
    this.cap = 1 << 16;
    this.rec = new Int32Array(this.cap * 2).fill(-1); // >= 0 node, -1 empty, <= -2 data -(2 + index)
    this.n = 1;
  }
  node() {
    if (this.n === this.cap) {
      const rec = new Int32Array(this.cap * 4).fill(-1);
      rec.set(this.rec);
      this.rec = rec;
      this.cap *= 2;
    }
    return this.n++;
  }
  // bits: a 16-byte Buffer; prefix: 1..128; value: data index. Overlapping networks: the
  // most specific wins, whatever the order of insertion.
  insert(bits, prefix, value) {
    if (prefix < 1) throw new Error('mmdb-write: a /0 network is not supported');
    let node = 0;
    for (let i = 0; i < prefix; i++) {
      const bit = (bits[i >> 3] >> (7 - (i & 7))) & 1;
      const at = node * 2 + bit;
      const r = this.rec[at];
      if (i === prefix - 1) {
        if (r >= 0) this.fill(r, value); // more specific networks are there already
        else this.rec[at] = -(2 + value);
        return;
      }
      if (r === -1) this.rec[at] = this.node();
      else if (r <= -2) { // inside a larger network: split it
        const n = this.node();
        this.rec[n * 2] = this.rec[n * 2 + 1] = r;
        this.rec[at] = n;
      }
      node = this.rec[at];
    }
  }
  fill(node, value) {
    for (let side = 0; side < 2; side++) {
      const r = this.rec[node * 2 + side];
      if (r === -1) this.rec[node * 2 + side] = -(2 + value);
      else if (r >= 0) this.fill(r, value);
    }
  }
}

function addrBytes(text) {
  const v = net.isIP(text);
  if (v === 4) return Buffer.from([...Buffer.alloc(12), ...text.split('.').map(Number)]);
  if (v !== 6) throw new Error(`mmdb-write: not an IP address: ${text}`);
  // expand "::"
  let [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  let groups = tail === null ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length && groups[groups.length - 1].includes('.')) { // ::ffff:1.2.3.4
    const q = groups.pop().split('.').map(Number);
    groups.push(((q[0] << 8) | q[1]).toString(16), ((q[2] << 8) | q[3]).toString(16));
  }
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return b;
}

function parseNetwork(s) {
  const [a, p] = s.split('/');
  const v4 = net.isIP(a) === 4;
  const bits = addrBytes(a);
  const prefix = p === undefined ? 128 : Number(p) + (v4 ? 96 : 0);
  return { bits, prefix };
}

// ---- ranges to CIDRs (for the CSV input) ---------------------------------------------

function toBig(b) {
  return BigInt('0x' + b.toString('hex'));
}
function fromBig(x) {
  return Buffer.from(x.toString(16).padStart(32, '0'), 'hex');
}
function* rangeCidrs(lo, hi) {
  while (lo <= hi) {
    let size = 0;
    while (size < 128 && ((lo >> BigInt(size)) & 1n) === 0n && lo + (1n << BigInt(size + 1)) - 1n <= hi) size++;
    yield { bits: fromBig(lo), prefix: 128 - size };
    lo += 1n << BigInt(size);
  }
}

function parseCsvLine(line) {
  const out = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

// ---- file --------------------------------------------------------------------------

function write(out, type, entries /* iterable of {bits, prefix, data} */) {
  const tree = new Tree();
  const chunks = [];
  const offsets = [];
  const seen = new Map();
  let dataLen = 0;
  for (const e of entries) {
    const key = JSON.stringify(e.data);
    let idx = seen.get(key);
    if (idx === undefined) {
      const b = encode(e.data);
      idx = offsets.length;
      offsets.push(dataLen);
      chunks.push(b);
      dataLen += b.length;
      seen.set(key, idx);
    }
    tree.insert(e.bits, e.prefix, idx);
  }
  const n = tree.n;
  const recordSize = n + 16 + dataLen < 2 ** 24 ? 24 : 32;
  const nodeBytes = recordSize / 4;
  const treeBuf = Buffer.alloc(n * nodeBytes);
  for (let i = 0; i < n; i++) {
    for (let side = 0; side < 2; side++) {
      const r = tree.rec[i * 2 + side];
      const v = r >= 0 ? r : r === -1 ? n : n + 16 + offsets[-(r + 2)];
      const at = i * nodeBytes + side * (nodeBytes / 2);
      if (recordSize === 24) treeBuf.writeUIntBE(v, at, 3);
      else treeBuf.writeUInt32BE(v, at);
    }
  }
  const meta = Buffer.concat([
    ctrl(7, 9),
    encode('node_count'), encode(n),
    encode('record_size'), Buffer.concat([ctrl(5, 1), Buffer.from([recordSize])]),
    encode('ip_version'), Buffer.concat([ctrl(5, 1), Buffer.from([6])]),
    encode('database_type'), encode(type),
    encode('languages'), encode(['en']),
    encode('binary_format_major_version'), Buffer.concat([ctrl(5, 1), Buffer.from([2])]),
    encode('binary_format_minor_version'), ctrl(5, 0),
    encode('build_epoch'), uint64(Math.floor(Date.now() / 1000)), // libmaxminddb wants this one as uint64
    encode('description'), encode({ en: `${type} written by afftrack scripts/mmdb-write.js` }),
  ]);
  const marker = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com')]);
  fs.writeFileSync(out + '.tmp', Buffer.concat([treeBuf, Buffer.alloc(16), ...chunks, marker, meta]));
  fs.renameSync(out + '.tmp', out);
  return { nodes: n, records: offsets.length, recordSize };
}

function* fromJson(list) {
  for (const e of list) yield { ...parseNetwork(e.network), data: e.data };
}

function* fromCsv(files) {
  for (const f of files) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const [first, last, asn, org] = parseCsvLine(line);
      const data = { autonomous_system_number: Number(asn) };
      if (org) data.autonomous_system_organization = org;
      for (const c of rangeCidrs(toBig(addrBytes(first)), toBig(addrBytes(last)))) yield { ...c, data };
    }
  }
}

function main() {
  const [out, ...rest] = process.argv.slice(2);
  if (!out || !rest.length) {
    console.error('usage: mmdb-write.js OUT.mmdb TYPE < networks.json | mmdb-write.js OUT.mmdb --asn-csv FILE...');
    process.exit(2);
  }
  const r = rest[0] === '--asn-csv'
    ? write(out, 'afftrack-ASN', fromCsv(rest.slice(1)))
    : write(out, rest[0], fromJson(JSON.parse(fs.readFileSync(0, 'utf8'))));
  if (process.stderr.isTTY) console.error(`mmdb-write: ${out}: ${r.nodes} nodes, ${r.records} records, ${r.recordSize}-bit`);
}

if (require.main === module) main();
module.exports = { write, parseNetwork };
