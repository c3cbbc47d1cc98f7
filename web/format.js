// format.js - numbers for people: money from integer minor units in the currency's own
// exponent (Intl knows them: JPY 0, USD 2, KWD 3), rates, counts, dates, changes.

const moneyFormats = new Map();

function moneyFormat(currency) {
  let f = moneyFormats.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    } catch {
      f = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    moneyFormats.set(currency, f);
  }
  return f;
}

export function exponent(currency) {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

/** Minor units to text: money(4990, 'USD') -> "$49.90". Without a currency: "49.90". */
export function money(minor, currency) {
  if (minor === null || minor === undefined) return '—';
  if (!currency) return (minor / 100).toFixed(2);
  return moneyFormat(currency).format(minor / 10 ** exponent(currency));
}

const ints = new Intl.NumberFormat();
export function count(n) { return n === null || n === undefined ? '—' : ints.format(n); }

export function percent(ratio, digits = 2) {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits)} %`;
}

/** Relative change of cur over prev as "+12.5 %", or "new" / "—". */
export function change(cur, prev) {
  if (!prev) return cur ? 'new' : '—';
  const d = (cur - prev) / Math.abs(prev);
  return `${d >= 0 ? '+' : ''}${(d * 100).toFixed(1)} %`;
}

/** The change of a metric against the previous period: {dir: 'up' | 'down' | 'flat',
 * text: absolute change (abs(cur - prev) formatted) and relative change}, or null when
 * either value is missing (a ROI without commission). */
export function delta(cur, prev, abs) {
  if (cur === null || cur === undefined || prev === null || prev === undefined) return null;
  const d = cur - prev;
  const dir = d > 0 ? 'up' : d < 0 ? 'down' : 'flat';
  return { dir, text: `${abs(d)} (${change(cur, prev)})` };
}

/** A ratio as a whole percentage: 9 -> "900 %"; null -> "—". */
export function ratioPercent(ratio) {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return '—';
  return `${ints.format(Math.round(ratio * 100))} %`;
}

/** "YYYY-MM-DD" n days after day (n may be negative). */
export function addDays(day, n) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);
}

export function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** "YYYY-MM-DD" of a UTC day offset from today. */
export function utcDay(offsetDays = 0) {
  return new Date(Date.now() + offsetDays * 86400000).toISOString().slice(0, 10);
}
