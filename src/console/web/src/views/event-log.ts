/// <reference lib="dom" />
import type { CampaignModel } from '../campaign-model.ts';
import { h, timeOf } from '../dom.ts';

/** The event log, newest first: faults, operator actions, state changes, trial outcomes, model refits. */
export class EventLog {
  readonly el = h('ol', { id: 'event-log', class: 'event-log' });
  private lastSeq = 0;

  update(model: CampaignModel): void {
    const fresh = model.log.filter((e) => e.seq > this.lastSeq);
    if (fresh.length === 0) return;
    this.lastSeq = fresh[fresh.length - 1]?.seq ?? this.lastSeq;
    for (const e of fresh) this.el.prepend(h('li', { class: `log-${e.kind}`, 'data-seq': e.seq }, h('time', {}, timeOf(e.time)), ' ', e.text));
    while (this.el.childElementCount > 400) this.el.lastElementChild?.remove();
  }
}
