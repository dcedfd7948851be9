import type { ModelView, TokenChainView } from '@helix/contracts';
import { modelPath, optional, type Api } from '../api';
import { bytes, scopeLabel, slotAdvice } from '../format';
import { usePoll, useSession } from '../poll';
import { managesModel, orgAccess } from '../scopes';
import { ErrorNote, Loading } from '../components/Notes';

interface ModelRow {
  model: ModelView;
  /** The resolution chain (docs/reference/rest.md), for the models whose token the caller may see. */
  chain: TokenChainView | undefined;
}

async function loadModels(api: Api, me: { id: string; admin: boolean }): Promise<ModelRow[]> {
  const [models, orgs] = await Promise.all([api<ModelView[]>('GET', '/api/v1/models'), me.admin ? Promise.resolve([]) : orgAccess(api, me)]);
  return Promise.all(
    models.map(async (model) => ({
      model,
      chain: managesModel(model, me, orgs) ? await optional(api<TokenChainView>('GET', modelPath(model.id, '/token'))) : undefined,
    })),
  );
}

export function Models() {
  const { me } = useSession();
  const rows = usePoll((api) => loadModels(api, me), `models:${me.id}`);
  return (
    <>
      <h1>Models</h1>
      <ErrorNote error={rows.error} what="Models" />
      {!rows.data && !rows.error && <Loading what="the models" />}
      {rows.data?.length === 0 && <p className="note">No model is registered.</p>}
      {rows.data?.map((row) => (
        <ModelCard key={row.model.id} row={row} />
      ))}
    </>
  );
}

function ModelCard({ row: { model, chain } }: { row: ModelRow }) {
  const titleId = `model-${model.id.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  return (
    <section className="card model" aria-labelledby={titleId}>
      <h2 id={titleId} className="mono">
        {model.id}
      </h2>
      <dl className="details">
        <dt>Name</dt>
        <dd>{model.name}</dd>
        <dt>Type</dt>
        <dd>
          {model.type}, {bytes(model.memory)}
        </dd>
        <dt>Enabled</dt>
        <dd>{model.enabled ? 'yes' : 'no'}</dd>
        <dt>Org</dt>
        <dd>{model.org_id ?? '—'}</dd>
        <dt>Owner</dt>
        <dd className="mono">{model.owner_id ?? '—'}</dd>
      </dl>
      {chain ? <Chain chain={chain} /> : <p className="note">The token chain is shown to admins, the model's owner and its org's owners.</p>}
      {model.slots.length === 0 ? (
        <p className="note">No slot.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption>Slots of {model.id}</caption>
            <thead>
              <tr>
                <th scope="col">Runner</th>
                <th scope="col">State</th>
                <th scope="col">Token level used</th>
                <th scope="col">Fingerprint</th>
                <th scope="col">Restarts</th>
                <th scope="col">Error and what to do</th>
              </tr>
            </thead>
            <tbody>
              {model.slots.map((slot) => {
                const advice = slotAdvice(slot, chain);
                return (
                  <tr key={slot.id}>
                    <th scope="row" className="mono">
                      {slot.runner_id ?? '—'}
                    </th>
                    <td className={slot.state === 'running' ? 'ok' : slot.state === 'failed' ? 'bad' : 'pending'}>{slot.state}</td>
                    <td>{slot.hf_token_source ?? '—'}</td>
                    <td className="mono">{slot.hf_token_fingerprint ?? '—'}</td>
                    <td>{slot.restarts}</td>
                    <td>
                      {slot.error ? (
                        <div className="slot-error">
                          <p>
                            <strong>{slot.error.code}</strong>: {slot.error.message}
                          </p>
                          {advice && <p className="advice">What to do: {advice}</p>}
                          {slot.error.code === 'hf_auth' && <a href="#/tokens">Go to the Tokens screen</a>}
                        </div>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Chain({ chain }: { chain: TokenChainView }) {
  return (
    <div className="chain">
      <h3>Token resolution</h3>
      <ol>
        {chain.chain.map((level) => (
          <li key={`${level.scope}:${level.scope_id ?? ''}`} className={chain.effective?.scope === level.scope ? 'effective' : undefined}>
            {level.scope}
            {level.scope_id !== null && level.scope !== 'global' ? ` ${level.scope_id}` : ''}:{' '}
            {level.set ? `set, ${level.fingerprint ?? ''} (version ${level.version ?? '?'})` : 'not set'}
            {chain.effective?.scope === level.scope && ' — used'}
          </li>
        ))}
      </ol>
      <p>
        {chain.effective
          ? `Effective: ${scopeLabel(chain.effective.scope, chain.effective.scope_id)}.`
          : 'No control-plane token applies: runners use their own HF_TOKEN, or none.'}
      </p>
    </div>
  );
}
