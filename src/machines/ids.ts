// Deterministic identifiers and digests, computed without node:crypto so that machines stay pure.
// Flink job ids and savepoint trigger ids are derived from persisted context (resource uid, a seed
// chosen when the machine's context was created, and a counter), so a supervisor that crashes
// between recording an intent and acting on it repeats the SAME id: Flink rejects the duplicate
// submission and deduplicates the trigger, and nothing is done twice.

// FNV-1a 128: offset basis 0x6c62272e07bb014262b821756295c58d, prime 2^88 + 0x13b. The hash is
// kept as eight 16-bit limbs (least significant first) so that every product stays an exact double:
// a BigInt per byte made digests the supervisor's costliest computation (they run on every pass).
const FNV_OFFSET_LIMBS = [0xc58d, 0x6295, 0x2175, 0x62b8, 0x0142, 0x07bb, 0x272e, 0x6c62];
const FNV_PRIME_LOW = 0x13b;

/** hash = (hash XOR byte) * prime mod 2^128, in place. */
function fnvStep(h: number[], byte: number): void {
  h[0] = (h[0] as number) ^ byte;
  // hash * 0x13b + (hash << 88): 88 bits are five limbs and 8 bits.
  // The limbs shifted into 5..7 are read before the loop overwrites them.
  let carry = 0;
  const o0 = h[0] as number,
    o1 = h[1] as number,
    o2 = h[2] as number;
  for (let k = 0; k < 8; k++) {
    const shifted = k === 5 ? o0 : k === 6 ? o1 : k === 7 ? o2 : 0;
    const v = (h[k] as number) * FNV_PRIME_LOW + shifted * 0x100 + carry;
    h[k] = v & 0xffff;
    carry = Math.floor(v / 0x10000);
  }
}

/** FNV-1a, 128 bits, as 32 lowercase hex characters. Not cryptographic: ids and digests only. */
export function fnv1a128(text: string): string {
  const h = [...FNV_OFFSET_LIMBS];
  // UTF-8 of each code point (a lone surrogate as its own three bytes, as codePointAt gives it).
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i) ?? 0;
    if (code < 0x80) fnvStep(h, code);
    else if (code < 0x800) {
      fnvStep(h, 0xc0 | (code >> 6));
      fnvStep(h, 0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      fnvStep(h, 0xe0 | (code >> 12));
      fnvStep(h, 0x80 | ((code >> 6) & 0x3f));
      fnvStep(h, 0x80 | (code & 0x3f));
    } else {
      fnvStep(h, 0xf0 | (code >> 18));
      fnvStep(h, 0x80 | ((code >> 12) & 0x3f));
      fnvStep(h, 0x80 | ((code >> 6) & 0x3f));
      fnvStep(h, 0x80 | (code & 0x3f));
      i++;
    }
  }
  let hex = '';
  for (let k = 7; k >= 0; k--) hex += (h[k] as number).toString(16).padStart(4, '0');
  return hex;
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

/** A key as JSON: the same few field names come back in every status, quoted once each. */
function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    if (quotedKeys.size >= QUOTED_KEYS) quotedKeys.clear();
    quoted = JSON.stringify(key);
    quotedKeys.set(key, quoted);
  }
  return quoted;
}

const QUOTED_KEYS = 4096;
const quotedKeys = new Map<string, string>();

/** JSON with object keys sorted, so that key order never counts as a change. Arrays keep order. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => stableStringify(item)).join(',')}]`;
  // Keys sort by UTF-16 code units (Array.prototype.sort's own order); written with a loop, not
  // entries/filter/map: statuses are compared this way on every write.
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let text = '{';
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    if (text.length > 1) text += ',';
    text += `${quotedKey(key)}:${stableStringify(item)}`;
  }
  return `${text}}`;
}

/**
 * Digest of a sub-spec for change detection (cluster: runtime/jobManager/taskManager; job: the
 * bootstrap/jar settings). Object key order is ignored; array order and values count.
 */
export function specDigest(value: unknown): string {
  const text = stableStringify(value);
  let digest = recentDigests.get(text);
  if (digest === undefined) {
    // The same few specs are digested on every pass: remember the latest ones, within a bound.
    if (recentDigests.size >= RECENT_DIGESTS) recentDigests.clear();
    digest = hash128(text);
    recentDigests.set(text, digest);
  }
  return digest;
}

const RECENT_DIGESTS = 256;
const recentDigests = new Map<string, string>();
