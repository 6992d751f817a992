import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, onSignedOut, type SessionInfo } from './api';

// Who is signed in: read from GET /session at start; cleared when the API answers 401 (session ended).
interface SessionState {
  session: SessionInfo | null | undefined; // undefined while loading, null when signed out
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  can(permission: string): boolean;
  ended: boolean; // the session ended on its own (expired, user disabled): the login page says so
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [ended, setEnded] = useState(false);

  const load = useCallback(async () => {
    try {
      setSession(await api.get<SessionInfo>('/session'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setSession(null);
      else throw err;
    }
  }, []);

  useEffect(() => {
    void load().catch(() => setSession(null));
    return onSignedOut(() => {
      setSession((s) => {
        if (s) setEnded(true);
        return null;
      });
    });
  }, [load]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      await api.post('/session', { email, password });
      setEnded(false);
      await load();
    },
    [load],
  );
  const signOut = useCallback(async () => {
    try {
      await api.delete('/session');
    } finally {
      setEnded(false);
      setSession(null);
    }
  }, []);
  const can = useCallback((permission: string) => !!session?.permissions.includes(permission), [session]);

  return <SessionContext.Provider value={{ session, signIn, signOut, can, ended }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
