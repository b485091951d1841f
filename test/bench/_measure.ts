// Timing helpers for `npm run bench`. Never imported by tests: timing does not belong in them.

/** One contender: a name and a function that does one call's work and returns something. */
export interface Contender {
  readonly name: string;
  readonly run: () => unknown;
}

/** The median time of one call, with the spread of the samples it came from. */
export interface Timing {
  readonly name: string;
  readonly medianNs: number;
  readonly p10Ns: number;
  readonly p90Ns: number;
  readonly samples: number;
  readonly batch: number;
}

/** Anything a benchmarked function returns ends up here, so no call can be optimized away. */
let sink = 0;
function consume(value: unknown): void {
  sink = (sink + (typeof value === 'string' ? value.length : value ? 1 : 0)) | 0;
}
export function sinkValue(): number {
  return sink;
}

function now(): bigint {
  return process.hrtime.bigint();
}

/** Runs `fn` `batch` times and returns the elapsed nanoseconds. */
export function timeBatch(fn: () => unknown, batch: number): number {
  const start = now();
  for (let i = 0; i < batch; i++) consume(fn());
  return Number(now() - start);
}

/** The batch size that makes one sample take about `targetMs`. */
function calibrate(fn: () => unknown, targetMs: number): number {
  let batch = 1;
  for (;;) {
    const ns = timeBatch(fn, batch);
    if (ns >= targetMs * 1e6 / 4 || batch >= 1 << 24) return Math.max(1, Math.round((batch * targetMs * 1e6) / ns));
    batch *= 4;
  }
}

/** The value at fraction `q` of `sorted` (ascending): the element at floor(q × length), capped. */
export const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** The median of `values` (any order): the middle one, or the mean of the two middle ones. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A number for a table: en-US grouping, exactly `digits` decimals. */
export function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * Times the contenders side by side, finely interleaved: after a warm-up of `warmupMs` each,
 * `rounds` rounds in which every contender takes one short sample (a batch of about
 * `sampleMs`, preceded by an unrecorded lead-in of a fifth of that which absorbs collection of
 * the previous contender's garbage). The order rotates every round. On a noisy machine (bursts
 * of host steal show up as 2x-10x samples) short interleaved samples spread the bursts evenly
 * over all contenders, and the median then skips them. Reports the median ns per call.
 */
export function compare(
  contenders: readonly Contender[],
  { rounds = 201, sampleMs = 2, warmupMs = 300 }: { rounds?: number; sampleMs?: number; warmupMs?: number } = {},
): Timing[] {
  for (const c of contenders) {
    const until = Date.now() + warmupMs;
    while (Date.now() < until) timeBatch(c.run, 64);
  }
  const batches = contenders.map((c) => calibrate(c.run, sampleMs));
  const perCall: number[][] = contenders.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + r) % contenders.length;
      const { run } = contenders[i]!;
      timeBatch(run, Math.ceil(batches[i]! / 5));
      perCall[i]!.push(timeBatch(run, batches[i]!) / batches[i]!);
    }
  }
  return contenders.map((c, i) => summarize(c.name, perCall[i]!, batches[i]!));
}

function summarize(name: string, perCall: number[], batch: number): Timing {
  const sorted = perCall.sort((a, b) => a - b);
  return {
    name,
    medianNs: quantile(sorted, 0.5),
    p10Ns: quantile(sorted, 0.1),
    p90Ns: quantile(sorted, 0.9),
    samples: sorted.length,
    batch,
  };
}

/** A duration for humans: ns below 10 µs, µs below 10 ms, else ms. */
export function formatNs(ns: number): string {
  if (ns < 10_000) return `${ns.toFixed(0)} ns`;
  if (ns < 10_000_000) return `${(ns / 1000).toFixed(1)} µs`;
  return `${(ns / 1e6).toFixed(1)} ms`;
}

/** A markdown table. */
export function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
