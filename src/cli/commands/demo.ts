import type { Command } from 'commander';
import { runDemo } from '../../demo/demo.ts';
import { defaultCacheDir } from '../../devenv/prepare.ts';
import { consoleProgress, formatDuration } from '../../devenv/progress.ts';
import type { CliContext } from '../context.ts';
import { DEFAULT_DEBUG_PORT } from '../../visualizer/debug-server.ts';
import { findLeadingSupervisor, kubeSupervisorLookup, visualizerUrl } from './visualize.ts';

export function registerDemoCommands(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description(
      'the demo: a local Kubernetes and Flink, the operator, and a FlinkDeployment with two streaming jobs',
    )
    .option('--cache-dir <dir>', 'cache directory', defaultCacheDir(ctx.env))
    .option('--exit-after-success', 'stop everything and exit once the jobs run and have savepoints (CI)')
    .option('--timeout <seconds>', 'give up waiting for the jobs after this long', '900')
    .action(async (opts: { cacheDir: string; exitAfterSuccess?: boolean; timeout: string }) => {
      const write = (text: string) => ctx.stdout.write(text);
      const result = await runDemo({
        cacheDir: opts.cacheDir,
        env: ctx.env,
        progress: consoleProgress((line) => write(`${line}\n`)),
        write,
        timeoutMs: Number(opts.timeout) * 1000,
        visualizerUrl: async (kc, namespace, cluster) => {
          try {
            const leader = await findLeadingSupervisor(
              kubeSupervisorLookup(kc, namespace, cluster),
              { namespace, cluster },
              Date.now(),
            );
            return visualizerUrl(leader.podIP ?? '127.0.0.1', DEFAULT_DEBUG_PORT);
          } catch (err) {
            return `(none: ${err instanceof Error ? err.message : String(err)})`;
          }
        },
      });
      if (!opts.exitAfterSuccess) {
        write('running; press Ctrl-C to stop everything\n');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
      }
      write('stopping the local environment ...\n');
      await result.environment.stop();
      // The whole run, from start to now: the time spent running until Ctrl-C included.
      write(`done (demo ran ${formatDuration(Date.now() - result.startedAt)})\n`);
    });
}
