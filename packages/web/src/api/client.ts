/**
 * The API client: openapi-fetch over the types generated from the server's OpenAPI document
 * (schema.d.ts), same origin. Cookie sessions send the CSRF token on every state-changing request.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];

let csrfToken: string | null = null;
export const setCsrfToken = (token: string | null) => {
  csrfToken = token;
};

/** Called when the server answers 401 to a signed-in page: the session ended elsewhere. */
let onUnauthorized: () => void = () => {};
export const setOnUnauthorized = (fn: () => void) => {
  onUnauthorized = fn;
};

const session: Middleware = {
  onRequest({ request }) {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method) && csrfToken) request.headers.set('X-CSRF-Token', csrfToken);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && !new URL(request.url).pathname.startsWith('/v1/auth/')) onUnauthorized();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '', credentials: 'same-origin' });
api.use(session);

/** An API error with the server's problem+json (title, detail and the fields it names). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem>,
  ) {
    super(problem.detail || problem.title || `The server answered ${status}`);
  }
  /** The message for one field, when the server named it. */
  field(name: string): string | undefined {
    return this.problem.errors?.find((e) => e.field === name || e.field.endsWith(`.${name}`) || e.field === `/${name}`)?.message;
  }
}

/** What `ok` resolves to: the typed body, or undefined for a route that answers 204 No Content. */
export type Data<T> = [T] extends [never] ? undefined : [T] extends [undefined] ? undefined : T;

/** Unwraps an openapi-fetch result: the data, or an ApiError with the problem. */
export async function ok<T>(promise: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<Data<NonNullable<T>>> {
  const { data, error, response } = await promise;
  if (!response.ok) throw new ApiError(response.status, (error ?? {}) as Partial<Problem>);
  return data as Data<NonNullable<T>>;
}
