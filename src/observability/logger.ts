import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * The one logger factory. Secrets never reach logs: these paths are censored wherever they appear
 * (the list is tested in test/unit/observability/logger.test.ts). Messages are short and lower case;
 * data goes in fields.
 */
export const REDACTED_PATHS = [
  'token',
  'bearerToken',
  'password',
  'secret',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'kubeconfig',
  'env.AWS_SECRET_ACCESS_KEY',
  'env.AWS_ACCESS_KEY_ID',
  'env.FLINK_PROPERTIES',
  'spec.flinkConfiguration["s3.secret-key"]',
  'spec.flinkConfiguration["s3.access-key"]',
  'flinkConfiguration["s3.secret-key"]',
  'flinkConfiguration["s3.access-key"]',
  'flinkConfiguration["fs.s3a.secret.key"]',
  'flinkConfiguration["fs.s3a.access.key"]',
];

export interface LoggerOptions {
  readonly level?: string;
  readonly name: string;
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      base: { component: options.name },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

export type { Logger };
