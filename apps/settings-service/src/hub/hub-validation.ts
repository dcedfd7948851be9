import { Inject, Injectable } from '@nestjs/common';
import type { HubValidationMode } from '@helix/contracts';
import { HubClient, type AccessCheck, type TokenCheck } from '@helix/hf-hub';
import type { Secret } from '@helix/secrets';
import { SETTINGS_CONFIG, type SettingsServiceConfig } from '../config';

const NOT_ASKED: TokenCheck = { status: 'unverified', owner: null, role: null, httpStatus: null };

/** HELIX_HF_VALIDATION and HELIX_HF_ENDPOINT applied to the Hub client (docs/reference/hub.md). */
@Injectable()
export class HubValidation {
  readonly mode: HubValidationMode;
  private readonly client: HubClient;

  constructor(@Inject(SETTINGS_CONFIG) config: Pick<SettingsServiceConfig, 'HELIX_HF_ENDPOINT' | 'HELIX_HF_VALIDATION'>) {
    this.mode = config.HELIX_HF_VALIDATION;
    this.client = new HubClient(config.HELIX_HF_ENDPOINT);
  }

  /** whoami, unless validation is off (then `unverified`: nobody asked). */
  check(token: Secret): Promise<TokenCheck> {
    return this.mode === 'off' ? Promise.resolve(NOT_ASKED) : this.client.whoami(token);
  }

  /** Asked whatever the mode: an operator asked for it explicitly. */
  modelAccess(modelId: string, token: Secret | null): Promise<AccessCheck> {
    return this.client.modelAccess(modelId, token);
  }
}
