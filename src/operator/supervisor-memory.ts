// The supervisor container's memory settings, derived from its memory limit: V8's old space ends
// below the limit, so the garbage collector works harder as the heap nears it instead of the kernel
// killing the pod, and a small young generation keeps the resident set close to what is live.
// docs/performance.md has the measurements these numbers come from.
import type { V1EnvVar } from '@kubernetes/client-node';

/** What a supervisor holds outside V8's old space: Node and its libraries, code, young generation, buffers. */
export const SUPERVISOR_NON_HEAP_MIB = 64;
/** The smallest old space given, whatever the limit (a supervisor's live heap is about 20 MiB). */
export const SUPERVISOR_MIN_OLD_SPACE_MIB = 32;
/** Young generation semi-space: Node's default grows to tens of MiB a supervisor never needs. */
export const SUPERVISOR_SEMI_SPACE_MIB = 2;

const BINARY = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 } as const;
const DECIMAL = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 } as const;

/** Bytes of a Kubernetes memory quantity (`256Mi`, `1G`, `268435456`, `1e9`); undefined when unreadable. */
export function quantityBytes(quantity: string | number): number | undefined {
  if (typeof quantity === 'number') return quantity;
  const m = /^\+?(\d+(?:\.\d*)?|\.\d+)([KMGTPE]i|[mkMGTPE]|[eE][+-]?\d+)?$/.exec(quantity.trim());
  if (!m) return undefined;
  const value = Number(m[1]);
  const suffix = m[2] ?? '';
  if (suffix === '') return value;
  if (suffix in BINARY) return value * BINARY[suffix as keyof typeof BINARY];
  if (suffix in DECIMAL) return value * DECIMAL[suffix as keyof typeof DECIMAL];
  return value * 10 ** Number(suffix.slice(1));
}

/** Node's options for a supervisor with this memory limit (none: only the young generation is bounded). */
export function supervisorNodeOptions(memoryLimit: string | number | undefined): string {
  const semi = `--max-semi-space-size=${SUPERVISOR_SEMI_SPACE_MIB}`;
  const bytes = memoryLimit === undefined ? undefined : quantityBytes(memoryLimit);
  if (bytes === undefined) return semi;
  const oldSpace = Math.max(
    SUPERVISOR_MIN_OLD_SPACE_MIB,
    Math.floor(bytes / 2 ** 20) - SUPERVISOR_NON_HEAP_MIB,
  );
  return `--max-old-space-size=${oldSpace} ${semi}`;
}

/**
 * The container environment that applies them, and two of glibc's malloc settings.
 * MALLOC_MMAP_THRESHOLD_: allocations of 16 KiB and more (V8's parser and compiler zones) are
 * served with mmap, so freed ones go back to the system instead of staying resident in malloc's
 * heap (about 20 MiB for a supervisor). MALLOC_ARENA_MAX: two arenas instead of one per thread
 * (libuv's pool, V8's workers), each of which keeps what was freed in it (about 4 MiB).
 */
export function supervisorMemoryEnv(memoryLimit: string | number | undefined): V1EnvVar[] {
  return [
    { name: 'NODE_OPTIONS', value: supervisorNodeOptions(memoryLimit) },
    { name: 'MALLOC_MMAP_THRESHOLD_', value: '16384' },
    { name: 'MALLOC_ARENA_MAX', value: '2' },
  ];
}
