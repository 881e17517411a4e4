// Deterministic identifiers and digests, computed without node:crypto so that machines stay pure.
// Flink job ids and savepoint trigger ids are derived from persisted context (resource uid, a seed
// chosen when the machine's context was created, and a counter), so a supervisor that crashes
// between recording an intent and acting on it repeats the SAME id: Flink rejects the duplicate
// submission and deduplicates the trigger, and nothing is done twice.

const FNV_OFFSET_128 = 0x6c62272e07bb014262b821756295c58dn;
const FNV_PRIME_128 = 0x0000000001000000000000000000013bn;
const MASK_128 = (1n << 128n) - 1n;

function utf8(text: string): number[] {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000)
      bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else
      bytes.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 0x3f),
        0x80 | ((code >> 6) & 0x3f),
        0x80 | (code & 0x3f),
      );
  }
  return bytes;
}

/** FNV-1a, 128 bits, as 32 lowercase hex characters. Not cryptographic: ids and digests only. */
export function fnv1a128(text: string): string {
  let hash = FNV_OFFSET_128;
  for (const byte of utf8(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME_128) & MASK_128;
  }
  return hash.toString(16).padStart(32, '0');
}

/**
 * FNV-1a spreads the last bytes of its input poorly (ids of counters 1 and 2 would differ in a few
 * hex digits only); a second pass over the first hash followed by the text makes every difference
 * visible everywhere. Still not cryptographic.
 */
export function hash128(text: string): string {
  return fnv1a128(`${fnv1a128(text)}/${text}`);
}

/** Identity of a machine instance: the resource uid plus a seed fixed when its context was created. */
export interface IdentitySeed {
  readonly uid: string;
  readonly idSeed: string;
}

/** The Flink JobID (32 hex) of submission number `submission` of this FlinkJob. */
export function flinkJobId(identity: IdentitySeed, submission: number): string {
  return hash128(`flinkvisor/job/${identity.uid}/${identity.idSeed}/${submission}`);
}

/** The savepoint TriggerId (32 hex) of savepoint number `counter` (periodic, manual or stop). */
export function savepointTriggerId(identity: IdentitySeed, counter: number): string {
  return hash128(`flinkvisor/savepoint/${identity.uid}/${identity.idSeed}/${counter}`);
}

/** JSON with object keys sorted, so that key order never counts as a change. Arrays keep order. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => stableStringify(item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableStringify(item)}`).join(',')}}`;
}

/**
 * Digest of a sub-spec for change detection (cluster: runtime/jobManager/taskManager; job: the
 * bootstrap/jar settings). Object key order is ignored; array order and values count.
 */
export function specDigest(value: unknown): string {
  return hash128(stableStringify(value));
}
