import { Injectable } from '@nestjs/common';
import type { SettingsUpdatedEvent } from '@helix/contracts';
import { SettingsBusCipher, TokenAtRestCipher, type Secret } from '@helix/secrets';
import type { HfTokenEntity } from '../entities';
import { scopeIdOf } from '../tokens/hf-token.repository';

/** Builds the `settings.updated` event of a stored scope: the one shape the outbox publishes. */
@Injectable()
export class SettingsEventFactory {
  constructor(
    private readonly bus: SettingsBusCipher,
    private readonly atRest: TokenAtRestCipher,
  ) {}

  /** The id of the HELIX_SETTINGS_KEY that seals events now (the first listed). */
  get sealingKid(): string {
    return this.bus.sealingKid;
  }

  /** `token` is the row's token in clear (null when cleared), sealed here for the bus. */
  forChange(row: HfTokenEntity, token: Secret | null): SettingsUpdatedEvent {
    const scopeId = scopeIdOf(row);
    return {
      type: 'settings.updated',
      schema: 1,
      scope: row.scope,
      scope_id: scopeId,
      version: row.version,
      huggingface_token: token ? this.bus.sealEvent(token, row.scope, scopeId, row.version) : null,
      fingerprint: row.fingerprint,
      updated_at: row.updatedAt.toISOString(),
      updated_by: row.updatedBy,
    };
  }

  /** The event of the row as stored: the at-rest copy (the source of truth) re-opened and sealed for the bus. */
  forStoredRow(row: HfTokenEntity): SettingsUpdatedEvent {
    const token = row.envelope ? this.atRest.open(row.envelope, row.scope, scopeIdOf(row)) : null;
    return this.forChange(row, token);
  }
}
