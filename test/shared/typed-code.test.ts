/** The typed-code parser of src/typed-code.ts, shared by TOTP and email codes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { _formatCode, _parseCode } from '../../src/shared/typed-code.js';

describe('_parseCode', () => {
  it.each([
    ['six digits', '123456', 6, 123456],
    ['leading zeros', '004219', 6, 4219],
    ['surrounding whitespace', ' \t123456\n', 6, 123456],
    ['inner ASCII spaces', '123 456', 6, 123456],
    ['spaces everywhere', '1 2 3 4 5 6', 6, 123456],
    ['ten digits', '9876543210', 10, 9876543210],
    ['too short', '12345', 6, -1],
    ['too long', '1234567', 6, -1],
    ['a tab inside', '123\t456', 6, -1],
    ['a dash inside', '123-456', 6, -1],
    ['a non-breaking space inside', '123\u00a0456', 6, -1],
    ['full-width digits', '１２３４５６', 6, -1],
    ['Arabic-Indic digits', '٠١٢٣٤٥', 6, -1],
    ['a letter', '12345a', 6, -1],
    ['empty', '', 6, -1],
    ['only spaces', '      ', 6, -1],
  ])('%s: %j with %i digits is %i', (_, text, digits, value) => {
    expect(_parseCode(text, digits)).toBe(value);
  });

  it('property: formatting a value and parsing it back gives the value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 6, max: 10 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (digits, f) => {
        const value = Math.floor(f * 10 ** digits);
        const text = _formatCode(value, digits);
        expect(text).toHaveLength(digits);
        expect(_parseCode(text, digits)).toBe(value);
        expect(_parseCode(text, digits + 1)).toBe(-1);
      }),
    );
  });
});

describe('_formatCode', () => {
  it('pads with zeros to the length', () => {
    expect(_formatCode(4219, 6)).toBe('004219');
    expect(_formatCode(0, 8)).toBe('00000000');
    expect(_formatCode(12345678, 8)).toBe('12345678');
  });
});
