import { describe, expect, it } from 'vitest';
import { slotCreateErrors } from './slot-command';

const ok = {
  slot_id: '3f2b8c1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f',
  model: { id: 'Qwen/Qwen2.5', type: 'chat', memory: 39e9, context_length: 32768, runtime_args: ['--x'] },
} as const;

describe('slotCreateErrors', () => {
  it('accepts a well-formed command', () => expect(slotCreateErrors(ok as never)).toEqual([]));
  it('names every bad field', () => {
    const bad = { slot_id: 'nope', model: { id: 'a//b', type: 'audio', memory: -1, context_length: 0, runtime_args: [1] }, user_id: 'has space' };
    expect(slotCreateErrors(bad as never).map((e) => e.field)).toEqual([
      'slot_id',
      'model.id',
      'model.type',
      'model.memory',
      'model.context_length',
      'model.runtime_args',
      'user_id',
    ]);
  });
  it('rejects a missing model', () => expect(slotCreateErrors({ slot_id: ok.slot_id } as never).map((e) => e.field)).toEqual(['model']));
});
