// Pieces the overview and the reports share: a stat tile and the table of top applications or
// destinations (GET /api/v1/stats/top).
import { h, table, empty, number, when } from '../ui.js';

export function stat(label, value, detail) {
  return h('div.stat', h('span.label', label), h('span.value', value), detail ? h('span.detail', detail) : null);
}

/// `entries` are StatsTopEntry; `label` draws the key. `full` adds alerts and last seen (reports),
/// otherwise a share meter (overview).
export function topTable(entries, title, label, { full = false, emptyText = 'No traffic in this range' } = {}) {
  const max = Math.max(1, ...entries.map((e) => e.total));
  const meter = (e) => { const m = h('div.meter'); const bar = h('span'); bar.style.width = `${(100 * e.total) / max}%`; m.append(bar); return m; };
  return table([
    { title, cell: (e) => label(e.key) },
    full ? null : { title: 'Share', class: 'hide-narrow', cell: meter },
    { title: 'Decisions', class: 'num', cell: (e) => number(e.total) },
    { title: 'Denied', class: 'num', cell: (e) => e.denies ? h('span', { class: 'badge deny' }, number(e.denies)) : '0' },
    full ? { title: 'Alerted', class: 'num', cell: (e) => number(e.alerts) } : null,
    full ? { title: 'Last seen', class: 'hide-narrow', cell: (e) => when(e.last_seen) } : null,
  ].filter(Boolean), entries, { emptyState: empty(emptyText) });
}

/// Human byte counts, binary units as policy quotas are written.
export function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = n || 0;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/// `entries` are StatsTopEntry of `measure=bytes`: the heaviest by traffic of their flow records.
export function talkersTable(entries, title, label) {
  const max = Math.max(1, ...entries.map((e) => (e.bytes_sent || 0) + (e.bytes_received || 0)));
  const meter = (e) => { const m = h('div.meter'); const bar = h('span'); bar.style.width = `${(100 * ((e.bytes_sent || 0) + (e.bytes_received || 0))) / max}%`; m.append(bar); return m; };
  return table([
    { title, cell: (e) => label(e.key) },
    { title: 'Share', class: 'hide-narrow', cell: meter },
    { title: 'Sent', class: 'num', cell: (e) => bytes(e.bytes_sent) },
    { title: 'Received', class: 'num', cell: (e) => bytes(e.bytes_received) },
    { title: 'Flow records', class: 'num hide-narrow', cell: (e) => number(e.total) },
  ], entries, { emptyState: empty('No flow records in this range') });
}
