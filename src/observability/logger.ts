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

/**
 * Keys whose values are secrets at ANY depth (pino's `redact` paths above only reach fixed paths).
 * Compared after lower-casing and dropping everything but letters and digits, so `secretKey`,
 * `secret-key`, `s3.secret-key` and `fs.s3a.secret.key` all match; a key matches when it equals or
 * ends with one of these. Access key *ids* are not secret and are deliberately absent.
 */
const SECRET_KEY_SUFFIXES = [
  'token',
  'password',
  'passwd',
  'secret',
  'secretkey',
  'secretaccesskey',
  'authorization',
  'cookie',
  'setcookie',
  'privatekey',
  'apikey',
  'kubeconfig',
  'flinkproperties',
];
const CENSOR = '[redacted]';
const MAX_DEPTH = 16;

function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SECRET_KEY_SUFFIXES.some((s) => k.endsWith(s));
}

/** PEM key material and the like, wherever it turns up as a value. */
function isSecretValue(value: string): boolean {
  return value.includes('-----BEGIN');
}

/**
 * Credentials inside a string under an innocent key: errors are logged as `String(err)`, and an
 * HTTP client's message may quote the request's `Authorization: Bearer …` or a `?token=` query.
 */
const INLINE_SECRETS =
  /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+|([?&](?:access_token|token|password)=)[^&\s"']+/gi;

function redactInline(value: string): string {
  return value.replace(INLINE_SECRETS, (match: string, scheme?: string, query?: string) =>
    scheme ? `${scheme} ${CENSOR}` : query ? `${query}${CENSOR}` : match,
  );
}

/** `key=value` and `key: value` where the key names a secret (a configuration dump in a message). */
const KEY_VALUE_SECRETS =
  /\b([\w.-]*(?:secret|password|passwd|token|private[._-]?key|api[._-]?key)[\w.-]*)(\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;"'}\]]+)/gi;
/** `scheme://user:password@host` */
const URL_USERINFO = /(\/\/)[^/\s:@]+:[^/\s@]+@/g;

/**
 * Free text (a Flink exception, a tool's output) with the credentials it may quote censored: bearer
 * and basic credentials, token and password query parameters, `key=value` pairs whose key names a
 * secret, the user info of URLs, and PEM blocks.
 */
export function redactText(text: string): string {
  return redactInline(text)
    .replace(KEY_VALUE_SECRETS, (_m: string, key: string, sep: string) => `${key}${sep}${CENSOR}`)
    .replace(URL_USERINFO, `$1${CENSOR}@`)
    .replace(/-----BEGIN [^-]+-----[\s\S]*?(-----END [^-]+-----|$)/g, CENSOR);
}

/**
 * A copy of `value` with secrets censored at any depth (objects, arrays, errors), cycle-safe and
 * depth-bounded; the input is never mutated. Errors are serialized first (as pino would) so their
 * own fields (`err.config.token`) are walked too.
 */
export function redactDeep(value: unknown, depth = 0, ancestors: object[] = []): unknown {
  if (typeof value === 'string') return isSecretValue(value) ? CENSOR : redactInline(value);
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.includes(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[truncated]';
  const source: object = value instanceof Error ? (pino.stdSerializers.err(value) as object) : value;
  if (source !== value && ancestors.includes(source)) return '[Circular]';
  if (!(value instanceof Error) && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return value; // Date, Buffer, URL…: serialized by their own toJSON
  }
  const inner = [...ancestors, value];
  if (Array.isArray(source)) return source.map((v: unknown) => redactDeep(v, depth + 1, inner));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(source)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null ? CENSOR : redactDeep(v, depth + 1, inner);
  }
  return out;
}

export interface LoggerOptions {
  readonly level?: string;
  readonly name: string;
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const logger = pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      base: { component: options.name },
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      // formatters.log (below) already serialized errors; re-serializing the plain copy would lose
      // the error's type, so the err serializer only handles what is still a real Error.
      serializers: { err: (e: unknown) => (e instanceof Error ? pino.stdSerializers.err(e) : e) },
      formatters: {
        log: (obj) => redactDeep(obj) as Record<string, unknown>,
        bindings: (bindings) => redactDeep(bindings) as Record<string, unknown>,
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
  // pino skips formatters.bindings for child bindings; children are Object.create(parent), so this
  // override is inherited by every descendant.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactDeep(bindings) as typeof bindings, childOptions);
  } as typeof logger.child;
  return logger;
}

export type { Logger };
