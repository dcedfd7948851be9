import { useId, useRef, useState, type FormEvent } from 'react';
import type { SettingsView } from '@helix/contracts';
import { ApiError } from '../api';
import { hubStatus } from '../format';
import { useSession } from '../poll';
import { ErrorNote } from './Notes';

interface Props {
  /** The settings route of the scope, e.g. /api/v1/system/settings. */
  path: string;
  /** How the scope is named in labels: "global", "org acme", … */
  scopeName: string;
  /** Whether a token is set now (the Clear button is offered only then). */
  isSet: boolean;
  onChanged(view: SettingsView): void;
}

/**
 * Sets or clears one scope's token. The field is a password field read once on submit (an
 * uncontrolled input: the value is never copied into React state or a DOM attribute) and emptied
 * right after, whatever the outcome. Clearing asks for confirmation in a modal dialog.
 */
export function TokenForm({ path, scopeName, isSet, onChanged }: Props) {
  const { api } = useSession();
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<ApiError>();

  const send = async (token: string | null) => {
    setBusy(true);
    setError(undefined);
    setStatus('');
    try {
      const view = await api<SettingsView>('PUT', path, { huggingface_token: token });
      const hub = hubStatus(view);
      setStatus(
        view.huggingface_token_set
          ? `Token set for ${scopeName}: fingerprint ${view.huggingface_token_fingerprint ?? '?'}, version ${view.version}${hub ? `; Hugging Face Hub: ${hub}` : ''}.`
          : `Token cleared for ${scopeName} (version ${view.version}).`,
      );
      onChanged(view);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'client', 'The change could not be sent.'));
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const field = input.current;
    if (!field || busy) return;
    const token = field.value;
    field.value = '';
    if (token === '') {
      setError(new ApiError(0, 'client', 'Paste a Hugging Face token first (or use Clear token to remove it).'));
      return;
    }
    void send(token);
  };

  /** The confirmation opens with the safe choice (Cancel) focused; Escape closes it too. */
  const askClear = () => {
    dialog.current?.showModal();
    cancel.current?.focus();
  };

  const confirmClear = () => {
    dialog.current?.close();
    void send(null);
  };

  return (
    <div className="token-form">
      <form onSubmit={submit} aria-label={`Set the token for ${scopeName}`}>
        <label htmlFor={`${id}-token`}>New Hugging Face token for {scopeName}</label>
        <div className="row">
          <input
            id={`${id}-token`}
            ref={input}
            type="password"
            name="huggingface_token"
            autoComplete="off"
            spellCheck={false}
            autoCapitalize="off"
            aria-describedby={`${id}-help`}
          />
          <button type="submit" disabled={busy}>
            Set token
          </button>
          {isSet && (
            <button type="button" className="danger" disabled={busy} onClick={askClear}>
              Clear token…
            </button>
          )}
        </div>
        <p id={`${id}-help`} className="help">
          Write-only: the token is sent once and never shown again; the console shows its fingerprint.
        </p>
      </form>
      <p role="status" className="status">
        {status}
      </p>
      <ErrorNote error={error} />
      <dialog ref={dialog} aria-labelledby={`${id}-clear-title`} aria-describedby={`${id}-clear-text`}>
        <h3 id={`${id}-clear-title`}>Clear the token for {scopeName}?</h3>
        <p id={`${id}-clear-text`}>Models that used it fall back to the next level of their chain at their next start.</p>
        <div className="row">
          <button type="button" className="danger" onClick={confirmClear}>
            Clear token
          </button>
          <button type="button" ref={cancel} onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </div>
  );
}
