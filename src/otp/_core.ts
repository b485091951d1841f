/**
 * The private engine of HOTP and TOTP: the hash for an algorithm name, the secret-to-key
 * step, the keyed HMAC over 8-byte counters and RFC 4226 §5.3 dynamic truncation. Nothing
 * here is public; the option bounds live in `limits.ts`.
 * @internal
 * @module
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { CHash, Hash } from '@noble/hashes/utils.js';
import { DEFAULTS } from '../defaults.js';
import { TwoFactorError } from '../errors.js';
import { _algorithmOption } from '../shared/limits.js';
import { _boolean, _describe } from '../shared/validate.js';
import { decodeBase32 } from './base32.js';

/** @internal 10^0 .. 10^8, for `digits` 6..8 without `Math.pow` on the hot path. */
export const _POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000] as const;

/** @internal The noble hash for the `algorithm` option (default SHA1); throws on anything else. */
export function _hashFor(value: unknown): CHash {
  const algorithm = _algorithmOption('algorithm', value);
  return algorithm === 'SHA1' ? sha1 : algorithm === 'SHA256' ? sha256 : sha512;
}

/**
 * @internal The key bytes of a secret: a `Uint8Array` as is, a string as base32.
 * RFC 4226 §4 R6 asks for at least 128 bits; shorter keys (imported legacy secrets) need
 * `allowShortSecret`, and an empty key is always refused.
 */
export function _secretKey(secret: unknown, allowShortSecret: unknown): Uint8Array {
  const allowShort = allowShortSecret === undefined ? false : _boolean('allowShortSecret', allowShortSecret);
  let key: Uint8Array;
  if (typeof secret === 'string') key = decodeBase32(secret);
  else if (secret instanceof Uint8Array) key = secret;
  else throw new TypeError(`"secret" expected a Uint8Array or a base32 string, got ${_describe(secret)}`);
  if (key.length === 0) throw new TwoFactorError('INVALID_SECRET', 'secret is empty');
  if (key.length < DEFAULTS.totp.minSecretBytes && !allowShort) {
    throw new TwoFactorError(
      'INVALID_SECRET',
      `secret is ${key.length} bytes, at least ${DEFAULTS.totp.minSecretBytes} are required ` +
        '(pass allowShortSecret: true for an imported legacy secret)',
    );
  }
  return key;
}

/** @internal A noble hash state (SHA1, SHA256 or SHA512). */
type _State = Hash<any>;

/** Hash states and buffers for one hash function, reused by every call (see {@link _CounterMac}). */
interface _Scratch {
  /** A state that is never updated: the hash's initial value, to reset the others from. */
  readonly initial: _State;
  /** The states after the K ^ ipad and K ^ opad blocks: the keyed HMAC. */
  keyedInner: _State | undefined;
  keyedOuter: _State | undefined;
  /** Per-step copies of the keyed states. */
  inner: _State | undefined;
  outer: _State | undefined;
  readonly pad: Uint8Array;
  readonly message: Uint8Array;
  readonly view: DataView;
  readonly innerDigest: Uint8Array;
  readonly mac: Uint8Array;
  /** Between a `_CounterMac`'s construction and its `destroy()`. */
  busy: boolean;
}
const _scratchByHash = new Map<CHash, _Scratch>();

function _newScratch(hash: CHash): _Scratch {
  const initial = hash.create();
  const message = new Uint8Array(8);
  return {
    initial,
    keyedInner: undefined,
    keyedOuter: undefined,
    inner: undefined,
    outer: undefined,
    pad: new Uint8Array(initial.blockLen),
    message,
    view: new DataView(message.buffer),
    innerDigest: new Uint8Array(hash.outputLen),
    mac: new Uint8Array(hash.outputLen),
    busy: false,
  };
}

/** The shared scratch for `hash`, or a private one if the shared one is in use. */
function _scratchFor(hash: CHash): _Scratch {
  let scratch = _scratchByHash.get(hash);
  if (scratch === undefined) _scratchByHash.set(hash, (scratch = _newScratch(hash)));
  return scratch.busy ? _newScratch(hash) : scratch;
}

/**
 * @internal HMAC (RFC 2104) keyed once, then evaluated on 8-byte counters (RFC 4226 §5.2).
 *
 * RFC 2104 §2: HMAC(K, m) = H(K ^ opad || H(K ^ ipad || m)), K zero-padded to the block (or
 * hashed first when longer). The two key blocks are hashed once per call; each counter then
 * clones those two keyed states and hashes only the counter and the inner digest: two
 * compressions per step, the minimum.
 *
 * Why not noble's `hmac.create`: it allocates four hash instances and a pad per call, which
 * costs more than all the compressions of a window-1 check (measured: 4-5 µs of a 9 µs
 * verification). So the keyed and work states (noble hash instances, reset with `_cloneInto`)
 * and the buffers are module-level, one set per hash function, reused by every call. That is
 * safe because every use is synchronous (nothing runs between construction, `truncated` and
 * `destroy`); should a second instance for the same hash ever be alive at once, it gets a
 * private set instead. `destroy()` wipes them all, so no key-derived state outlives a call.
 * Agreement with node:crypto's HMAC (keys of 16-300 bytes, all three hashes) is tested.
 */
export class _CounterMac {
  readonly #s: _Scratch;
  readonly #keyedInner: _State;
  readonly #keyedOuter: _State;

  constructor(hash: CHash, key: Uint8Array) {
    const s = (this.#s = _scratchFor(hash));
    s.busy = true;
    const pad = s.pad;
    pad.fill(0);
    // RFC 2104 §2: a key longer than the block is hashed first; that digest is key material too.
    const digest = key.length > pad.length ? hash(key) : null;
    pad.set(digest ?? key);
    digest?.fill(0);
    for (let i = 0; i < pad.length; i++) pad[i]! ^= 0x36;
    this.#keyedInner = s.keyedInner = s.initial._cloneInto(s.keyedInner);
    this.#keyedInner.update(pad);
    for (let i = 0; i < pad.length; i++) pad[i]! ^= 0x36 ^ 0x5c;
    this.#keyedOuter = s.keyedOuter = s.initial._cloneInto(s.keyedOuter);
    this.#keyedOuter.update(pad);
    pad.fill(0);
  }

  /** RFC 4226 §5.3: the truncated value (an integer below 10^digits) for one counter. */
  truncated(counter: number, digits: number): number {
    const s = this.#s;
    // The 8-byte big-endian counter. Bitwise operators work on 32 bits, so the high word is
    // taken by division: counters past 2^32 need it.
    s.view.setUint32(0, Math.floor(counter / 0x1_0000_0000));
    s.view.setUint32(4, counter >>> 0);
    const inner = (s.inner = this.#keyedInner._cloneInto(s.inner));
    inner.update(s.message);
    inner.digestInto(s.innerDigest);
    const outer = (s.outer = this.#keyedOuter._cloneInto(s.outer));
    outer.update(s.innerDigest);
    outer.digestInto(s.mac);
    return _truncate(s.mac, digits);
  }

  /** Wipes the keyed states and the work states and buffers. */
  destroy(): void {
    const s = this.#s;
    // noble's destroy() zeroes a state; the next _cloneInto from `initial` makes it usable again.
    s.keyedInner?.destroy();
    s.keyedOuter?.destroy();
    s.inner?.destroy();
    s.outer?.destroy();
    s.message.fill(0);
    s.innerDigest.fill(0);
    s.mac.fill(0);
    s.busy = false;
  }
}

/**
 * @internal RFC 4226 §5.3 dynamic truncation: the low 4 bits of the last byte pick an offset,
 * the 31 bits read there (top bit masked) are reduced modulo 10^digits.
 */
export function _truncate(mac: Uint8Array, digits: number): number {
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary =
    ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return binary % _POW10[digits]!;
}
