import { useState, type FormEvent } from 'react';
import type { AuditAction, AuditPageView } from '@helix/contracts';
import { time } from '../format';
import { usePoll, useSession } from '../poll';
import { ErrorNote, Loading } from '../components/Notes';

/** docs/reference/rest.md's actions, for the filter (a list of names: the API validates them). */
const ACTIONS: AuditAction[] = [
  'token.set',
  'token.clear',
  'user.create',
  'org.create',
  'org.delete',
  'org.member.set',
  'org.member.remove',
  'model.create',
  'model.update',
  'model.delete',
  'access.denied',
];

export function Audit() {
  const { me } = useSession();
  const [filter, setFilter] = useState({ action: '', target: '' });
  const [pages, setPages] = useState<string[]>([]);
  const before = pages.at(-1);
  const query = new URLSearchParams({ limit: '50' });
  if (filter.action) query.set('action', filter.action);
  if (filter.target) query.set('target', filter.target);
  if (before) query.set('before', before);
  const path = `/api/v1/audit?${query.toString()}`;
  // Non-admins still ask once: the API's 403 is the answer shown (and recorded as access.denied).
  const page = usePoll((api) => api<AuditPageView>('GET', path), path, 2000);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setPages([]);
    setFilter({ action: String(data.get('action') ?? ''), target: String(data.get('target') ?? '').trim() });
  };

  return (
    <>
      <h1>Audit log</h1>
      {page.error?.status === 403 || !me.admin ? (
        <ErrorNote error={page.error} what="Audit log" />
      ) : (
        <>
          <form className="filters" onSubmit={submit} aria-label="Filter the audit log">
            <label htmlFor="audit-action">Action</label>
            <select id="audit-action" name="action" defaultValue={filter.action}>
              <option value="">any</option>
              {ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
            <label htmlFor="audit-target">Target</label>
            <input id="audit-target" name="target" defaultValue={filter.target} placeholder="e.g. org:acme" />
            <button type="submit">Filter</button>
          </form>
          <ErrorNote error={page.error} what="Audit log" />
          {!page.data && !page.error && <Loading what="the audit log" />}
          {page.data && (
            <>
              <div className="table-wrap">
                <table>
                  <caption>{before ? 'Older audit entries' : 'Newest audit entries first'}</caption>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Who</th>
                      <th scope="col">Action</th>
                      <th scope="col">Target</th>
                      <th scope="col">Details</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.data.items.map((item) => (
                      <tr key={item.id}>
                        <td>{time(item.at)}</td>
                        <td>{item.actor_name ?? item.actor_id ?? '—'}</td>
                        <td className="mono">{item.action}</td>
                        <td className="mono">{item.target}</td>
                        <td className="mono details-json">{JSON.stringify(item.details)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {page.data.items.length === 0 && <p className="note">No entry.</p>}
              <div className="row">
                {pages.length > 0 && (
                  <button type="button" onClick={() => setPages([])}>
                    Newest
                  </button>
                )}
                {page.data.next && (
                  <button type="button" onClick={() => setPages([...pages, page.data!.next!])}>
                    Older entries
                  </button>
                )}
              </div>
            </>
          )}
        </>
      )}
    </>
  );
}
