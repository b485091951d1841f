// Bench section: how much a browser bundle grows when it imports only `verifyTotp`
// from the package root (src/index.ts), minified and gzipped.
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { table } from './_measure.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = "import { verifyTotp } from './src/index.js';\nexport { verifyTotp };\n";

export interface BundleFigure {
  readonly label: string;
  readonly minBytes: number;
  readonly gzipBytes: number;
  readonly inputs: readonly string[];
}

/** The three hash functions alone: the floor under any bundle that verifies all algorithms. */
const HASHES_ONLY =
  "import { sha1 } from '@noble/hashes/legacy.js';\nimport { sha256, sha512 } from '@noble/hashes/sha2.js';\nexport { sha1, sha256, sha512 };\n";

async function bundle(label: string, external: string[], entry = ENTRY): Promise<BundleFigure> {
  const result = await build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  return {
    label,
    minBytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    inputs: included(result.metafile),
  };
}

/** The input files that kept any bytes in the output, largest first. */
function included(meta: Metafile): string[] {
  const output = Object.values(meta.outputs)[0]!;
  return Object.entries(output.inputs)
    .filter(([, v]) => v.bytesInOutput > 0)
    .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
    .map(([path, v]) => `${path.replace(/^node_modules\//, '')} (${v.bytesInOutput} B)`);
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} KB`;

/** The bundle section: sizes with and without thirty-two, and what went in. */
export async function benchBundle(): Promise<{ markdown: string; figures: BundleFigure[] }> {
  const figures = [
    await bundle('`verifyTotp` only, thirty-two external', ['thirty-two']),
    await bundle('`verifyTotp` only, thirty-two bundled', []),
    await bundle('for comparison: @noble/hashes SHA1 + SHA256 + SHA512 alone', [], HASHES_ONLY),
  ];
  const withoutThirtyTwo = figures[0]!;
  const leaked = withoutThirtyTwo.inputs.filter((i) => /qrcode-svg|src\/(qr|service|memory|policy)/.test(i));
  const markdown = [
    '### Bundle size (esbuild, browser, ESM, minified, gzip -9)',
    '',
    table(
      ['bundle', 'minified', 'min + gzip', 'target'],
      figures.map((f, i) => [
        f.label,
        kb(f.minBytes),
        kb(f.gzipBytes),
        i === 0 ? `<= 5 KB: ${f.gzipBytes <= 5 * 1024 ? 'met' : 'NOT met'}` : '',
      ]),
    ),
    '',
    `Inputs kept (thirty-two external): ${withoutThirtyTwo.inputs.join(', ')}.`,
    leaked.length === 0
      ? 'Tree shaking through src/index.ts kept no QR, service, memory or policy code.'
      : `Tree shaking through src/index.ts LEAKED: ${leaked.join(', ')}.`,
  ].join('\n');
  return { markdown, figures };
}
