/** What the gateway answers about users and their API keys (the CLI and the console read the same). */

export interface UserView {
  id: string;
  name: string;
  admin: boolean;
  created: string;
}

export interface CreatedUserView extends UserView {
  /** Shown once; stored only as a hash. */
  api_key: string;
}

/**
 * One API key of a user (`GET /api/v1/users/{user_id}/keys`, `DELETE …/keys/{key_id}`): never the
 * key or its hash, only the first characters that are safe to show.
 */
export interface ApiKeyView {
  id: string;
  /** `hl-` and the next 6 characters of the key; null for a key created before keys were listed (only its hash was kept). */
  prefix: string | null;
  created: string;
  /** When it was revoked; null while it works. */
  revoked: string | null;
  /** The key of `HELIX_ADMIN_API_KEY`: replaced (and revoked) when that variable changes. */
  bootstrap: boolean;
}

/** `POST /api/v1/users/{user_id}/keys`: the key is shown this once and stored only as a hash. */
export interface CreatedApiKeyView {
  id: string;
  prefix: string;
  created: string;
  api_key: string;
}
