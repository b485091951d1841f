import { describe, expect, it } from 'vitest';
import { MemoryStorage, manualClock } from '../../src/memory.js';
import { emptyRecord } from '../../src/record/schema.js';
import { BAD_TIMES } from '../_bad-inputs.js';

describe('manualClock', () => {
  it('stands still until moved', () => {
    const clock = manualClock(new Date('2026-01-01T00:00:00Z'));
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    clock.advance(30_000);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:30.000Z');
    clock.set(Date.UTC(2027, 0, 1));
    expect(clock.now().getTime()).toBe(Date.UTC(2027, 0, 1));
  });

  it('hands out fresh Date objects', () => {
    const clock = manualClock(1000);
    const d = clock.now();
    d.setTime(0);
    expect(clock.now().getTime()).toBe(1000);
  });

  it.each(BAD_TIMES.map((b) => [b.name, b.value]))('refuses a bad start (%s)', (_name, value) => {
    expect(() => manualClock(value as never)).toThrow(/expected/);
  });

  it('refuses to advance by a non-integer or to before 1970', () => {
    const clock = manualClock(1000);
    expect(() => clock.advance(Number.NaN)).toThrow(TypeError);
    expect(() => clock.advance(0.5)).toThrow(TypeError);
    expect(() => clock.advance(-2000)).toThrow(RangeError);
    expect(clock.now().getTime()).toBe(1000);
  });
});

describe('MemoryStorage', () => {
  it('keeps JSON text at rest and lists agents', async () => {
    const storage = new MemoryStorage();
    expect(storage.raw('a')).toBeUndefined();
    expect(await storage.save('a', emptyRecord(5), null)).toBe(true);
    expect(JSON.parse(storage.raw('a')!)).toEqual(emptyRecord(5));
    expect(storage.agentIds()).toEqual(['a']);
    storage.clear();
    expect(await storage.load('a')).toBeNull();
  });

  it('refuses an empty or non-string agent id', async () => {
    const storage = new MemoryStorage();
    await expect(storage.load('')).rejects.toThrow(TypeError);
    await expect(storage.save(42 as never, emptyRecord(0), null)).rejects.toThrow(TypeError);
  });
});
