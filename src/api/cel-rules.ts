import type { z } from 'zod';

/**
 * A cross-field rule, written once and enforced twice: by the API server at admission (as a CEL
 * `x-kubernetes-validations` entry of the CRD schema) and by `parse*()` in TypeScript (so the
 * control API and CLI reject the same input with the same words before calling the API server,
 * and the supervisor notices an object stored before a rule existed). Unit tests run the invalid
 * fixtures through `parse*()`, integration tests through the API server.
 */
export interface CrossFieldRule<T> {
  /** CEL; `self` is the value of the schema node the rule is attached to (defaults applied). */
  readonly rule: string;
  /** Names the offending field(s) and says how to fix them. */
  readonly message: string;
  /** A CEL expression computing the message (for example the names of the offending list items). */
  readonly messageExpression?: string;
  /** Where the API server reports the error, relative to the node (`.minJobParallelism`). */
  readonly fieldPath?: string;
  readonly reason?:
    'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden' | 'FieldValueDuplicate';
  /**
   * The rule in TypeScript: true when the value is valid, else false or a more specific message.
   * Absent only for transition rules (`oldSelf`), which need the stored object.
   */
  readonly check?: (value: T) => boolean | string;
}

/** The CEL part of a rule, as it appears in the CRD. */
export interface CelValidation {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly fieldPath?: string;
  readonly reason?: string;
}

export const VALIDATIONS_KEY = 'x-kubernetes-validations';

function toCel<T>(rule: CrossFieldRule<T>): CelValidation {
  return {
    rule: rule.rule,
    ...(rule.messageExpression === undefined ? { message: rule.message } : {}),
    ...(rule.messageExpression === undefined ? {} : { messageExpression: rule.messageExpression }),
    ...(rule.fieldPath === undefined ? {} : { fieldPath: rule.fieldPath }),
    ...(rule.reason === undefined ? {} : { reason: rule.reason }),
  };
}

/** `.a.b` → `['a', 'b']`: the zod issue path of a CEL fieldPath. */
export function fieldPathSegments(fieldPath: string | undefined): string[] {
  if (!fieldPath) return [];
  return fieldPath.split('.').filter((segment) => segment !== '');
}

/** Attaches the rules to a schema: as CEL for the CRD and as refinements for `parse()`. */
export function withRules<S extends z.ZodType>(schema: S, rules: readonly CrossFieldRule<z.output<S>>[]): S {
  const existing = (schema.meta()?.[VALIDATIONS_KEY] as CelValidation[] | undefined) ?? [];
  const refined = schema.superRefine((value, ctx) => {
    for (const rule of rules) {
      const verdict = rule.check?.(value as z.output<S>);
      if (verdict === undefined || verdict === true) continue;
      ctx.addIssue({
        code: 'custom',
        message: typeof verdict === 'string' ? verdict : rule.message,
        path: fieldPathSegments(rule.fieldPath),
      });
    }
  });
  return refined.meta({ [VALIDATIONS_KEY]: [...existing, ...rules.map(toCel)] }) as S;
}
