import { isModelId } from './models';
import { isOrgId, isUserId, ORG_ID_MESSAGE, USER_ID_MESSAGE } from './orgs';
import { SCOPES, type Scope } from './settings';

/**
 * Whether (scope, scope_id) names a scope that can exist: null for global, and for the others an id
 * of that kind (org id, user UUID, model id). Returns the problem as one sentence, or null.
 */
export function scopeRefProblem(scope: unknown, scopeId: unknown): string | null {
  if (!(SCOPES as readonly unknown[]).includes(scope)) return `scope must be one of ${SCOPES.join(', ')}`;
  switch (scope as Scope) {
    case 'global':
      return scopeId === null || scopeId === undefined ? null : 'scope_id must be null for the global scope';
    case 'org':
      return isOrgId(scopeId) ? null : `the org id ${ORG_ID_MESSAGE}`;
    case 'user':
      return isUserId(scopeId) ? null : `the user id ${USER_ID_MESSAGE}`;
    case 'model':
      return isModelId(scopeId) ? null : 'the model id must be a model id such as Qwen/Qwen2.5-VL-7B-Instruct';
  }
}
