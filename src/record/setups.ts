/**
 * Pending TOTP set-ups, each bound to the session that began it by a set-up token
 * whose hash is stored. At most {@link MAX_PENDING_SETUPS} are kept; older ones are dropped
 * to a short list of token hashes, so a confirmation with one says `setup-replaced`.
 * @module
 */
import type { AgentRecord, DroppedSetupRecord, TotpSetupRecord } from './schema.js';

/** Pending set-ups kept per agent (the oldest is dropped when a fourth begins). */
export const MAX_PENDING_SETUPS = 3;
/** Dropped token hashes remembered per agent, for the `setup-replaced` answer. */
export const MAX_DROPPED_SETUPS = 8;

/** What a set-up token points at. */
export type SetupLookup =
  | { kind: 'live'; setup: TotpSetupRecord }
  | { kind: 'expired' }
  | { kind: 'replaced' }
  | { kind: 'unknown' };

/**
 * Finds the set-up whose token hashes to `tokenHash`. `equal` compares two hex digests in
 * constant time (the caller supplies it, so this file stays free of hashing code).
 */
export function findSetup(record: AgentRecord, tokenHash: string, now: number, equal: (a: string, b: string) => boolean): SetupLookup {
  // Every entry is compared, so the time taken does not say which one matched.
  let live: TotpSetupRecord | undefined;
  let dropped: DroppedSetupRecord | undefined;
  for (const s of record.totpSetups) if (equal(s.tokenHash, tokenHash)) live = s;
  for (const d of record.droppedTotpSetups) if (equal(d.tokenHash, tokenHash)) dropped = d;
  if (live !== undefined) return now < live.expiresAt ? { kind: 'live', setup: live } : { kind: 'expired' };
  if (dropped !== undefined) return now < dropped.expiresAt ? { kind: 'replaced' } : { kind: 'expired' };
  return { kind: 'unknown' };
}

/**
 * A new pending set-up. Expired ones give up their secrets (only the token hash stays), and
 * beyond {@link MAX_PENDING_SETUPS} the oldest live one is dropped the same way.
 * Returns the record and whether a live set-up was pushed out.
 */
export function withSetupBegun(record: AgentRecord, now: number, setup: TotpSetupRecord): { record: AgentRecord; replaced: boolean } {
  const kept: TotpSetupRecord[] = [];
  const dropped: DroppedSetupRecord[] = [...record.droppedTotpSetups];
  for (const s of record.totpSetups) {
    if (now < s.expiresAt) kept.push(s);
    else dropped.push({ tokenHash: s.tokenHash, expiresAt: s.expiresAt });
  }
  kept.push(setup);
  let replaced = false;
  while (kept.length > MAX_PENDING_SETUPS) {
    const oldest = kept.shift()!;
    dropped.push({ tokenHash: oldest.tokenHash, expiresAt: oldest.expiresAt });
    replaced = true;
  }
  return {
    record: { ...record, totpSetups: kept, droppedTotpSetups: dropped.slice(-MAX_DROPPED_SETUPS), updatedAt: now },
    replaced,
  };
}

/** A refresh with a different account name: the live set-up shows the new one in its URI. */
export function withSetupAccount(record: AgentRecord, now: number, tokenHash: string, account: string): AgentRecord {
  return {
    ...record,
    totpSetups: record.totpSetups.map((s) => (s.tokenHash === tokenHash ? { ...s, account } : s)),
    updatedAt: now,
  };
}

/** The newest set-up that can still be confirmed at `now`, or `null`. */
export function newestLiveSetup(record: AgentRecord, now: number): TotpSetupRecord | null {
  for (let i = record.totpSetups.length - 1; i >= 0; i--) {
    const s = record.totpSetups[i]!;
    if (now < s.expiresAt) return s;
  }
  return null;
}
