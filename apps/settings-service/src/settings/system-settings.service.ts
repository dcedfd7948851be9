import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RpcException } from '@nestjs/microservices';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource, EntityManager } from 'typeorm';
import {
  Aad,
  HF_TOKEN_PATTERN,
  settingsSubject,
  type ErrorBody,
  type Scope,
  type SettingsUpdatedEvent,
  type SystemSettingsView,
  type UpdateSystemSettingsRequest,
} from '@helix/contracts';
import { open, seal, Secret, EnvelopeError } from '@helix/secrets';
import { isDatabaseUnavailable } from '@helix/persistence';
import { HfTokenEntity, OutboxEntity } from '../entities';
import { SettingsKeys } from '../infrastructure';
import { OutboxPublisher } from '../outbox/outbox.publisher';

const GLOBAL_ID = '';

/** Owns the stored tokens: every change is one transaction holding the row, its new version and its outbox event. */
@Injectable()
export class SystemSettingsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly keys: SettingsKeys,
    private readonly outbox: OutboxPublisher,
    @InjectPinoLogger('SystemSettingsService') private readonly logger: PinoLogger,
  ) {}

  async get(): Promise<SystemSettingsView> {
    const row = await this.guard(() => this.db.getRepository(HfTokenEntity).findOneBy({ scope: 'global', scopeId: GLOBAL_ID }));
    return toView(row);
  }

  async update(request: UpdateSystemSettingsRequest): Promise<SystemSettingsView> {
    if (!request || typeof request.updated_by !== 'string') throw badRequest('The update request is malformed.');
    if (typeof request.deadline_ms === 'number' && Date.now() > request.deadline_ms) {
      // The gateway already answered 503: writing now would be a change the caller was told failed.
      throw new RpcException({ error: 'unavailable', message: 'The request expired before it reached the settings service; nothing was changed.' } satisfies ErrorBody);
    }
    if (!('huggingface_token' in request) || request.huggingface_token === undefined) {
      const current = await this.get();
      this.logger.info({ user_id: request.updated_by, hf_token_updated: false, version: current.version }, 'system settings updated by admin');
      return current;
    }
    const token = request.huggingface_token === null ? null : this.openRequestToken(request.huggingface_token);
    const row = await this.setToken('global', null, token, request.updated_by);
    this.logger.info({ user_id: request.updated_by, hf_token_updated: true, version: row.version }, 'system settings updated by admin');
    this.outbox.kick();
    return toView(row);
  }

  /** Sets or clears (token null) the token of any scope; bumps its version and queues the event. */
  async setToken(scope: Scope, scopeId: string | null, token: Secret | null, updatedBy: string): Promise<HfTokenEntity> {
    return this.guard(() =>
      this.db.transaction(async (tx) => {
        const row = await lockRow(tx, scope, scopeId ?? GLOBAL_ID);
        const now = new Date();
        row.version += 1;
        row.envelope = token ? seal(this.keys.atRest, token, Aad.atRest(scope, scopeId)) : null;
        row.fingerprint = token ? token.fingerprint : null;
        row.updatedAt = now;
        row.updatedBy = updatedBy;
        await tx.getRepository(HfTokenEntity).save(row);

        const event: SettingsUpdatedEvent = {
          type: 'settings.updated',
          schema: 1,
          scope,
          scope_id: scopeId,
          version: row.version,
          huggingface_token: token ? seal(this.keys.onBus, token, Aad.event(scope, scopeId, row.version)) : null,
          fingerprint: row.fingerprint,
          updated_at: now.toISOString(),
          updated_by: updatedBy,
        };
        const subject = settingsSubject(scope, scopeId);
        await tx.getRepository(OutboxEntity).insert({ subject, msgId: `${subject}@${row.version}`, payload: event as never });
        return row;
      }),
    );
  }

  private openRequestToken(envelope: unknown): Secret {
    let token: Secret;
    try {
      token = open(this.keys.onBus, envelope, Aad.updateRequest('global', null));
    } catch (err) {
      if (err instanceof EnvelopeError) throw badRequest('The Hugging Face token could not be decrypted; check that the gateway and the settings service share HELIX_SETTINGS_KEY.');
      throw err;
    }
    if (!HF_TOKEN_PATTERN.test(token.reveal())) {
      throw badRequest('huggingface_token must be a string of 1 to 1024 printable ASCII characters without white space, or "" or null to clear it.');
    }
    return token;
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof RpcException) throw err;
      if (isDatabaseUnavailable(err)) {
        throw new RpcException({ error: 'unavailable', message: 'The settings database is unavailable; nothing was changed. Try again shortly.' } satisfies ErrorBody);
      }
      throw err;
    }
  }
}

async function lockRow(tx: EntityManager, scope: Scope, scopeId: string): Promise<HfTokenEntity> {
  const now = new Date();
  await tx
    .createQueryBuilder()
    .insert()
    .into(HfTokenEntity)
    .values({ scope, scopeId, version: 0, envelope: null, fingerprint: null, createdAt: now, updatedAt: now, updatedBy: null })
    .orIgnore()
    .execute();
  return tx
    .getRepository(HfTokenEntity)
    .createQueryBuilder('t')
    .setLock('pessimistic_write')
    .where('t.scope = :scope AND t.scope_id = :scopeId', { scope, scopeId })
    .getOneOrFail();
}

function toView(row: HfTokenEntity | null): SystemSettingsView {
  const set = !!row?.envelope;
  return {
    id: 'system',
    created: row ? row.createdAt.toISOString() : null,
    updated: row ? row.updatedAt.toISOString() : null,
    huggingface_token_set: set,
    huggingface_token_source: set ? 'database' : 'none',
    huggingface_token_fingerprint: set ? row!.fingerprint : null,
    version: row?.version ?? 0,
  };
}

function badRequest(message: string): RpcException {
  return new RpcException({ error: 'bad_request', message } satisfies ErrorBody);
}
