import { parseSlotCreate, type FieldError, type SlotCreateCommand } from '@helix/contracts';

/** Checks a `runner.<id>.slots.create` payload with the shared parser; returns the field errors (empty when valid). */
export function slotCreateErrors(c: SlotCreateCommand): FieldError[] {
  const result = parseSlotCreate(c);
  return result.ok ? [] : result.errors;
}
