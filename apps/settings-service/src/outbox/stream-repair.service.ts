import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { SETTINGS_STREAM, settingsSubject, type SettingsUpdatedEvent } from '@helix/contracts';
import { decodeJson, ensureSettingsStreams } from '@helix/nats';
import { HfTokenEntity } from '../entities';
import { NATS_CONNECTION } from '../infrastructure';
import { OutboxPublisher } from './outbox.publisher';

/**
 * The SETTINGS stream is the state runners replay. If it lost messages (a NATS server restarted
 * without its store), runners that join would miss the current tokens. At start-up and after every
 * reconnect, each scope's newest event is compared with Postgres, and the latest outbox event of a
 * scope the stream is behind on is queued again.
 */
@Injectable()
export class StreamRepair implements OnApplicationBootstrap {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly outbox: OutboxPublisher,
    @InjectPinoLogger('StreamRepair') private readonly logger: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    void this.repairSafely();
    void (async () => {
      for await (const status of this.nc.status()) if (status.type === 'reconnect') await this.repairSafely();
    })();
  }

  async repairSafely(): Promise<void> {
    try {
      const requeued = await this.repair();
      if (requeued > 0) this.outbox.kick();
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'could not compare the settings stream with the database');
    }
  }

  /** Returns how many scopes were queued for publishing again. */
  async repair(): Promise<number> {
    await ensureSettingsStreams(this.nc);
    const jsm = await jetstreamManager(this.nc);
    const rows = await this.db.getRepository(HfTokenEntity).createQueryBuilder('t').where('t.version > 0').getMany();
    let requeued = 0;
    for (const row of rows) {
      const scopeId = row.scope === 'global' ? null : row.scopeId;
      const subject = settingsSubject(row.scope, scopeId);
      const stored = await jsm.streams.getMessage(SETTINGS_STREAM, { last_by_subj: subject }).catch(() => null);
      const streamVersion = stored ? decodeJson<SettingsUpdatedEvent>(stored.data).version : 0;
      if (streamVersion >= row.version) continue;
      // Only published rows: an unpublished one is already on its way.
      const result: Array<{ id: string }> = await this.db.query(
        `UPDATE settings.outbox SET published_at = NULL
          WHERE id = (SELECT max(id) FROM settings.outbox WHERE subject = $1)
            AND published_at IS NOT NULL
        RETURNING id`,
        [subject],
      );
      if (result.length > 0) {
        requeued++;
        this.logger.warn({ scope: row.scope, scope_id: scopeId, version: row.version, stream_version: streamVersion }, 'settings stream was behind the database; publishing the current state again');
      }
    }
    return requeued;
  }
}
