import { z } from 'zod';
import type { CelValidation } from './cel-rules.ts';

/**
 * A Kubernetes structural schema node (apiextensions.k8s.io/v1 JSONSchemaProps), restricted to the
 * keywords we generate.
 */
export interface JsonSchemaProps {
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  required?: string[];
  properties?: Record<string, JsonSchemaProps>;
  additionalProperties?: JsonSchemaProps;
  items?: JsonSchemaProps;
  anyOf?: JsonSchemaProps[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: CelValidation[];
}

/** The order keys are written in, so the generated YAML is stable and reads top-down. */
const KEY_ORDER = [
  'description',
  'type',
  'format',
  'default',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'x-kubernetes-int-or-string',
  'anyOf',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'x-kubernetes-validations',
] as const satisfies readonly (keyof JsonSchemaProps)[];

const COPIED = new Set<string>(KEY_ORDER);

/**
 * Keywords zod emits that a structural schema cannot hold and that we drop on purpose:
 * `$schema` (root only), `propertyNames` (map key rules: enforced by parse() only).
 */
const DROPPED = new Set(['$schema', 'propertyNames']);

export class StructuralSchemaError extends Error {}

type RawNode = Record<string, unknown>;

function isRecord(value: unknown): value is RawNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmptyObject(value: unknown): boolean {
  return isRecord(value) && Object.keys(value).length === 0;
}

function convertNode(raw: unknown, path: string): JsonSchemaProps {
  if (!isRecord(raw)) throw new StructuralSchemaError(`${path || '<root>'}: schema node is not an object`);
  const at = path || '<root>';
  const preserveUnknown = raw['x-kubernetes-preserve-unknown-fields'] === true;
  const intOrString = raw['x-kubernetes-int-or-string'] === true;
  const out: Record<string, unknown> = {};

  for (const [key, value] of Object.entries(raw)) {
    if (DROPPED.has(key)) continue;
    if (!COPIED.has(key)) throw new StructuralSchemaError(`${at}: unsupported JSON Schema keyword "${key}"`);
    switch (key) {
      case 'type':
        if (typeof value !== 'string') throw new StructuralSchemaError(`${at}: type must be a single string`);
        out[key] = value;
        break;
      case 'properties': {
        if (!isRecord(value)) throw new StructuralSchemaError(`${at}: properties must be an object`);
        out[key] = Object.fromEntries(
          Object.entries(value).map(([name, child]) => [name, convertNode(child, `${path}.${name}`)]),
        );
        break;
      }
      case 'additionalProperties':
        // zod's looseObject says `additionalProperties: {}`: in Kubernetes that is what
        // x-kubernetes-preserve-unknown-fields means, and the two keywords must not be combined.
        if (isEmptyObject(value) || value === true) {
          if (!preserveUnknown) {
            throw new StructuralSchemaError(
              `${at}: an open object needs x-kubernetes-preserve-unknown-fields (use openObject())`,
            );
          }
          break;
        }
        if (value === false) break;
        out[key] = convertNode(value, `${path}.*`);
        break;
      case 'items':
        out[key] = convertNode(value, `${path}[]`);
        break;
      case 'anyOf': {
        if (!intOrString) {
          throw new StructuralSchemaError(`${at}: anyOf is only allowed for x-kubernetes-int-or-string`);
        }
        const types = (value as RawNode[]).map((branch) => branch['type']).sort();
        if (types.join(',') !== 'integer,string') {
          throw new StructuralSchemaError(`${at}: int-or-string must be anyOf integer and string`);
        }
        out[key] = [{ type: 'integer' }, { type: 'string' }];
        break;
      }
      case 'required':
        if (Array.isArray(value) && value.length > 0) out[key] = [...(value as string[])];
        break;
      case 'minimum':
      case 'maximum':
        // z.int() bounds itself to the safe-integer range; Kubernetes integers are int64 anyway.
        if (Math.abs(value as number) !== Number.MAX_SAFE_INTEGER) out[key] = value;
        break;
      default:
        out[key] = value;
    }
  }

  if (out['type'] === undefined && !intOrString && !preserveUnknown) {
    throw new StructuralSchemaError(
      `${at}: every node needs a type (unions other than int-or-string are not structural)`,
    );
  }
  if (out['properties'] !== undefined && out['additionalProperties'] !== undefined) {
    throw new StructuralSchemaError(`${at}: properties and additionalProperties are mutually exclusive`);
  }
  const ordered: Record<string, unknown> = {};
  for (const key of KEY_ORDER) if (out[key] !== undefined) ordered[key] = out[key];
  return ordered as JsonSchemaProps;
}

/**
 * zod → Kubernetes structural schema. Input shapes (io: 'input') so defaulted fields are optional;
 * inline only (no $ref); openapi-3.0 flavour; then the conversion above, which refuses anything a
 * structural schema cannot express instead of dropping it silently.
 */
export function toStructuralSchema(schema: z.ZodType): JsonSchemaProps {
  const raw = z.toJSONSchema(schema, {
    io: 'input',
    target: 'openapi-3.0',
    unrepresentable: 'throw',
    reused: 'inline',
    cycles: 'throw',
  });
  return convertNode(raw, '');
}

/** Every node of a schema with its path (`.spec.savepoint`, `.spec.jobs[]`), depth first. */
export function* schemaNodes(
  schema: JsonSchemaProps,
  path = '',
): Generator<{ path: string; node: JsonSchemaProps }> {
  yield { path, node: schema };
  for (const [name, child] of Object.entries(schema.properties ?? {}))
    yield* schemaNodes(child, `${path}.${name}`);
  if (schema.additionalProperties) yield* schemaNodes(schema.additionalProperties, `${path}.*`);
  if (schema.items) yield* schemaNodes(schema.items, `${path}[]`);
}

/**
 * The structural-schema rules of apiextensions.k8s.io/v1 that matter for what we generate, plus
 * ours (every property has a description; list-map keys are required or defaulted). An empty list
 * means the schema is structural.
 */
export function structuralViolations(schema: JsonSchemaProps): string[] {
  const problems: string[] = [];
  for (const { path, node } of schemaNodes(schema)) {
    const at = path || '<root>';
    const raw = node as Record<string, unknown>;
    for (const key of ['$ref', 'oneOf', 'allOf', 'not', 'definitions', 'patternProperties', 'dependencies']) {
      if (key in raw) problems.push(`${at}: ${key} is not allowed`);
    }
    const special =
      node['x-kubernetes-int-or-string'] === true || node['x-kubernetes-preserve-unknown-fields'] === true;
    if (!node.type && !special) problems.push(`${at}: missing type`);
    if (node.properties && node.additionalProperties)
      problems.push(`${at}: properties with additionalProperties`);
    if (node.anyOf) {
      const ok =
        node['x-kubernetes-int-or-string'] === true &&
        node.anyOf.length === 2 &&
        node.anyOf.every((b) => Object.keys(b).length === 1 && (b.type === 'integer' || b.type === 'string'));
      if (!ok) problems.push(`${at}: anyOf other than int-or-string`);
    }
    if (node.type === 'array' && !node.items) problems.push(`${at}: array without items`);
    if (node['x-kubernetes-list-type'] === 'map') {
      const keys = node['x-kubernetes-list-map-keys'] ?? [];
      const item = node.items;
      if (keys.length === 0) problems.push(`${at}: list-type map without list-map-keys`);
      for (const key of keys) {
        const required = item?.required?.includes(key) ?? false;
        const defaulted = item?.properties?.[key]?.default !== undefined;
        if (!required && !defaulted)
          problems.push(`${at}: list-map key ${key} is neither required nor defaulted`);
      }
    }
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      // The root metadata may hold nothing but its type (the API server owns its schema).
      if (path === '' && name === 'metadata') continue;
      if (!child.description) problems.push(`${path}.${name}: missing description`);
    }
  }
  return problems;
}
