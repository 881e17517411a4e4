/**
 * JSON merge patch (RFC 7386), as the API server applies it: objects merge key by key, `null`
 * removes a key, anything else (arrays included) replaces. The control API applies a PUT body to
 * the stored spec with it, validates the result, and then sends the same patch preconditioned on
 * the resourceVersion it read — so what was validated is what gets stored.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
