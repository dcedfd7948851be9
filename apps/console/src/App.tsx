import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { UserView } from '@helix/contracts';
import { apiClient, ApiError } from './api';
import { SessionContext, type Session } from './poll';
import { session as storage } from './session';
import { SignIn } from './screens/SignIn';
import { Overview } from './screens/Overview';
import { Tokens } from './screens/Tokens';
import { Runners } from './screens/Runners';
import { Models } from './screens/Models';
import { Audit } from './screens/Audit';

const SCREENS = [
  { id: 'overview', title: 'Overview', admin: false },
  { id: 'tokens', title: 'Tokens', admin: false },
  { id: 'runners', title: 'Runners', admin: true },
  { id: 'models', title: 'Models', admin: false },
  { id: 'audit', title: 'Audit log', admin: true },
] as const;
type ScreenId = (typeof SCREENS)[number]['id'];

/** The screen in the location's fragment (#/runners); the fragment only ever names a screen. */
function screenFromHash(): ScreenId {
  const id = location.hash.replace(/^#\/?/, '');
  return SCREENS.find((s) => s.id === id)?.id ?? 'overview';
}

function useScreen(): ScreenId {
  const [screen, setScreen] = useState(screenFromHash);
  useEffect(() => {
    const update = () => setScreen(screenFromHash());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return screen;
}

type State = { kind: 'checking'; key: string } | { kind: 'signed-out'; reason?: string } | { kind: 'signed-in'; key: string; me: UserView };

export function App() {
  const [state, setState] = useState<State>(() => {
    const key = storage.load();
    return key ? { kind: 'checking', key } : { kind: 'signed-out' };
  });

  const signIn = useCallback(async (key: string): Promise<string | null> => {
    try {
      const me = await apiClient(key)<UserView>('GET', '/api/v1/users/me');
      storage.save(key);
      setState({ kind: 'signed-in', key, me });
      return null;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401)
        return 'That API key was not accepted (401): check that you pasted the whole key, and that it was not revoked.';
      return err instanceof ApiError ? `${err.message} (${err.status || 'no answer'})` : 'The gateway could not be reached.';
    }
  }, []);

  const signOut = useCallback((reason?: string) => {
    storage.clear();
    setState({ kind: 'signed-out', reason });
  }, []);

  useEffect(() => {
    if (state.kind !== 'checking') return;
    void signIn(state.key).then((problem) => {
      if (problem) signOut(problem);
    });
  }, [state, signIn, signOut]);

  if (state.kind === 'checking') return <p className="note">Checking your API key…</p>;
  if (state.kind === 'signed-out') return <SignIn onSignIn={signIn} reason={state.reason} />;
  return <Console apiKey={state.key} me={state.me} signOut={signOut} />;
}

function Console({ apiKey, me, signOut }: { apiKey: string; me: UserView; signOut(reason?: string): void }) {
  const screen = useScreen();
  const session = useMemo<Session>(() => ({ api: apiClient(apiKey), me, expire: signOut }), [apiKey, me, signOut]);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // Moving between screens puts the keyboard focus on the new screen's content.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [screen]);

  const visible = SCREENS.filter((s) => me.admin || !s.admin);
  return (
    <SessionContext.Provider value={session}>
      <header className="top">
        <span className="brand">Helix token plane</span>
        <nav aria-label="Screens">
          <ul>
            {visible.map((s) => (
              <li key={s.id}>
                <a href={`#/${s.id}`} aria-current={s.id === screen ? 'page' : undefined}>
                  {s.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          Signed in as <strong>{me.name}</strong> {me.admin ? '(admin)' : '(user)'}
        </span>
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main ref={main} tabIndex={-1} id="main">
        {screen === 'overview' && <Overview />}
        {screen === 'tokens' && <Tokens />}
        {screen === 'runners' && <Runners />}
        {screen === 'models' && <Models />}
        {screen === 'audit' && <Audit />}
      </main>
    </SessionContext.Provider>
  );
}
