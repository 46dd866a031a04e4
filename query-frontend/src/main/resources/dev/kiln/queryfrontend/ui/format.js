// Units, numbers and times as the UI shows them, and the time syntax the query bar accepts
// (the same as Pyroscope's /render: now, now-1h, unix s/ms/µs/ns by digit count, ISO dates).

const DURATION_UNITS = [[3600e9, 'h'], [60e9, 'min'], [1e9, 's'], [1e6, 'ms'], [1e3, 'µs'], [1, 'ns']];
const BYTE_UNITS = [[2 ** 40, 'TiB'], [2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB'], [1, 'B']];

/** A formatter for values of a profile type's sample unit ("nanoseconds", "bytes", "count"...). */
export function valueFormatter(unit) {
  if (unit === 'nanoseconds') return v => scaled(v, DURATION_UNITS);
  if (unit === 'microseconds') return v => scaled(v * 1e3, DURATION_UNITS);
  if (unit === 'milliseconds') return v => scaled(v * 1e6, DURATION_UNITS);
  if (unit === 'seconds') return v => scaled(v * 1e9, DURATION_UNITS);
  if (unit === 'bytes') return v => scaled(v, BYTE_UNITS);
  return v => countString(v);
}

function scaled(v, units) {
  const a = Math.abs(v);
  for (const [size, name] of units) {
    if (a >= size) return `${(v / size).toFixed(2)} ${name}`;
  }
  return `0 ${units[units.length - 1][1]}`;
}

function countString(v) {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  return Math.round(v).toLocaleString('en-US');
}

export function percent(part, whole) {
  return whole > 0 ? `${((part / whole) * 100).toFixed(2)}%` : '–';
}

/** "+12.50%" / "−3.00%" for a relative change. */
export function signedPercent(ratio) {
  if (!Number.isFinite(ratio)) return ratio > 0 ? 'new' : 'removed';
  const s = (Math.abs(ratio) * 100).toFixed(2);
  return ratio >= 0 ? `+${s}%` : `−${s}%`;
}

/** Parts of a profile type id: name:sample_type:sample_unit:period_type:period_unit. */
export function profileTypeParts(id) {
  const p = (id || '').split(':');
  return { name: p[0] || '', sampleType: p[1] || '', sampleUnit: p[2] || '', periodType: p[3] || '', periodUnit: p[4] || '' };
}

const RELATIVE = /^now(?:-(\d+)(s|m|min|h|d|w|M|mon|y))?$/;
const UNIT_MS = { s: 1e3, m: 60e3, min: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3, M: 30 * 86400e3, mon: 30 * 86400e3, y: 365 * 86400e3 };

/** Milliseconds since the epoch for a time the query bar accepts; throws with the bad text. */
export function parseTime(text, nowMs) {
  const t = String(text ?? '').trim();
  const rel = RELATIVE.exec(t);
  if (rel) return rel[1] ? nowMs - Number(rel[1]) * UNIT_MS[rel[2]] : nowMs;
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (t.length === 13) return n;
    if (t.length === 16) return Math.floor(n / 1e3);
    if (t.length === 19) return Math.floor(n / 1e6);
    return n * 1e3;
  }
  const ms = Date.parse(t.includes('T') || !t.includes(' ') ? t : t.replace(' ', 'T'));
  if (Number.isNaN(ms)) throw new Error(`invalid time '${t}': use now, now-1h, a unix timestamp or 2026-01-31 14:00`);
  return ms;
}

export function isRelative(text) {
  return RELATIVE.test(String(text ?? '').trim());
}

function pad(n) {
  return String(n).padStart(2, '0');
}

/** Local "YYYY-MM-DD HH:MM:SS", the absolute form the range inputs show. */
export function formatDateTime(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A short axis label; the date is shown only for ranges longer than a day. */
export function formatAxisTime(ms, spanMs) {
  const d = new Date(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (spanMs > 86400e3) return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
  if (spanMs < 300e3) return `${hm}:${pad(d.getSeconds())}`;
  return hm;
}

/** A human label for a range as typed: "Last 1h" for now-1h..now, else both ends. */
export function describeRange(from, until, nowMs) {
  const rel = RELATIVE.exec(String(from).trim());
  if (rel && rel[1] && String(until).trim() === 'now') return `Last ${rel[1]}${rel[2]}`;
  const show = t => (isRelative(t) ? t : formatDateTime(parseTime(t, nowMs)));
  return `${show(from)} → ${show(until)}`;
}

/** SelectSeries step in seconds: about 200 points over the range, at least 15 s (Pyroscope's minimum). */
export function stepSeconds(startMs, endMs) {
  return Math.max(15, Math.ceil((endMs - startMs) / 1000 / 200));
}

export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
