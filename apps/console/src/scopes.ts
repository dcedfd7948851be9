import type { MembershipView, ModelView, OrgView } from '@helix/contracts';
import { optional, type Api } from './api';

export interface OrgAccess {
  org: OrgView;
  /** May change the org's token: admin or owner (docs/reference/rest.md). */
  canWrite: boolean;
}

/** The orgs the caller sees (admin: all; others: theirs) and whether they may change each token. */
export async function orgAccess(api: Api, me: { id: string; admin: boolean }): Promise<OrgAccess[]> {
  const orgs = await api<OrgView[]>('GET', '/api/v1/orgs');
  if (me.admin) return orgs.map((org) => ({ org, canWrite: true }));
  return Promise.all(
    orgs.map(async (org) => {
      const members = await optional(api<MembershipView[]>('GET', `/api/v1/orgs/${encodeURIComponent(org.id)}/members`));
      return { org, canWrite: members?.some((m) => m.user_id === me.id && m.role === 'owner') ?? false };
    }),
  );
}

/** Who may read and change a model's token and chain: admin, its owner, owners of its org (docs/reference/rest.md). */
export function managesModel(model: ModelView, me: { id: string; admin: boolean }, orgs: OrgAccess[]): boolean {
  if (me.admin || model.owner_id === me.id) return true;
  return model.org_id !== null && orgs.some((o) => o.org.id === model.org_id && o.canWrite);
}
