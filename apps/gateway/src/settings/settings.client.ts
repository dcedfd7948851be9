import { Inject, Injectable } from '@nestjs/common';
import {
  Patterns,
  REQUEST_PURPOSES,
  scopeKey,
  type ClearScopeRequest,
  type GetManySettingsRequest,
  type ModelAccessRequest,
  type ModelAccessView,
  type Scope,
  type SettingsView,
  type UpdateSettingsRequest,
} from '@helix/contracts';
import { RequestAuthenticator, Secret, SettingsBusCipher } from '@helix/secrets';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { ReadCaches } from '../cache/read-caches';
import { ServiceClient } from '../services/service-client';

const SERVICE = 'settings service';

/** A scope as the settings-service names it: global has no id. */
export interface ScopeTarget {
  scope: Scope;
  scopeId: string | null;
}
export const GLOBAL: ScopeTarget = Object.freeze({ scope: 'global', scopeId: null });

/**
 * The gateway's side of the settings RPCs, for every scope. The token crosses NATS sealed for its
 * scope, like every other copy of it; who may call which scope is decided before this is reached.
 */
@Injectable()
export class SettingsClient {
  private readonly cipher: SettingsBusCipher;
  private readonly requests: RequestAuthenticator;

  constructor(
    private readonly services: ServiceClient,
    @Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'HELIX_SETTINGS_KEY'>,
    @Inject(ReadCaches) private readonly caches: Pick<ReadCaches, 'viewOr' | 'settingsChanged'>,
  ) {
    this.cipher = SettingsBusCipher.fromBase64(config.HELIX_SETTINGS_KEY);
    this.requests = RequestAuthenticator.fromBase64(config.HELIX_SETTINGS_KEY);
  }

  /** From the read cache when a view of the scope is younger than READ_CACHE_TTL_MS and no change was heard since. */
  async get({ scope, scopeId }: ScopeTarget): Promise<SettingsView> {
    return this.caches.viewOr(scopeKey(scope, scopeId), () => this.services.request<SettingsView>(Patterns.settingsGet, { scope, scope_id: scopeId }, SERVICE));
  }

  getMany(targets: ScopeTarget[]): Promise<SettingsView[]> {
    const request: GetManySettingsRequest = { scopes: targets.map(({ scope, scopeId }) => ({ scope, scope_id: scopeId })) };
    return this.services.request(Patterns.settingsGetMany, request, SERVICE);
  }

  /** docs/reference/hub.md: the Hub's answer for the model's repository with its chain's first token (the settings-service holds the tokens). */
  modelAccess(modelId: string, chain: ScopeTarget[]): Promise<ModelAccessView> {
    const request: ModelAccessRequest = { model_id: modelId, chain: chain.map(({ scope, scopeId }) => ({ scope, scope_id: scopeId })) };
    return this.services.request(Patterns.settingsModelAccess, request, SERVICE);
  }

  /** `token`: undefined changes nothing, "" or null clears, anything else sets. */
  update({ scope, scopeId }: ScopeTarget, token: string | null | undefined, updatedBy: string): Promise<SettingsView> {
    const request: UpdateSettingsRequest = { scope, scope_id: scopeId, updated_by: updatedBy };
    if (token !== undefined) request.huggingface_token = token ? this.cipher.sealUpdateRequest(Secret.of(token), scope, scopeId) : null;
    // Proof over the whole request with a nonce and an expiry: captured on the bus, it cannot be replayed (docs/reference/security.md).
    request.auth = this.requests.authenticate(REQUEST_PURPOSES.update, { ...request });
    return this.changing(scope, scopeId, this.services.request(Patterns.settingsUpdate, request, SERVICE));
  }

  /** The org, user or model is being deleted: its token (if any) goes with a normal clear event. */
  clearScope(scope: ClearScopeRequest['scope'], scopeId: string, updatedBy: string): Promise<SettingsView> {
    const request: ClearScopeRequest = { scope, scope_id: scopeId, updated_by: updatedBy };
    request.auth = this.requests.authenticate(REQUEST_PURPOSES.clearScope, { ...request });
    return this.changing(scope, scopeId, this.services.request(Patterns.settingsClearScope, request, SERVICE));
  }

  /** This replica's next read of the scope asks the settings-service, whatever the change's outcome. */
  private async changing(scope: Scope, scopeId: string | null, change: Promise<SettingsView>): Promise<SettingsView> {
    try {
      return await change;
    } finally {
      this.caches.settingsChanged(scopeKey(scope, scopeId));
    }
  }
}
