import { USER_ID_PATTERN } from './orgs';

/** API key ids are UUIDs the gateway gives keys (`GET /api/v1/users/me/keys`). */
export function isApiKeyId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_PATTERN.test(value);
}
export const API_KEY_ID_MESSAGE = 'must be an API key id (a lower-case UUID, as GET /api/v1/users/me/keys shows)';
