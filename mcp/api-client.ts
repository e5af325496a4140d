/**
 * The MCP server's one way to the data: the running QuotaHit server's HTTP API, authorized by the
 * organization's API key. Going through the API keeps organization isolation in one place (the
 * key names the organization) and works with the embedded database, which serves one process.
 */

export interface ApiClientOptions {
  /** The QuotaHit server, e.g. `http://localhost:3000`. */
  apiUrl: string;
  /** The organization's secret API key, sent as the bearer token and never shown. */
  apiKey: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** An `application/problem+json` answer from the API. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'ApiProblem';
  }
}

/** The server did not answer at all (not started, wrong QUOTAHIT_URL). */
export class ApiUnreachable extends Error {
  override name = 'ApiUnreachable';
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

export type QueryValue = string | number | boolean | undefined;

export interface ApiClient {
  get<T>(path: string, query?: Record<string, QueryValue>): Promise<ApiAnswer<T>>;
  post<T>(path: string, body?: unknown): Promise<ApiAnswer<T>>;
}

export function createApiClient({ apiUrl, apiKey, fetch: fetchImpl = fetch }: ApiClientOptions): ApiClient {
  const base = apiUrl.replace(/\/+$/, '');

  async function send<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetchImpl(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiUnreachable(
        `the QuotaHit server at ${base} is not reachable (${cause?.code ?? cause?.message ?? (error as Error).message}); start it with \`npm start\` or set QUOTAHIT_URL`,
      );
    }
    const text = await response.text();
    let answer: unknown = {};
    try {
      answer = text ? JSON.parse(text) : {};
    } catch {
      throw new ApiProblem(
        response.status,
        response.statusText,
        `${base} answered ${method} ${path} with something other than JSON; is QUOTAHIT_URL a QuotaHit server?`,
      );
    }
    if (!response.ok) {
      const problem = answer as { title?: unknown; detail?: unknown };
      throw new ApiProblem(
        response.status,
        String(problem.title ?? response.statusText),
        String(problem.detail ?? problem.title ?? response.statusText),
      );
    }
    return { status: response.status, body: answer as T };
  }

  return {
    get(path, query = {}) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) {
        if (value !== undefined) params.set(name, String(value));
      }
      const search = params.size ? `?${params}` : '';
      return send('GET', `${path}${search}`);
    },
    post: (path, body = {}) => send('POST', path, body),
  };
}
