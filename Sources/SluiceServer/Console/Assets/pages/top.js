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
