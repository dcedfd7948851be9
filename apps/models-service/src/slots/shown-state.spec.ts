import { describe, expect, it } from 'vitest';
import type { SlotView } from '@helix/contracts';
import { shownState } from './slot.repository';

const slot = (
  state: SlotView['state'],
  runner_id: string | null,
  code: NonNullable<SlotView['error']>['code'] | null,
): Pick<SlotView, 'state' | 'runner_id' | 'error'> => ({
  state,
  runner_id,
  error: code ? { code, message: 'm' } : null,
});

describe('shownState', () => {
  it('shows the unplaced no_capacity row as scheduled: it waits for room, it has not failed', () => {
    expect(shownState(slot('failed', null, 'no_capacity'))).toBe('scheduled');
  });

  it('leaves real failures failed, including no_capacity on a runner (no free vLLM port)', () => {
    expect(shownState(slot('failed', 'gpu-1', 'no_capacity'))).toBe('failed');
    expect(shownState(slot('failed', 'gpu-1', 'hf_auth'))).toBe('failed');
    expect(shownState(slot('failed', null, 'crash'))).toBe('failed');
    expect(shownState(slot('running', 'gpu-1', null))).toBe('running');
  });
});
