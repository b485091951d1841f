// hashEmailCode / checkEmailCode / emailPepper: both storage forms, differential against
// node:crypto, untrusted input. (The constant-time comparison itself: test/bytes.test.ts.)
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TwoFactorError, type RandomSource } from '../../src/index.js';
import { checkEmailCode, emailPepper, hashEmailCode, type EmailCodeHash } from '../../src/email/hash.js';
import { BAD_VALUES } from '../_bad-inputs.js';
import { sha256Stream } from './_stats.js';

const PEPPER = new TextEncoder().encode('pepper-pepper-pepper-pepper-32by');
const OTHER_PEPPER = new TextEncoder().encode('another-pepper-of-32-bytes-long!');
const counting: RandomSource = (bytes) => {
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i + 1) & 0xff;
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('hashEmailCode', () => {
  it('with a pepper: HMAC-SHA-256(pepper, code), salt null (node:crypto agrees)', () => {
    const h = hashEmailCode('012345', { pepper: PEPPER });
    expect(h.salt).toBeNull();
    expect(h.hash).toBe(createHmac('sha256', PEPPER).update('012345').digest('hex'));
  });

  it('without: 16 random bytes of salt, SHA-256(salt || code) (node:crypto agrees)', () => {
    const h = hashEmailCode('012345', { random: counting });
    const salt = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    expect(h.salt).toBe(hex(salt));
    expect(h.hash).toBe(createHash('sha256').update(salt).update('012345').digest('hex'));
  });

  it('structure: a 64-hex hash and a 32-hex salt or null; nothing else is kept', () => {
    const salted = hashEmailCode('9876543210', {});
    expect(Object.keys(salted).sort()).toEqual(['hash', 'salt']);
    expect(salted.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(salted.salt).toMatch(/^[0-9a-f]{32}$/);
    const peppered = hashEmailCode('9876543210', { pepper: PEPPER });
    expect(Object.keys(peppered).sort()).toEqual(['hash', 'salt']);
    expect(peppered.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a fresh salt every time, so equal codes get different hashes', () => {
    const a = hashEmailCode('123456', {});
    const b = hashEmailCode('123456', {});
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
  });

  it('a pepper given as a string hashes like its UTF-8 bytes', () => {
    const text = 'pepper-pepper-pepper-pepper-32by';
    expect(hashEmailCode('123456', { pepper: text })).toEqual(hashEmailCode('123456', { pepper: PEPPER }));
  });

  it('the pepper path ignores (but checks) random', () => {
    expect(hashEmailCode('123456', { pepper: PEPPER, random: counting })).toEqual(hashEmailCode('123456', { pepper: PEPPER }));
    expect(() => hashEmailCode('123456', { pepper: PEPPER, random: 5 as never })).toThrow(TypeError);
  });

  it('a random source that fills nothing is refused (no all-zero salt)', () => {
    expect(() => hashEmailCode('123456', { random: () => {} })).toThrow('"random" left every byte zero');
  });

  it.each(BAD_VALUES.map((b) => ({ label: b.name, value: b.value })))('bad code $label: TypeError, not echoed', ({ value }) => {
    let error: unknown;
    try {
      hashEmailCode(value as never, { pepper: PEPPER });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    if (typeof value === 'string' && value.trim().length > 0) expect((error as Error).message).not.toContain(value.slice(0, 6));
  });

  it.each(['12345', '12345678901', ' 123456', '123 456', '１２３４５６'])('code %j is not a generated code: TypeError', (code) => {
    expect(() => hashEmailCode(code, {})).toThrow(TypeError);
  });

  it('options must be an object', () => {
    expect(() => hashEmailCode('123456', null as never)).toThrow(TypeError);
    expect(() => hashEmailCode('123456', 'pepper' as never)).toThrow(TypeError);
  });
});

describe('checkEmailCode', () => {
  const peppered = hashEmailCode('048213', { pepper: PEPPER });
  const salted = hashEmailCode('048213', { random: sha256Stream('salt') });

  it.each([
    ['peppered', peppered],
    ['salted', salted],
  ] as const)('%s: the right code matches, a wrong one does not', (_, stored) => {
    expect(checkEmailCode('048213', 6, stored, PEPPER)).toBe('match');
    expect(checkEmailCode('048214', 6, stored, PEPPER)).toBe('mismatch');
    expect(checkEmailCode('148213', 6, stored, PEPPER)).toBe('mismatch');
    expect(checkEmailCode('000000', 6, stored, PEPPER)).toBe('mismatch');
  });

  it('a different pepper: mismatch', () => {
    expect(checkEmailCode('048213', 6, peppered, OTHER_PEPPER)).toBe('mismatch');
  });

  it('a different salt: mismatch', () => {
    const otherSalt = hashEmailCode('999999', { random: counting }).salt;
    expect(checkEmailCode('048213', 6, { hash: salted.hash, salt: otherSalt })).toBe('mismatch');
  });

  it('the stored form wins: a salted hash is checked as salted even when a pepper is given', () => {
    expect(checkEmailCode('048213', 6, salted)).toBe('match');
    expect(checkEmailCode('048213', 6, salted, OTHER_PEPPER)).toBe('match');
  });

  it('a peppered hash without the pepper is a programmer error', () => {
    expect(() => checkEmailCode('048213', 6, peppered)).toThrow(TypeError);
    expect(() => checkEmailCode('048213', 6, peppered)).toThrow('"pepper" required');
  });

  it('surrounding whitespace and inner ASCII spaces are ignored', () => {
    for (const input of [' 048213 ', '048 213', '0 4 8 2 1 3', '\t048213\n', '048  213']) {
      expect(checkEmailCode(input, 6, peppered, PEPPER)).toBe('match');
    }
  });

  it.each([
    ['too short', '04821'],
    ['too long', '0482130'],
    ['a tab inside', '048\t213'],
    ['a dash inside', '048-213'],
    ['a non-breaking space inside', '048\u00a0213'],
    ['full-width digits', '０４８２１３'],
    ['Arabic-Indic digits', '٠٤٨٢١٣'],
    ['65 characters, even if they are spaces around a good code', `048213${' '.repeat(59)}`],
  ])('%s is malformed', (_, input) => {
    expect(checkEmailCode(input, 6, peppered, PEPPER)).toBe('malformed');
  });

  it('64 characters with the code inside is still checked', () => {
    expect(checkEmailCode(`048213${' '.repeat(58)}`, 6, peppered, PEPPER)).toBe('match');
  });

  it('the digits given decide the length', () => {
    const ten = hashEmailCode('0123456789', { pepper: PEPPER });
    expect(checkEmailCode('0123456789', 10, ten, PEPPER)).toBe('match');
    expect(checkEmailCode('0123456789', 8, ten, PEPPER)).toBe('malformed');
    expect(checkEmailCode('01234567', 8, ten, PEPPER)).toBe('mismatch');
  });

  it.each(BAD_VALUES.map((b) => ({ label: b.name, value: b.value })))('bad input $label: malformed', ({ value }) => {
    // Every listed value is a bad code, so none may match or throw, on either storage form.
    expect(checkEmailCode(value, 6, peppered, PEPPER)).toBe('malformed');
    expect(checkEmailCode(value, 6, salted)).toBe('malformed');
  });

  it('a non-string is malformed before the other arguments are looked at', () => {
    expect(checkEmailCode(123456, 99, null as never)).toBe('malformed');
    expect(checkEmailCode('1'.repeat(65), 99, null as never)).toBe('malformed');
  });

  it.each(BAD_VALUES.map((b) => ({ label: b.name, value: b.value })))('bad digits $label', ({ value }) => {
    const isInt = typeof value === 'number' && Number.isInteger(value);
    expect(() => checkEmailCode('048213', value as never, peppered, PEPPER)).toThrow(isInt ? RangeError : TypeError);
  });

  it.each(BAD_VALUES.map((b) => ({ label: b.name, value: b.value })))('bad pepper $label', ({ value }) => {
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value).length : 0;
    if (value === undefined) {
      expect(checkEmailCode('048213', 6, salted, value)).toBe('match');
    } else if (typeof value === 'string' && bytes >= 16 && !/\p{Cs}/u.test(value)) {
      // A long enough string is a valid pepper: unused for a salted hash, wrong for a peppered one.
      expect(checkEmailCode('048213', 6, salted, value)).toBe('match');
      expect(checkEmailCode('048213', 6, peppered, value)).toBe('mismatch');
    } else {
      const error = typeof value === 'string' && !/\p{Cs}/u.test(value) ? RangeError : TypeError;
      expect(() => checkEmailCode('048213', 6, salted, value as never)).toThrow(error);
    }
  });

  it.each(BAD_VALUES.map((b) => ({ label: b.name, value: b.value })))('bad stored $label', ({ value }) => {
    const notAnObject = value === null || typeof value !== 'object' || Array.isArray(value);
    let error: unknown;
    try {
      checkEmailCode('048213', 6, value as never, PEPPER);
    } catch (e) {
      error = e;
    }
    if (notAnObject) expect(error).toBeInstanceOf(TypeError);
    else expect((error as TwoFactorError).code).toBe('INVALID_RECORD');
  });

  it.each([
    ['hash too short', { hash: 'ab', salt: null }],
    ['hash not hex', { hash: 'z'.repeat(64), salt: null }],
    ['hash missing', { salt: null }],
    ['salt too short', { hash: 'a'.repeat(64), salt: 'abcd' }],
    ['salt odd length', { hash: 'a'.repeat(64), salt: 'a'.repeat(33) }],
    ['salt not hex', { hash: 'a'.repeat(64), salt: 'g'.repeat(32) }],
    ['salt a number', { hash: 'a'.repeat(64), salt: 5 }],
  ])('stored %s: TwoFactorError INVALID_RECORD', (_, stored) => {
    expect(() => checkEmailCode('048213', 6, stored as never, PEPPER)).toThrow(TwoFactorError);
  });

  it('upper-case hex in storage is read the same', () => {
    const upper: EmailCodeHash = { hash: salted.hash.toUpperCase(), salt: salted.salt!.toUpperCase() };
    expect(checkEmailCode('048213', 6, upper)).toBe('match');
  });

  it('property: a code matches its own hash and no other code of its length', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 6, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 10, maxLength: 10 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        (digits, pool, position, bump, usePepper) => {
          const code = pool.slice(0, digits).join('');
          const stored = hashEmailCode(code, usePepper ? { pepper: PEPPER } : {});
          const i = position % digits;
          const other = code.slice(0, i) + String((Number(code[i]) + bump) % 10) + code.slice(i + 1);
          expect(checkEmailCode(code, digits, stored, PEPPER)).toBe('match');
          expect(checkEmailCode(other, digits, stored, PEPPER)).toBe('mismatch');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('emailPepper', () => {
  it('returns a copy of the bytes', () => {
    const input = PEPPER.slice();
    const out = emailPepper(input);
    expect(out).toEqual(PEPPER);
    input[0] = 0;
    expect(out[0]).toBe(PEPPER[0]);
    out[1] = 0;
    expect(input[1]).toBe(PEPPER[1]);
  });

  it('takes a string as UTF-8, a Buffer as a plain Uint8Array', () => {
    expect(emailPepper('é'.repeat(8))).toEqual(new TextEncoder().encode('é'.repeat(8)));
    const fromBuffer = emailPepper(Buffer.from(PEPPER));
    expect(fromBuffer).toEqual(PEPPER);
    expect(Buffer.isBuffer(fromBuffer)).toBe(false);
  });

  it.each([
    ['15 bytes', new Uint8Array(15).fill(1), RangeError],
    ['15 characters', 'x'.repeat(15), RangeError],
    ['16 zero bytes', new Uint8Array(16), RangeError],
    ['a number', 12345678901234567, TypeError],
    ['an array of numbers', Array.from({ length: 32 }, () => 7), TypeError],
    ['an ArrayBuffer', new ArrayBuffer(32), TypeError],
    ['a lone surrogate', `${'x'.repeat(20)}\ud800`, TypeError],
    ['null', null, TypeError],
  ])('%s is refused', (_, value, error) => {
    expect(() => emailPepper(value)).toThrow(error);
  });

  it('accepts exactly 16 bytes', () => {
    expect(emailPepper('0123456789abcdef')).toHaveLength(16);
  });

  it('messages never contain the value', () => {
    const secretish = 'sup3r-s3cret';
    for (const value of [secretish, `${secretish}\ud800${secretish}`]) {
      try {
        emailPepper(value);
        throw new Error('accepted');
      } catch (e) {
        expect((e as Error).message).not.toContain(secretish);
      }
    }
  });
});
