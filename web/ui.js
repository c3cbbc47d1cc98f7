// ui.js - the pieces every page is made of: layout, banners, forms, a table over any
// list endpoint (sorted, filtered and paged by the server, with its CSV export), KPI
// cards, a uPlot chart, a copy button. Text is always rendered as text (Preact escapes it); nothing here builds HTML
// from strings.
import { h } from './vendor/preact.mjs';
import { useEffect, useRef, useState } from './vendor/hooks.mjs';
import htm from './vendor/htm.mjs';
import uPlot from './vendor/uplot.mjs';
import { get, qs } from './api.js';

export const html = htm.bind(h);

export function Banner({ error, kind = 'error', children }) {
  if (!error && !children) return null;
  return html`<div class=${`banner ${kind}`} role=${kind === 'error' ? 'alert' : 'status'}>
    ${error ? (error.message || String(error)) : children}</div>`;
}

export function Page({ title, actions, children }) {
  return html`<section class="page">
    <header class="page-head"><h1>${title}</h1>${actions ? html`<div class="actions">${actions}</div>` : null}</header>
    ${children}
  </section>`;
}

export function Field({ label, name, value, onInput, type = 'text', required, placeholder, hint, error, options, autocomplete, rows, wide }) {
  const id = `f-${name}`;
  const input = options
    ? html`<select id=${id} name=${name} value=${value} onChange=${(e) => onInput(e.target.value)}>
        ${options.map((o) => html`<option value=${o.value}>${o.label}</option>`)}</select>`
    : rows
    ? html`<textarea id=${id} name=${name} rows=${rows} value=${value} placeholder=${placeholder} spellcheck="false"
        aria-invalid=${error ? 'true' : undefined} onInput=${(e) => onInput(e.target.value)}></textarea>`
    : html`<input id=${id} name=${name} type=${type} value=${value} required=${required} placeholder=${placeholder}
        autocomplete=${autocomplete} aria-invalid=${error ? 'true' : undefined}
        onInput=${(e) => onInput(e.target.value)} />`;
  return html`<label class=${wide ? 'field wide' : 'field'} for=${id}><span>${label}${required ? ' *' : ''}</span>${input}
    ${error ? html`<small class="field-error">${error}</small>` : hint ? html`<small>${hint}</small>` : null}</label>`;
}

/** A create form: fields [{name,label,...}], submit(values) -> Promise. Shows the API's
 * error under the field it names. */
export function CreateForm({ title, fields, submit, submitLabel = 'Create', initial = {}, extra = null }) {
  const blank = () => Object.fromEntries(fields.map((f) => [f.name, initial[f.name] ?? f.initial ?? '']));
  const [values, setValues] = useState(blank);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function onSubmit(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await submit(values);
      setValues(blank());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const fieldError = (name) => (error && error.field === name ? error.message : null);
  return html`<form class="card form" onSubmit=${onSubmit} novalidate>
    <h2>${title}</h2>
    <div class="form-grid">
      ${fields.map((f) => html`<${Field} ...${f} value=${values[f.name]} error=${fieldError(f.name)}
          onInput=${(v) => setValues({ ...values, [f.name]: v })} />`)}
    </div>
    ${error && !fields.some((f) => f.name === error.field) ? html`<${Banner} error=${error} />` : null}
    <div class="buttons"><button type="submit" disabled=${busy}>${busy ? 'Saving…' : submitLabel}</button>${extra}</div>
  </form>`;
}

/** What each list endpoint filters on beyond the page's own filters (docs/api.md
 * "Lists"): a search (`q`, with the placeholder saying how it matches), a creation-date
 * range and a status. Sorting is per column: a column with `sort` names the API's sort. */
const LISTS = {
  '/v1/programs': { search: 'Name contains…', time: true },
  '/v1/affiliates': { search: 'Name or e-mail contains…', time: true, statuses: ['pending', 'approved', 'suspended', 'rejected'] },
  '/v1/links': { search: 'Code starts with…', time: true },
  '/v1/coupons': { search: 'Code starts with…', time: true },
  '/v1/clicks': { time: true },
  '/v1/balances': {},
  '/v1/conversions': { search: 'Order id starts with…', time: true },
  '/v1/review': { search: 'Order id starts with…', time: true },
  '/v1/commissions': { time: true },
  '/v1/payouts': { time: true },
  '/v1/payout-runs': { time: true },
  '/v1/users': { search: 'E-mail contains…', time: true },
  '/v1/applications': { search: 'Name or e-mail contains…', time: true },
  '/v1/creatives': { search: 'Name contains…', time: true },
  '/v1/announcements': { search: 'Title or message contains…', time: true },
  '/v1/me/links': { search: 'Code starts with…', time: true },
  '/v1/me/coupons': { search: 'Code starts with…', time: true },
  '/v1/me/conversions': { search: 'Order id starts with…', time: true, statuses: ['pending', 'held', 'approved', 'rejected', 'reversed'] },
  '/v1/me/commissions': { time: true, statuses: ['pending', 'approved', 'payable', 'in_payout', 'paid', 'rejected', 'reversed'] },
  '/v1/me/payouts': { time: true, statuses: ['pending', 'paid', 'failed'] },
};

/** The export of the list as the server writes it (format=csv): every matching row in
 * the table's sort, not just the page shown. A plain link: the session cookie goes
 * with it and the answer is a download (Content-Disposition: attachment). */
function ExportCsv({ href, filename }) {
  return html`<span class="export"><a class="button secondary small" href=${href} download=${filename}
    data-testid="export-csv">Export CSV</a></span>`;
}

/** Search, dates, status and sort of one table (the sort select is how a phone sorts:
 * its table has no header row). */
function TableTools({ spec, tools, setTools, columns, label }) {
  /* What is typed in the search box is its own state until committed (change: Enter or
   * leaving the box): a page arriving meanwhile re-renders the box, and a box bound to
   * the committed text would snap back to it under the typing. */
  const [draft, setDraft] = useState(tools.q);
  const sortable = columns.filter((c) => c.sort);
  const set = (k) => (v) => setTools({ ...tools, [k]: v });
  const id = (k) => `${label || 'table'}-${k}`.replace(/\s+/g, '-');
  const sortOptions = [{ value: '', label: 'Default order' }, ...sortable.flatMap((c) => [
    { value: c.sort, label: `${c.label} ↑` }, { value: `-${c.sort}`, label: `${c.label} ↓` }])];
  if (!spec.search && !spec.time && !spec.statuses && sortable.length === 0) return null;
  return html`<form class="table-tools" role="search" aria-label=${`filter ${label || 'table'}`}
      onSubmit=${(e) => e.preventDefault()}>
    ${spec.search ? html`<label class="field" for=${id('q')}><span>Search</span>
      <input id=${id('q')} name="q" type="search" value=${draft} placeholder=${spec.search} maxlength="128"
        onInput=${(e) => setDraft(e.target.value)} onChange=${(e) => set('q')(e.target.value)} /></label>` : null}
    ${spec.statuses ? html`<label class="field" for=${id('status')}><span>Status</span>
      <select id=${id('status')} name="status" value=${tools.status} onChange=${(e) => set('status')(e.target.value)}>
        ${[['', 'Any status'], ...spec.statuses.map((x) => [x, x])].map(([v, t]) => html`<option value=${v}>${t}</option>`)}
      </select></label>` : null}
    ${spec.time ? html`<label class="field" for=${id('from')}><span>Created from</span>
      <input id=${id('from')} name="created_from" type="date" value=${tools.created_from}
        onChange=${(e) => set('created_from')(e.target.value)} /></label>
      <label class="field" for=${id('to')}><span>Created to</span>
      <input id=${id('to')} name="created_to" type="date" value=${tools.created_to}
        onChange=${(e) => set('created_to')(e.target.value)} /></label>` : null}
    ${sortable.length ? html`<label class="field" for=${id('sort')}><span>Sort</span>
      <select id=${id('sort')} name="sort" value=${tools.sort} onChange=${(e) => set('sort')(e.target.value)}>
        ${sortOptions.map((o) => html`<option value=${o.value}>${o.label}</option>`)}</select></label>` : null}
  </form>`;
}

/** A column header: sortable ones are buttons cycling ascending, descending, default,
 * with aria-sort saying the current order. */
function Header({ c, sort, setSort }) {
  const cls = c.num ? 'num' : c.cls === 'select' ? 'select' : '';
  if (!c.sort) return html`<th class=${cls} scope="col">${c.head || c.label}</th>`;
  const state = sort === c.sort ? 'ascending' : sort === `-${c.sort}` ? 'descending' : 'none';
  const next = state === 'none' ? c.sort : state === 'ascending' ? `-${c.sort}` : '';
  return html`<th class=${`${cls} sortable`} scope="col" aria-sort=${state}>
    <button type="button" class="sort" onClick=${() => setSort(next)}
      title=${`Sort by ${c.label}`}>${c.label}<span class="sort-mark" aria-hidden="true">${
        state === 'ascending' ? ' ▲' : state === 'descending' ? ' ▼' : ' ↕'}</span></button></th>`;
}

/** The checkbox column of a table whose rows can be chosen for a bulk action:
 * selection = {selected: Set of row keys, set(Set), can(row) -> bool}. */
function selectColumn(selection, rows, keyOf) {
  const can = rows.filter((r) => !selection.can || selection.can(r));
  const all = can.length > 0 && can.every((r) => selection.selected.has(keyOf(r)));
  const toggle = (r) => {
    const next = new Set(selection.selected);
    if (next.has(keyOf(r))) next.delete(keyOf(r)); else next.add(keyOf(r));
    selection.set(next);
  };
  const toggleAll = () => {
    const next = new Set(selection.selected);
    can.forEach((r) => (all ? next.delete(keyOf(r)) : next.add(keyOf(r))));
    selection.set(next);
  };
  return {
    label: 'Select',
    cls: 'select',
    head: html`<input type="checkbox" aria-label="select every row of this page" checked=${all}
      disabled=${can.length === 0} onChange=${toggleAll} />`,
    render: (r) => (!selection.can || selection.can(r)
      ? html`<input type="checkbox" name="select" value=${String(keyOf(r))} aria-label=${`select ${keyOf(r)}`}
          checked=${selection.selected.has(keyOf(r))} onChange=${() => toggle(r)} />`
      : null),
  };
}

/** A table over a list endpoint, sorted, filtered and paged by the server: a column
 * with `sort` sorts by clicking its header; the tools above it (LISTS) add a search,
 * dates and a status to the page's own `params`; Next follows the answer's
 * next_cursor and Previous goes back to the cursor before. With `selection` (see
 * selectColumn) the rows get checkboxes. The cursors belong to one query: a new sort,
 * filter or reload starts again at page 1 in the same render (never asking the server
 * with a cursor of another sort). Its box says what it shows: data-table (the label),
 * data-query (the filters and sort of the rows shown), data-page, and aria-busy while
 * the rows asked for are not there yet. */
export function PagedTable({ path, params, columns, empty, reload = 0, pageSize = 25, rowKey = 'id', label, selection }) {
  const spec = LISTS[path] || {};
  const [tools, setTools] = useState({ q: '', status: '', created_from: '', created_to: '', sort: '' });
  /* the tools add to the page's own filters; an empty tool never hides one of them */
  const query = { ...(params || {}), ...Object.fromEntries(Object.entries(tools).filter(([, v]) => v)) };
  const queryText = qs(query);
  const navKey = JSON.stringify([path, queryText, reload]);
  const [nav, setNav] = useState({ key: navKey, cursors: [null] });
  const cursors = nav.key === navKey ? nav.cursors : [null];
  const setCursors = (c) => setNav({ key: navKey, cursors: c });
  const cursor = cursors[cursors.length - 1];
  const requestKey = JSON.stringify([navKey, cursor]);
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    const shown = { key: requestKey, number: cursors.length, query: queryText };
    get(`${path}${qs({ ...query, limit: pageSize, cursor })}`)
      .then((r) => { if (live) { setError(null); setPage({ ...r, ...shown }); } })
      .catch((e) => { if (live) { setError(e); setPage({ data: [], has_more: false, ...shown }); } });
    return () => { live = false; };
  }, [requestKey]);
  const toolbar = html`<${TableTools} spec=${spec} tools=${tools} setTools=${setTools} columns=${columns} label=${label} />`;
  if (!page) return html`${toolbar}<p class="muted" data-table=${label} aria-busy="true">Loading…</p>`;
  const rows = page.data;
  const keyOf = typeof rowKey === 'function' ? rowKey : (r) => r[rowKey];
  if (selection) columns = [selectColumn(selection, rows, keyOf), ...columns];
  const settled = page.key === requestKey; /* the page shown is the one asked for */
  const first = page.number === 1;
  const paged = !first || page.has_more;
  const filtered = Object.values(tools).some((v) => v);
  const setSort = (sort) => setTools({ ...tools, sort });
  const csvHref = `${path}${qs({ ...query, format: 'csv' })}`;
  return html`${toolbar}<div class="table-wrap card" data-table=${label} data-query=${page.query} data-page=${page.number}
      aria-busy=${settled ? 'false' : 'true'}>
    ${error ? html`<${Banner} error=${error} />` : null}
    ${rows.length === 0 && first
      ? html`<p class="empty">${filtered ? 'No rows match these filters.' : empty || 'Nothing here yet.'}</p>`
      : html`<table aria-label=${label}>
          <thead><tr>${columns.map((c) => html`<${Header} c=${c} sort=${tools.sort} setSort=${setSort} />`)}</tr></thead>
          <tbody>${rows.map((r) => html`<tr key=${keyOf(r)}>
            ${columns.map((c) => html`<td class=${c.num ? 'num' : c.cls || ''} data-label=${c.label}>
              ${c.render ? c.render(r) : r[c.key] ?? '—'}</td>`)}</tr>`)}</tbody>
        </table>`}
    ${rows.length === 0 && first ? null : html`<nav class="pager" aria-label="pages">
      ${paged ? html`<button type="button" disabled=${!settled || first} onClick=${() => setCursors(cursors.slice(0, -1))}>← Previous</button>` : html`<span></span>`}
      <span class="muted">${paged ? `Page ${page.number}` : `${rows.length} ${rows.length === 1 ? 'row' : 'rows'}`}
        <${ExportCsv} href=${csvHref} filename=${`${(label || 'export').replace(/\s+/g, '-')}.csv`} /></span>
      ${paged ? html`<button type="button" disabled=${!settled || !page.has_more || !page.next_cursor}
        onClick=${() => setCursors([...cursors, page.next_cursor])}>Next →</button>` : html`<span></span>`}
    </nav>`}
  </div>`;
}

/** A table of rows already loaded (a short list that does not page). */
export function Table({ rows, columns, label, empty, title }) {
  return html`<div class="table-wrap card">
    ${title ? html`<h2>${title}</h2>` : null}
    ${rows.length === 0 ? html`<p class="empty">${empty || 'Nothing here yet.'}</p>` : html`<table aria-label=${label}>
      <thead><tr>${columns.map((c) => html`<th class=${c.num ? 'num' : ''} scope="col">${c.label}</th>`)}</tr></thead>
      <tbody>${rows.map((r) => html`<tr>${columns.map((c) => html`<td class=${c.num ? 'num' : c.cls || ''} data-label=${c.label}>
        ${c.render ? c.render(r) : r[c.key] ?? '—'}</td>`)}</tr>`)}</tbody>
    </table>`}
  </div>`;
}

/** A status as a coloured pill. */
export function Pill({ status, children }) {
  return html`<span class=${`pill ${status}`}>${children || status}</span>`;
}

const ARROWS = { up: '▲', down: '▼', flat: '▬' };

/** KPI cards: items [{id, label, value, title?, change?: {dir, text} | null (no comparison)}]. */
export function Kpis({ items }) {
  return html`<div class="kpis">${items.map((k) => html`<div class="kpi card" data-kpi=${k.id} title=${k.title}>
    <div class="kpi-label">${k.label}</div>
    <div class="kpi-value">${k.value}</div>
    ${k.change ? html`<div class=${`kpi-change ${k.change.dir}`} title="against the previous period of equal length">
        <span class="arrow" aria-label=${k.change.dir}>${ARROWS[k.change.dir]}</span> ${k.change.text}</div>`
    : k.change === null ? html`<div class="kpi-change flat muted">—</div>` : null}
  </div>`)}</div>`;
}

/** Axis steps for counts: whole numbers only. */
const COUNT_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8];

/** "11/21" for a UTC day given in unix seconds (the reports' days are UTC). */
function dayText(sec) {
  const d = new Date(sec * 1000);
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}`;
}

/** A uPlot time series. data: [xs (unix seconds), ...ys]; series: [{label, scale?}]. */
export function TimeChart({ data, series, title }) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const colors = ['#1f5f8b', '#d9822b', '#2e8b57', '#8b3a62'];
    const opts = {
      width: Math.max(280, el.clientWidth),
      height: 260,
      title,
      scales: { x: { time: true } },
      series: [{ label: 'Day', value: (u, v) => (v === null ? '—' : dayText(v)) }, ...series.map((s, i) => ({
        label: s.label, scale: s.scale || 'y', stroke: colors[i % colors.length], width: 2,
        dash: i > 0 ? [6, 4] : undefined, points: { show: data[0].length < 40 },
      }))],
      axes: [
        { incrs: [86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400], values: (u, vals) => vals.map(dayText) },
        { scale: 'y', incrs: COUNT_INCRS },
        ...(series.some((s) => s.scale === 'y2') ? [{ scale: 'y2', side: 1, grid: { show: false }, incrs: COUNT_INCRS }] : []),
        // an amount series has its own scale (its values show in the legend), no axis
        ...(series.some((s) => s.scale === 'money') ? [{ scale: 'money', show: false }] : []),
      ],
    };
    const plot = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: 260 }));
    ro.observe(el);
    return () => { ro.disconnect(); plot.destroy(); };
  }, [JSON.stringify(data), JSON.stringify(series), title]);
  // the plotted totals per series, for tests and tools (the canvas itself has no text)
  const sums = data.slice(1).map((ys) => Math.round(ys.reduce((a, b) => a + b, 0) * 100) / 100).join(',');
  return html`<div class="chart card" ref=${box} data-testid="chart" data-sums=${sums}></div>`;
}

export function CopyButton({ text, label = 'Copy' }) {
  const [done, setDone] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const ta = document.createElement('textarea');
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 1500);
  }
  return html`<button type="button" class="secondary" onClick=${copy}>${done ? 'Copied ✓' : label}</button>`;
}

/** A link only to http(s) URLs: data from the API is never used as a javascript: href. */
export function SafeLink({ href, children }) {
  if (!/^https?:\/\//i.test(href || '')) return html`<span>${children || href}</span>`;
  return html`<a href=${href} rel="noopener noreferrer" target="_blank">${children || href}</a>`;
}
