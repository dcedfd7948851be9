import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { SyncStatusView } from '@helix/contracts';
import { HfTokenRepository } from '../tokens/hf-token.repository';
import { OutboxRepository } from '../outbox/outbox.repository';
import { SettingsStreams } from '../streams/settings-streams';
import { RunnerAckRepository } from './runner-ack.repository';

/**
 * What the gateway needs to compute `in_sync` (docs/reference/rest.md and docs/reference/events.md): the current global version with
 * each runner's global ack, and the SETTINGS stream's last sequence. Each stream message is the newest
 * of its subject, so a runner that processed the stream up to that sequence holds the current version
 * of every scope. The cost is one outbox query and one stream-info call, whatever the number of scopes.
 */
@Injectable()
export class SyncStatusService {
  constructor(
    private readonly tokens: HfTokenRepository,
    private readonly acks: RunnerAckRepository,
    private readonly outbox: OutboxRepository,
    private readonly streams: SettingsStreams,
    @InjectPinoLogger('SyncStatus') private readonly logger: PinoLogger,
  ) {}

  /** `runnerIds`: only their acks (a page of GET /runners); every runner's when absent. */
  async status(runnerIds?: string[]): Promise<SyncStatusView> {
    const [current, acks, settingsSeq] = await Promise.all([this.tokens.find('global', null), this.acks.list(runnerIds), this.settingsSeq()]);
    return { global_version: current?.version ?? 0, settings_seq: settingsSeq, acks };
  }

  /**
   * The stream's last sequence, or null while it does not hold every committed change: some change is
   * still in the outbox, or the stream is missing or cannot be read (no runner is then called in sync).
   * The outbox is read first: a change published between the two reads is then in the sequence read.
   */
  async settingsSeq(): Promise<number | null> {
    if (await this.outbox.hasPendingSettings()) return null;
    try {
      return await this.streams.lastSeq();
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'could not read the settings stream for the runners sync status');
      return null;
    }
  }
}
