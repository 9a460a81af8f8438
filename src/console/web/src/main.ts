/// <reference lib="dom" />
import './styles.css';
import type { HelloMessage } from '../../console-protocol.ts';
import { ApiError, getJson, tokenStore } from './api.ts';
import { byId, clear, h } from './dom.ts';
import type { ConnectionState } from './live.ts';
import { CampaignList } from './views/campaign-list.ts';
import { CampaignPage } from './views/campaign-page.ts';

/**
 * Entry point: a token prompt when the server asks for one, then a hash router — `#/` campaigns, `#/campaign/<id>`.
 * `window.labloop` exposes the current page's model and connection for debugging and the end-to-end tests.
 */
interface DebugHandle {
  page: CampaignPage | undefined;
}
declare global {
  interface Window {
    labloop: DebugHandle;
  }
}

const app = byId('app');
const connection = byId('connection');
const whoami = byId('whoami');
const crumbs = byId('crumbs');
let current: { destroy(): void } | undefined;
window.labloop = { page: undefined };

function setConnection(state: ConnectionState, detail?: string): void {
  connection.dataset.state = state;
  connection.textContent = detail && state !== 'live' ? `${state}: ${detail}` : state;
  if (state === 'refused') showLogin(detail ?? 'the server refused the token');
}

function setWho(hello: HelloMessage): void {
  whoami.textContent = `${hello.actor} (${hello.role})`;
  whoami.dataset.role = hello.role;
  document.body.classList.toggle('insecure', hello.insecure);
}

function showLogin(reason: string): void {
  current?.destroy();
  current = undefined;
  window.labloop.page = undefined;
  clear(app);
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', placeholder: 'console token', size: 40 });
  const form = h(
    'form',
    { id: 'login', class: 'panel login' },
    h('h2', {}, 'Sign in'),
    h('p', { class: 'muted' }, reason),
    h('label', {}, 'token ', input),
    h('button', { type: 'submit' }, 'open console'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    tokenStore.set(input.value.trim());
    void route();
  });
  app.append(form);
  input.focus();
}

async function route(): Promise<void> {
  try {
    const me = await getJson<HelloMessage>('/api/me');
    setWho(me);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      tokenStore.clear();
      showLogin(e.message);
      return;
    }
    setConnection('offline', (e as Error).message);
    return;
  }
  current?.destroy();
  window.labloop.page = undefined;
  const m = /^#\/campaign\/(.+)$/.exec(location.hash);
  clear(crumbs);
  if (m?.[1]) {
    const id = decodeURIComponent(m[1]);
    crumbs.append(h('a', { href: '#/' }, 'campaigns'), ' / ', id);
    const page = new CampaignPage(app, id, { setConnection, setWho });
    current = page;
    window.labloop.page = page;
  } else {
    current = new CampaignList(app, (e) => setConnection('offline', e.message));
    setConnection('idle', 'campaign list');
  }
}

window.addEventListener('hashchange', () => void route());
void route();
