/**
 * The Flink version behind a REST endpoint, read once from `GET /config` (present and body-less in
 * every version), and what it means for requests: which fields a version accepts and which calls it has.
 * Sources: the generated REST specs of each release (docs/rules.md §9, Flink REST API) and checks
 * against real 1.20.5 and 2.3.0 (ADR 0004).
 */

export interface FlinkVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** As Flink reported it, e.g. `1.20.5` or `2.3-SNAPSHOT`. */
  readonly raw: string;
}

/** The oldest release whose request bodies this client knows (every field it sends exists there). */
export const OLDEST_SUPPORTED: FlinkVersion = { major: 1, minor: 17, patch: 0, raw: '1.17.0' };

export function parseFlinkVersion(raw: string): FlinkVersion | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(raw.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), raw: raw.trim() };
}

export function compareFlinkVersions(a: FlinkVersion, b: FlinkVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function isAtLeast(v: FlinkVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

export interface FlinkCapabilities {
  readonly version: FlinkVersion;
  /**
   * Up to 1.19 request bodies are parsed with FAIL_ON_UNKNOWN_PROPERTIES: one unknown field fails the
   * call with 400 "Request did not match expected format" (FLINK-35302 relaxed it in 1.20).
   */
  readonly strictRequestBodies: boolean;
  /** The jar-run field for the savepoint claim mode: `claimMode` from 1.19, `restoreMode` before. */
  readonly claimModeField: 'claimMode' | 'restoreMode';
  /** `programArgs` (one string) was removed in 2.0; `programArgsList` exists in every supported version. */
  readonly programArgsString: boolean;
  /** `GET/PUT /jobs/:jobid/resource-requirements`, from 1.18 (PUT needs the adaptive scheduler). */
  readonly resourceRequirements: boolean;
  /** `/jobs/:jobid/exceptions` still has `root-exception`, `all-exceptions`… (removed in 2.0). */
  readonly legacyExceptionFields: boolean;
  /** Jar runs create an application whose id is the job id (2.3, FLIP-549). */
  readonly applications: boolean;
}

export function capabilitiesOf(version: FlinkVersion): FlinkCapabilities {
  return {
    version,
    strictRequestBodies: !isAtLeast(version, 1, 20),
    claimModeField: isAtLeast(version, 1, 19) ? 'claimMode' : 'restoreMode',
    programArgsString: !isAtLeast(version, 2, 0),
    resourceRequirements: isAtLeast(version, 1, 18),
    legacyExceptionFields: !isAtLeast(version, 2, 0),
    applications: isAtLeast(version, 2, 3),
  };
}

export function isSupportedVersion(version: FlinkVersion): boolean {
  return compareFlinkVersions(version, OLDEST_SUPPORTED) >= 0;
}

export function formatFlinkVersion(v: FlinkVersion): string {
  return v.raw || `${v.major}.${v.minor}.${v.patch}`;
}
