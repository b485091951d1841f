/**
 * Comparing JSON values whatever their key order: a `jsonb` column (PostgreSQL) and other
 * stores hand back objects with their keys reordered, so a plain `JSON.stringify` comparison
 * would call two equal records different.
 * @module
 */

/**
 * @internal The JSON text of `value` with every object's keys sorted (by UTF-16 code units),
 * at every depth; arrays keep their order.
 */
export function _canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(_canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${_canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** @internal Whether `a` and `b` are equal as JSON values, whatever the key order. */
export function _sameJson(a: unknown, b: unknown): boolean {
  return _canonicalJson(a) === _canonicalJson(b);
}
