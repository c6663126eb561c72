/** Progress bars for the CLI (cli-progress), started lazily once the total is known. */
import cliProgress from 'cli-progress';

export function progressBar(format: string) {
  const bar = new cliProgress.SingleBar({format, noTTYOutput: !process.stderr.isTTY, notTTYSchedule: 10_000}, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(done: number, total: number, payload: Record<string, unknown> = {}) {
      if (!started) bar.start(total, done, payload);
      started = true;
      bar.update(done, payload);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
