/**
 * A minimal browser for tests of the authorize pages without a real one: a cookie jar, form posts,
 * no automatic redirects (each hop is asserted). Runs over Fastify's inject (in-process apps) or fetch
 * (a service process).
 */
export type HttpRequest = { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string };
export type HttpResponse = { status: number; headers: Record<string, string | undefined>; setCookies: string[]; body: string };
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

type Injectable = {
  inject(options: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: string }): Promise<{
    statusCode: number;
    headers: Record<string, string | string[] | number | undefined>;
    body: string;
  }>;
};

export function injectTransport(app: Injectable): Transport {
  return async (request) => {
    const response = await app.inject({ method: request.method, url: request.path, ...(request.headers ? { headers: request.headers } : {}), ...(request.body !== undefined ? { payload: request.body } : {}) });
    const headers: Record<string, string | undefined> = {};
    let setCookies: string[] = [];
    for (const [name, value] of Object.entries(response.headers)) {
      if (name === 'set-cookie') setCookies = ([] as string[]).concat(value as string | string[]);
      else headers[name] = value === undefined ? undefined : String(value);
    }
    return { status: response.statusCode, headers, setCookies, body: response.body };
  };
}

export function fetchTransport(baseUrl: string): Transport {
  return async (request) => {
    const response = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      redirect: 'manual',
      ...(request.headers ? { headers: request.headers } : {}),
      ...(request.body !== undefined ? { body: request.body } : {}),
    });
    const headers: Record<string, string | undefined> = {};
    response.headers.forEach((value, name) => {
      if (name !== 'set-cookie') headers[name] = value;
    });
    return { status: response.status, headers, setCookies: response.headers.getSetCookie(), body: await response.text() };
  };
}

export class PageBrowser {
  readonly cookies = new Map<string, string>();

  constructor(private readonly transport: Transport) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    return this.send({ method: 'GET', path, headers });
  }

  /** Posts a form (fields in order, repeats allowed as pairs) or a raw body. */
  async post(path: string, form: Record<string, string> | Array<[string, string]> | string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
    return this.send({ method: 'POST', path, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await this.transport({ ...request, headers: { ...(cookie ? { cookie } : {}), ...request.headers } });
    for (const line of response.setCookies) {
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, index).trim(), pair!.slice(index + 1).trim());
    }
    return response;
  }
}

/** The hidden inputs of the page's form (interaction, form_token). */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[match[1]!] = match[2]!;
  return fields;
}

/** The path and query of a Location header on our own server (relative), or the absolute URL. */
export function locationOf(response: HttpResponse): string {
  const location = response.headers.location;
  if (!location) throw new Error(`expected a redirect, got ${response.status}: ${response.body.slice(0, 300)}`);
  return location;
}
