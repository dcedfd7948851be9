import { useState } from 'react';
import type { ModelView, SettingsView, UserView } from '@helix/contracts';
import { modelPath, optional, type Api } from '../api';
import { usePoll, useSession } from '../poll';
import { managesModel, orgAccess } from '../scopes';
import { ErrorNote, Loading } from '../components/Notes';
import { SettingsDetails } from '../components/SettingsDetails';
import { TokenForm } from '../components/TokenForm';

interface ScopeCard {
  key: string;
  title: string;
  scopeName: string;
  path: string;
  canWrite: boolean;
  view: SettingsView;
}

/** Every scope the caller may read, with a form for those they may change (docs/reference/rest.md). */
async function loadScopes(api: Api, me: UserView): Promise<ScopeCard[]> {
  const [orgs, models] = await Promise.all([orgAccess(api, me), api<ModelView[]>('GET', '/api/v1/models')]);
  const wanted: Array<Omit<ScopeCard, 'view'>> = [];
  if (me.admin) wanted.push({ key: 'global', title: 'Global', scopeName: 'the global scope', path: '/api/v1/system/settings', canWrite: true });
  wanted.push({ key: 'me', title: `Your own token (user ${me.name})`, scopeName: 'your user', path: '/api/v1/users/me/settings', canWrite: true });
  for (const { org, canWrite } of orgs)
    wanted.push({
      key: `org:${org.id}`,
      title: `Org ${org.name} (${org.id})`,
      scopeName: `org ${org.id}`,
      path: `/api/v1/orgs/${encodeURIComponent(org.id)}/settings`,
      canWrite,
    });
  for (const model of models.filter((m) => managesModel(m, me, orgs)))
    wanted.push({
      key: `model:${model.id}`,
      title: `Model ${model.id}`,
      scopeName: `model ${model.id}`,
      path: modelPath(model.id, '/settings'),
      canWrite: true,
    });
  const cards = await Promise.all(wanted.map(async (w) => ({ ...w, view: await optional(api<SettingsView>('GET', w.path)) })));
  return cards.filter((c): c is ScopeCard => c.view !== undefined);
}

export function Tokens() {
  const { me } = useSession();
  const scopes = usePoll((api) => loadScopes(api, me), `tokens:${me.id}`);
  return (
    <>
      <h1>Tokens</h1>
      <p className="lead">A model's process gets the first token set along its chain: model → owner (user) → org → global → the runner's own HF_TOKEN.</p>
      <ErrorNote error={scopes.error} what="Tokens" />
      {!scopes.data && !scopes.error && <Loading what="the token scopes" />}
      <div className="grid">
        {scopes.data?.map((s) => (
          <section key={s.key} className="card" aria-label={s.title}>
            <h2>{s.title}</h2>
            <SettingsDetails view={s.view} />
            {s.canWrite ? (
              <TokenForm path={s.path} scopeName={s.scopeName} isSet={s.view.huggingface_token_set} onChanged={scopes.refresh} />
            ) : (
              <p className="note">Only the org's owners and admins may change this token.</p>
            )}
          </section>
        ))}
        {me.admin && <UserTokens />}
      </div>
    </>
  );
}

/** Admins: any user's token, one user at a time. */
function UserTokens() {
  const users = usePoll((api) => api<UserView[]>('GET', '/api/v1/users'), 'users', 5000);
  const [userId, setUserId] = useState('');
  const selected = users.data?.find((u) => u.id === userId);
  const view = usePoll(selected ? (api) => api<SettingsView>('GET', `/api/v1/users/${encodeURIComponent(selected.id)}/settings`) : null, `user:${userId}`);
  return (
    <section className="card" aria-labelledby="user-tokens-title">
      <h2 id="user-tokens-title">Another user's token</h2>
      <ErrorNote error={users.error} what="Users" />
      <label htmlFor="user-select">User</label>
      <select id="user-select" value={userId} onChange={(e) => setUserId(e.target.value)}>
        <option value="">Choose a user…</option>
        {users.data?.map((u) => (
          <option key={u.id} value={u.id}>
            {u.name} {u.admin ? '(admin)' : ''}
          </option>
        ))}
      </select>
      {selected && view.data && (
        <>
          <SettingsDetails view={view.data} />
          <TokenForm
            path={`/api/v1/users/${encodeURIComponent(selected.id)}/settings`}
            scopeName={`user ${selected.name}`}
            isSet={view.data.huggingface_token_set}
            onChanged={view.refresh}
          />
        </>
      )}
      <ErrorNote error={view.error} />
    </section>
  );
}
