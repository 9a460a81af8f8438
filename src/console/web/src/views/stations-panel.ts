/// <reference lib="dom" />
import { short, type CampaignModel } from '../campaign-model.ts';
import { clear, h, timeOf } from '../dom.ts';

/** One card per station pair: state, current run, last heartbeat, faults, quarantine, and the quarantine control. */
export class StationsPanel {
  readonly el = h('div', { id: 'stations', class: 'stations' });
  private shown = -1;

  constructor(private readonly act: (action: 'quarantine' | 'release', station: string) => void) {}

  update(model: CampaignModel, canAct: boolean): void {
    if (model.version === this.shown) return;
    this.shown = model.version;
    clear(this.el);
    const stations = [...model.stations.values()].sort((a, b) => a.id.localeCompare(b.id));
    if (stations.length === 0) this.el.append(h('p', { class: 'muted' }, 'no station has reported yet'));
    for (const s of stations) {
      const state = s.quarantined ? 'quarantined' : s.state;
      this.el.append(
        h(
          'div',
          { class: `station state-${state}`, 'data-station': s.id, 'data-state': state, 'data-faults': s.faults },
          h('div', { class: 'station-head' }, h('strong', {}, s.id), h('span', { class: `badge ${state}` }, state)),
          h('div', { class: 'muted small' }, s.device),
          h('div', {}, 'run: ', s.activeRunId ? `${short(s.activeRunId)}${s.activeTrialId ? ` (trial ${short(s.activeTrialId)})` : ''}` : '—'),
          h('div', {}, 'heartbeat: ', timeOf(s.lastHeartbeat)),
          h('div', { class: s.faults > 0 ? 'fault' : '' }, `faults: ${s.faults} (consecutive ${s.consecutiveFaults})`),
          s.lastFault ? h('div', { class: 'fault last-fault', title: s.lastFault.message }, `last: ${s.lastFault.code} at ${timeOf(s.lastFault.time)}`) : null,
          s.message ? h('div', { class: 'muted small' }, s.message) : null,
          canAct
            ? h(
                'button',
                { class: 'small', 'data-action': s.quarantined ? 'release' : 'quarantine', onclick: () => this.act(s.quarantined ? 'release' : 'quarantine', s.id) },
                s.quarantined ? 'release' : 'quarantine',
              )
            : null,
        ),
      );
    }
  }
}
