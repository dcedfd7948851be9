import { Injectable } from '@nestjs/common';
import { Patterns, type ModelView } from '@helix/contracts';
import { ApiError } from '../http/errors';
import { OrgsService } from '../orgs/orgs.service';
import { ServiceClient } from '../services/service-client';
import type { UserEntity } from '../users/user.entity';
import type { ScopeTarget } from './settings.client';

export type AccessMode = 'read' | 'write';

/**
 * Who may read and change which scope's token (docs/reference/rest.md). Each check first makes sure the org,
 * user or model exists (400 for a malformed id, 404 for an unknown one), then answers 403 for a
 * caller without the right, so a refused request reaches no service that could change anything.
 *
 * | scope | read | write |
 * |---|---|---|
 * | org | admin, org members | admin, org owners |
 * | user | admin, the user | admin, the user |
 * | model | admin, the model's owner, owners of the model's org | same |
 */
@Injectable()
export class ScopeAccess {
  constructor(
    private readonly orgs: OrgsService,
    private readonly services: ServiceClient,
  ) {}

  async org(orgId: string, actor: UserEntity, mode: AccessMode): Promise<ScopeTarget> {
    const org = await this.orgs.requireOrg(orgId);
    if (actor.admin) return { scope: 'org', scopeId: org.id };
    const role = await this.orgs.roleOf(org.id, actor.id);
    if (mode === 'read' ? role !== null : role === 'owner') return { scope: 'org', scopeId: org.id };
    throw forbidden(
      mode === 'read' ? 'Only an admin or a member of this org may see its token settings.' : 'Only an admin or an owner of this org may change its token.',
    );
  }

  async user(userId: string, actor: UserEntity): Promise<ScopeTarget> {
    await this.orgs.requireUser(userId);
    if (actor.admin || actor.id === userId) return { scope: 'user', scopeId: userId };
    throw forbidden("Only an admin or the user themself may see or change a user's token.");
  }

  /** The model's settings and its resolution chain share these rights; returns the model too. */
  async model(modelId: string, actor: UserEntity): Promise<{ target: ScopeTarget; model: ModelView }> {
    const model = await this.services.request<ModelView>(Patterns.modelsGet, { id: modelId }, 'models service');
    const target: ScopeTarget = { scope: 'model', scopeId: model.id };
    if (actor.admin || (model.owner_id !== null && model.owner_id === actor.id)) return { target, model };
    if (model.org_id !== null && (await this.orgs.roleOf(model.org_id, actor.id)) === 'owner') return { target, model };
    throw forbidden("Only an admin, the model's owner or an owner of the model's org may see or change the model's token.");
  }
}

function forbidden(message: string): ApiError {
  return new ApiError({ error: 'forbidden', message });
}
