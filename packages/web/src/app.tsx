import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createRootRouteWithContext, createRoute, createRouter, lazyRouteComponent, Outlet, redirect, RouterProvider } from '@tanstack/react-router';
import { setOnUnauthorized } from './api/client';
import { sessionQuery } from './auth';
import { AgentConsole } from './screens/agent-console';
import { Inbox } from './screens/inbox';
import { SandboxPhone } from './screens/sandbox-phone';
import { Callbacks } from './screens/callbacks';
import { Shell } from './screens/shell';
import { SignIn } from './screens/sign-in';

const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: 15_000, refetchOnWindowFocus: true, retry: (n, e) => n < 2 && !(e instanceof Error && 'status' in e && (e as { status: number }).status < 500) } },
});

const rootRoute = createRootRouteWithContext<{ qc: QueryClient }>()({ component: Outlet });

const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/signin',
  validateSearch: (s: Record<string, unknown>): { next?: string } => (typeof s.next === 'string' && s.next.startsWith('/') ? { next: s.next } : {}),
  component: SignIn,
});

/** Every page but sign-in: needs a session, else goes to sign-in and comes back. */
const shellRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: 'shell',
  beforeLoad: async ({ context, location }) => {
    const session = await context.qc.ensureQueryData(sessionQuery);
    if (!session) throw redirect({ to: '/signin', search: location.href === '/' ? {} : { next: location.href } });
  },
  component: Shell,
});

const homeRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: '/',
  // Agents start with their own conversations; owners, admins and supervisors with everything open.
  beforeLoad: async ({ context }) => {
    const session = await context.qc.ensureQueryData(sessionQuery);
    throw redirect({ to: '/inbox/$view', params: { view: session?.user.role === 'agent' ? 'mine' : 'all' } });
  },
});

export type InboxSearch = { c?: string; number?: string; q?: string };
export const inboxRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: '/inbox/$view',
  validateSearch: (s: Record<string, unknown>): InboxSearch => ({
    ...(typeof s.c === 'string' && s.c ? { c: s.c } : {}),
    ...(typeof s.number === 'string' && s.number ? { number: s.number } : {}),
    ...(typeof s.q === 'string' && s.q ? { q: s.q } : {}),
  }),
  component: Inbox,
});

const agentRoute = createRoute({ getParentRoute: () => shellRoute, path: '/agent', component: AgentConsole });
const sandboxRoute = createRoute({ getParentRoute: () => shellRoute, path: '/sandbox', component: SandboxPhone });
const callbacksRoute = createRoute({ getParentRoute: () => shellRoute, path: '/callbacks', component: Callbacks });

// Settings are loaded on demand: most people never open them, and they are a third of the code.
const settingsRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: '/settings',
  component: lazyRouteComponent(() => import('./settings/settings'), 'Settings'),
});
const analyticsRoute = createRoute({
  getParentRoute: () => shellRoute,
  path: '/analytics',
  validateSearch: (s: Record<string, unknown>): Record<string, string> => Object.fromEntries(Object.entries(s).filter((e): e is [string, string] => typeof e[1] === 'string')),
  component: lazyRouteComponent(() => import('./analytics/analytics'), 'Analytics'),
});
const settingsIndexRoute = createRoute({
  getParentRoute: () => settingsRoute,
  path: '/',
  beforeLoad: () => {
    throw redirect({ to: '/settings/$section', params: { section: 'teams' } });
  },
});
export const settingsSectionRoute = createRoute({
  getParentRoute: () => settingsRoute,
  path: '$section',
  component: lazyRouteComponent(() => import('./settings/settings'), 'SettingsSection'),
});

const routeTree = rootRoute.addChildren([
  signInRoute,
  shellRoute.addChildren([homeRoute, inboxRoute, agentRoute, sandboxRoute, callbacksRoute, analyticsRoute, settingsRoute.addChildren([settingsIndexRoute, settingsSectionRoute])]),
]);

export const router = createRouter({ routeTree, context: { qc: queryClient }, defaultPreload: 'intent', scrollRestoration: false });

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}

setOnUnauthorized(() => {
  if (queryClient.getQueryData(['session'])) {
    queryClient.setQueryData(['session'], null);
    void router.navigate({ to: '/signin' });
  }
});

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}
