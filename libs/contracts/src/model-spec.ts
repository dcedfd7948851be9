import type { FieldError } from './errors';
import { KNOWN_RUNTIMES, MODEL_TYPES, SUPPORTED_RUNTIMES, isModelId, normalizeRuntimeArgs, type ModelSpec } from './models';
import { isOrgId, isUserId, ORG_ID_MESSAGE, USER_ID_MESSAGE } from './orgs';
import { isRecord } from './parse-result';

// The one rule set for a model: the gateway's DTO and the models-service both apply it. Every
// message names the field and the expected form, never the rejected value.

export const CONTEXT_LENGTH_MAX = 10_000_000;
const NO_CONTROL_CHARS = /^[^\x00-\x1F\x7F]*$/;

/** A flag that hands vLLM a token on its command line (`--hf-token x`, `--hf-token=x`; vLLM reads `_` as `-`). */
const TOKEN_FLAG = /^--hf[-_]token(=|$)/;
/** A Hugging Face token value (`hf_` and at least 20 token characters), alone or after `=`, `:` and the like. */
const TOKEN_VALUE = /(^|[^A-Za-z0-9])hf_[A-Za-z0-9]{20,}/;

/** Whether runtime args would put a Hugging Face token in clear into models.models and every model response. */
export function runtimeArgsCarryToken(args: readonly string[]): boolean {
  return args.some((a) => TOKEN_FLAG.test(a) || TOKEN_VALUE.test(a));
}

export const isModelName = (v: unknown): boolean => typeof v === 'string' && v.length >= 1 && v.length <= 256 && NO_CONTROL_CHARS.test(v);
export const isContextLength = (v: unknown): boolean => v === null || (Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= CONTEXT_LENGTH_MAX);
const isBool = (v: unknown): boolean => typeof v === 'boolean';

export interface FieldRule {
  check: (value: unknown) => boolean;
  /** A function only to choose between messages; it must not quote the value. */
  message: string | ((value: unknown) => string);
}

const RUNTIME_ARGS_SHAPE = 'runtime_args must be an array of at most 256 strings (or {"args": [...]}), each at most 4096 characters';
export const RUNTIME_ARGS_TOKEN_MESSAGE =
  'runtime_args must not carry a Hugging Face token (--hf-token or an hf_… value); set the token with PUT /api/v1/system/settings instead';

/** The rule of each field of a stored model (memory in bytes; runtime_args in either accepted form). */
export const MODEL_SPEC_RULES: { [K in keyof ModelSpec]-?: FieldRule } = {
  id: { check: isModelId, message: 'id must be 1 to 256 letters, digits or . _ - : @ + in "/"-separated parts, e.g. Qwen/Qwen2.5-VL-7B-Instruct' },
  name: { check: isModelName, message: 'name must be a string of 1 to 256 characters without control characters' },
  type: { check: (v) => (MODEL_TYPES as readonly unknown[]).includes(v), message: `type must be one of: ${MODEL_TYPES.join(', ')}` },
  runtime: {
    check: (v) => (SUPPORTED_RUNTIMES as readonly unknown[]).includes(v),
    message: (v) =>
      typeof v === 'string' && (KNOWN_RUNTIMES as readonly string[]).includes(v.toLowerCase())
        ? `runtime is not supported yet: only ${SUPPORTED_RUNTIMES.join(', ')} models can be deployed`
        : `runtime must be one of: ${SUPPORTED_RUNTIMES.join(', ')}`,
  },
  memory: { check: (v) => Number.isSafeInteger(v) && (v as number) > 0, message: 'memory must be a positive whole number of bytes' },
  context_length: { check: isContextLength, message: `context_length must be a whole number from 1 to ${CONTEXT_LENGTH_MAX}` },
  description: { check: (v) => typeof v === 'string' && v.length <= 4096, message: 'description must be a string of at most 4096 characters' },
  enabled: { check: isBool, message: 'enabled must be true or false' },
  auto_pull: { check: isBool, message: 'auto_pull must be true or false' },
  prewarm: { check: isBool, message: 'prewarm must be true or false' },
  runtime_args: {
    check: (v) => {
      const args = normalizeRuntimeArgs(v);
      return args !== null && !runtimeArgsCarryToken(args);
    },
    message: (v) => (normalizeRuntimeArgs(v) === null ? RUNTIME_ARGS_SHAPE : RUNTIME_ARGS_TOKEN_MESSAGE),
  },
  // Only the form is checked here; that the org and the user exist is the gateway's check (it owns both tables).
  org_id: { check: (v) => v === null || isOrgId(v), message: `org_id must be null or an org id: it ${ORG_ID_MESSAGE}` },
  owner_id: { check: (v) => v === null || isUserId(v), message: `owner_id must be null or a user id: it ${USER_ID_MESSAGE}` },
};

export function ruleMessage(rule: FieldRule, value: unknown): string {
  return typeof rule.message === 'function' ? rule.message(value) : rule.message;
}

/** The error of one field of a model, if its value breaks the field's rule. */
export function modelFieldErrors(field: keyof ModelSpec, value: unknown): FieldError[] {
  const rule = MODEL_SPEC_RULES[field];
  return rule.check(value) ? [] : [{ field, message: ruleMessage(rule, value) }];
}

/** Rules that span fields; checked on the merged model (create, and update after merging). */
export function crossFieldErrors(model: Pick<ModelSpec, 'type' | 'context_length'>): FieldError[] {
  if (model.type === 'chat' && (model.context_length === null || model.context_length === undefined)) {
    return [{ field: 'context_length', message: 'context_length is required for chat models' }];
  }
  return [];
}

/** Every rule a whole model must meet: each field's, then (when those pass) the cross-field ones. */
export function modelSpecErrors(spec: unknown): FieldError[] {
  if (!isRecord(spec)) return [{ field: 'model', message: 'model must be an object' }];
  const errors = (Object.keys(MODEL_SPEC_RULES) as Array<keyof ModelSpec>).flatMap((field) => modelFieldErrors(field, spec[field]));
  return errors.length ? errors : crossFieldErrors(spec as unknown as ModelSpec);
}
