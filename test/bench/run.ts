// `npm run bench`: prints markdown for the closing note. Each section is one (async) function
// returning markdown; add a section (e.g. the service benchmark) by adding it to SECTIONS.
// `npm run bench -- otp qr` runs only the named sections.
import { arch, cpus, platform } from 'node:os';
import { benchBundle } from './bundle.js';
import { sinkValue } from './_measure.js';
import { benchOtp } from './otp.js';
import { benchQr } from './qr.js';
import { benchRecovery } from './recovery.js';
import { benchService } from './service.js';

/** A section's output: markdown, bare or as `{ markdown }`. */
type SectionOutput = string | { readonly markdown: string };

interface Section {
  readonly name: string;
  readonly run: () => SectionOutput | Promise<SectionOutput>;
}

const SECTIONS: readonly Section[] = [
  { name: 'otp', run: benchOtp },
  { name: 'bundle', run: benchBundle },
  { name: 'qr', run: benchQr },
  { name: 'service', run: benchService },
  { name: 'recovery', run: benchRecovery },
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const started = Date.now();
  const out: string[] = [
    '## twofold benchmark',
    '',
    `Node ${process.version}, ${platform()}/${arch()}, ${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}. ` +
      'Per row: 300 ms warm-up, then 201 finely interleaved rounds (order rotating) of one ~2 ms batch ' +
      'each, after an unrecorded lead-in; median time per call.',
  ];
  for (const section of SECTIONS) {
    if (only.length > 0 && !only.includes(section.name)) continue;
    const output = await section.run();
    out.push('', typeof output === 'string' ? output : output.markdown);
  }
  out.push('', `_Whole run: ${((Date.now() - started) / 1000).toFixed(1)} s (sink ${sinkValue()})._`);
  console.log(out.join('\n'));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
