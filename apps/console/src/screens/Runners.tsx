import type { RunnerView } from '@helix/contracts';
import { bytes, time } from '../format';
import { usePoll, useSession } from '../poll';
import { ErrorNote, Loading } from '../components/Notes';
import { SyncProgress } from './Overview';

export function Runners() {
  const { me } = useSession();
  return (
    <>
      <h1>Runners</h1>
      {me.admin ? <RunnerTable /> : <p className="note forbidden">Runners are shown to admins only.</p>}
    </>
  );
}

function RunnerTable() {
  const runners = usePoll((api) => api<RunnerView[]>('GET', '/api/v1/runners'), 'runners');
  if (runners.error && !runners.data) return <ErrorNote error={runners.error} what="Runners" />;
  if (!runners.data) return <Loading what="the runners" />;
  return (
    <>
      <SyncProgress runners={runners.data} version={undefined} />
      <ErrorNote error={runners.error} />
      <div className="table-wrap">
        <table>
          <caption>Runners, their memory, slots and settings sync</caption>
          <thead>
            <tr>
              <th scope="col">Runner</th>
              <th scope="col">State</th>
              <th scope="col">Last seen</th>
              <th scope="col">Memory allocated / total</th>
              <th scope="col">Slots</th>
              <th scope="col">Global version</th>
              <th scope="col">Scopes held</th>
              <th scope="col">In sync</th>
              <th scope="col">Token for models without their own</th>
            </tr>
          </thead>
          <tbody>
            {runners.data.map((r) => (
              <tr key={r.id}>
                <th scope="row" className="mono">
                  {r.id}
                </th>
                <td className={r.state === 'online' ? 'ok' : 'pending'}>{r.state}</td>
                <td>{time(r.last_seen)}</td>
                <td>
                  {bytes(r.memory_allocated)} / {bytes(r.memory_total)}
                </td>
                <td>{r.slots.map((s) => `${s.model_id} (${s.state})`).join(', ') || 'none'}</td>
                <td>{r.settings_version}</td>
                <td>{r.settings_applied}</td>
                <td className={r.in_sync ? 'ok' : 'pending'}>{r.in_sync ? 'yes' : 'not yet'}</td>
                <td>{r.hf_token_provided ? 'yes' : 'no'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {runners.data.length === 0 && <p className="note">No runner has joined yet.</p>}
    </>
  );
}
