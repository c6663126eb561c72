/**
 * Progress for the CLI. On a terminal: a cli-progress bar redrawn in place. In
 * a log (stderr not a terminal: Slurm, Kubernetes, CI): one plain line per
 * interval and one at the end, no control characters. Both show an ETA from
 * this run's own pace, or "–" until there is one (never cli-progress's NaN or
 * Infinity).
 */
import cliProgress from 'cli-progress';

/** Seconds between two lines in a log. */
export const LOG_INTERVAL_S = 30;

export interface ProgressOptions {
  /** Default: whether stderr is a terminal. */
  terminal?: boolean;
  /** Where log lines go (default stderr). */
  write?: (line: string) => void;
  intervalSeconds?: number;
  now?: () => number;
}

/** `format` uses cli-progress tokens: {bar}, {value}, {total}, {percentage}, {eta_formatted} and payload keys. */
export function progressBar(format: string, options: ProgressOptions = {}) {
  const terminal = options.terminal ?? process.stderr.isTTY === true;
  const now = options.now ?? (() => performance.now() / 1000);
  const eta = etaClock(now);
  if (terminal) {
    const bar = new cliProgress.SingleBar({format: format.replace('{eta_formatted}', '{eta}')}, cliProgress.Presets.shades_classic);
    let started = false;
    return {
      update(done: number, total: number, payload: Record<string, unknown> = {}) {
        const values = {...payload, eta: eta(done, total)};
        if (!started) bar.start(total, done, values);
        started = true;
        bar.update(done, values);
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const interval = options.intervalSeconds ?? LOG_INTERVAL_S;
  let last: {line: string; at: number} | undefined;
  let pending: string | undefined;
  return {
    update(done: number, total: number, payload: Record<string, unknown> = {}) {
      const line = plainLine(format, {...payload, value: done, total, percentage: total > 0 ? Math.floor((100 * done) / total) : 0, eta_formatted: eta(done, total)});
      const t = now();
      if (!last || t - last.at >= interval || (done >= total && line !== last.line)) {
        write(line);
        last = {line, at: t};
        pending = undefined;
      } else {
        pending = line;
      }
    },
    stop() {
      // The state at the end, once, if the last interval held it back.
      if (pending !== undefined && pending !== last?.line) write(pending);
      pending = undefined;
    },
  };
}

/** The format with every {token} filled in and the bar left out. */
export function plainLine(format: string, values: Record<string, unknown>): string {
  return format
    .replace(/\s*\[\{bar\}\]\s*/, ' ')
    .replace(/\{(\w+)\}/g, (_, key: string) => (values[key] === undefined ? '' : String(values[key])))
    .trim();
}

/** ETA from the pace since the first update that showed progress: "–" until there is a pace. */
function etaClock(now: () => number) {
  let origin: {done: number; at: number} | undefined;
  return (done: number, total: number): string => {
    const t = now();
    if (!origin) origin = {done, at: t};
    if (done >= total) return '0s';
    const rate = (done - origin.done) / (t - origin.at);
    if (!(rate > 0) || !Number.isFinite(rate)) return '–';
    return formatSeconds((total - done) / rate);
  };
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
