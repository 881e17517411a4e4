/**
 * Flink answers a failed call with `{"errors": ["<message and a whole Java stack trace>", ...]}`, and an
 * asynchronous operation's failure with `{"class": ..., "stack-trace": ...}`. Both can run to kilobytes
 * and can quote configuration values, so errors, logs and status conditions carry an excerpt only:
 * the exception lines without stack frames, cut to a fixed length.
 */

export const MAX_EXCERPT_CHARS = 300;
const MAX_EXCERPTS = 5;

const FRAME = /^\s*(at |\.\.\. \d+ more|\.\.\.\s*$)/;
const WRAPPER = /^(<Exception on server side:|End of exception on server side>|Internal server error\.?)$/;

function clip(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}

/** The `errors` array of a Flink error body, or undefined when the body is not one. */
export function parseFlinkErrorBody(text: string): string[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const errors = (value as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return undefined;
  return errors.filter((e): e is string => typeof e === 'string');
}

/**
 * One Flink error message reduced to its exception lines, clipped. Between the outermost exception
 * (what failed) and the root cause (why) Flink stacks wrappers that say little, so when there are
 * more than two, the excerpt keeps those two: "X: msg; …; Caused by: Root: msg".
 */
export function excerptFlinkMessage(message: string, maxChars = MAX_EXCERPT_CHARS): string {
  const lines: string[] = [];
  for (const raw of message.split('\n')) {
    const line = raw.trim();
    if (!line || FRAME.test(raw) || WRAPPER.test(line)) continue;
    if (lines.at(-1) !== line) lines.push(line);
  }
  if (lines.length <= 2) return clip(lines.join('; '), maxChars);
  const first = lines[0] ?? '';
  const root = lines.at(-1) ?? '';
  const joined = `${first}; …; ${root}`;
  if (joined.length <= maxChars) return joined;
  // Too long for both: the root cause matters more than the wrapper.
  const budget = Math.max(0, maxChars - root.length - 5);
  return budget > 20 ? `${clip(first, budget)}; …; ${root}` : clip(root, maxChars);
}

/** At most a few excerpts of a Flink `errors` array. */
export function excerptFlinkErrors(errors: readonly string[], maxChars = MAX_EXCERPT_CHARS): string[] {
  return errors
    .map((e) => excerptFlinkMessage(e, maxChars))
    .filter((e) => e.length > 0)
    .slice(0, MAX_EXCERPTS);
}

/** A body that is not a Flink error document (a proxy's HTML page, plain text): one clipped line. */
export function excerptText(text: string, maxChars = 200): string {
  return clip(text.replace(/\s+/g, ' ').trim(), maxChars);
}
