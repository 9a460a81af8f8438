/// <reference lib="dom" />
import type { CampaignListItem } from '../../../ports.ts';
import { getJson } from '../api.ts';
import { clear, h, timeOf } from '../dom.ts';

type Item = CampaignListItem & { controllable: boolean };

/** Every campaign in the database, refreshed every few seconds. */
export class CampaignList {
  private timer: number | undefined;
  private readonly body = h('tbody');
  private readonly note = h('p', { class: 'muted' }, 'loading…');

  constructor(root: HTMLElement, private readonly onError: (e: Error) => void) {
    clear(root);
    root.append(
      h('section', { class: 'panel wide' }, h('h2', {}, 'Campaigns'), this.note, h('table', { id: 'campaigns', class: 'trials' }, h('thead', {}, h('tr', {}, ...['campaign', 'title', 'state', 'trials', 'completed', 'failed', 'documents', 'updated', ''].map((t) => h('th', {}, t)))), this.body)),
    );
    void this.refresh();
    this.timer = window.setInterval(() => void this.refresh(), 3000);
  }

  private async refresh(): Promise<void> {
    try {
      const { campaigns } = await getJson<{ campaigns: Item[] }>('/api/campaigns');
      this.note.textContent = campaigns.length === 0 ? 'no campaign in the database yet' : '';
      clear(this.body);
      for (const c of [...campaigns].reverse()) {
        const href = `#/campaign/${encodeURIComponent(c.id)}`;
        this.body.append(
          h(
            'tr',
            { 'data-campaign-id': c.id },
            h('td', {}, h('a', { href }, c.id)),
            h('td', {}, c.title),
            h('td', {}, h('span', { class: `badge ${c.state}` }, c.state)),
            h('td', { class: 'num' }, c.trialTotal),
            h('td', { class: 'num' }, c.trialCounts.completed ?? 0),
            h('td', { class: 'num' }, c.trialCounts.failed ?? 0),
            h('td', { class: 'num' }, c.lastSeq),
            h('td', {}, timeOf(c.updatedAt)),
            h('td', {}, c.controllable ? h('span', { class: 'badge running' }, 'controlled here') : ''),
          ),
        );
      }
    } catch (e) {
      this.onError(e as Error);
    }
  }

  destroy(): void {
    if (this.timer !== undefined) window.clearInterval(this.timer);
  }
}
