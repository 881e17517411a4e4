// Which route of the table (routes.ts) a request path names, and its path parameters.
import { API_PREFIX, ROUTES, type HttpMethod, type PathParam, type Route } from './routes.ts';

export type PathParams = Partial<Record<PathParam, string>>;

export type RouteMatch =
  | { readonly kind: 'matched'; readonly route: Route; readonly params: PathParams }
  /** The path exists but not with this method (405, with the allowed methods). */
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly HttpMethod[] }
  | { readonly kind: 'not-found' }
  /** A path segment is not valid percent-encoding. */
  | { readonly kind: 'bad-path' };

function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

const TEMPLATES = ROUTES.map((route) => ({ route, parts: segments(route.path) }));

/** The route of `method path`, where `path` is the request path without the query string. */
export function matchRoute(method: string, path: string): RouteMatch {
  if (path !== API_PREFIX && !path.startsWith(`${API_PREFIX}/`)) return { kind: 'not-found' };
  let parts: string[];
  try {
    // Empty segments are kept: `/clusters//status` must not read as `/clusters/status`.
    parts = path
      .slice(API_PREFIX.length + 1)
      .split('/')
      .map((s) => decodeURIComponent(s));
  } catch {
    return { kind: 'bad-path' };
  }
  const allowed: HttpMethod[] = [];
  for (const { route, parts: template } of TEMPLATES) {
    if (template.length !== parts.length) continue;
    const params: PathParams = {};
    const fits = template.every((t, i) => {
      const actual = parts[i] ?? '';
      if (t.startsWith('{') && t.endsWith('}')) {
        params[t.slice(1, -1) as PathParam] = actual;
        return actual !== '';
      }
      return t === actual;
    });
    if (!fits) continue;
    if (route.method === method) return { kind: 'matched', route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
}

/** `{param}` names of a path template, in order. */
export function pathParamsOf(path: string): PathParam[] {
  return segments(path)
    .filter((s) => s.startsWith('{') && s.endsWith('}'))
    .map((s) => s.slice(1, -1) as PathParam);
}
