import { Injectable } from '@nestjs/common';
import type { SyncStatusView } from '@helix/contracts';
import { HfTokenRepository } from '../tokens/hf-token.repository';
import { whenDatabaseUp } from '../settings/database-guard';
import { RunnerAckRepository } from './runner-ack.repository';

/** The current global version next to what each runner reported applying (the gateway computes `in_sync`). */
@Injectable()
export class SyncStatusService {
  constructor(
    private readonly tokens: HfTokenRepository,
    private readonly acks: RunnerAckRepository,
  ) {}

  status(): Promise<SyncStatusView> {
    return whenDatabaseUp(async () => {
      const [current, acks] = await Promise.all([this.tokens.find('global', null), this.acks.list()]);
      return { global_version: current?.version ?? 0, acks };
    }, 'The settings database is unavailable.');
  }
}
