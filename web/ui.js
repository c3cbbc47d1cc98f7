// ui.js - the pieces every page is made of: layout, banners, forms, a paged table over
// any list endpoint (cursor paging with `after`), KPI cards, a uPlot chart, a copy
// button. Text is always rendered as text (Preact escapes it); nothing here builds HTML
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

/** One CSV cell: quoted when needed, and a leading = + - @ (a spreadsheet formula)
 * neutralised with a quote, so exported data cannot run in a spreadsheet. */
function csvCell(v) {
  let s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Every row of a list endpoint (following `after` to the end) as CSV text: the API's
 * own field names as the header. */
export async function listCsv(path, params, rowKey = 'id') {
  const rows = [];
  let after = null;
  for (;;) {
    const page = await get(`${path}${qs({ ...(params || {}), limit: 500, after })}`);
    rows.push(...page.data);
    if (!page.has_more || page.data.length === 0) break;
    after = page.data[page.data.length - 1][rowKey];
  }
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [keys.join(','), ...rows.map((r) => keys.map((k) => csvCell(r[k])).join(','))].join('\r\n') + '\r\n';
}

function ExportCsv({ path, params, rowKey, filename }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  async function run() {
    setBusy(true);
    setError(null);
    try {
      const text = await listCsv(path, params, rowKey);
      const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return html`<span class="export">
    <button type="button" class="secondary small" disabled=${busy} onClick=${run}>${busy ? 'Exporting…' : 'Export CSV'}</button>
    ${error ? html`<span class="field-error">${error.message}</span>` : null}</span>`;
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

/** A table over a list endpoint with server-side paging: `after` the last id of the page.
 * With `selection` (see selectColumn) the rows get checkboxes. */
export function PagedTable({ path, params, columns, empty, reload = 0, pageSize = 25, rowKey = 'id', label, selection }) {
  const [cursors, setCursors] = useState([null]);
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const paramsKey = JSON.stringify(params || {});
  useEffect(() => { setCursors([null]); }, [path, paramsKey, reload]);
  const after = cursors[cursors.length - 1];
  useEffect(() => {
    let live = true;
    setError(null);
    get(`${path}${qs({ ...(params || {}), limit: pageSize, after })}`)
      .then((r) => { if (live) setPage({ ...r, number: cursors.length }); })
      .catch((e) => { if (live) { setError(e); setPage({ data: [], has_more: false }); } });
    return () => { live = false; };
  }, [path, paramsKey, after, reload]);
  if (error) return html`<${Banner} error=${error} />`;
  if (!page) return html`<p class="muted">Loading…</p>`;
  const rows = page.data;
  const keyOf = typeof rowKey === 'function' ? rowKey : (r) => r[rowKey];
  if (selection) columns = [selectColumn(selection, rows, keyOf), ...columns];
  const paged = cursors.length > 1 || page.has_more;
  const settled = (page.number || 1) === cursors.length; /* the page shown is the one asked for */
  return html`<div class="table-wrap card">
    ${rows.length === 0 && cursors.length === 1
      ? html`<p class="empty">${empty || 'Nothing here yet.'}</p>`
      : html`<table aria-label=${label}>
          <thead><tr>${columns.map((c) => html`<th class=${c.num ? 'num' : c.cls === 'select' ? 'select' : ''} scope="col">${c.head || c.label}</th>`)}</tr></thead>
          <tbody>${rows.map((r) => html`<tr key=${keyOf(r)}>
            ${columns.map((c) => html`<td class=${c.num ? 'num' : c.cls || ''} data-label=${c.label}>
              ${c.render ? c.render(r) : r[c.key] ?? '—'}</td>`)}</tr>`)}</tbody>
        </table>`}
    ${rows.length === 0 && cursors.length === 1 ? null : html`<nav class="pager" aria-label="pages">
      ${paged ? html`<button type="button" disabled=${!settled || cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>← Previous</button>` : html`<span></span>`}
      <span class="muted">${paged ? `Page ${page.number || 1}` : `${rows.length} ${rows.length === 1 ? 'row' : 'rows'}`}
        <${ExportCsv} path=${path} params=${params} rowKey=${rowKey} filename=${`${label || 'export'}.csv`} /></span>
      ${paged ? html`<button type="button" disabled=${!settled || !page.has_more}
        onClick=${() => setCursors([...cursors, rows[rows.length - 1][rowKey]])}>Next →</button>` : html`<span></span>`}
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
