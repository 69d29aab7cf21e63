// Applications: the busiest executables across nodes, and a page per application with its
// decisions over time, destinations and names, traffic, alerts and learned rules.
import * as api from '../api.js';
import { h, mount, panel, table, badge, ago, empty, errorBanner, field, select, number, verdict, shortExe, alertDestination } from '../ui.js';
import { verdictChart, bytesLines } from '../charts.js';
import { stat, topTable, talkersTable, bytes } from './top.js';

const ranges = [['1h', 'last hour', 3600], ['24h', 'last 24 hours', 86400], ['7d', 'last 7 days', 7 * 86400], ['30d', 'last 30 days', 30 * 86400]];

/// A link to an application's page.
export function applicationLink(exe) {
  if (!exe || exe === '(unknown)') return h('span.muted', '(unknown)');
  return h('a', { href: `#/apps/${encodeURIComponent(exe)}`, title: exe }, shortExe(exe), h('span.sub', exe));
}

export async function applicationsPage(main, { args }) {
  const exe = args[0];
  const range = select('range', ranges.map(([key, text]) => [key, text]), sessionStorage.getItem('apps.range') || '24h');
  range.id = 'app-range';
  const body = h('div');
  range.addEventListener('change', () => { sessionStorage.setItem('apps.range', range.value); load(); });
  mount(main, h('div.page-head', h('h1', exe ? shortExe(exe) : 'Applications', exe ? h('span.sub.mono', exe) : null), h('div.actions', field('Range', range))), body);

  async function load() {
    const [, text, seconds] = ranges.find((r) => r[0] === range.value) || ranges[1];
    const to = new Date();
    const span = { from: new Date(to.getTime() - seconds * 1000).toISOString(), to: to.toISOString() };
    const bucket = seconds <= 3600 ? 60 : seconds <= 86400 ? 900 : seconds <= 7 * 86400 ? 3 * 3600 : 86400;
    mount(body, h('p.muted.loading', 'Loading…'));
    try {
      if (!exe) return mount(body, await listing(span, text));
      mount(body, ...(await detail(exe, span, bucket, text)));
    } catch (error) {
      mount(body, errorBanner(error));
    }
  }
  await load();
}

async function listing(span, text) {
  const [apps, traffic] = await Promise.all([
    api.get('/stats/top', { ...span, by: 'exe', limit: 50 }), api.get('/stats/top', { ...span, by: 'exe', measure: 'bytes', limit: 50 }),
  ]);
  return h('div.grid.cols-2',
    panel(['Applications by decisions', h('span.aside', text)], topTable(apps, 'Application', applicationLink, { full: true })),
    panel(['Applications by traffic', h('span.aside', text)], talkersTable(traffic, 'Application', applicationLink)));
}

async function detail(exe, span, bucket, text) {
  const mine = { ...span, exe };
  const [timeline, volume, destinations, names, traffic, alerts, rules] = await Promise.all([
    api.get('/stats/timeline', { ...mine, bucket }), api.get('/stats/timeline', { ...mine, bucket, measure: 'bytes' }), api.get('/stats/top', { ...mine, by: 'dst', limit: 15 }),
    api.get('/stats/top', { ...mine, by: 'domain', limit: 15 }), api.get('/stats/top', { ...mine, by: 'dst', measure: 'bytes', limit: 10 }),
    api.get('/alerts', { exe, state: '', limit: 20 }), api.get('/rules', { limit: 10000 }),
  ]);
  const totals = timeline.buckets.reduce((s, b) => ({ all: s.all + b.allow + b.alert + b.deny, deny: s.deny + b.deny, alert: s.alert + b.alert }), { all: 0, deny: 0, alert: 0 });
  const sent = volume.buckets.reduce((s, b) => s + (b.bytes_sent || 0), 0);
  const received = volume.buckets.reduce((s, b) => s + (b.bytes_received || 0), 0);
  const learned = rules.filter((r) => r.rule.executable === exe);
  return [
    h('div.grid.cols-4',
      withPanel(stat('Decisions', number(totals.all), text)),
      withPanel(stat('Denied', number(totals.deny), `${number(totals.alert)} alerted`)),
      withPanel(stat('Traffic', bytes(sent + received), `${bytes(sent)} sent · ${bytes(received)} received`)),
      withPanel(stat('Alerts', number(alerts.total), alerts.total ? h('a', { href: '#/alerts' }, 'all alerts') : 'none'))),
    h('div.grid', panel(['Decisions over time', h('span.aside', 'by verdict')], verdictChart(timeline, `Decisions of ${exe} by verdict`))),
    h('div.grid', panel(['Traffic over time', h('span.aside', 'bytes each way, from flow records')], bytesLines(volume, `Bytes sent and received by ${exe}`))),
    h('div.grid.cols-2',
      panel('Destinations', topTable(destinations, 'Destination', (key) => h('code', key), { full: true })),
      panel('Names looked up', topTable(names, 'Name', (key) => h('code', key), { full: true, emptyText: 'No named destinations in this range' })),
      panel('Traffic by destination', talkersTable(traffic, 'Destination', (key) => h('code', key))),
      panel(['Alerts', h('span.aside', 'most recently seen first')], table([
        { title: 'Alert', cell: (a) => h('a', { href: `#/alerts/${a.id}` }, `#${a.id}`, h('span.sub', a.node)) },
        { title: 'What', cell: (a) => h('span', verdict(a.verdict), ' → ', h('code', alertDestination(a))) },
        { title: 'State', cell: (a) => badge(a.state) },
        { title: 'Last seen', cell: (a) => ago(a.last_seen) },
      ], alerts.items, { emptyState: empty('No alerts for this application') })),
      panel('Learned rules', table([
        { title: 'Rule', cell: (r) => h('span.mono', r.rule.id, h('span.sub', r.node)) },
        { title: 'Action', cell: (r) => verdict(r.rule.action) },
        { title: 'Destination', cell: (r) => h('code', `${r.rule.destination}:${r.rule.port}`) },
        { title: 'State', cell: (r) => badge(r.rule.state) },
      ], learned, { emptyState: empty('No learned rules for this application') }))),
  ];
}

function withPanel(tile) {
  tile.classList.add('panel');
  return tile;
}
