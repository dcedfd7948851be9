import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource } from 'typeorm';
import { rpcError } from '@helix/rpc';
import {
  AUDIT_RECORDED,
  auditEvent,
  auditTargets,
  HF_TOKEN_PATTERN,
  settingsSubject,
  type Scope,
  type TokenAuditDetails,
  type SystemSettingsView,
  type UpdateSystemSettingsRequest,
} from '@helix/contracts';
import { EnvelopeError, Secret, SettingsBusCipher, TokenAtRestCipher } from '@helix/secrets';
import type { HfTokenEntity } from '../entities';
import { HfTokenRepository } from '../tokens/hf-token.repository';
import { OutboxRepository } from '../outbox/outbox.repository';
import { OutboxPublisher } from '../outbox/outbox.publisher';
import { SettingsEventFactory } from './settings-event.factory';

/** The token policy: every change is one transaction holding the row, its new version and its outbox event. */
@Injectable()
export class SystemSettingsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tokens: HfTokenRepository,
    private readonly outbox: OutboxRepository,
    private readonly events: SettingsEventFactory,
    private readonly bus: SettingsBusCipher,
    private readonly atRest: TokenAtRestCipher,
    private readonly publisher: OutboxPublisher,
    @InjectPinoLogger('SystemSettingsService') private readonly logger: PinoLogger,
  ) {}

  async get(): Promise<SystemSettingsView> {
    return toView(await this.tokens.find('global', null));
  }

  async update(request: UpdateSystemSettingsRequest): Promise<SystemSettingsView> {
    if (!request || typeof request.updated_by !== 'string') throw badRequest('The update request is malformed.');
    if (!('huggingface_token' in request) || request.huggingface_token === undefined) {
      const current = await this.get();
      this.logger.info({ user_id: request.updated_by, hf_token_updated: false, version: current.version }, 'system settings updated by admin');
      return current;
    }
    const token = request.huggingface_token === null ? null : this.openRequestToken(request.huggingface_token);
    const row = await this.setToken('global', null, token, request.updated_by);
    this.logger.info({ user_id: request.updated_by, hf_token_updated: true, version: row.version }, 'system settings updated by admin');
    this.publisher.kick();
    return toView(row);
  }

  /**
   * Sets or clears (token null) the token of any scope; bumps its version and queues the event and
   * its audit entry (`token.set` / `token.clear`, fingerprints only) in the same transaction, so a
   * change and its audit entry are never one without the other.
   */
  setToken(scope: Scope, scopeId: string | null, token: Secret | null, updatedBy: string): Promise<HfTokenEntity> {
    return this.db.transaction(async (tx) => {
      const row = await this.tokens.lockForUpdate(tx, scope, scopeId);
      const oldFingerprint = row.envelope ? row.fingerprint : null;
      row.version += 1;
      row.envelope = token ? this.atRest.seal(token, scope, scopeId) : null;
      row.fingerprint = token ? token.fingerprint : null;
      row.updatedAt = new Date();
      row.updatedBy = updatedBy;
      await this.tokens.save(tx, row);
      const subject = settingsSubject(scope, scopeId);
      await this.outbox.add(tx, subject, `${subject}@${row.version}`, this.events.forChange(row, token));
      const details: TokenAuditDetails = { scope, scope_id: scopeId, version: row.version, old_fingerprint: oldFingerprint, new_fingerprint: row.fingerprint };
      const audit = auditEvent({
        actor_id: UUID.test(updatedBy) ? updatedBy : null,
        action: token ? 'token.set' : 'token.clear',
        target: auditTargets.token(scope, scopeId),
        details: { ...details },
      });
      await this.outbox.add(tx, AUDIT_RECORDED, `audit@${audit.id}`, audit);
      return row;
    });
  }

  private openRequestToken(envelope: unknown): Secret {
    let token: Secret;
    try {
      token = this.bus.openUpdateRequest(envelope);
    } catch (err) {
      if (err instanceof EnvelopeError)
        throw badRequest('The Hugging Face token could not be decrypted; check that the gateway and the settings service share HELIX_SETTINGS_KEY.');
      throw err;
    }
    if (!HF_TOKEN_PATTERN.test(token.reveal())) {
      throw badRequest('huggingface_token must be a string of 1 to 1024 printable ASCII characters without white space, or "" or null to clear it.');
    }
    return token;
  }
}

/** Actors are gateway users (UUIDs); anything else (a test, a system job) is recorded without an actor. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

function badRequest(message: string): ReturnType<typeof rpcError> {
  return rpcError('bad_request', message);
}
