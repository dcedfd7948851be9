import { describe, expect, it, vi } from 'vitest';
import type { PinoLogger } from 'nestjs-pino';
import type { RunnerSyncRecord } from '@helix/contracts';
import type { HfTokenRepository } from '../tokens/hf-token.repository';
import type { OutboxRepository } from '../outbox/outbox.repository';
import type { SettingsStreams } from '../streams/settings-streams';
import type { RunnerAckRepository } from './runner-ack.repository';
import { SyncStatusService } from './sync-status.service';

const ack: RunnerSyncRecord = {
  runner_id: 'gpu-1',
  scope: 'global',
  scope_id: null,
  version: 3,
  hf_token_provided: true,
  applied_at: '2026-11-27T10:00:00.000Z',
};

function setup(options: { pending?: boolean; lastSeq?: () => Promise<number | null> } = {}) {
  const reads: string[] = [];
  const outbox = {
    hasPendingSettings: vi.fn(async () => {
      reads.push('outbox');
      return options.pending ?? false;
    }),
  };
  const streams = {
    lastSeq: vi.fn(async () => {
      reads.push('stream');
      return (options.lastSeq ?? (async () => 42))();
    }),
  };
  const logger = { warn: vi.fn() };
  const sut = new SyncStatusService(
    { find: async () => ({ version: 3 }) } as unknown as HfTokenRepository,
    { list: async () => [ack] } as unknown as RunnerAckRepository,
    outbox as unknown as OutboxRepository,
    streams as unknown as SettingsStreams,
    logger as unknown as PinoLogger,
  );
  return { sut, reads, streams, logger };
}

describe('SyncStatusService', () => {
  it("reports the global version, the global acks and the stream's last sequence", async () => {
    const { sut, reads } = setup();
    expect(await sut.status()).toEqual({ global_version: 3, settings_seq: 42, acks: [ack] });
    // The outbox first: a change published between the two reads is then within the sequence read.
    expect(reads).toEqual(['outbox', 'stream']);
  });

  it('reports no sequence while a settings change waits in the outbox', async () => {
    const { sut, streams } = setup({ pending: true });
    expect((await sut.status()).settings_seq).toBeNull();
    expect(streams.lastSeq).not.toHaveBeenCalled();
  });

  it('reports no sequence when the stream is missing, or cannot be read (logged without failing the request)', async () => {
    expect((await setup({ lastSeq: async () => null }).sut.status()).settings_seq).toBeNull();
    const failing = setup({
      lastSeq: async () => {
        throw new Error('TIMEOUT');
      },
    });
    expect(await failing.sut.status()).toEqual({ global_version: 3, settings_seq: null, acks: [ack] });
    expect(failing.logger.warn).toHaveBeenCalledTimes(1);
  });
});
