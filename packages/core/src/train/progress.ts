import cliProgress from 'cli-progress';

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Number of units of work. */
  total: number;
  /** Shown before the bar, e.g. `train`. */
  label?: string;
  /** `true`, `false`, or `'auto'` (default): a live bar on a TTY, periodic lines otherwise. */
  enabled?: boolean | 'auto';
  /** Where to write (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** In non-TTY mode, print a line every this fraction of the total (default 0.1). */
  lineEvery?: number;
}

/** A progress reporter: a live bar on terminals, a few plain lines in logs and CI. */
export interface Progress {
  /** Set the done count and optional named values shown after the bar (e.g. `{ loss: 1.23 }`). */
  update(done: number, values?: Record<string, string | number>): void;
  /** Finish the bar (prints a final line in non-TTY mode). */
  stop(): void;
}

function formatValues(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toPrecision(4)) : v}`)
    .join(' | ');
}

/**
 * Create a TTY-aware progress reporter (cli-progress on a terminal).
 * @example
 * const bar = createProgress({ total: 300, label: 'train' });
 * for (let i = 1; i <= 300; i++) bar.update(i, { loss: 2.1 });
 * bar.stop();
 */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const enabled = options.enabled ?? 'auto';
  const label = options.label ?? 'progress';
  if (enabled === false) return { update() {}, stop() {} };
  const tty = enabled === true ? true : Boolean(stream.isTTY) && !process.env.CI;
  const start = Date.now();
  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} | eta {eta_formatted} | {values}`,
        stream,
        hideCursor: true,
        etaBuffer: 50,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(options.total, 0, { values: '' });
    return {
      update(done, values) {
        bar.update(done, { values: values ? formatValues(values) : '' });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const every = Math.max(1, Math.round(options.total * (options.lineEvery ?? 0.1)));
  let lastPrinted = 0;
  let last: { done: number; values?: Record<string, string | number> } = { done: 0 };
  const print = (done: number, values?: Record<string, string | number>) => {
    const seconds = ((Date.now() - start) / 1000).toFixed(1);
    stream.write(`${label} ${done}/${options.total} (${seconds}s)${values ? ` | ${formatValues(values)}` : ''}\n`);
    lastPrinted = done;
  };
  return {
    update(done, values) {
      last = { done, values };
      if (done - lastPrinted >= every || (done === options.total && lastPrinted !== done)) print(done, values);
    },
    stop() {
      if (last.done !== lastPrinted) print(last.done, last.values);
    },
  };
}
