import { SCOPES, scopeKey, type Scope, type TokenSource } from '@helix/contracts';
import { Secret } from '@helix/secrets';

/** One `settings.updated` event, already decrypted. `token: null` clears the scope. */
export interface TokenUpdate {
  scope: Scope;
  scopeId: string | null;
  version: number;
  token: Secret | null;
}

export type ApplyResult = 'applied' | 'stale';

/** What a model start is resolved against; absent (or empty) ids skip that level. */
export interface ResolveContext {
  modelId?: string;
  userId?: string;
  orgId?: string;
}

export interface ResolvedToken {
  source: TokenSource;
  token: Secret | null;
  fingerprint: string | null;
}

interface Entry {
  version: number;
  token: Secret | null;
  fingerprint: string | null;
}

const NONE: ResolvedToken = Object.freeze({ source: 'none', token: null, fingerprint: null });

/**
 * The runner's in-memory view of every token scope. JetStream may redeliver or reorder the
 * last-value replay and live updates, so each (scope, id) keeps only its highest version and
 * anything not newer is ignored: applying any set of events in any order gives the same state.
 */
export class TokenStore {
  readonly #entries = new Map<string, Entry>();
  readonly #env: Secret | null;
  readonly #envFingerprint: string | null;

  /** `envToken` is the runner's own HF_TOKEN, the lowest level; an empty one counts as none. */
  constructor(envToken: Secret | null = null) {
    if (envToken !== null && !(envToken instanceof Secret)) throw new TypeError('envToken must be a Secret or null');
    this.#env = envToken !== null && envToken.reveal() !== '' ? envToken : null;
    this.#envFingerprint = this.#env?.fingerprint ?? null;
  }

  apply(update: TokenUpdate): ApplyResult {
    validate(update);
    const key = scopeKey(update.scope, update.scopeId);
    const held = this.#entries.get(key);
    if (held && update.version <= held.version) return 'stale';
    this.#entries.set(key, {
      version: update.version,
      token: update.token,
      fingerprint: update.token?.fingerprint ?? null,
    });
    return 'applied';
  }

  /** Highest first: model → user → org → global → env → none; a cleared level falls through. */
  resolve(ctx: ResolveContext = {}): ResolvedToken {
    const levels: Array<[Scope, string | undefined | null]> = [
      ['model', ctx.modelId],
      ['user', ctx.userId],
      ['org', ctx.orgId],
      ['global', null],
    ];
    for (const [scope, id] of levels) {
      if (scope !== 'global' && !id) continue;
      const entry = this.#entries.get(scopeKey(scope, id ?? null));
      if (entry?.token) return { source: scope, token: entry.token, fingerprint: entry.fingerprint };
    }
    if (this.#env) return { source: 'env', token: this.#env, fingerprint: this.#envFingerprint };
    return { ...NONE };
  }

  /** The version held for a scope, 0 when no event for it was ever seen. */
  version(scope: Scope, scopeId: string | null): number {
    return this.#entries.get(scopeKey(scope, scopeId))?.version ?? 0;
  }

  /** Versions keyed by `scopeKey`, cleared scopes included: the whole state, for inspection (heartbeats send only counts). */
  versions(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, entry] of this.#entries) out[key] = entry.version;
    return out;
  }

  /** Every token currently held, the env token included, each value once: the redaction list. */
  knownTokens(): Secret[] {
    const byValue = new Map<string, Secret>();
    const all = [...[...this.#entries.values()].map((e) => e.token), this.#env];
    for (const token of all) if (token) byValue.set(token.reveal(), token);
    return [...byValue.values()];
  }

  /** Number of (scope, id) pairs seen, cleared ones included, i.e. the number of keys in versions(). */
  get size(): number {
    return this.#entries.size;
  }
}

function validate(u: TokenUpdate): void {
  if (typeof u !== 'object' || u === null) throw new TypeError('update must be an object');
  if (!(SCOPES as readonly unknown[]).includes(u.scope)) throw new TypeError(`scope must be one of ${SCOPES.join(', ')}`);
  if (u.scope === 'global') {
    if (u.scopeId !== null) throw new TypeError('scopeId must be null for the global scope');
  } else if (typeof u.scopeId !== 'string' || u.scopeId === '') {
    throw new TypeError(`scopeId must be a non-empty string for scope ${u.scope}`);
  }
  if (!Number.isSafeInteger(u.version) || u.version < 1) throw new TypeError('version must be a positive integer');
  if (u.token !== null && !(u.token instanceof Secret)) throw new TypeError('token must be a Secret or null');
  // An empty token would reach vLLM as HF_TOKEN="" and shadow lower levels; clears are explicit nulls.
  if (u.token !== null && u.token.reveal() === '') throw new TypeError('token must not be empty; use null to clear');
}
