import { isModelId, MODEL_TYPES, normalizeRuntimeArgs, type FieldError, type SlotCreateCommand } from '@helix/contracts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SCOPE_ID = /^[\x21-\x7E]{1,256}$/;

/** Checks a `runner.<id>.slots.create` payload; returns the field errors (empty when valid). */
export function slotCreateErrors(c: SlotCreateCommand): FieldError[] {
  const errors: FieldError[] = [];
  if (typeof c !== 'object' || c === null) return [{ field: 'command', message: 'the command must be a JSON object' }];
  if (typeof c.slot_id !== 'string' || !UUID.test(c.slot_id)) errors.push({ field: 'slot_id', message: 'slot_id must be a UUID' });
  const m = c.model;
  if (typeof m !== 'object' || m === null) return [...errors, { field: 'model', message: 'model must be an object' }];
  if (!isModelId(m.id)) errors.push({ field: 'model.id', message: 'model.id must be a model id' });
  if (!(MODEL_TYPES as readonly unknown[]).includes(m.type)) errors.push({ field: 'model.type', message: `model.type must be one of: ${MODEL_TYPES.join(', ')}` });
  if (!Number.isSafeInteger(m.memory) || m.memory <= 0) errors.push({ field: 'model.memory', message: 'model.memory must be a positive number of bytes' });
  if (!(m.context_length === null || m.context_length === undefined || (Number.isSafeInteger(m.context_length) && m.context_length > 0))) {
    errors.push({ field: 'model.context_length', message: 'model.context_length must be a positive whole number or null' });
  }
  if (normalizeRuntimeArgs(m.runtime_args ?? []) === null) errors.push({ field: 'model.runtime_args', message: 'model.runtime_args must be an array of strings' });
  for (const f of ['user_id', 'org_id'] as const) {
    const v = c[f];
    if (v !== undefined && v !== null && !(typeof v === 'string' && SCOPE_ID.test(v))) errors.push({ field: f, message: `${f} must be an id string or null` });
  }
  return errors;
}
