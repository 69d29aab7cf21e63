// Reports: traffic and denies per application over time, new destinations per day, and a
// printable summary of a time range.
import * as api from '../api.js';
import { h, mount, panel, table, empty, errorBanner, field, select, number, when, shortExe } from '../ui.js';
import { verdictChart, dayBars, trafficLines } from '../charts.js';
import { stat, topTable, talkersTable } from './top.js';

const presets = [['24h', 'last 24 hours', 86400], ['7d', 'last 7 days', 7 * 86400], ['30d', 'last 30 days', 30 * 86400]];

export async function reportsPage(main) {
  const range = select('range', presets.map(([key, text]) => [key, text]), sessionStorage.getItem('reports.range') || '24h');
  range.id = 'report-range';
  const body = h('div');
  const print = h('button', { type: 'button', id: 'print-report', on: { click: () => window.print() } }, 'Print summary');
  range.addEventListener('change', () => { sessionStorage.setItem('reports.range', range.value); load(); });
  mount(main, h('div.page-head', h('h1', 'Reports'), h('div.actions', field('Range', range), print)), body);

  async function load() {
    const [key, text, seconds] = presets.find((p) => p[0] === range.value) || presets[0];
    const to = new Date();
    const from = new Date(to.getTime() - seconds * 1000);
    const span = { from: from.toISOString(), to: to.toISOString() };
    const bucket = seconds <= 86400 ? 900 : seconds <= 7 * 86400 ? 3600 * 3 : 86400;
    mount(body, h('p.muted.loading', 'Computing the report…'));
    try {
      const [timeline, apps, destinations, domains, fresh, alerts, talkers] = await Promise.all([
        api.get('/stats/timeline', { ...span, bucket }), api.get('/stats/top', { ...span, by: 'exe', limit: 10 }),
        api.get('/stats/top', { ...span, by: 'dst', limit: 10 }), api.get('/stats/top', { ...span, by: 'domain', limit: 10 }),
        api.get('/stats/new-destinations', span),
        api.get('/alerts', { since: span.from, limit: 1000, state: '' }),
        api.get('/stats/top', { ...span, by: 'exe', measure: 'bytes', limit: 10 }),
      ]);
      const perApp = await Promise.all(apps.slice(0, 4).map((app) => api.get('/stats/timeline', { ...span, bucket, exe: app.key === '(unknown)' ? undefined : app.key })
        .then((series) => ({ app, series }))));
      const totals = timeline.buckets.reduce((s, b) => ({ all: s.all + b.allow + b.alert + b.deny, deny: s.deny + b.deny, alert: s.alert + b.alert }), { all: 0, deny: 0, alert: 0 });
      const newTotal = fresh.reduce((s, d) => s + d.count, 0);
      mount(body,
        h('section.panel.report-head',
          h('h2', `Summary, ${text}`),
          h('p.muted', 'From ', when(from), ' to ', when(to), '.'),
          h('div.grid.cols-4',
            stat('Decisions', number(totals.all)), stat('Denied', number(totals.deny)),
            stat('Alerts raised', number(alerts.items.length) + (alerts.next_cursor ? '+' : '')), stat('New destinations', number(newTotal)))),
        h('div.grid',
          panel(['Decisions over time', h('span.aside', `${bucket / 60}-minute buckets`)], verdictChart(timeline, `Decisions by verdict, ${text}`)),
          h('div.grid.cols-2',
            perApp.length ? perApp.map(({ app, series }) => panel([h('span', { title: app.key }, shortExe(app.key)), h('span.aside', `${number(app.total)} decisions · ${number(app.denies)} denied`)],
              trafficLines(series, `Traffic and denies of ${app.key}`))) : panel('Applications', empty('No application traffic in this range'))),
          h('div.grid.cols-2',
            panel(['New destinations per day', h('span.aside', `${number(newTotal)} in total`)], dayBars(fresh, from, to, `New destinations per day, ${text}`)),
            panel('Top destinations', topTable(destinations, 'Destination', (k) => h('code', k), { full: true }))),
          panel('Top talkers by bytes', talkersTable(talkers, 'Application', (k) => h('span', shortExe(k), h('span.sub', k)))),
          panel('Top domains', topTable(domains, 'Looked up as', (k) => h('code', k), { full: true, emptyText: 'No names in this range' })),
          panel('Applications', topTable(apps, 'Application', (k) => h('span', shortExe(k), h('span.sub', k)), { full: true }))));
    } catch (error) {
      mount(body, errorBanner(error));
    }
  }
  await load();
}
