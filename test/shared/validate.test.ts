/**
 * The argument checks of src/_validate.ts: no error message echoes an input string, however
 * short (a six-digit code passed where a method name belongs must not reach a log).
 */
import { describe, expect, it } from 'vitest';
import { _describe, _oneOf } from '../../src/shared/validate.js';
import { buildKeyUri } from '../../src/otp/uri.js';
import { parseKeyUri } from '../../src/otp/uri-parse.js';
import { harness } from '../support/harness.js';

const CODE = '492039';

describe('no error message echoes an input string', () => {
  it('_describe says only the type and length of a string', () => {
    expect(_describe(CODE)).toBe('a string of length 6');
    expect(_describe('')).toBe('a string of length 0');
  });

  it.each(['', 'x', CODE, 'sms', 'totp ', 'a'.repeat(16), 'a'.repeat(17)])('_oneOf with %j', (value) => {
    let message = '';
    try {
      _oneOf('method', value, ['totp', 'email'] as const);
    } catch (error) {
      expect(error).toBeInstanceOf(RangeError);
      message = (error as Error).message;
    }
    expect(message).toBe(`"method" expected one of 'totp', 'email', got a string of length ${value.length}`);
  });

  it('a code passed as a method, a URI type or a URI number stays out of every message', async () => {
    const messages: string[] = [];
    const { tf } = harness();
    await tf.admin.remove('a', { method: CODE as never }).catch((e: Error) => messages.push(e.message));
    try { buildKeyUri({ account: 'a', secret: 'JBSWY3DPEHPK3PXP', type: CODE as never }); } catch (e) { messages.push((e as Error).message); }
    try { parseKeyUri(`otpauth://${CODE}/a?secret=JBSWY3DPEHPK3PXP`); } catch (e) { messages.push((e as Error).message); }
    try { parseKeyUri(`otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=${CODE}0000`); } catch (e) { messages.push((e as Error).message); }
    try { parseKeyUri(`otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&digits=${CODE}`); } catch (e) { messages.push((e as Error).message); }
    expect(messages).toHaveLength(5);
    for (const m of messages) expect(m).not.toContain(CODE);
  });
});
