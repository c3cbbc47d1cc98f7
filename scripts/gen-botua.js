#!/usr/bin/env node
// gen-botua.js - turns the npm package crawler-user-agents into a C header for
// src/track/botua.c: every pattern, and for each the longest literal string that every
// match of it must contain (its "required literal"). The matcher looks for those
// literals first and runs a pattern's compiled PCRE2 code only when its literal occurs:
// one alternation of all 1,500 patterns cost about 1.3 million instructions per
// browser user agent under PCRE2 JIT (docs/fraud.md).
//
// Usage: node scripts/gen-botua.js node_modules/crawler-user-agents OUT.h
// Fails (exit 1) if a literal is not found in one of the package's own example user
// agents, which would mean the extraction below is wrong for that pattern.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

// The longest run of characters that every match of re must contain, or '' when the
// pattern has a top-level alternation or no literal run at all. Conservative: anything
// not understood ends the current run.
function requiredLiteral(re) {
  let best = '';
  let run = '';
  const flush = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  let lastWasLiteral = false; // the last atom was the last char of `run`
  for (let i = 0; i < re.length; ) {
    const c = re[i];
    if (c === '|') return ''; // top-level alternation: no single required literal
    if (c === '\\') {
      const n = re[i + 1];
      if (n === undefined) return '';
      if (/[A-Za-z0-9]/.test(n)) { // \d \w \s \b \1 ...: not a literal
        flush();
        lastWasLiteral = false;
      } else {
        run += n;
        lastWasLiteral = true;
      }
      i += 2;
      continue;
    }
    if (c === '[') { // a class: skip to its end
      let j = i + 1;
      if (re[j] === '^') j++;
      if (re[j] === ']') j++;
      while (j < re.length && re[j] !== ']') j += re[j] === '\\' ? 2 : 1;
      flush();
      lastWasLiteral = false;
      i = j + 1;
      continue;
    }
    if (c === '(') { // a group: skip it whole (it may hold alternatives)
      let depth = 0;
      let j = i;
      for (; j < re.length; j++) {
        if (re[j] === '\\') { j++; continue; }
        if (re[j] === '[') {
          j++;
          if (re[j] === '^') j++;
          if (re[j] === ']') j++;
          while (j < re.length && re[j] !== ']') j += re[j] === '\\' ? 2 : 1;
          continue;
        }
        if (re[j] === '(') depth++;
        else if (re[j] === ')' && --depth === 0) break;
      }
      flush();
      lastWasLiteral = false;
      i = j + 1;
      continue;
    }
    if (c === '?' || c === '*' || c === '{') { // the previous atom may be absent
      let j = i + 1;
      let optional = c !== '{';
      if (c === '{') {
        const m = /^\{(\d*)(,?\d*)\}/.exec(re.slice(i));
        if (!m) return '';
        optional = m[1] === '' || Number(m[1]) === 0;
        j = i + m[0].length;
      }
      if (lastWasLiteral && optional) run = run.slice(0, -1);
      flush();
      lastWasLiteral = false;
      if (re[j] === '?' || re[j] === '+') j++; // lazy or possessive
      i = j;
      continue;
    }
    if (c === '+') { // at least once: the atom stays, but what follows is not adjacent
      flush();
      lastWasLiteral = false;
      i += re[i + 1] === '?' || re[i + 1] === '+' ? 2 : 1;
      continue;
    }
    if (c === '.' || c === '^' || c === '$' || c === ')') {
      flush();
      lastWasLiteral = false;
      i++;
      continue;
    }
    run += c;
    lastWasLiteral = true;
    i++;
  }
  flush();
  return best;
}

// Split a pattern at its top-level '|' (outside groups and classes): each alternative
// then gets a literal of its own.
function splitAlternatives(re) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let j = 0; j < re.length; j++) {
    const c = re[j];
    if (c === '\\') { j++; continue; }
    if (c === '[') {
      j++;
      if (re[j] === '^') j++;
      if (re[j] === ']') j++;
      while (j < re.length && re[j] !== ']') j += re[j] === '\\' ? 2 : 1;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(re.slice(start, j));
      start = j + 1;
    }
  }
  parts.push(re.slice(start));
  return parts;
}

function cString(s) {
  let out = '"';
  for (const ch of Buffer.from(s, 'utf8')) {
    if (ch === 0x22 || ch === 0x5c) out += '\\' + String.fromCharCode(ch);
    else if (ch >= 0x20 && ch < 0x7f && ch !== 0x3f) out += String.fromCharCode(ch); // no '?': trigraphs
    else out += '\\' + ch.toString(8).padStart(3, '0');
  }
  return out + '"';
}

function main() {
  const [dir, out] = process.argv.slice(2);
  if (!dir || !out) {
    console.error('usage: gen-botua.js CRAWLER_USER_AGENTS_DIR OUT.h');
    process.exit(2);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const list = JSON.parse(fs.readFileSync(path.join(dir, 'crawler-user-agents.json'), 'utf8'));
  const rows = [];
  let bad = 0;
  for (const e of list) {
    const alts = splitAlternatives(e.pattern).map((p) => ({ re: new RegExp(p), p, lit: requiredLiteral(p) }));
    for (const ua of e.instances || []) {
      if (!alts.some((a) => a.re.test(ua) && ua.includes(a.lit))) {
        console.error(`gen-botua: pattern ${JSON.stringify(e.pattern)}: no literal of ${JSON.stringify(alts.map((a) => a.lit))} in ${JSON.stringify(ua)}`);
        bad++;
      }
    }
    for (const a of alts) rows.push(`    {${cString(a.p)}, ${cString(a.lit)}},`);
  }
  if (bad) process.exit(1);
  const text = `/* Generated by scripts/gen-botua.js from crawler-user-agents ${pkg.version}: do not edit. */
#define AFF_BOTUA_SOURCE "crawler-user-agents ${pkg.version}"
static const struct {
    const char *pattern, *literal;
} botua_list[] = {
${rows.join('\n')}
};
`;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out + '.tmp', text);
  fs.renameSync(out + '.tmp', out);
}

if (require.main === module) main();
module.exports = { requiredLiteral, splitAlternatives };
