// stats.js - the period report shared by the admin overview and the affiliate portal:
// KPIs for a period against the previous one, a daily chart and the top rows, all from
// GET /v1/reports (or /v1/me/reports), plus its CSV export.
import { useEffect, useState } from '../vendor/hooks.mjs';
import { get, qs } from '../api.js';
import { html, Banner, Kpis, TimeChart } from '../ui.js';
import { change, count, money, percent, utcDay } from '../format.js';

const PERIODS = [7, 30, 90];

function periodRange(days) {
  return {
    cur: { from: utcDay(-(days - 1)), to: utcDay(0) },
    prev: { from: utcDay(-(2 * days - 1)), to: utcDay(-days) },
  };
}

/** Every day of [from, to] with the rows' metrics, zero where there is no row. */
function dailySeries(rows, from, days) {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const xs = [], clicks = [], conversions = [];
  const start = Date.parse(`${from}T00:00:00Z`);
  for (let i = 0; i < days; i++) {
    const t = start + i * 86400000;
    const r = byDay.get(new Date(t).toISOString().slice(0, 10));
    xs.push(t / 1000);
    clicks.push(r ? r.clicks : 0);
    conversions.push(r ? r.conversions : 0);
  }
  return [xs, clicks, conversions];
}

/**
 * props: reportPath ('/v1/reports' | '/v1/me/reports'), currency (or null), portal (bool:
 * leave out the merchant's revenue and AOV), top: [{group, label, name(row)}].
 */
export function Stats({ reportPath, currency, portal, top = [], reload = 0, filter = {}, filters = null }) {
  const [days, setDays] = useState(30);
  const [state, setState] = useState({ loading: true });
  useEffect(() => {
    let live = true;
    const { cur, prev } = periodRange(days);
    setState((s) => ({ ...s, loading: true }));
    Promise.all([
      get(`${reportPath}${qs({ ...filter, ...cur, group_by: 'day' })}`),
      get(`${reportPath}${qs({ ...filter, ...prev, group_by: '' })}`),
      ...top.map((t) => get(`${reportPath}${qs({ ...filter, ...cur, group_by: t.group })}`)),
    ]).then(([curRep, prevRep, ...tops]) => {
      if (live) setState({ loading: false, cur: curRep, prev: prevRep, tops, range: cur, currency });
    }).catch((error) => { if (live) setState({ loading: false, error }); });
    return () => { live = false; };
  }, [reportPath, days, reload, JSON.stringify(filter), currency]);

  // the currency the shown numbers were asked for, not the one of a report still loading
  const { cur, prev, tops, error, range } = state;
  const shown = state.currency;
  const t = cur && cur.totals;
  const p = prev && prev.totals;
  const m = (v) => money(v, shown);
  const kpis = t && p ? [
    { id: 'clicks', label: 'Clicks', value: count(t.clicks), change: change(t.clicks, p.clicks) },
    { id: 'unique_clicks', label: 'Unique clicks', value: count(t.unique_clicks), change: change(t.unique_clicks, p.unique_clicks) },
    { id: 'conversions', label: 'Conversions', value: count(t.conversions), change: change(t.conversions, p.conversions) },
    { id: 'cr', label: 'Conversion rate', value: percent(t.cr), change: change(t.cr, p.cr) },
    ...(portal ? [] : [{ id: 'revenue', label: 'Revenue', value: m(t.revenue_minor), change: change(t.revenue_minor, p.revenue_minor) }]),
    { id: 'commission', label: portal ? 'Earnings' : 'Commission', value: m(t.commission_minor), change: change(t.commission_minor, p.commission_minor) },
    { id: 'epc', label: 'EPC', value: m(t.epc_minor), change: change(t.epc_minor, p.epc_minor) },
    ...(portal ? [] : [{ id: 'aov', label: 'AOV', value: m(t.aov_minor), change: change(t.aov_minor, p.aov_minor) }]),
  ] : null;
  const csv = range ? `${reportPath}${qs({ ...filter, ...range, group_by: 'day', format: 'csv' })}` : null;

  return html`<div class="stats">
    <div class="toolbar">
      <div class="segmented" role="group" aria-label="period">
        ${PERIODS.map((d) => html`<button type="button" class=${d === days ? 'active' : ''} aria-pressed=${d === days}
            onClick=${() => setDays(d)}>${d} days</button>`)}
      </div>
      ${filters}
      ${csv ? html`<a class="button secondary" href=${csv} download="report.csv">Export CSV</a>` : null}
    </div>
    <${Banner} error=${error} />
    ${kpis ? html`<${Kpis} items=${kpis} />` : state.loading ? html`<p class="muted">Loading…</p>` : null}
    ${cur ? html`<${TimeChart} title=${`Clicks and conversions per day (UTC), last ${days} days`}
        data=${dailySeries(cur.rows, range.from, days)}
        series=${[{ label: 'Clicks' }, { label: 'Conversions', scale: 'y2' }]} />` : null}
    ${tops && top.map((tp, i) => html`<${TopTable} spec=${tp} rows=${tops[i].rows} currency=${shown} portal=${portal} />`)}
  </div>`;
}

function TopTable({ spec, rows, currency, portal }) {
  const sorted = [...rows].sort((a, b) => b.commission_minor - a.commission_minor || b.clicks - a.clicks).slice(0, 10);
  return html`<div class="card table-wrap">
    <h2>${spec.label}</h2>
    ${sorted.length === 0 ? html`<p class="empty">No traffic in this period.</p>` : html`<table aria-label=${spec.label}>
      <thead><tr><th scope="col">${spec.column}</th><th class="num">Clicks</th><th class="num">Conv.</th><th class="num">CR</th>
        ${portal ? null : html`<th class="num">Revenue</th>`}<th class="num">${portal ? 'Earnings' : 'Commission'}</th><th class="num">EPC</th></tr></thead>
      <tbody>${sorted.map((r) => html`<tr>
        <td class="name" data-label=${spec.column}>${spec.name(r)}</td>
        <td class="num" data-label="Clicks">${count(r.clicks)}</td>
        <td class="num" data-label="Conv.">${count(r.conversions)}</td>
        <td class="num" data-label="CR">${percent(r.cr)}</td>
        ${portal ? null : html`<td class="num" data-label="Revenue">${money(r.revenue_minor, currency)}</td>`}
        <td class="num" data-label=${portal ? 'Earnings' : 'Commission'}>${money(r.commission_minor, currency)}</td>
        <td class="num" data-label="EPC">${money(r.epc_minor, currency)}</td></tr>`)}</tbody>
    </table>`}
  </div>`;
}
