import type { SettingsView } from '@helix/contracts';
import { hubStatus, time } from '../format';

/** What a scope's settings say: set or not, fingerprint, Hub verdict, version (never the token). */
export function SettingsDetails({ view }: { view: SettingsView }) {
  const hub = hubStatus(view);
  return (
    <dl className="details">
      <dt>Token</dt>
      <dd>{view.huggingface_token_set ? 'set' : 'not set'}</dd>
      <dt>Fingerprint</dt>
      <dd className="mono">{view.huggingface_token_fingerprint ?? '—'}</dd>
      {hub !== null && (
        <>
          <dt>Hugging Face Hub</dt>
          <dd>{hub}</dd>
        </>
      )}
      <dt>Version</dt>
      <dd>{view.version}</dd>
      <dt>Updated</dt>
      <dd>{time(view.updated)}</dd>
    </dl>
  );
}
