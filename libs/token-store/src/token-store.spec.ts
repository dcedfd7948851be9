import { SCOPES, type Scope } from '@helix/contracts';
import { Secret } from '@helix/secrets';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenStore, type ResolveContext, type TokenUpdate } from './index';

const t = (v: string) => Secret.of(v);
const ctx: ResolveContext = { modelId: 'Qwen/Qwen2.5', userId: 'u1', orgId: 'o1' };

function upd(scope: Scope, version: number, token: string | null, scopeId: string | null = scope === 'global' ? null : idOf(scope)): TokenUpdate {
  return { scope, scopeId, version, token: token === null ? null : t(token) };
}

function idOf(scope: Scope): string | null {
  return { model: ctx.modelId!, user: ctx.userId!, org: ctx.orgId!, global: null }[scope];
}

/** A comparable view of a resolution, without the Secret object identity. */
function view(store: TokenStore, c: ResolveContext = ctx) {
  const r = store.resolve(c);
  return { source: r.source, token: r.token?.reveal() ?? null, fingerprint: r.fingerprint };
}

describe('TokenStore', () => {
  it('starts empty and resolves to none', () => {
    const store = new TokenStore();
    expect(view(store)).toEqual({ source: 'none', token: null, fingerprint: null });
    expect(store.version('global', null)).toBe(0);
    expect(store.versions()).toEqual({});
    expect(store.knownTokens()).toEqual([]);
    expect(store.size).toBe(0);
  });

  it('falls back to the env token, and treats an empty env token as none', () => {
    expect(view(new TokenStore(t('hf_env')))).toEqual({ source: 'env', token: 'hf_env', fingerprint: t('hf_env').fingerprint });
    expect(view(new TokenStore(t(''))).source).toBe('none');
  });

  it('applies newer versions and reports older or equal ones as stale', () => {
    const store = new TokenStore();
    expect(store.apply(upd('global', 3, 'hf_v3'))).toBe('applied');
    expect(store.apply(upd('global', 3, 'hf_other'))).toBe('stale');
    expect(store.apply(upd('global', 2, 'hf_v2'))).toBe('stale');
    expect(view(store).token).toBe('hf_v3');
    expect(store.apply(upd('global', 7, 'hf_v7'))).toBe('applied');
    expect(view(store)).toEqual({ source: 'global', token: 'hf_v7', fingerprint: t('hf_v7').fingerprint });
    expect(store.version('global', null)).toBe(7);
  });

  it('treats a clear as an update: version advances, token dropped, lower level used', () => {
    const store = new TokenStore(t('hf_env'));
    store.apply(upd('global', 1, 'hf_global'));
    expect(store.apply(upd('global', 2, null))).toBe('applied');
    expect(view(store).source).toBe('env');
    expect(store.version('global', null)).toBe(2);
    expect(store.knownTokens().map((s) => s.reveal())).toEqual(['hf_env']);
    // A late redelivery of the old event must not bring the cleared token back.
    expect(store.apply(upd('global', 1, 'hf_global'))).toBe('stale');
    expect(view(store).source).toBe('env');
  });

  it('resolves model > user > org > global > env', () => {
    const store = new TokenStore(t('e'));
    const order: Array<[Scope, string]> = [
      ['global', 'g'],
      ['org', 'o'],
      ['user', 'u'],
      ['model', 'm'],
    ];
    expect(view(store).source).toBe('env');
    for (const [scope, token] of order) {
      store.apply(upd(scope, 1, token));
      expect(view(store)).toMatchObject({ source: scope, token });
    }
  });

  it('uses only the levels named in the context', () => {
    const store = new TokenStore();
    store.apply(upd('model', 1, 'm'));
    store.apply(upd('user', 1, 'u'));
    store.apply(upd('global', 1, 'g'));
    expect(view(store, { modelId: 'other/model', userId: 'u1' })).toMatchObject({ source: 'user', token: 'u' });
    expect(view(store, { userId: 'u2' })).toMatchObject({ source: 'global', token: 'g' });
    expect(view(store, { modelId: '', userId: '' })).toMatchObject({ source: 'global' });
    expect(view(store, {})).toMatchObject({ source: 'global' });
  });

  it('keeps scopes with the same id apart', () => {
    const store = new TokenStore();
    store.apply(upd('user', 5, 'user-x', 'x'));
    expect(store.apply(upd('org', 1, 'org-x', 'x'))).toBe('applied');
    expect(store.versions()).toEqual({ 'user:x': 5, 'org:x': 1 });
    expect(view(store, { orgId: 'x' })).toMatchObject({ source: 'org', token: 'org-x' });
  });

  it('reports versions by scopeKey, cleared scopes included', () => {
    const store = new TokenStore();
    store.apply(upd('global', 3, 'g'));
    store.apply(upd('model', 1, null));
    expect(store.versions()).toEqual({ global: 3, 'model:Qwen/Qwen2.5': 1 });
    expect(store.version('model', 'Qwen/Qwen2.5')).toBe(1);
    expect(store.version('model', 'other')).toBe(0);
    expect(store.size).toBe(2);
  });

  it('lists every held token once, env included', () => {
    const store = new TokenStore(t('shared'));
    store.apply(upd('global', 1, 'shared'));
    store.apply(upd('user', 1, 'u'));
    store.apply(upd('org', 1, null));
    const known = store.knownTokens();
    expect(known.every((s) => s instanceof Secret)).toBe(true);
    expect(known.map((s) => s.reveal()).sort()).toEqual(['shared', 'u']);
  });

  it('never exposes a token when a resolution is serialised', () => {
    const store = new TokenStore();
    store.apply(upd('global', 1, 'hf_do_not_print'));
    expect(JSON.stringify(store.resolve(ctx))).not.toContain('hf_do_not_print');
  });

  const invalid: Array<[string, unknown]> = [
    ['version 0', { scope: 'global', scopeId: null, version: 0, token: null }],
    ['negative version', { scope: 'global', scopeId: null, version: -1, token: null }],
    ['fractional version', { scope: 'global', scopeId: null, version: 1.5, token: null }],
    ['NaN version', { scope: 'global', scopeId: null, version: Number.NaN, token: null }],
    ['string version', { scope: 'global', scopeId: null, version: '3', token: null }],
    ['global with an id', { scope: 'global', scopeId: 'x', version: 1, token: null }],
    ['model without an id', { scope: 'model', scopeId: null, version: 1, token: null }],
    ['model with an empty id', { scope: 'model', scopeId: '', version: 1, token: null }],
    ['unknown scope', { scope: 'env', scopeId: null, version: 1, token: null }],
    ['plain-string token', { scope: 'global', scopeId: null, version: 1, token: 'hf_plain' }],
    ['empty token', { scope: 'global', scopeId: null, version: 1, token: Secret.of('') }],
  ];
  it.each(invalid)('rejects an invalid update (%s) without changing state', (_name, update) => {
    const store = new TokenStore();
    expect(() => store.apply(update as TokenUpdate)).toThrow(TypeError);
    expect(store.size).toBe(0);
  });
});

describe('TokenStore properties', () => {
  const token = fc.option(fc.constantFrom('t1', 't2', 't3', 't4'), { nil: null });

  it('any order of a scope’s updates ends in the state of the highest version', () => {
    const updates = fc
      .uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 12 })
      .chain((versions) => fc.tuple(...versions.map((v) => token.map((tok) => ({ v, tok })))))
      .chain((list) => fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }));
    fc.assert(
      fc.property(fc.constantFrom(...SCOPES), updates, fc.boolean(), (scope, list, withEnv) => {
        const env = withEnv ? t('env') : null;
        const store = new TokenStore(env);
        let highest = 0;
        for (const { v, tok } of list) {
          // Exactly the running maxima are applied.
          expect(store.apply(upd(scope, v, tok))).toBe(v > highest ? 'applied' : 'stale');
          highest = Math.max(highest, v);
        }
        const last = list.reduce((a, b) => (b.v > a.v ? b : a));
        const reference = new TokenStore(env);
        reference.apply(upd(scope, last.v, last.tok));
        expect(store.version(scope, idOf(scope))).toBe(last.v);
        expect(store.versions()).toEqual(reference.versions());
        expect(view(store)).toEqual(view(reference));
        expect(store.knownTokens().map((s) => s.reveal())).toEqual(reference.knownTokens().map((s) => s.reveal()));
      }),
    );
  });

  it('a stale update never changes resolve() or versions(); a newer one always applies', () => {
    const update = fc.record({
      scope: fc.constantFrom(...SCOPES),
      id: fc.constantFrom('a', 'b'),
      version: fc.integer({ min: 1, max: 6 }),
      tok: token,
    });
    const contexts: ResolveContext[] = [{}, { modelId: 'a', userId: 'a', orgId: 'a' }, { modelId: 'b', userId: 'a', orgId: 'b' }, { userId: 'b' }];
    fc.assert(
      fc.property(fc.array(update, { maxLength: 30 }), (list) => {
        const store = new TokenStore(t('env'));
        const highest = new Map<string, number>();
        for (const { scope, id, version, tok } of list) {
          const scopeId = scope === 'global' ? null : id;
          const key = `${scope}:${scopeId}`;
          const before = { versions: store.versions(), views: contexts.map((c) => view(store, c)) };
          const result = store.apply(upd(scope, version, tok, scopeId));
          expect(result).toBe(version > (highest.get(key) ?? 0) ? 'applied' : 'stale');
          if (result === 'stale') {
            expect(store.versions()).toEqual(before.versions);
            expect(contexts.map((c) => view(store, c))).toEqual(before.views);
          } else {
            highest.set(key, version);
          }
        }
      }),
    );
  });

  it('the first level present in model > user > org > global > env wins', () => {
    const state = fc.constantFrom('absent', 'cleared', 'set');
    const levels = ['model', 'user', 'org', 'global'] as const;
    fc.assert(
      fc.property(fc.tuple(state, state, state, state), fc.boolean(), fc.boolean(), (states, envSet, decoys) => {
        const store = new TokenStore(envSet ? t('tok-env') : null);
        if (decoys) {
          // Tokens of other models, users and orgs must never be picked.
          for (const scope of ['model', 'user', 'org'] as const) store.apply(upd(scope, 9, `decoy-${scope}`, 'someone-else'));
        }
        levels.forEach((scope, i) => {
          if (states[i] === 'set') store.apply(upd(scope, 1, `tok-${scope}`));
          // A clear that follows a set: the level existed and must now fall through.
          if (states[i] === 'cleared') {
            store.apply(upd(scope, 1, `tok-${scope}`));
            store.apply(upd(scope, 2, null));
          }
        });
        const winner = levels.find((_, i) => states[i] === 'set') ?? (envSet ? 'env' : 'none');
        const r = view(store);
        expect(r.source).toBe(winner);
        expect(r.token).toBe(winner === 'none' ? null : `tok-${winner}`);
        expect(r.fingerprint).toBe(winner === 'none' ? null : t(`tok-${winner}`).fingerprint);
      }),
    );
  });
});
