import { Patterns, type SystemSettingsView, type UpdateSystemSettingsRequest } from '@helix/contracts';
import { Secret, type SettingsBusCipher } from '@helix/secrets';
import type { ServiceClient } from '../services/service-client';

/** The gateway's side of the settings RPCs: the token crosses NATS sealed, like every other copy of it. */
export class SystemSettingsClient {
  constructor(
    private readonly services: ServiceClient,
    private readonly cipher: SettingsBusCipher,
  ) {}

  get(): Promise<SystemSettingsView> {
    return this.services.request(Patterns.settingsGet, {}, 'settings service');
  }

  /** `token`: undefined changes nothing, "" or null clears, anything else sets. */
  update(token: string | null | undefined, updatedBy: string): Promise<SystemSettingsView> {
    const request: UpdateSystemSettingsRequest = { updated_by: updatedBy };
    if (token !== undefined) request.huggingface_token = token ? this.cipher.sealUpdateRequest(Secret.of(token)) : null;
    return this.services.request(Patterns.settingsUpdate, request, 'settings service');
  }
}
