// Threat-intelligence feeds: each feed's last sync and error, its newest indicators; admins sync now.
import * as api from '../api.js';
import { h, mount, panel, table, badge, ago, empty, errorBanner, banner, action, number } from '../ui.js';

export async function feedsPage(main, { session }) {
  const status = h('div', { 'aria-live': 'polite' });
  const listBox = h('div');
  const detailBox = h('div');
  let selected = null;
  mount(main, h('div.page-head', h('h1', 'Threat feeds')),
    h('p.muted', 'Each feed is a layer on the nodes its selector matches: connections to its indicators are denied or alerted on for every application. A failed sync keeps the last good set in force. Add and remove feeds with sluice feeds.'),
    status, panel('Feeds', listBox), detailBox);

  async function sync(feed) {
    const after = await api.post(`/feeds/${encodeURIComponent(feed.name)}/sync`);
    mount(status, after.last_error ? errorBanner(new Error(after.last_error))
      : banner('ok', `Synced ${feed.name}: ${number(after.indicators)} indicators in force.`));
    await load();
  }

  async function show(feed) {
    selected = feed.name;
    try {
      const detail = await api.get(`/feeds/${encodeURIComponent(feed.name)}`, { limit: 100 });
      mount(detailBox, panel(`Newest indicators of ${feed.name}`, table([
        { title: 'Target', cell: (i) => h('code', i.target) },
        { title: 'Indicator', cell: (i) => h('span.mono', i.indicator) },
        { title: 'Expires', cell: (i) => (i.expires ? ago(i.expires) : h('span.muted', 'when the feed drops it')) },
      ], detail.indicators, { emptyState: empty('No indicators', 'The feed has not brought any yet.') })));
    } catch (error) {
      mount(detailBox, errorBanner(error));
    }
  }

  async function load() {
    try {
      const feeds = await api.get('/feeds');
      const onError = (e) => mount(status, errorBanner(e));
      mount(listBox, table([
        { title: 'Feed', cell: (f) => h('span', h('strong', f.name), h('span.sub', f.kind === 'taxii' ? `TAXII ${f.collection || ''}` : f.format || 'list')) },
        { title: 'Action', cell: (f) => badge(f.action) },
        { title: 'Indicators', class: 'num', cell: (f) => h('span', number(f.indicators), f.unusable ? h('span.sub', `${number(f.unusable)} unusable`) : null) },
        { title: 'Last success', cell: (f) => ago(f.last_success) },
        { title: 'Error', cell: (f) => (f.last_error ? h('span', badge('error'), ' ', f.last_error) : h('span.muted', '—')) },
        { title: '', cell: (f) => h('span',
          action('Indicators', () => show(f), { kind: 'small', onError, name: 'show' }),
          session.can('admin') ? action('Sync now', () => sync(f), { kind: 'small', onError, name: 'sync' }) : null) },
      ], feeds, {
        onSelect: show, selected: (f) => f.name === selected,
        emptyState: empty('No feeds', 'Add one with: sluice feeds add NAME --url URL'),
      }));
    } catch (error) {
      mount(listBox, errorBanner(error));
    }
  }
  await load();
}
