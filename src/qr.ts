/**
 * `twofold/qr`: QR codes for otpauth:// URIs as SVG. A subpath of its own, so that code which
 * never renders a QR code never loads qrcode-svg.
 * @module twofold/qr
 */
import QRCode from 'qrcode-svg';
import { _describe, _integer, _oneOf, _options } from './shared/validate.js';


/** QR error-correction level: L ~7%, M ~15%, Q ~25%, H ~30% of the symbol may be damaged. */
export type QrErrorCorrection = 'L' | 'M' | 'Q' | 'H';

/** Options for {@link qrSvg} and {@link qrDataUri}. */
export interface QrOptions {
  /** Error-correction level; default `'M'`. */
  ecl?: QrErrorCorrection;
  /** Quiet zone around the symbol, in modules, 0..16; default 4 (ISO/IEC 18004 asks for 4). */
  padding?: number;
  /** Rendered width and height in px, 1..16384; default 4 px per module, quiet zone included. */
  size?: number;
  /** Module color, `#rgb` or `#rrggbb`; default `'#000000'`. */
  color?: string;
  /** Background color, `#rgb` or `#rrggbb`; default `'#ffffff'`. */
  background?: string;
}

const LEVELS: readonly QrErrorCorrection[] = ['L', 'M', 'Q', 'H'];
// ISO/IEC 18004 Table 7: byte-mode capacity of a version 40 symbol, less the 3 bytes that
// qrcode-svg's version choice reserves on top of the data (it counts length + 3).
const MAX_TEXT: Readonly<Record<QrErrorCorrection, number>> = { L: 2953 - 3, M: 2331 - 3, Q: 1663 - 3, H: 1273 - 3 };
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// The colors are interpolated into SVG markup by qrcode-svg: only these exact shapes pass.
const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const DEFAULT_PX_PER_MODULE = 4;

/** The parts of a qrcode-svg instance used here beyond its typed surface. */
interface _QrInstance {
  options: { width: number; height: number };
  qrcode: { moduleCount: number };
  svg(options: { container: 'none' }): string;
}

function _color(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new TypeError(`"${name}" expected a '#rgb' or '#rrggbb' color, got ${_describe(value)}`);
  if (!HEX_COLOR.test(value)) {
    // Never echo the value: it was refused because it might be markup.
    throw new RangeError(`"${name}" expected a '#rgb' or '#rrggbb' color, got ${_describe(value)}`);
  }
  return value;
}

/**
 * Renders `text` as a QR code in SVG: one `<rect>` background and one `<path>` of modules, in a
 * `viewBox` measured in modules (so it scales cleanly) with `width`/`height` set to `size` px.
 *
 * The text must be printable ASCII: percent-encode anything else first (an otpauth:// URI
 * from `buildKeyUri` already is). The output contains only numbers and the validated
 * colors, never the text, so it is safe to inline in HTML.
 *
 * @throws TypeError when `text` is not a string or an option has the wrong type.
 * @throws RangeError when `text` is empty, contains a non-ASCII or control character, or is too
 *   long for a version 40 symbol at the chosen level (2,328 characters at `'M'`), or when an
 *   option is out of range or a color is not `#rgb`/`#rrggbb`.
 * @example
 * ```ts
 * import { qrSvg } from 'twofold/qr';
 * const svg = qrSvg(buildKeyUri({ issuer: 'Acme', account: 'ann@acme.test', secret }));
 * element.innerHTML = svg;
 * ```
 */
export function qrSvg(text: string, options?: QrOptions): string {
  if (typeof text !== 'string') throw new TypeError(`"text" expected a string, got ${_describe(text)}`);
  const o = _options('options', options);
  const ecl = o.ecl === undefined ? 'M' : _oneOf('ecl', o.ecl, LEVELS);
  const padding = o.padding === undefined ? 4 : _integer('padding', o.padding, 0, 16);
  const size = o.size === undefined ? undefined : _integer('size', o.size, 1, 16_384);
  const color = _color('color', o.color, '#000000');
  const background = _color('background', o.background, '#ffffff');
  if (text.length === 0) throw new RangeError('"text" expected at least 1 character, got an empty string');
  if (!PRINTABLE_ASCII.test(text)) {
    throw new RangeError(
      '"text" must be printable ASCII (0x20..0x7e); percent-encode other characters first (encodeURIComponent)',
    );
  }
  if (text.length > MAX_TEXT[ecl]) {
    throw new RangeError(`"text" expected at most ${MAX_TEXT[ecl]} characters for error correction ${ecl}, got ${text.length}`);
  }

  const qr = new QRCode({
    content: text,
    ecl,
    padding,
    color,
    background,
    swap: true, // without it qrcode-svg draws the matrix transposed (a mirrored symbol)
    join: true, // one <path> instead of a <rect> per module
    pretty: false,
    xmlDeclaration: false,
    width: 1,
    height: 1,
  }) as unknown as _QrInstance;
  // Draw in module units: every coordinate is an integer, with no rounding seams between
  // modules; the viewBox below makes the result scale to any size.
  const modules = qr.qrcode.moduleCount + 2 * padding;
  qr.options.width = modules;
  qr.options.height = modules;
  const body = qr
    .svg({ container: 'none' })
    .replace('<path x="0" y="0" ', '<path ')
    // Presentation attributes, not `style`: a page whose Content-Security-Policy has no
    // 'unsafe-inline' in style-src ignores style attributes, and every shape turns black.
    .replace(/style="fill:(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6});shape-rendering:crispEdges;"/g, 'fill="$1"');
  const px = size ?? modules * DEFAULT_PX_PER_MODULE;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 ${modules} ${modules}" ` +
    `width="${px}" height="${px}" shape-rendering="crispEdges">${body}</svg>`
  );
}

/**
 * Renders `text` as a QR code and returns it as a `data:image/svg+xml;base64,` URI, ready for
 * an `<img src>` (or an email, where inline SVG is not shown). Same rules as {@link qrSvg}.
 *
 * @throws Same as {@link qrSvg}.
 * @example
 * ```ts
 * import { qrDataUri } from 'twofold/qr';
 * const img = `<img alt="Scan with your authenticator app" src="${qrDataUri(uri)}">`;
 * ```
 */
export function qrDataUri(text: string, options?: QrOptions): string {
  // The SVG is ASCII only (validated text never appears in it), so btoa is exact.
  return `data:image/svg+xml;base64,${btoa(qrSvg(text, options))}`;
}
