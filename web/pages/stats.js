// stats.js - the period report shared by the admin overview and the affiliate portal:
// KPIs for a period (today, 7 or 30 days, month to date, or a custom range) against the
// previous period of equal length, a daily chart of clicks, conversions and sales, and
// top tables (affiliates, links, sub-IDs) ranked on the server (sort + limit), all from
// GET /v1/reports (or /v1/me/reports), plus its CSV export. The portal shows the same
// numbers of the affiliate's own traffic, without the brand's ROI.
import { useEffect, useState } from '../vendor/hooks.mjs';
import { get, qs } from '../api.js';
import { html, Banner, Kpis, TimeChart } from '../ui.js';
import { addDays, count, delta, exponent, money, percent, ratioPercent, utcDay } from '../format.js';

const PRESETS = [
  { id: 'today', label: 'Today' },
  { id: '7d', label: '7 days' },
  { id: '30d', label: '30 days' },
  { id: 'mtd', label: 'Month to date' },
  { id: 'custom', label: 'Custom' },
];

const RANKS = [
  { value: 'commission_minor', label: 'Commission', portalLabel: 'Earnings' },
  { value: 'revenue_minor', label: 'Revenue', portalLabel: 'Sales' },
  { value: 'conversions', label: 'Conversions' },
  { value: 'clicks', label: 'Clicks' },
  /* a parent's income row would rank last by any other: offered where the KPI is shown */
  { value: 'override_income_minor', label: 'Sub-affiliate income', income: true },
];

const TOP_N = 10;

function daysOf(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86400000) + 1;
}

/** The period of a preset (UTC days, as the reports count them) and the previous period
 * of equal length just before it. null when a custom range is not valid yet. */
export function periodRange(preset, custom, today = utcDay(0)) {
  let from = today;
  const to = preset === 'custom' ? custom.to : today;
  if (preset === '7d') from = addDays(today, -6);
  else if (preset === '30d') from = addDays(today, -29);
  else if (preset === 'mtd') from = `${today.slice(0, 8)}01`;
  else if (preset === 'custom') from = custom.from;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from || '') || !/^\d{4}-\d{2}-\d{2}$/.test(to || '') || from > to) return null;
  const days = daysOf(from, to);
  if (days > 3660) return null;
  return { cur: { from, to }, prev: { from: addDays(from, -days), to: addDays(from, -1) }, days };
}

/** Every day of [from, from + days) with the rows' clicks, conversions and sales (in the
 * currency's major unit), zero where there is no row. */
function dailySeries(rows, from, days, currency) {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const scale = 10 ** (currency ? exponent(currency) : 2);
  const xs = [], clicks = [], conversions = [], sales = [];
  const start = Date.parse(`${from}T00:00:00Z`);
  for (let i = 0; i < days; i++) {
    const t = start + i * 86400000;
    const r = byDay.get(new Date(t).toISOString().slice(0, 10));
    xs.push(t / 1000);
    clicks.push(r ? r.clicks : 0);
    conversions.push(r ? r.conversions : 0);
    sales.push(r ? r.revenue_minor / scale : 0);
  }
  return [xs, clicks, conversions, sales];
}

function kpiList(t, p, portal, m) {
  const pp = (v) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)} pp`;
  const roiPp = (v) => `${v >= 0 ? '+' : ''}${Math.round(v * 100)} pp`;
  const signedCount = (v) => `${v >= 0 ? '+' : ''}${count(v)}`;
  const signedMoney = (v) => (v >= 0 ? `+${m(v)}` : m(v));
  const list = [
    { id: 'clicks', label: 'Clicks', value: count(t.clicks), change: delta(t.clicks, p.clicks, signedCount) },
    { id: 'unique_clicks', label: 'Unique clicks', value: count(t.unique_clicks), change: delta(t.unique_clicks, p.unique_clicks, signedCount) },
    { id: 'conversions', label: 'Conversions', value: count(t.conversions), change: delta(t.conversions, p.conversions, signedCount) },
    { id: 'cr', label: 'Conversion rate', value: percent(t.cr), change: delta(t.cr, p.cr, pp) },
    { id: 'revenue', label: portal ? 'Sales' : 'Revenue', value: m(t.revenue_minor), change: delta(t.revenue_minor, p.revenue_minor, signedMoney),
      title: portal ? 'the amounts of the orders you referred' : undefined },
    { id: 'commission', label: portal ? 'Earnings' : 'Commission', value: m(t.commission_minor), change: delta(t.commission_minor, p.commission_minor, signedMoney) },
    { id: 'epc', label: 'EPC', value: m(t.epc_minor), change: delta(t.epc_minor, p.epc_minor, signedMoney), title: 'commission per click' },
    { id: 'aov', label: 'AOV', value: m(t.aov_minor), change: delta(t.aov_minor, p.aov_minor, signedMoney), title: 'average order value' },
  ];
  // a parent's overrides on its sub-affiliates' sales (docs/api.md "Reports"): shown to
  // affiliates that have any, in the period or the one before
  if (portal && (t.override_income_minor || p.override_income_minor)) {
    list.push({ id: 'override_income', label: 'Sub-affiliate income', value: m(t.override_income_minor),
      change: delta(t.override_income_minor, p.override_income_minor, signedMoney), title: 'your overrides on your sub-affiliates\' sales' });
  }
  if (!portal) {
    list.push({ id: 'roi', label: 'ROI', value: ratioPercent(t.roi), change: delta(t.roi, p.roi, roiPp),
      title: 'return on commission: (revenue − refunds − commission) / commission' });
  }
  return list;
}

/**
 * props: reportPath ('/v1/reports' | '/v1/me/reports'), currency (or null), portal (bool:
 * the affiliate's own view: "Sales" and "Earnings", no ROI), top: [{group, label,
 * column, name(row)}], filter (report parameters), filters (extra toolbar controls).
 */
export function Stats({ reportPath, currency, portal, top = [], reload = 0, filter = {}, filters = null }) {
  const [preset, setPreset] = useState('30d');
  const [custom, setCustom] = useState({ from: addDays(utcDay(0), -13), to: utcDay(0) });
  const [rank, setRank] = useState('commission_minor');
  const [state, setState] = useState({ loading: true });
  const range = periodRange(preset, custom);
  const rangeKey = range ? `${range.cur.from}/${range.cur.to}` : 'invalid';
  useEffect(() => {
    if (!range) return undefined;
    let live = true;
    const { cur, prev } = range;
    setState((s) => ({ ...s, loading: true }));
    Promise.all([
      get(`${reportPath}${qs({ ...filter, ...cur, group_by: 'day' })}`),
      get(`${reportPath}${qs({ ...filter, ...prev, group_by: '' })}`),
      ...top.map((t) => get(`${reportPath}${qs({ ...filter, ...cur, group_by: t.group, sort: rank, limit: TOP_N })}`)),
    ]).then(([curRep, prevRep, ...tops]) => {
      if (live) setState({ loading: false, cur: curRep, prev: prevRep, tops, range, currency });
    }).catch((error) => { if (live) setState({ loading: false, error }); });
    return () => { live = false; };
  }, [reportPath, rangeKey, rank, reload, JSON.stringify(filter), currency]);

  // the currency and period the shown numbers were asked for, not those of a report still loading
  const { cur, prev, tops, error } = state;
  const shown = state.currency;
  const t = cur && cur.totals;
  const p = prev && prev.totals;
  const m = (v) => money(v, shown);
  const kpis = t && p ? kpiList(t, p, portal, m) : null;
  const ranks = RANKS.filter((x) => !x.income || (kpis || []).some((k) => k.id === 'override_income'));
  // a period without sub-affiliate income drops that choice: rank by commission again, so
  // that the select never shows one order while the tables keep another
  const rankGone = kpis && !ranks.some((x) => x.value === rank);
  useEffect(() => { if (rankGone) setRank('commission_minor'); }, [rankGone]);
  const r = state.range;
  const csv = r ? `${reportPath}${qs({ ...filter, ...r.cur, group_by: 'day', format: 'csv' })}` : null;

  return html`<div class="stats">
    <div class="toolbar">
      <div class="segmented" role="group" aria-label="period">
        ${PRESETS.map((x) => html`<button type="button" class=${x.id === preset ? 'active' : ''} aria-pressed=${x.id === preset}
            onClick=${() => setPreset(x.id)}>${x.label}</button>`)}
      </div>
      ${filters}
      ${csv ? html`<a class="button secondary" href=${csv} download="report.csv">Export CSV</a>` : null}
    </div>
    ${preset === 'custom' ? html`<div class="toolbar custom-range">
      <label class="inline-select"><span class="muted">From</span>
        <input type="date" name="from" value=${custom.from} max=${custom.to} onChange=${(e) => setCustom({ ...custom, from: e.target.value })} /></label>
      <label class="inline-select"><span class="muted">To</span>
        <input type="date" name="to" value=${custom.to} min=${custom.from} onChange=${(e) => setCustom({ ...custom, to: e.target.value })} /></label>
      ${range ? null : html`<span class="field-error">Choose a start day on or before the end day (at most 3660 days).</span>`}
    </div>` : null}
    ${r ? html`<p class="muted period-note" data-testid="period">${r.cur.from} – ${r.cur.to} (UTC, ${r.days} ${r.days === 1 ? 'day' : 'days'})
      compared with ${r.prev.from} – ${r.prev.to}</p>` : null}
    <${Banner} error=${error} />
    ${kpis ? html`<${Kpis} items=${kpis} />` : state.loading ? html`<p class="muted">Loading…</p>` : null}
    ${cur ? html`<${TimeChart} title=${`Per day (UTC), ${r.cur.from} – ${r.cur.to}`}
        data=${dailySeries(cur.rows, r.cur.from, r.days, shown)}
        series=${[{ label: 'Clicks' }, { label: 'Conversions', scale: 'y2' }, { label: portal ? 'Sales' : 'Revenue', scale: 'money' }]} />` : null}
    ${tops && top.length ? html`<div class="toolbar rank">
      <label class="inline-select"><span class="muted">Rank the top ${TOP_N} by</span>
        <select name="rank" value=${rank} onChange=${(e) => setRank(e.target.value)}>
          ${ranks.map((x) => html`<option value=${x.value}>${portal && x.portalLabel ? x.portalLabel : x.label}</option>`)}
        </select></label></div>` : null}
    ${tops && top.map((tp, i) => html`<${TopTable} spec=${tp} report=${tops[i]} currency=${shown} portal=${portal} />`)}
  </div>`;
}

function TopTable({ spec, report, currency, portal }) {
  const rows = report.rows;
  /* a parent's income from its sub-affiliates is in none of the other columns */
  const income = portal && rows.some((r) => r.override_income_minor);
  const incomeLabel = 'Sub-affiliate income';
  const more = report.rows_total > rows.length ? ` (top ${rows.length} of ${count(report.rows_total)})` : '';
  const earn = portal ? 'Earnings' : 'Commission';
  const sales = portal ? 'Sales' : 'Revenue';
  return html`<div class="card table-wrap">
    <h2>${spec.label}${more}</h2>
    ${rows.length === 0 ? html`<p class="empty">No traffic in this period.</p>` : html`<table aria-label=${spec.label}>
      <thead><tr><th scope="col">${spec.column}</th><th class="num">Clicks</th><th class="num">Unique</th><th class="num">Conv.</th>
        <th class="num">CR</th><th class="num">${sales}</th><th class="num">${earn}</th><th class="num">EPC</th>
        ${income ? html`<th class="num">${incomeLabel}</th>` : null}
        ${portal ? null : html`<th class="num">ROI</th>`}</tr></thead>
      <tbody>${rows.map((r) => html`<tr>
        <td class="name" data-label=${spec.column}>${spec.name(r)}</td>
        <td class="num" data-label="Clicks">${count(r.clicks)}</td>
        <td class="num" data-label="Unique">${count(r.unique_clicks)}</td>
        <td class="num" data-label="Conv.">${count(r.conversions)}</td>
        <td class="num" data-label="CR">${percent(r.cr)}</td>
        <td class="num" data-label=${sales}>${money(r.revenue_minor, currency)}</td>
        <td class="num" data-label=${earn}>${money(r.commission_minor, currency)}</td>
        <td class="num" data-label="EPC">${money(r.epc_minor, currency)}</td>
        ${income ? html`<td class="num" data-label=${incomeLabel}>${money(r.override_income_minor, currency)}</td>` : null}
        ${portal ? null : html`<td class="num" data-label="ROI">${ratioPercent(r.roi)}</td>`}</tr>`)}</tbody>
    </table>`}
  </div>`;
}

/** A sub-ID cell: the value, or "(none)" for clicks without one, and its affiliate. */
export function subIdCell(r, affiliateName) {
  const v = r.sub1 === '' ? html`<span class="muted">(none)</span>` : html`<code>${r.sub1}</code>`;
  return affiliateName ? html`${v} <span class="muted">· ${affiliateName}</span>` : v;
}
