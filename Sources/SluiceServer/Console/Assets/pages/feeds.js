// Threat-intelligence feeds: each feed's last sync and error, its newest indicators; admins sync now.
import * as api from '../api.js';
import { h, mount, panel, table, badge, ago, empty, errorBanner, banner, action, number, field, select } from '../ui.js';
import { replayReport } from './policy-preview.js';

export async function feedsPage(main, { session }) {
  const status = h('div', { 'aria-live': 'polite' });
  const listBox = h('div');
  const detailBox = h('div');
  let selected = null;
  mount(main, h('div.page-head', h('h1', 'Threat feeds')),
    h('p.muted', 'Each feed is a layer on the nodes its selector matches: connections to its indicators are denied or alerted on for every application. A failed sync keeps the last good set in force. Add and remove feeds with sluice feeds.'),
    status, panel('Feeds', listBox), detailBox, session.can('admin') ? previewForm() : null);

  // Before a feed is added (or to change one of the same name): fetch it as a sync would and
  // replay the last 7 days of the nodes it targets with its layer. Nothing is stored until Add.
  function previewForm() {
    const name = h('input', { name: 'feed-name', placeholder: 'blocklist', required: true });
    const url = h('input', { name: 'feed-url', placeholder: 'https://… or /path/on/server', size: 48 });
    const kind = select('feed-kind', [['list', 'list'], ['taxii', 'TAXII 2.1']], 'list');
    const format = select('feed-format', ['list', 'hosts', 'spamhaus-drop', 'feodo-csv', 'feodo-json'].map((f) => [f, f]), 'list');
    const collection = h('input', { name: 'feed-collection', placeholder: 'TAXII collection id' });
    const feedAction = select('feed-action', [['deny', 'deny'], ['alert', 'alert']], 'deny');
    const labels = h('input', { name: 'feed-labels', placeholder: 'env=prod, role=web (all nodes when empty)' });
    const result = h('div');
    const onError = (e) => mount(result, errorBanner(e));
    function request() {
      const selector = {};
      for (const pair of labels.value.split(',').map((p) => p.trim()).filter(Boolean)) {
        const [key, ...rest] = pair.split('=');
        selector[key.trim()] = rest.join('=').trim();
      }
      const taxii = kind.value === 'taxii';
      return { name: name.value.trim(), kind: kind.value, url: url.value.trim(), action: feedAction.value, node_selector: selector,
        ...(taxii ? { collection: collection.value.trim() } : { format: format.value }) };
    }
    async function add(body) {
      await api.post('/feeds', body);
      mount(result, banner('ok', `Added feed ${body.name}; its first sync runs now.`));
      await load();
    }
    function preview() {
      const body = request();
      mount(result, replayReport(api.post('/feeds/preview', body, { since: '7d' }), `What feed ${body.name} would have done`, 'This feed'),
        h('div.actions', action(`Add feed ${body.name}`, () => add(body), { kind: 'primary', onError, name: 'add-feed' })));
    }
    return panel('Preview a feed before adding it',
      h('div.form-grid', field('Name', name), field('Kind', kind), field('URL or file', url), field('List format', format),
        field('TAXII collection', collection), field('Action', feedAction), field('Nodes with labels', labels)),
      h('div.actions', action('Preview', preview, { kind: 'primary', onError, name: 'preview-feed' })),
      h('p.muted', 'Credentials for a feed are set with sluice feeds add (--user, --bearer).'),
      result);
  }

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
      const impact = h('div');
      const onError = (e) => mount(impact, errorBanner(e));
      // What the layer in force decides: the last 7 days replayed with it and without it, so
      // each change is one the feed made ("newly allowed" without it).
      const replay = () => mount(impact, replayReport(api.post(`/feeds/${encodeURIComponent(feed.name)}/impact`, undefined, { since: '7d' }),
        `What removing feed ${feed.name} would change`, `Removing feed ${feed.name}`));
      mount(detailBox, session.can('operator') ? panel(`What ${feed.name} decides`,
        h('div.actions', action('Replay the last 7 days', replay, { onError, name: 'feed-impact' })), impact) : null,
      panel(`Newest indicators of ${feed.name}`, table([
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
