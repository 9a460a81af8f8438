/// <reference lib="dom" />
import type { CampaignListItem, DormantStatus } from '../../../ports.ts';
import { getJson, postCommand } from '../api.ts';
import { clear, h, timeOf } from '../dom.ts';

type Item = CampaignListItem & { controllable: boolean; dormant?: DormantStatus | null };

/** Every campaign in the database, refreshed every few seconds. */
export class CampaignList {
  private timer: number | undefined;
  private readonly body = h('tbody');
  private readonly note = h('p', { class: 'muted' }, 'loading…');
  private readonly status = h('div', { id: 'list-status', role: 'status', 'aria-live': 'polite' });

  constructor(root: HTMLElement, private readonly onError: (e: Error) => void) {
    clear(root);
    root.append(
      h('section', { class: 'panel wide' }, h('h2', {}, 'Campaigns'), this.note, this.status, h('table', { id: 'campaigns', class: 'trials' }, h('thead', {}, h('tr', {}, ...['campaign', 'title', 'state', 'trials', 'completed', 'failed', 'documents', 'updated', ''].map((t) => h('th', {}, t)))), this.body)),
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
            h('td', {}, h('span', { class: `badge ${c.dormant ?? c.state}`, 'data-status': c.dormant ?? c.state }, c.dormant ?? c.state)),
            h('td', { class: 'num' }, c.trialTotal),
            h('td', { class: 'num' }, c.trialCounts.completed ?? 0),
            h('td', { class: 'num' }, c.trialCounts.failed ?? 0),
            h('td', { class: 'num' }, c.lastSeq),
            h('td', {}, timeOf(c.updatedAt)),
            h('td', { class: 'row-actions' }, ...this.actions(c)),
          ),
        );
      }
    } catch (e) {
      this.onError(e as Error);
    }
  }

  /** Interrupted, paused or awaiting-recovery campaigns nobody runs: resume, or abort after a confirmation. */
  private actions(c: Item): (HTMLElement | string)[] {
    if (!c.dormant) return [c.controllable ? h('span', { class: 'badge running' }, 'controlled here') : ''];
    const act = async (action: 'resume' | 'abort'): Promise<void> => {
      if (action === 'abort' && !window.confirm(`Abort campaign ${c.id}? Its open trials are abandoned and it cannot be resumed.`)) return;
      this.status.textContent = `${action} ${c.id}…`;
      const reply = await postCommand({ action, campaignId: c.id });
      this.status.dataset.ok = String(reply.ok);
      this.status.textContent = reply.ok ? `${action} ${c.id}: accepted${reply.detail ? ` — ${reply.detail}` : ''}` : `${action} ${c.id}: refused — ${reply.error}`;
      await this.refresh();
    };
    return [h('button', { class: 'small resume', 'data-action': 'resume', onclick: () => void act('resume') }, 'resume'), ' ', h('button', { class: 'small abort', 'data-action': 'abort', onclick: () => void act('abort') }, 'abort')];
  }

  destroy(): void {
    if (this.timer !== undefined) window.clearInterval(this.timer);
  }
}
