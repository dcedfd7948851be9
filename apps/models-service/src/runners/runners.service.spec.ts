import { describe, expect, it } from 'vitest';
import type { RunnerHeartbeat } from '@helix/contracts';
import type { SlotRepository } from '../slots/slot.repository';
import type { RunnerRepository } from './runner.repository';
import { OFFLINE_AFTER_MS, RunnersService } from './runners.service';

const hb = { runner_id: 'gpu-1' } as RunnerHeartbeat;

/** A service whose runner table last saw gpu-1 at `lastSeen` (null: never). */
function service(lastSeen: Date | null): RunnersService {
  const runners = { recordHeartbeat: async () => lastSeen } as unknown as RunnerRepository;
  return new RunnersService(runners, {} as SlotRepository);
}

describe('RunnersService.recordHeartbeat: when a runner counts as joining', () => {
  it('a runner never seen joins', async () => {
    expect(await service(null).recordHeartbeat(hb)).toEqual({ joined: true });
  });

  it('a runner back after a gap this replica watched joins; a short gap does not', async () => {
    const later = new Date(Date.now() + 2 * OFFLINE_AFTER_MS + 1);
    expect(await service(new Date(later.getTime() - OFFLINE_AFTER_MS - 1)).recordHeartbeat(hb, later)).toEqual({ joined: true });
    expect(await service(new Date(later.getTime() - 5_000)).recordHeartbeat(hb, later)).toEqual({ joined: false });
  });

  it('right after this replica started, a gap in the heartbeats is its own outage: nobody joins', async () => {
    const now = new Date();
    expect(await service(new Date(now.getTime() - 10 * OFFLINE_AFTER_MS)).recordHeartbeat(hb, now)).toEqual({ joined: false });
  });
});
