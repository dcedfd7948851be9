import { useEffect, useRef, useState, type FormEvent } from 'react';

/** Paste an API key; it is checked with GET /api/v1/users/me and kept in this tab's session storage only. */
export function SignIn({ onSignIn, reason }: { onSignIn(key: string): Promise<string | null>; reason?: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [problem, setProblem] = useState<string | undefined>(reason);
  const [busy, setBusy] = useState(false);
  useEffect(() => input.current?.focus(), []);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const key = input.current?.value.trim() ?? '';
    if (!key) {
      setProblem('Paste an API key first.');
      return;
    }
    setBusy(true);
    const result = await onSignIn(key);
    setBusy(false);
    if (result && input.current) {
      input.current.value = '';
      setProblem(result);
      input.current.focus();
    }
  };

  return (
    <main className="sign-in" id="main">
      <h1>Helix token plane console</h1>
      <form onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h2 id="sign-in-title">Sign in</h2>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          ref={input}
          type="password"
          name="api_key"
          autoComplete="off"
          spellCheck={false}
          aria-describedby="api-key-help"
          aria-invalid={problem ? true : undefined}
        />
        <p id="api-key-help" className="help">
          Your Helix API key (hl-…). It is kept only in this browser tab and forgotten when you sign out or close the tab.
        </p>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {problem && (
          <p className="note error" role="alert">
            {problem}
          </p>
        )}
      </form>
    </main>
  );
}
