import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A server on 127.0.0.1 that speaks the part of Stripe's API QuotaHit uses — `POST /v1/prices`
 * and `POST /v1/payment_links` with form-encoded bodies, JSON answers shaped like Stripe's — so
 * the real `stripe` SDK runs against it (STRIPE_BASE_URL). Like Stripe, it replays the stored
 * answer for a repeated `Idempotency-Key` and refuses the key with different parameters.
 */
export interface StripeRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  authorization: string | undefined;
  /** The form fields as sent (`line_items[0][price]`, `metadata[orgId]`, ...). */
  form: Record<string, string>;
}

export interface StripeLoopback {
  url: string;
  requests: StripeRequest[];
  /** Objects created (not replayed), by id. */
  created: Map<string, Record<string, unknown>>;
  /** The next answers fail with this HTTP status (then it resets), to test errors. */
  failNext(status: number, count?: number): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const stripeError = (type: string, message: string) => ({ error: { type, message } });

export async function startStripeLoopback(): Promise<StripeLoopback> {
  const requests: StripeRequest[] = [];
  const created = new Map<string, Record<string, unknown>>();
  const idempotent = new Map<string, { form: string; status: number; body: unknown }>();
  let counter = 0;
  let failures: { status: number; count: number } | null = null;
  const nextId = (prefix: string) => `${prefix}_${(++counter).toString().padStart(6, '0')}loopback`;

  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const form = Object.fromEntries(new URLSearchParams(raw));
    const path = (req.url ?? '/').split('?')[0]!;
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    const request: StripeRequest = {
      method: req.method ?? 'GET',
      path,
      idempotencyKey,
      authorization: req.headers.authorization,
      form,
    };
    requests.push(request);
    const send = (status: number, body: unknown, replayed = false) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'request-id': `req_${counter}`,
        ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
      });
      res.end(JSON.stringify(body));
    };
    if (!/^Bearer sk_(test|live)_\w+/.test(request.authorization ?? '')) {
      send(401, stripeError('invalid_request_error', 'Invalid API Key provided'));
      return;
    }
    if (failures && failures.count > 0) {
      failures.count -= 1;
      send(failures.status, stripeError('api_error', 'loopback failure'));
      return;
    }
    const cacheKey = idempotencyKey ? `${path}:${idempotencyKey}` : null;
    const cached = cacheKey ? idempotent.get(cacheKey) : undefined;
    if (cached) {
      if (cached.form !== raw) {
        send(
          400,
          stripeError(
            'idempotency_error',
            `Keys for idempotent requests can only be used with the same parameters they were first used with.`,
          ),
        );
        return;
      }
      send(cached.status, cached.body, true);
      return;
    }
    let status = 200;
    let body: Record<string, unknown>;
    const metadata = Object.fromEntries(
      Object.entries(form)
        .filter(([key]) => key.startsWith('metadata['))
        .map(([key, value]) => [key.slice('metadata['.length, -1), value]),
    );
    if (req.method === 'POST' && path === '/v1/prices') {
      if (!form.unit_amount || !form.currency || !(form.product || form['product_data[name]'])) {
        send(
          400,
          stripeError('invalid_request_error', 'Missing required param: unit_amount, currency or product.'),
        );
        return;
      }
      body = {
        id: nextId('price'),
        object: 'price',
        active: true,
        currency: form.currency,
        unit_amount: Number(form.unit_amount),
        product: form.product ?? nextId('prod'),
        type: 'one_time',
        livemode: false,
        metadata,
      };
      created.set(body.id as string, body);
    } else if (req.method === 'POST' && path === '/v1/payment_links') {
      const price = form['line_items[0][price]'];
      if (!price || !created.has(price)) {
        send(400, stripeError('invalid_request_error', `No such price: '${price ?? ''}'`));
        return;
      }
      const id = nextId('plink');
      body = {
        id,
        object: 'payment_link',
        active: true,
        url: `https://buy.stripe.com/test_${id}`,
        livemode: false,
        metadata,
      };
      created.set(id, body);
    } else {
      status = 404;
      body = stripeError('invalid_request_error', `Unrecognized request URL (${req.method}: ${path}).`);
    }
    if (cacheKey) idempotent.set(cacheKey, { form: raw, status, body });
    send(status, body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    created,
    failNext(status, count = 1) {
      failures = { status, count };
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
