// Overview: fleet health and rollout, decisions per minute, top applications, destinations and names, open alerts.
import * as api from '../api.js';
import { h, mount, panel, table, badge, ago, number, empty, errorBanner, verdict, shortExe, alertDestination } from '../ui.js';
import { verdictChart } from '../charts.js';
import { stat, topTable } from './top.js';
import { applicationLink } from './applications.js';

export async function overviewPage(main) {
  mount(main, h('div.page-head', h('h1', 'Overview'), h('span.muted', 'the last hour')), h('p.muted.loading', 'Loading…'));
  const load = async () => {
    const [nodes, rollout, timeline, apps, destinations, domains, alerts] = await Promise.all([
      api.get('/nodes'), api.get('/rollout'), api.get('/stats/timeline', { from: '1h', bucket: 60 }),
      api.get('/stats/top', { by: 'exe', from: '1h', limit: 8 }), api.get('/stats/top', { by: 'dst', from: '1h', limit: 8 }),
      api.get('/stats/top', { by: 'domain', from: '1h', limit: 8 }), api.get('/alerts', { state: 'open', limit: 8 }),
    ]);
    const totals = timeline.buckets.reduce((sum, b) => ({ allow: sum.allow + b.allow, alert: sum.alert + b.alert, deny: sum.deny + b.deny }), { allow: 0, alert: 0, deny: 0 });
    const healthy = nodes.filter((n) => !n.stale && n.rollout === 'applied').length;
    const stale = nodes.filter((n) => n.stale).length;
    mount(main,
      h('div.page-head', h('h1', 'Overview'), h('span.muted', 'the last hour')),
      h('div.grid.cols-4',
        panelStat('Nodes', number(nodes.length), `${healthy} applied · ${stale} stale · ${rollout.counts.failed || 0} failed`),
        panelStat('Policy revision', `r${rollout.revision}`, `${rollout.counts.applied || 0} of ${nodes.length} nodes applied`),
        panelStat('Decisions', number(totals.allow + totals.alert + totals.deny), `${number(totals.deny)} denied · ${number(totals.alert)} alerted`),
        panelStat('Open alerts', number(alerts.total), alerts.items.length ? h('a', { href: '#/alerts' }, 'review alerts') : 'all clear')),
      h('div.grid',
        panel(['Decisions per minute', h('span.aside', 'by verdict')], verdictChart(timeline, 'Decisions per minute by verdict, last hour'))),
      h('div.grid.cols-2',
        panel(['Nodes', h('a.aside', { href: '#/nodes' }, 'all nodes')], nodeTable(nodes)),
        panel(['Open alerts', h('a.aside', { href: '#/alerts' }, 'all alerts')], alertTable(alerts.items)),
        panel(['Top applications', h('a.aside', { href: '#/apps' }, 'all applications')], topTable(apps, 'Application', applicationLink, { emptyText: 'No traffic in the last hour' })),
        panel('Top destinations', topTable(destinations, 'Destination', (key) => h('code', key), { emptyText: 'No traffic in the last hour' })),
        panel(['Top domains', h('span.aside', 'the names applications looked up')],
          topTable(domains, 'Domain', (key) => h('code', key), { emptyText: 'No traffic in the last hour' }))));
  };
  try { await load(); } catch (error) { mount(main, h('div.page-head', h('h1', 'Overview')), errorBanner(error)); }
  const timer = setInterval(() => load().catch(() => {}), 30000);
  return () => clearInterval(timer);
}

function panelStat(label, value, detail) {
  const tile = stat(label, value, detail);
  tile.classList.add('panel');
  return tile;
}

export function rolloutBadge(node) {
  return badge(node.stale && node.rollout !== 'stale' ? 'stale' : node.rollout, node.stale ? 'stale' : node.rollout);
}

function nodeTable(nodes) {
  return table([
    { title: 'Node', cell: (n) => h('a', { href: `#/nodes/${encodeURIComponent(n.id)}` }, n.name) },
    { title: 'Rollout', cell: rolloutBadge },
    { title: 'Applied', cell: (n) => n.applied_revision == null ? h('span.muted', '—') : `r${n.applied_revision}` },
    { title: 'Heartbeat', cell: (n) => ago(n.last_heartbeat) },
  ], nodes, { emptyState: empty('No nodes enrolled', 'Create a join token (sluice tokens create NAME) and start `sluice agent --server URL --join-token TOKEN` with it.') });
}

function alertTable(alerts) {
  return table([
    { title: 'Alert', cell: (a) => h('span', h('a', { href: `#/alerts/${a.id}` }, a.kind.replace('_', ' ')), h('span.sub', a.node)) },
    { title: 'What', cell: (a) => h('span', verdict(a.verdict), ' ', shortExe(a.exe), ' → ', h('code', alertDestination(a))) },
    { title: 'Last', cell: (a) => ago(a.last_seen) },
  ], alerts, { emptyState: empty('No open alerts', 'Denies in alerting policies and anomalies show up here.') });
}
