/** docs/reference/rest.md: organizations, their members, and the ids that name them. */

/** Org ids: 1–64 of `a-z 0-9 -`, starting with a letter or digit (safe in a path segment and a NATS subject). */
export const ORG_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
export function isOrgId(value: unknown): value is string {
  return typeof value === 'string' && ORG_ID_PATTERN.test(value);
}
export const ORG_ID_MESSAGE = 'must be 1 to 64 lower-case letters, digits or "-", starting with a letter or digit';

/** User ids are the UUIDs the gateway gives users (`GET /api/v1/users`). */
export const USER_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export function isUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_PATTERN.test(value);
}
export const USER_ID_MESSAGE = 'must be a user id (a lower-case UUID, as GET /api/v1/users shows)';

export const ORG_ROLES = ['owner', 'member'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

/** `POST/GET/DELETE /api/v1/orgs…`. */
export interface OrgView {
  id: string;
  name: string;
  created: string;
}

/** `PUT/GET /api/v1/orgs/{org}/members…`. */
export interface MembershipView {
  org_id: string;
  user_id: string;
  role: OrgRole;
  created: string;
}

// ---- gateway → models-service (Patterns.modelsDetachOrg) ----------------------------------------

/** The org is being deleted: its models keep existing with `org_id: null`. Idempotent. */
export interface DetachOrgRequest {
  org_id: string;
  deleted_by: string;
}

export interface DetachOrgReply {
  /** Ids of the models that belonged to the org. */
  models: string[];
}

// ---- gateway → models-service (Patterns.modelsDetachOwner) --------------------------------------

/** The user is being deleted: the models they own keep existing with `owner_id: null`. Idempotent. */
export interface DetachOwnerRequest {
  owner_id: string;
  deleted_by: string;
}

export interface DetachOwnerReply {
  /** Ids of the models the user owned. */
  models: string[];
}
