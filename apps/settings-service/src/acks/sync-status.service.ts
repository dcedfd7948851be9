import { Injectable } from '@nestjs/common';
import type { SyncStatusView } from '@helix/contracts';
import { HfTokenRepository } from '../tokens/hf-token.repository';
import { RunnerAckRepository } from './runner-ack.repository';

/** The current global version next to what each runner reported applying (the gateway computes `in_sync`). */
@Injectable()
export class SyncStatusService {
  constructor(
    private readonly tokens: HfTokenRepository,
    private readonly acks: RunnerAckRepository,
  ) {}

  async status(): Promise<SyncStatusView> {
    const [current, acks] = await Promise.all([this.tokens.find('global', null), this.acks.list()]);
    return { global_version: current?.version ?? 0, acks };
  }
}
