import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DataSource, EntityManager } from 'typeorm';
import {
  isOrgId,
  isUserId,
  ORG_ID_MESSAGE,
  Patterns,
  USER_ID_MESSAGE,
  type DetachOrgReply,
  type DetachOrgRequest,
  type MembershipView,
  type OrgRole,
  type OrgView,
} from '@helix/contracts';
import { type CreateOrgDto } from '../dto';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../http/errors';
import { ServiceClient } from '../services/service-client';
import type { UserEntity } from '../users/user.entity';
import { UserRepository } from '../users/user.repository';
import type { MembershipEntity, OrgEntity } from './org.entity';
import { MembershipRepository } from './membership.repository';
import { OrgRepository } from './org.repository';

/**
 * Work that must happen inside the transaction that deletes an org, before its row goes. The scoped
 * token of an org (docs/reference/rest.md) registers its clearing here when it is built; none is registered yet.
 */
export interface OrgDeletionStep {
  readonly name: string;
  run(orgId: string, actor: UserEntity, tx: EntityManager): Promise<void>;
}
export const ORG_DELETION_STEPS = Symbol('ORG_DELETION_STEPS');

const MODELS_SERVICE = 'models service';

/** Organizations and membership (docs/reference/rest.md): who may see and change which org. Route markings decide admin-only routes; the per-org rules are here. */
@Injectable()
export class OrgsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly orgs: OrgRepository,
    private readonly members: MembershipRepository,
    private readonly users: UserRepository,
    private readonly services: ServiceClient,
    @Inject(ORG_DELETION_STEPS) private readonly deletionSteps: readonly OrgDeletionStep[],
    private readonly audit: AuditService,
    @InjectPinoLogger('OrgsService') private readonly logger: PinoLogger,
  ) {}

  async create(dto: CreateOrgDto, actor: UserEntity): Promise<OrgView> {
    // The org and its audit entry are one transaction: neither is ever written without the other.
    const org = await this.db.transaction(async (tx) => {
      const org = await this.orgs.insertIfAbsent({ id: dto.id, name: dto.name ?? dto.id }, tx);
      if (!org) throw new ApiError({ error: 'conflict', message: 'An org with this id already exists.' });
      await this.audit.recordIn(tx, { actor_id: actor.id, action: 'org.create', target: `org:${org.id}`, details: { org_id: org.id, name: org.name } });
      return org;
    });
    this.logger.info({ org_id: org.id, user_id: actor.id }, 'org created');
    return toOrgView(org);
  }

  /** Admins see every org; anyone else the orgs they are a member of. */
  async list(actor: UserEntity): Promise<OrgView[]> {
    const orgs = actor.admin ? await this.orgs.listAll() : await this.orgs.listByIds(await this.members.orgIdsOf(actor.id));
    return orgs.map(toOrgView);
  }

  async get(orgId: string, actor: UserEntity): Promise<OrgView> {
    const org = await this.requireOrg(orgId);
    await this.requireMemberOrAdmin(org.id, actor);
    return toOrgView(org);
  }

  /**
   * Admin only (route marking). The org's models keep existing with `org_id: null` (the models-service
   * detaches them first, so a failure there leaves the org as it was), then its memberships and the
   * org go in one transaction with the registered deletion steps.
   */
  async delete(orgId: string, actor: UserEntity): Promise<OrgView> {
    const id = await this.requireOrg(orgId).then((o) => o.id);
    const { org, models } = await this.db.transaction(async (tx) => {
      const org = await this.orgs.lock(id, tx);
      if (!org) throw orgNotFound(id);
      const request: DetachOrgRequest = { org_id: id, deleted_by: actor.id };
      const { models } = await this.services.request<DetachOrgReply>(Patterns.modelsDetachOrg, request, MODELS_SERVICE);
      for (const step of this.deletionSteps) await step.run(id, actor, tx);
      await this.members.deleteForOrg(id, tx);
      await this.orgs.delete(id, tx);
      await this.audit.recordIn(tx, { actor_id: actor.id, action: 'org.delete', target: `org:${id}`, details: { org_id: id, models_detached: models.length } });
      return { org, models };
    });
    this.logger.info({ org_id: id, user_id: actor.id, models_detached: models.length }, 'org deleted');
    return toOrgView(org);
  }

  async listMembers(orgId: string, actor: UserEntity): Promise<MembershipView[]> {
    const org = await this.requireOrg(orgId);
    await this.requireMemberOrAdmin(org.id, actor);
    return (await this.members.listForOrg(org.id)).map(toMembershipView);
  }

  async setMember(orgId: string, userId: string, role: OrgRole, actor: UserEntity): Promise<MembershipView> {
    const org = await this.requireOrg(orgId);
    await this.requireOwnerOrAdmin(org.id, actor);
    await this.requireUser(userId);
    const membership = await this.db.transaction(async (tx) => {
      const membership = await this.members.upsert(org.id, userId, role, tx);
      await this.audit.recordIn(tx, {
        actor_id: actor.id,
        action: 'org.member.set',
        target: `org:${org.id}`,
        details: { org_id: org.id, user_id: userId, role },
      });
      return membership;
    });
    this.logger.info({ org_id: org.id, member_id: userId, role, user_id: actor.id }, 'org member set');
    return toMembershipView(membership);
  }

  async removeMember(orgId: string, userId: string, actor: UserEntity): Promise<MembershipView> {
    const org = await this.requireOrg(orgId);
    await this.requireOwnerOrAdmin(org.id, actor);
    await this.requireUser(userId);
    const membership = await this.members.find(org.id, userId);
    const notMember = () => new ApiError({ error: 'not_found', message: `User ${userId} is not a member of org ${org.id}.` });
    if (!membership) throw notMember();
    await this.db.transaction(async (tx) => {
      if (!(await this.members.delete(org.id, userId, tx))) throw notMember();
      await this.audit.recordIn(tx, { actor_id: actor.id, action: 'org.member.remove', target: `org:${org.id}`, details: { org_id: org.id, user_id: userId } });
    });
    this.logger.info({ org_id: org.id, member_id: userId, user_id: actor.id }, 'org member removed');
    return toMembershipView(membership);
  }

  /** docs/reference/rest.md: a model may only name an org and an owner that exist (the gateway owns both tables). */
  async requireOwnershipTargets(target: { org_id?: string | null; owner_id?: string | null }): Promise<void> {
    if (typeof target.org_id === 'string') await this.requireOrg(target.org_id);
    if (typeof target.owner_id === 'string') await this.requireUser(target.owner_id);
  }

  /** 400 for an id that cannot be an org's, 404 for an org that does not exist. */
  async requireOrg(orgId: string): Promise<OrgEntity> {
    if (!isOrgId(orgId)) throw invalidId('org', `the org id ${ORG_ID_MESSAGE}`);
    const org = await this.orgs.find(orgId);
    if (!org) throw orgNotFound(orgId);
    return org;
  }

  /** 400 for an id that cannot be a user's, 404 for a user that does not exist. */
  async requireUser(userId: string): Promise<void> {
    if (!isUserId(userId)) throw invalidId('user_id', `the user id ${USER_ID_MESSAGE}`);
    if (!(await this.users.existsById(userId))) throw new ApiError({ error: 'not_found', message: `The user ${userId} does not exist.` });
  }

  /** The user's role in the org, or null when not a member. */
  async roleOf(orgId: string, userId: string): Promise<OrgRole | null> {
    return (await this.members.find(orgId, userId))?.role ?? null;
  }

  private async requireMemberOrAdmin(orgId: string, actor: UserEntity): Promise<void> {
    if (actor.admin || (await this.members.find(orgId, actor.id))) return;
    throw new ApiError({ error: 'forbidden', message: 'Only an admin or a member of this org may see it and its members.' });
  }

  private async requireOwnerOrAdmin(orgId: string, actor: UserEntity): Promise<void> {
    if (actor.admin || (await this.members.find(orgId, actor.id))?.role === 'owner') return;
    throw new ApiError({ error: 'forbidden', message: 'Only an admin or an owner of this org may change its members.' });
  }
}

function orgNotFound(orgId: string): ApiError {
  // The id passed isOrgId, so it is safe to name.
  return new ApiError({ error: 'not_found', message: `The org ${orgId} does not exist.` });
}

function invalidId(field: string, message: string): ApiError {
  return new ApiError({ error: 'bad_request', message: `Invalid request: ${message}.`, details: [{ field, message }] });
}

export function toOrgView(org: OrgEntity): OrgView {
  return { id: org.id, name: org.name, created: org.createdAt.toISOString() };
}

export function toMembershipView(m: MembershipEntity): MembershipView {
  return { org_id: m.orgId, user_id: m.userId, role: m.role, created: m.createdAt.toISOString() };
}
