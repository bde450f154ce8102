import { workflowInfo } from '@temporalio/workflow';
import { envelopes } from '../domain/event-log';
import type { EventContext, EventDraft } from '../domain/event-log';
import type { EventEnvelope, ResolvedIdentity } from '../domain/events';
import type { SprintProgress } from '../domain/progress';
import { startEventShipper } from './event-shipper';
import type { EventShipper } from './event-shipper';
import { now } from './clock';

/**
 * Numbers, tags and ships the events of a sprint. Drafts that come before the identity is
 * known wait for it; the sequence lives in the sprint state so it stays gapless across runs.
 */
export function eventStream(get: () => SprintProgress, set: (next: SprintProgress) => void) {
  let context: EventContext | undefined;
  let shipper: EventShipper | undefined;
  const waiting: EventDraft[] = [];

  const emit = (drafts: EventDraft[]): void => {
    if (drafts.length === 0) return;
    if (!context || !shipper) {
      waiting.push(...drafts);
      return;
    }
    const state = get();
    const tagged = envelopes(drafts, context, state.eventSequence, now());
    set({ ...state, eventSequence: state.eventSequence + tagged.length });
    shipper.push(tagged);
  };

  return {
    emit,
    /** `carried`: a continued run's events from the run before; the sprint has started already. */
    start(resolved: ResolvedIdentity, carried?: EventEnvelope[]): void {
      const info = workflowInfo();
      const state = get();
      context = {
        workflowId: info.workflowId,
        runId: info.runId,
        sprintId: state.id,
        identity: resolved.identity,
      };
      shipper = startEventShipper(resolved.send, carried);
      if (carried) {
        emit(waiting.splice(0));
        return;
      }
      emit([
        {
          type: 'SprintStarted',
          attempt: 1,
          payload: {
            title: state.title,
            packages: state.packages.length,
            waves: state.waves,
            strategy: state.strategy,
            scope: state.scope,
          },
        },
      ]);
      emit(waiting.splice(0));
    },
    /** Brings shipping to rest for a hand-over to the sprint's next run. */
    async pause(): Promise<void> {
      await shipper?.pause();
    },
    unsent: (): EventEnvelope[] => shipper?.unsent() ?? [],
    async finish(): Promise<void> {
      await shipper?.finish(get().id, workflowInfo().runId);
    },
  };
}
