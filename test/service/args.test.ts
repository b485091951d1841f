/** The shared argument checks, src/service/args.ts. */
import { describe, expect, it } from 'vitest';
import { accountArg, agentIdArg, dateOrNull, flagArg } from '../../src/service/args.js';

describe('agentIdArg', () => {
  it.each(['a', 'agent-42', 'ünïcødé', '🙂', 'x'.repeat(256), ' padded '])('accepts %j', (id) => {
    expect(agentIdArg(id)).toBe(id);
  });
  it.each([
    ['empty', ''], ['blank', '   '], ['too long', 'x'.repeat(257)], ['a lone high surrogate', 'a\uD800'], ['a lone low surrogate', '\uDC00b'],
    ['a number', 42], ['null', null], ['undefined', undefined], ['an object', {}],
  ])('refuses %s with a TypeError that does not echo it', (_name, value) => {
    expect(() => agentIdArg(value)).toThrow(TypeError);
    try {
      agentIdArg(value);
    } catch (e) {
      if (typeof value === 'string' && value.trim() !== '') expect((e as Error).message).not.toContain(value);
    }
  });
});

describe('accountArg, flagArg, dateOrNull', () => {
  it('account: a non-blank string', () => {
    expect(accountArg('ann@example.com')).toBe('ann@example.com');
    for (const bad of ['', '  ', 7, null]) expect(() => accountArg(bad)).toThrow(TypeError);
  });
  it('flag: absent is false, a boolean is itself, anything else a TypeError naming the option', () => {
    expect([flagArg('f', undefined), flagArg('f', false), flagArg('f', true)]).toEqual([false, false, true]);
    for (const bad of ['true', 1, null, {}]) expect(() => flagArg('sessionVerified', bad)).toThrow(/"sessionVerified" expected a boolean/);
  });
  it('dateOrNull', () => {
    expect(dateOrNull(null)).toBeNull();
    expect(dateOrNull(0)).toEqual(new Date(0));
  });
});
