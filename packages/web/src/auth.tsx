/**
 * The signed-in session (cookie + CSRF token, see the server's /v1/auth routes). Server state lives in
 * TanStack Query under the key ['session'].
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, ok, setCsrfToken } from './api/client';
import type { paths } from './api/schema';

export type Session = paths['/v1/auth/session']['get']['responses'][200]['content']['application/json'];
export type Role = Session['user']['role'];

const RANK: Record<string, number> = { agent: 0, supervisor: 1, admin: 2, owner: 3 };
/** True when the role is at least `min` (owner > admin > supervisor > agent). */
export const atLeast = (role: string | undefined, min: 'agent' | 'supervisor' | 'admin' | 'owner') => (RANK[role ?? ''] ?? -1) >= RANK[min]!;

async function fetchSession(): Promise<Session | null> {
  const { data, response } = await api.GET('/v1/auth/session');
  if (response.status === 401) {
    setCsrfToken(null);
    return null;
  }
  if (!response.ok || !data) throw new ApiError(response.status, {});
  setCsrfToken(data.csrf_token);
  return data;
}

export const sessionQuery = { queryKey: ['session'], queryFn: fetchSession, staleTime: Infinity, retry: false } as const;

export function useSession() {
  return useQuery(sessionQuery);
}

/** The signed-in session; only for pages under the shell (which waits for it). */
export function useMe(): Session {
  const { data } = useSession();
  if (!data) throw new Error('not signed in');
  return data;
}

export function useSignIn() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: { email: string; password: string }) => ok(api.POST('/v1/auth/login', { body })),
    onSuccess: (session) => {
      setCsrfToken(session.csrf_token);
      qc.setQueryData(['session'], session);
    },
  });
}

export function useSignOut() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      await api.POST('/v1/auth/logout');
    },
    onSettled: () => {
      setCsrfToken(null);
      qc.clear();
      qc.setQueryData(['session'], null);
    },
  });
}

export function useChangePassword() {
  return useMutation({
    mutationFn: async (body: { current_password: string; new_password: string }) => ok(api.POST('/v1/auth/password', { body })),
  });
}
