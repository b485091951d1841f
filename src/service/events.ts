/**
 * Audit events: what a decision says happened (`EventDraft`), and `emitEvents`, which
 * stamps drafts with the agent and the time and hands them to `onEvent` after the change they
 * describe is saved. A failing sink never undoes or fails that change.
 * @module
 */
import type { TwoFactorEvent } from '../ports.js';
import type { ServiceConfig } from './options.js';

/** An event as a decision writes it: the service adds the agent id and the time. */
export type EventDraft = Omit<TwoFactorEvent, 'agentId' | 'at'>;

/** What one decision returns: a result, maybe a new record to save, maybe events. */
export interface Step<R, Record = unknown> {
  result: R;
  /** The record to save; omitted when nothing changed (no write happens). */
  record?: Record;
  events?: EventDraft[];
}

/** Sends each draft to `onEvent`; a throw or a rejection goes to `onEventError`. */
export function emitEvents(config: ServiceConfig, agentId: string, now: number, drafts: readonly EventDraft[] | undefined): void {
  const { onEvent } = config;
  if (onEvent === undefined || drafts === undefined) return;
  for (const draft of drafts) {
    const event: TwoFactorEvent = { ...draft, agentId, at: new Date(now) };
    // A failing audit sink must not undo or fail a change that is already saved.
    try {
      const pending = onEvent(event);
      if (pending && typeof (pending as Promise<void>).then === 'function') {
        (pending as Promise<void>).then(undefined, (error: unknown) => _report(config, error, event));
      }
    } catch (error) {
      _report(config, error, event);
    }
  }
}

function _report(config: ServiceConfig, error: unknown, event: TwoFactorEvent): void {
  try {
    config.onEventError(error, event);
  } catch {
    // The error reporter itself failed; there is nowhere left to report to.
  }
}
