/** Progress lines with durations, so a cold setup that takes minutes says what it is doing. */
export interface Progress {
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
  note(message: string): void;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

export function consoleProgress(write: (line: string) => void, now: () => number = Date.now): Progress {
  return {
    async step(label, work) {
      const started = now();
      write(`[devenv] ${label} ...`);
      try {
        const result = await work();
        write(`[devenv] ${label}: done in ${formatDuration(now() - started)}`);
        return result;
      } catch (err) {
        write(`[devenv] ${label}: FAILED after ${formatDuration(now() - started)}`);
        throw err;
      }
    },
    note(message) {
      write(`[devenv] ${message}`);
    },
  };
}

export const silentProgress: Progress = {
  step: (_label, work) => work(),
  note: () => undefined,
};
