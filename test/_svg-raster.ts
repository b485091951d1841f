/**
 * Test helper: reads the SVG that `qrSvg` returns as plain markup (no knowledge of the QR
 * library), checks that it is well-formed XML, and rasterizes its `<rect>` and `<path>` shapes
 * into RGBA pixels that a QR decoder can read. Only the shapes qrcode-svg emits are supported:
 * rects and paths of absolute M/H/V/Z commands outlining axis-aligned rectangles. Anything else
 * throws, so a change in the markup fails the test instead of being skipped.
 */

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
}

// A strict subset of XML 1.0: elements with double-quoted attributes, no text content other
// than whitespace, no comments, no processing instructions, no entities.
const TOKEN = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[A-Za-z_:][\w:.-]*\s*=\s*"[^"<&]*")*)\s*(\/?)>|([^<]+)/y;
const ATTR = /([A-Za-z_:][\w:.-]*)\s*=\s*"([^"<&]*)"/g;

/** Parses `svg` as well-formed XML into an element tree; throws on anything malformed. */
export function parseXml(svg: string): XmlElement {
  const stack: { name: string; attrs: Record<string, string>; children: XmlElement[] }[] = [];
  let root: XmlElement | undefined;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < svg.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(svg);
    if (m === null) throw new Error(`not well-formed XML at offset ${at}: ${JSON.stringify(svg.slice(at, at + 40))}`);
    const [, close, name, attrText, selfClose, text] = m;
    if (text !== undefined) {
      if (text.trim() !== '') throw new Error(`unexpected text content at offset ${at}`);
      continue;
    }
    if (close === '/') {
      const open = stack.pop();
      if (open === undefined || open.name !== name) throw new Error(`mismatched </${name}> at offset ${at}`);
      if (stack.length === 0) {
        if (root !== undefined) throw new Error('more than one root element');
        root = open;
      } else stack[stack.length - 1]!.children.push(open);
      continue;
    }
    if (root !== undefined) throw new Error('content after the root element');
    const attrs: Record<string, string> = {};
    for (const a of (attrText ?? '').matchAll(ATTR)) {
      if (Object.hasOwn(attrs, a[1]!)) throw new Error(`duplicate attribute ${a[1]} on <${name}>`);
      attrs[a[1]!] = a[2]!;
    }
    const el = { name: name!, attrs, children: [] as XmlElement[] };
    if (selfClose === '/') {
      if (stack.length === 0) throw new Error('self-closing root element');
      stack[stack.length - 1]!.children.push(el);
    } else stack.push(el);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
  dark: boolean;
}

function fillOf(el: XmlElement): string {
  const fromStyle = /(?:^|;)\s*fill\s*:\s*([^;]+)/.exec(el.attrs.style ?? '')?.[1]?.trim();
  const fill = fromStyle ?? el.attrs.fill;
  if (fill === undefined) throw new Error(`<${el.name}> has no fill`);
  return fill;
}

// Dark when the color's luminance is below the middle; enough for a black/white decoder test.
function isDark(color: string): boolean {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color);
  if (m === null) throw new Error(`unsupported fill ${JSON.stringify(color)}`);
  const hex = m[1]!.length === 3 ? [...m[1]!].map((c) => c + c).join('') : m[1]!;
  const [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  return 0.299 * r + 0.587 * g + 0.114 * b < 128;
}

const NUM = String.raw`-?\d+(?:\.\d+)?`;
const PATH_TOKEN = new RegExp(String.raw`\s*(?:([MVHZ])\s*(?:(${NUM})(?:\s*,\s*|\s+)(${NUM})|(${NUM}))?)`, 'y');

/** Splits path data of absolute M/H/V/Z commands into axis-aligned rectangles. */
function rectsOfPath(d: string, dark: boolean): Rect[] {
  const rects: Rect[] = [];
  let points: [number, number][] = [];
  let x = 0;
  let y = 0;
  PATH_TOKEN.lastIndex = 0;
  const end = d.trimEnd().length;
  while (PATH_TOKEN.lastIndex < end) {
    const at = PATH_TOKEN.lastIndex;
    const m = PATH_TOKEN.exec(d);
    if (m === null) throw new Error(`unsupported path data at ${at}: ${JSON.stringify(d.slice(at, at + 20))}`);
    const [, cmd, px, py, single] = m;
    if (cmd === 'M' && px !== undefined && py !== undefined) {
      x = Number(px);
      y = Number(py);
      points = [[x, y]];
    } else if (cmd === 'H' && single !== undefined) {
      x = Number(single);
      points.push([x, y]);
    } else if (cmd === 'V' && single !== undefined) {
      y = Number(single);
      points.push([x, y]);
    } else if (cmd === 'Z') {
      const xs = points.map((p) => p[0]);
      const ys = points.map((p) => p[1]);
      const x0 = Math.min(...xs);
      const y0 = Math.min(...ys);
      const x1 = Math.max(...xs);
      const y1 = Math.max(...ys);
      // Every vertex must be a corner of the bounding box, or the shape is not a rectangle.
      if (!points.every(([px2, py2]) => (px2 === x0 || px2 === x1) && (py2 === y0 || py2 === y1))) {
        throw new Error('path subpath is not an axis-aligned rectangle');
      }
      rects.push({ x: x0, y: y0, w: x1 - x0, h: y1 - y0, dark });
      points = [];
    } else {
      throw new Error(`unsupported path command ${JSON.stringify(m[0])}`);
    }
  }
  if (points.length > 0) throw new Error('unclosed path subpath');
  return rects;
}

export interface Raster {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/**
 * Rasterizes the SVG at `pixelsPerUnit` pixels per viewBox unit, on a white margin of
 * `marginUnits` units on every side, into an RGBA buffer (black or white pixels).
 */
export function rasterizeSvg(svg: string, pixelsPerUnit = 4, marginUnits = 4): Raster {
  const root = parseXml(svg);
  if (root.name !== 'svg') throw new Error(`root element is <${root.name}>, not <svg>`);
  const vb = (root.attrs.viewBox ?? '').trim().split(/[\s,]+/).map(Number);
  if (vb.length !== 4 || vb.some((n) => !Number.isFinite(n))) throw new Error('svg has no usable viewBox');
  const [vx, vy, vw, vh] = vb as [number, number, number, number];

  const rects: Rect[] = [];
  for (const el of root.children) {
    const dark = isDark(fillOf(el));
    if (el.name === 'rect') {
      const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((k) => Number(el.attrs[k] ?? '0'));
      rects.push({ x: x!, y: y!, w: w!, h: h!, dark });
    } else if (el.name === 'path') {
      rects.push(...rectsOfPath(el.attrs.d ?? '', dark));
    } else {
      throw new Error(`unsupported element <${el.name}>`);
    }
  }

  const width = Math.round((vw + 2 * marginUnits) * pixelsPerUnit);
  const height = Math.round((vh + 2 * marginUnits) * pixelsPerUnit);
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  const toPx = (u: number, origin: number) => Math.round((u - origin + marginUnits) * pixelsPerUnit);
  for (const r of rects) {
    const value = r.dark ? 0 : 255;
    const x0 = Math.max(0, toPx(r.x, vx));
    const x1 = Math.min(width, toPx(r.x + r.w, vx));
    const y0 = Math.max(0, toPx(r.y, vy));
    const y1 = Math.min(height, toPx(r.y + r.h, vy));
    for (let py = y0; py < y1; py++) {
      for (let px = x0; px < x1; px++) {
        const i = (py * width + px) * 4;
        data[i] = data[i + 1] = data[i + 2] = value;
        data[i + 3] = 255;
      }
    }
  }
  return { data, width, height };
}
