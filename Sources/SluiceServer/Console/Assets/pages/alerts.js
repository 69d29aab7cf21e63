// Alerts: the list by state, one alert with the events around it, acknowledgement.
import * as api from '../api.js';
import { h, mount, panel, table, badge, ago, when, timeOfDay, empty, errorBanner, banner, action, field, select, verdict, shortExe, number } from '../ui.js';

const kinds = { policy_deny: 'Policy deny', alert_rule: 'Alert rule', anomaly: 'Anomaly' };

export async function alertsPage(main, { args, session, navigate }) {
  const selectedID = args[0];
  const state = select('state', [['open', 'open'], ['acknowledged', 'acknowledged'], ['', 'all']], sessionStorage.getItem('alerts.state') ?? 'open');
  state.id = 'alert-state';
  const listBox = h('div');
  const detailBox = h('div');
  state.addEventListener('change', () => { sessionStorage.setItem('alerts.state', state.value); load(); });
  mount(main, h('div.page-head', h('h1', 'Alerts'), h('div.actions', field('Show', state))), h('div.split', panel('Alerts', listBox), detailBox));

  async function load() {
    try {
      const page = await api.get('/alerts', { state: state.value, limit: 200 });
      mount(listBox, table([
        { title: 'Alert', cell: (a) => h('a', { href: `#/alerts/${a.id}` }, kinds[a.kind] || a.kind, h('span.sub', `#${a.id} · ${a.node}`)) },
        { title: 'What', cell: (a) => h('span', verdict(a.verdict), ' ', shortExe(a.exe), ' → ', h('code', `${a.destination}:${a.port}`)) },
        { title: 'Count', class: 'num', cell: (a) => number(a.count) },
        { title: 'State', cell: (a) => badge(a.state) },
        { title: 'Last seen', cell: (a) => ago(a.last_seen) },
      ], page.items, {
        selected: (a) => String(a.id) === selectedID,
        emptyState: empty(state.value === 'open' ? 'No open alerts' : 'No alerts', 'Denies in policies with alerting, alert rules and anomalies raise alerts.'),
      }));
    } catch (error) {
      mount(listBox, errorBanner(error));
    }
  }

  async function detail(id) {
    const status = h('div', { 'aria-live': 'polite' });
    try {
      const [alert, context] = await Promise.all([api.get(`/alerts/${id}`), api.lines(`/alerts/${id}/events`, { limit: 50 })]);
      context.items.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
      const controls = [];
      if (alert.state === 'open' && session.can('operator')) {
        const note = h('input', { name: 'note', id: 'ack-note', placeholder: 'What was done (optional)' });
        controls.push(h('div.form-grid', field('Note', note), action('Acknowledge', async () => {
          await api.post(`/alerts/${id}/ack`, note.value.trim() ? { note: note.value.trim() } : {});
          navigate(`#/alerts/${id}`);
        }, { kind: 'primary', name: 'acknowledge', onError: (e) => mount(status, errorBanner(e)) })));
      }
      mount(detailBox, panel([`${kinds[alert.kind] || alert.kind} #${alert.id}`, ' ', badge(alert.state)],
        status,
        alert.state === 'acknowledged' ? banner('ok', `Acknowledged by ${alert.acknowledged_by} `, ago(alert.acknowledged), alert.note ? `: ${alert.note}` : '') : null,
        h('dl.facts',
          h('dt', 'Node'), h('dd', h('a', { href: `#/nodes/${encodeURIComponent(alert.node_id)}` }, alert.node)),
          h('dt', 'Verdict'), h('dd', verdict(alert.verdict)),
          h('dt', 'Executable'), h('dd.mono', alert.exe || '(unknown)'),
          h('dt', 'Destination'), h('dd.mono', `${alert.destination}:${alert.port}`),
          alert.policy ? [h('dt', 'Policy'), h('dd', `${alert.policy}${alert.rule ? ' / ' + alert.rule : ''}`)] : null,
          alert.score != null ? [h('dt', 'Anomaly score'), h('dd', alert.score.toFixed(1))] : null,
          h('dt', 'Occurrences'), h('dd', `${number(alert.count)} between `, when(alert.first_seen), ' and ', when(alert.last_seen))),
        controls,
        h('h3', 'Event context'),
        table([
          { title: 'Time', cell: (e) => timeOfDay(e.time) },
          { title: 'Verdict', cell: (e) => verdict(e.verdict) },
          { title: 'Process', cell: (e) => h('span', e.comm || shortExe(e.exe), h('span.sub', `pid ${e.pid}`)) },
          { title: 'Destination', cell: (e) => h('code', `${e.dst_ip}:${e.dst_port}/${e.protocol}`) },
          { title: 'Why', cell: (e) => e.reasons && e.reasons.length ? e.reasons.join(', ') : (e.policy ? `${e.policy} / ${e.rule}` : e.rule) },
        ], context.items, { emptyState: empty('No stored events around this alert', 'They may have aged out of retention.') })));
    } catch (error) {
      mount(detailBox, panel('Alert', errorBanner(error)));
    }
  }

  await load();
  if (selectedID) await detail(selectedID); else mount(detailBox, panel('Details', empty('Select an alert', 'Its events and the acknowledgement show here.')));
}
