import { useEffect, useRef } from 'react';
import type { ModelView, RunnerView, SettingsView } from '@helix/contracts';
import { usePoll, useSession } from '../poll';
import { ErrorNote, Loading } from '../components/Notes';
import { SettingsDetails } from '../components/SettingsDetails';
import { TokenForm } from '../components/TokenForm';

export function Overview() {
  const { me } = useSession();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Overview
      </h1>
      {me.admin ? <AdminOverview /> : <UserOverview />}
    </>
  );
}

function AdminOverview() {
  const global = usePoll((api) => api<SettingsView>('GET', '/api/v1/system/settings'), 'global');
  const runners = usePoll((api) => api<RunnerView[]>('GET', '/api/v1/runners'), 'runners');
  const models = usePoll((api) => api<ModelView[]>('GET', '/api/v1/models'), 'models');
  return (
    <div className="grid">
      <section aria-labelledby="global-title" className="card">
        <h2 id="global-title">Global token</h2>
        <ErrorNote error={global.error} what="Global token" />
        {global.data ? <SettingsDetails view={global.data} /> : !global.error && <Loading what="the global token" />}
        {global.data && (
          <TokenForm path="/api/v1/system/settings" scopeName="the global scope" isSet={global.data.huggingface_token_set} onChanged={global.refresh} />
        )}
      </section>
      <section aria-labelledby="sync-title" className="card">
        <h2 id="sync-title">Runners in sync</h2>
        <ErrorNote error={runners.error} what="Runners" />
        {runners.data ? <SyncProgress runners={runners.data} version={global.data?.version} /> : !runners.error && <Loading what="the runners" />}
      </section>
      <section aria-labelledby="models-title" className="card">
        <h2 id="models-title">Models</h2>
        <ErrorNote error={models.error} what="Models" />
        {models.data && <ModelSummary models={models.data} />}
      </section>
    </div>
  );
}

/** k of n online runners hold the current version of every scope; a bar while a rotation propagates. */
export function SyncProgress({ runners, version }: { runners: RunnerView[]; version: number | undefined }) {
  const online = runners.filter((r) => r.state === 'online');
  const inSync = online.filter((r) => r.in_sync).length;
  const offline = runners.length - online.length;
  const done = inSync === online.length;
  return (
    <div className="sync">
      <p className="big" id="sync-count" data-testid="sync-count">
        {inSync}/{online.length}
      </p>
      <label htmlFor="sync-bar">Online runners holding the current token settings</label>
      <progress id="sync-bar" max={Math.max(online.length, 1)} value={online.length ? inSync : 0} />
      <p role="status" className={done ? 'ok' : 'pending'}>
        {online.length === 0
          ? 'No runner is online.'
          : done
            ? `All ${online.length} online runners are in sync${version !== undefined ? ` (global version ${version})` : ''}.`
            : `Rotation in progress: ${inSync} of ${online.length} runners have applied the current settings${version !== undefined ? ` (global version ${version})` : ''}.`}
      </p>
      {offline > 0 && <p className="note">{offline} runner(s) offline.</p>}
    </div>
  );
}

function ModelSummary({ models }: { models: ModelView[] }) {
  const slots = models.flatMap((m) => m.slots);
  const running = slots.filter((s) => s.state === 'running').length;
  const failed = slots.filter((s) => s.state === 'failed').length;
  const hfAuth = slots.filter((s) => s.error?.code === 'hf_auth').length;
  return (
    <dl className="details">
      <dt>Models</dt>
      <dd>{models.length}</dd>
      <dt>Slots running</dt>
      <dd>{running}</dd>
      <dt>Slots failed</dt>
      <dd>
        {failed}
        {hfAuth > 0 && (
          <>
            {' '}
            (<a href="#/models">{hfAuth} waiting for a Hugging Face token</a>)
          </>
        )}
      </dd>
    </dl>
  );
}

function UserOverview() {
  const mine = usePoll((api) => api<SettingsView>('GET', '/api/v1/users/me/settings'), 'me');
  return (
    <div className="grid">
      <section aria-labelledby="mine-title" className="card">
        <h2 id="mine-title">Your token</h2>
        <ErrorNote error={mine.error} what="Your token" />
        {mine.data && <SettingsDetails view={mine.data} />}
        <p>
          Set or clear it on the <a href="#/tokens">Tokens</a> screen.
        </p>
      </section>
      <section aria-labelledby="admin-only-title" className="card">
        <h2 id="admin-only-title">Global token and runners</h2>
        <p className="note">The global token, the runners and the audit log are shown to admins only.</p>
      </section>
    </div>
  );
}
