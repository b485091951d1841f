// Bench section: the time of one `qrSvg(uri)` from src/qr.ts. Guarded, so the bench still runs
// while twofold/qr is missing or broken; the table then says why there is no figure.
import { compare, formatNs, table } from './_measure.js';
import { SECRET } from './otp.js';

const URI = `otpauth://totp/ACME%20Helpdesk:agent%40example.com?secret=${SECRET}&issuer=ACME%20Helpdesk`;

/** The QR section: the first (cold) call and the median of warm calls. */
export async function benchQr(): Promise<{ markdown: string; medianNs?: number }> {
  const head = '### One `qrSvg(uri)` (src/qr.ts)';
  let qrSvg: (text: string) => string;
  try {
    ({ qrSvg } = (await import('../../src/qr.js')) as { qrSvg: (text: string) => string });
    if (typeof qrSvg !== 'function') throw new Error('src/qr.ts exports no qrSvg');
  } catch (e) {
    return { markdown: `${head}\n\nnot measured: ${(e as Error).message}` };
  }
  const start = process.hrtime.bigint();
  const svg = qrSvg(URI);
  const coldNs = Number(process.hrtime.bigint() - start);
  const [warm] = compare([{ name: 'qrSvg', run: () => qrSvg(URI) }], { rounds: 25, sampleMs: 20, warmupMs: 300 });
  const markdown = [
    head,
    '',
    table(
      ['input', 'first call (cold)', 'median per call (warm)', 'SVG length'],
      [[`${URI.length}-character otpauth URI`, formatNs(coldNs), formatNs(warm!.medianNs), `${svg.length} characters`]],
    ),
  ].join('\n');
  return { markdown, medianNs: warm!.medianNs };
}
