import jsQRModule from 'jsqr';
import { describe, expect, it } from 'vitest';
import { buildKeyUri } from '../src/otp/uri.js';
import { qrDataUri, qrSvg, type QrOptions } from '../src/qr.js';
import { parseXml, rasterizeSvg } from './_svg-raster.js';
import { BAD_VALUES } from './_bad-inputs.js';

// jsqr is a UMD bundle whose typings say `export default`; take the function either way.
type JsQr = typeof import('jsqr').default;
const jsQR: JsQr = ((jsQRModule as unknown as { default?: JsQr }).default ?? jsQRModule) as JsQr;

function decode(svg: string, pixelsPerModule = 4): string | undefined {
  const { data, width, height } = rasterizeSvg(svg, pixelsPerModule);
  return jsQR(data, width, height, { inversionAttempts: 'dontInvert' })?.data;
}

const SECRET = 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ';
const typical = buildKeyUri({ issuer: 'ACME Co', account: 'john.doe@example.com', secret: SECRET });
const unicode = buildKeyUri({ issuer: 'Zürich Bank 🏦', account: 'ünïcødé 用户@example.com', secret: SECRET });
const long = `https://example.com/enroll?token=${'Ab9-_.~'.repeat(160)}`; // 1,159 characters

const TEXTS: readonly { name: string; text: string }[] = [
  { name: 'short', text: 'a' },
  { name: 'typical otpauth URI', text: typical },
  { name: 'otpauth URI with percent-encoded Unicode', text: unicode },
  {
    name: 'hotp URI with every parameter',
    text: buildKeyUri({ issuer: 'A&B #1', account: 'x/y?z=1+2', secret: SECRET, type: 'hotp', counter: 42, includeDefaults: true, digits: 8, algorithm: 'SHA512' }),
  },
  { name: `long text (${long.length} chars)`, text: long },
  { name: 'printable ASCII punctuation', text: ` !"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~` },
];

describe('qrSvg decodes back to the exact text', () => {
  it.each(TEXTS)('$name', ({ text }) => {
    const svg = qrSvg(text);
    expect(decode(svg)).toBe(text);
  });

  it.each(['L', 'M', 'Q', 'H'] as const)('error correction %s', (ecl) => {
    expect(decode(qrSvg(typical, { ecl }))).toBe(typical);
  });

  it('the longest text a version 40 M symbol takes (2,328 characters)', () => {
    const text = 'x'.repeat(2300) + '0123456789abcdefghijklmnopqr';
    expect(text.length).toBe(2328);
    const svg = qrSvg(text);
    expect(svg).toContain('viewBox="0 0 185 185"'); // 177 modules + 2 x 4 quiet zone
    expect(decode(svg, 3)).toBe(text);
  });

  it('with padding 0 (the raster adds its own quiet zone) and custom colors', () => {
    const svg = qrSvg(typical, { padding: 0, color: '#123', background: '#FfEeDd' });
    expect(svg).toContain('fill="#123"');
    expect(svg).toContain('fill="#FfEeDd"');
    // No style attributes: a strict CSP (style-src without 'unsafe-inline') would drop them.
    expect(svg).not.toContain('style=');
    expect(decode(svg)).toBe(typical);
  });
});

describe('qrSvg markup', () => {
  it('is well-formed: one <svg> root with a <rect> background and one <path>', () => {
    const svg = qrSvg(typical);
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(root.children.map((c) => c.name)).toEqual(['rect', 'path']);
    expect(svg.startsWith('<svg ')).toBe(true); // no XML declaration
    expect(svg).toMatch(/^[\x20-\x7e]*$/);
  });

  it('measures the viewBox in modules and sets width/height from size', () => {
    // "a" fits version 1: 21 modules.
    expect(qrSvg('a')).toContain('viewBox="0 0 29 29" width="116" height="116"'); // default 4 px/module
    expect(qrSvg('a', { size: 300 })).toContain('viewBox="0 0 29 29" width="300" height="300"');
    expect(qrSvg('a', { padding: 0 })).toContain('viewBox="0 0 21 21"');
    expect(qrSvg('a', { padding: 2, size: 50 })).toContain('viewBox="0 0 25 25" width="50" height="50"');
  });

  it('never contains the text it encodes', () => {
    const text = 'otpauth://totp/Marker:needle?secret=JBSWY3DPEHPK3PXP';
    const svg = qrSvg(text);
    expect(svg).not.toContain('needle');
    expect(svg).not.toContain('JBSWY3DPEHPK3PXP');
  });

  // jsQR also decodes a transposed (mirrored) symbol, so decoding alone cannot catch a missing
  // `swap: true`. The "dark module" can: ISO/IEC 18004 puts it at row 4V+9, column 8, i.e. 8
  // modules from the bottom; transposed it would sit 8 modules from the right edge instead,
  // where a format bit lives. For 'a' at M (among others) that format bit is light.
  it.each(['L', 'M', 'Q', 'H'].flatMap((ecl) => ['a', 'hello world', typical].map((text) => ({ ecl, text }))))(
    'is not transposed: dark module at column 8, row n-8 ($ecl, $text)',
    ({ ecl, text }) => {
      const { data, width } = rasterizeSvg(qrSvg(text, { padding: 0, ecl: ecl as 'M' }), 1, 0);
      const dark = (x: number, y: number) => data[(y * width + x) * 4] === 0;
      expect(dark(8, width - 8)).toBe(true);
      // And the top-left finder's second row: dark, five light, dark.
      expect([0, 1, 2, 3, 4, 5, 6].map((x) => dark(x, 1))).toEqual([true, false, false, false, false, false, true]);
    },
  );
});

describe('qrDataUri', () => {
  it('is the base64 of the same SVG', () => {
    const uri = qrDataUri(typical, { size: 200 });
    expect(uri.startsWith('data:image/svg+xml;base64,')).toBe(true);
    const svg = Buffer.from(uri.slice('data:image/svg+xml;base64,'.length), 'base64').toString('utf8');
    expect(svg).toBe(qrSvg(typical, { size: 200 }));
    expect(decode(svg)).toBe(typical);
  });

  it('refuses what qrSvg refuses', () => {
    expect(() => qrDataUri('é')).toThrow(RangeError);
    expect(() => qrDataUri('a', { color: 'red' })).toThrow(RangeError);
  });
});

describe('refusals', () => {
  const badColors = ['red', 'red;stroke:url(x)', '#12', '#12345g', '#1234', '#1234567', ' #123', '#123 ', '#123"/><script>', ''];
  it.each(badColors)('color %j', (color) => {
    expect(() => qrSvg('a', { color })).toThrow(RangeError);
    expect(() => qrSvg('a', { background: color })).toThrow(RangeError);
  });

  it('never echoes a refused color', () => {
    expect(() => qrSvg('a', { color: '#123"/><script>' })).toThrow(/^(?!.*script)/s);
  });

  const badTexts: readonly { name: string; text: string; message: RegExp }[] = [
    { name: 'empty', text: '', message: /empty/ },
    { name: 'non-ASCII', text: 'otpauth://totp/Zürich?secret=A', message: /percent-encode/ },
    { name: 'emoji', text: '🏦', message: /percent-encode/ },
    { name: 'newline', text: 'a\nb', message: /percent-encode/ },
    { name: 'tab', text: 'a\tb', message: /percent-encode/ },
    { name: 'NUL', text: 'a\u0000b', message: /percent-encode/ },
    { name: 'DEL', text: 'a\u007fb', message: /percent-encode/ },
    { name: 'lone surrogate', text: '\ud800', message: /percent-encode/ },
    { name: 'too long for M (2,329)', text: 'x'.repeat(2329), message: /at most 2328/ },
  ];
  it.each(badTexts)('text: $name', ({ text, message }) => {
    expect(() => qrSvg(text)).toThrow(RangeError);
    expect(() => qrSvg(text)).toThrow(message);
  });

  it('text length limit follows the error-correction level', () => {
    expect(() => qrSvg('x'.repeat(1271), { ecl: 'H' })).toThrow(RangeError);
    expect(qrSvg('x'.repeat(1270), { ecl: 'H' })).toContain('<path');
    expect(qrSvg('x'.repeat(2900), { ecl: 'L' })).toContain('<path');
  });

  const badOptions: readonly { name: string; options: unknown; error: typeof TypeError | typeof RangeError }[] = [
    { name: 'options not an object', options: 'M', error: TypeError },
    { name: 'options null', options: null, error: TypeError },
    { name: 'ecl lowercase', options: { ecl: 'm' }, error: RangeError },
    { name: 'ecl number', options: { ecl: 1 }, error: TypeError },
    { name: 'padding negative', options: { padding: -1 }, error: RangeError },
    { name: 'padding fractional', options: { padding: 1.5 }, error: TypeError },
    { name: 'padding too big', options: { padding: 17 }, error: RangeError },
    { name: 'size 0', options: { size: 0 }, error: RangeError },
    { name: 'size NaN', options: { size: Number.NaN }, error: TypeError },
    { name: 'size string', options: { size: '100' }, error: TypeError },
    { name: 'color number', options: { color: 0 }, error: TypeError },
  ];
  it.each(badOptions)('option: $name', ({ options, error }) => {
    expect(() => qrSvg('a', options as QrOptions)).toThrow(error);
  });

  it.each(BAD_VALUES)('shared bad input as text: $name', ({ value }) => {
    if (typeof value === 'string') {
      // Strings in the list are either empty, non-ASCII or control characters, or too long;
      // the printable-ASCII ones are legitimate QR content.
      if (/^[\x20-\x7e]{1,2328}$/.test(value)) expect(decode(qrSvg(value))).toBe(value);
      else expect(() => qrSvg(value)).toThrow(RangeError);
    } else {
      expect(() => qrSvg(value as string)).toThrow(TypeError);
    }
  });
});
