/**
 * The assertion vocabulary: argument checks for programmer errors, used by every module (the
 * bounds they are given live in `limits.ts`). Messages follow one form:
 * `"digits" expected an integer 6..8, got 9`. They never echo strings that could be secrets;
 * only numbers, types and short enum values are shown.
 * @internal
 * @module
 */

/** @internal A short, safe description of a value for an error message. */
export function _describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return `a string of length ${value.length}`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : 'a Date';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return typeof value;
}

/** @internal Throws unless `value` is an integer in `[min, max]`. */
export function _integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`"${name}" expected an integer ${min}..${max}, got ${_describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`"${name}" expected an integer ${min}..${max}, got ${value}`);
  }
  return value;
}

/** @internal Throws unless `value` is a boolean. */
export function _boolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`"${name}" expected a boolean, got ${_describe(value)}`);
  return value;
}

/** @internal Throws unless `value` is one of `allowed`. */
export function _oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    // The input is never echoed, however short: a code passed where a method name belongs
    // must not end up in a message or a log.
    throw new (typeof value === 'string' ? RangeError : TypeError)(
      `"${name}" expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${_describe(value)}`,
    );
  }
  return value as T;
}

/** @internal Throws unless `value` is a plain object (or undefined when `optional`). */
export function _options(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`"${name}" expected an object, got ${_describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/**
 * @internal A point in time as epoch milliseconds, from a `Date` or a number of ms.
 * Rejects invalid dates, NaN, infinities, negatives and fractions.
 */
export function _instantMs(name: string, value: unknown): number {
  if (value instanceof Date) {
    const t = value.getTime();
    if (Number.isNaN(t)) throw new RangeError(`"${name}" expected a valid Date, got an invalid Date`);
    if (t < 0) throw new RangeError(`"${name}" expected a time at or after 1970, got ${t}`);
    return t;
  }
  if (typeof value !== 'number') {
    throw new TypeError(`"${name}" expected a Date or epoch milliseconds, got ${_describe(value)}`);
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`"${name}" expected non-negative integer epoch milliseconds, got ${_describe(value)}`);
  }
  return value;
}
