/** `TwoFactorError`, src/errors.ts: a stable code, the cause kept, a recognisable name. */
import { describe, expect, it } from 'vitest';
import { isTwoFactorError, TwoFactorError } from '../src/index.js';
import { decodeBase32 } from '../src/otp/base32.js';

describe('TwoFactorError', () => {
  it('carries its code, message, name and cause, and is an Error', () => {
    const cause = new Error('disk full');
    const e = new TwoFactorError('STORAGE_FAILED', 'storage.save failed', { cause });
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.code, e.message, e.cause]).toEqual(['TwoFactorError', 'STORAGE_FAILED', 'storage.save failed', cause]);
    expect(String(e)).toBe('TwoFactorError: storage.save failed');
    expect(e.stack).toContain('TwoFactorError');
  });

  it('has no cause property when none is given (not an undefined one)', () => {
    expect('cause' in new TwoFactorError('INVALID_URI', 'x')).toBe(false);
  });

  it('is what bad external data throws, with the code a host can switch on', () => {
    let caught: unknown;
    try {
      decodeBase32('not base32 at all 1!');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TwoFactorError);
    expect((caught as TwoFactorError).code).toBe('INVALID_SECRET');
  });
});

describe('isTwoFactorError across copies of the package (ESM and CJS builds in one process)', () => {
  it('recognises errors from both builds, where instanceof fails across them', async () => {
    const { build } = await import('esbuild');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createRequire } = await import('node:module');
    const { pathToFileURL } = await import('node:url');
    const dir = mkdtempSync(join(tmpdir(), 'twofold-brand-'));
    try {
      const entry = new URL('../src/index.ts', import.meta.url).pathname;
      await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: join(dir, 'index.mjs'), logLevel: 'silent' });
      await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: join(dir, 'index.cjs'), logLevel: 'silent' });
      type Lib = typeof import('../src/index.js');
      const esm = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as Lib;
      const cjs = createRequire(import.meta.url)(join(dir, 'index.cjs')) as Lib;
      expect(esm.TwoFactorError).not.toBe(cjs.TwoFactorError); // really two copies

      const fromEsm = new esm.TwoFactorError('INVALID_URI', 'x');
      let fromCjs: unknown;
      try {
        cjs.decodeBase32('!!');
      } catch (e) {
        fromCjs = e;
      }
      expect(fromCjs instanceof esm.TwoFactorError).toBe(false);
      expect(fromEsm instanceof cjs.TwoFactorError).toBe(false);
      for (const check of [esm.isTwoFactorError, cjs.isTwoFactorError, isTwoFactorError]) {
        expect(check(fromEsm)).toBe(true);
        expect(check(fromCjs)).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['a plain Error', new Error('x')],
    ['a TypeError', new TypeError('x')],
    ['an object that copies the fields', { name: 'TwoFactorError', code: 'INVALID_URI', message: 'x' }],
    ['an object with another symbol', { [Symbol('twofold.TwoFactorError')]: true }],
    ['a brand that is not true', { [Symbol.for('twofold.TwoFactorError')]: 1 }],
    ['null', null],
    ['a string', 'TwoFactorError'],
  ])('is false for %s', (_name, value) => {
    expect(isTwoFactorError(value)).toBe(false);
  });

  it('the brand is not enumerable: JSON and spreads of an error do not carry it', () => {
    const e = new TwoFactorError('INVALID_URI', 'x');
    expect(Object.getOwnPropertySymbols(e).every((s) => !Object.prototype.propertyIsEnumerable.call(e, s))).toBe(true);
    expect(isTwoFactorError({ ...e })).toBe(false);
  });
});
