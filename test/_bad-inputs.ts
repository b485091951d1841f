/**
 * One shared list of hostile or malformed inputs, thrown at every public entry point.
 * Each entry point's test decides what "refused" means for it (a throw of a given class,
 * or an `{ ok: false }` / `{ valid: false }` result), but none may crash, hang or accept.
 */
export interface BadInput {
  readonly name: string;
  readonly value: unknown;
}

// Not base32 (`1` is outside the alphabet), far too long for a code, a URI or a secret.
const huge = '1'.repeat(1_000_000);

/** Values that are not strings at all, or are strings of the wrong kind. */
export const BAD_VALUES: readonly BadInput[] = [
  { name: 'undefined', value: undefined },
  { name: 'null', value: null },
  { name: 'empty string', value: '' },
  { name: 'whitespace only', value: '   \t\n' },
  { name: 'number', value: 123456 },
  { name: 'NaN', value: Number.NaN },
  { name: 'Infinity', value: Number.POSITIVE_INFINITY },
  { name: 'negative number', value: -1 },
  { name: 'fractional number', value: 1.5 },
  { name: 'bigint', value: 10n },
  { name: 'boolean', value: true },
  { name: 'object', value: { toString: () => '123456' } },
  { name: 'array', value: ['1', '2', '3', '4', '5', '6'] },
  { name: 'symbol', value: Symbol('x') },
  { name: 'function', value: () => '123456' },
  { name: 'huge string (1 MB)', value: huge },
  { name: 'Arabic-Indic digits', value: '١٢٣٤٥٦' },
  { name: 'full-width digits', value: '１２３４５６' },
  { name: 'Devanagari digits', value: '१२३४५६' },
  { name: 'digits with a trailing letter', value: '26920x' },
  { name: 'hex-looking', value: '0x1234' },
  { name: 'exponent form', value: '1e5' },
  { name: 'signed', value: '+12345' },
  { name: 'NUL byte inside', value: '123\u0000456' },
  { name: 'zero-width space inside', value: '123\u200b456' },
  { name: 'lone surrogate', value: '\ud800' },
];

/** Values for a time option (`at`, `now`): all invalid. */
export const BAD_TIMES: readonly BadInput[] = [
  { name: 'NaN', value: Number.NaN },
  { name: 'Infinity', value: Number.POSITIVE_INFINITY },
  { name: 'negative', value: -1 },
  { name: 'fractional', value: 1.5 },
  { name: 'invalid Date', value: new Date('nope') },
  { name: 'string', value: '2026-01-01' },
  { name: 'null', value: null },
  { name: 'bigint', value: 1n },
  { name: 'object', value: {} },
];
