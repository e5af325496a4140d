import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'svix';

/**
 * A server on 127.0.0.1 that speaks the part of Resend's API QuotaHit uses, so the real `resend`
 * SDK runs against it (RESEND_BASE_URL): `POST /emails` and `GET /emails/receiving/:id`, with
 * Resend's JSON error bodies (`{statusCode, name, message}`). Like Resend it keeps each
 * Idempotency-Key (24 hours): the same key with the same payload answers the first email's id
 * and sends nothing; with another payload it is 409 `invalid_idempotent_request`; while the first
 * request is still being handled, 409 `concurrent_idempotent_requests`.
 *
 * Tests make inbound email with `receiveEmail` (stored for the Receiving API; returns the
 * `email.received` webhook event, which like Resend's carries no body), delivery events with
 * `deliveryEvent`, and sign either with `signWebhook`.
 */
export interface ResendRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  authorization: string | undefined;
  body: Record<string, unknown> | null;
  /** The status the loopback answered. */
  status: number;
}

/** An email Resend accepted (a replayed key adds none). */
export interface ResendSentEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  reply_to?: string[];
  headers?: Record<string, string>;
  tags?: { name: string; value: string }[];
  created_at: string;
  idempotencyKey?: string;
}

export interface ResendInboundEmail {
  from: string;
  to: string[];
  subject: string;
  text?: string | null;
  html?: string | null;
  cc?: string[];
  headers?: Record<string, string>;
  /** The email's Message-ID as the sender's mail system wrote it (default: a well-formed one). */
  messageId?: string;
}

export interface FailureOptions {
  /** Seconds, sent as Retry-After (on 429 by default 1). */
  retryAfterSeconds?: number;
  /** Resend accepts and sends the email, but the answer is lost as this failure (a retry must not send again). */
  afterAccepting?: boolean;
}

export interface ResendLoopback {
  url: string;
  requests: ResendRequest[];
  sent: ResendSentEmail[];
  /** The next `count` requests fail with `status` (429, 5xx, or any other). */
  failNext(status: number, count?: number, options?: FailureOptions): void;
  /** A prospect's email arrives at Resend: stored for the Receiving API; returns the webhook event. */
  receiveEmail(email: ResendInboundEmail): ResendWebhookPayload;
  /** Resend's webhook event about a sent email (`email.delivered`, `email.bounced`, …). */
  deliveryEvent(
    type: string,
    email: ResendSentEmail | string,
    extra?: Record<string, unknown>,
  ): ResendWebhookPayload;
  close(): Promise<void>;
}

export interface ResendWebhookPayload {
  type: string;
  created_at: string;
  data: Record<string, unknown>;
}

/** Svix headers for `payload`, signed with `secret` as Resend signs its webhooks. */
export function signWebhook(
  secret: string,
  payload: string,
  options: { id?: string; timestamp?: Date } = {},
): Record<string, string> {
  const id = options.id ?? `msg_${randomUUID().replaceAll('-', '')}`;
  const timestamp = options.timestamp ?? new Date();
  return {
    'svix-id': id,
    'svix-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'svix-signature': new Webhook(secret).sign(id, timestamp, payload),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const resendError = (statusCode: number, name: string, message: string) => ({ statusCode, name, message });
const errorNames: Record<number, string> = {
  429: 'rate_limit_exceeded',
  500: 'internal_server_error',
  502: 'application_error',
  503: 'application_error',
};
const asList = (value: unknown): string[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value.map(String) : [String(value)];
const mailbox = /^(?:[^<>]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/;

export async function startResendLoopback(): Promise<ResendLoopback> {
  const requests: ResendRequest[] = [];
  const sent: ResendSentEmail[] = [];
  const received = new Map<string, Record<string, unknown>>();
  const keys = new Map<string, { payload: string; id: string }>();
  const inFlight = new Set<string>();
  let failures: { status: number; count: number; options: FailureOptions } | null = null;

  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    let body: Record<string, unknown> | null = null;
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
    } catch {
      body = null;
    }
    const request: ResendRequest = {
      method,
      path,
      idempotencyKey,
      authorization: req.headers.authorization,
      body,
      status: 0,
    };
    requests.push(request);
    const send = (status: number, answer: unknown, headers: Record<string, string> = {}) => {
      request.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(answer));
    };
    const fail = (failure: { status: number; options: FailureOptions }) => {
      const retryAfter = failure.options.retryAfterSeconds ?? (failure.status === 429 ? 1 : undefined);
      send(
        failure.status,
        resendError(failure.status, errorNames[failure.status] ?? 'application_error', 'loopback failure'),
        {
          ...(retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {}),
          ...(failure.status === 429 ? { 'ratelimit-limit': '2', 'ratelimit-remaining': '0' } : {}),
        },
      );
    };

    if (!req.headers.authorization) {
      send(401, resendError(401, 'missing_api_key', 'Missing API key in the authorization header.'));
      return;
    }
    if (!/^Bearer re_\w+$/.test(req.headers.authorization)) {
      send(403, resendError(403, 'invalid_api_key', 'API key is invalid.'));
      return;
    }
    let failure: { status: number; options: FailureOptions } | null = null;
    if (failures && failures.count > 0) {
      failures.count -= 1;
      failure = failures;
      if (!failure.options.afterAccepting) {
        fail(failure);
        return;
      }
    }

    const receiving = path.match(/^\/emails\/receiving\/([^/]+)$/);
    if (method === 'GET' && receiving) {
      const email = received.get(decodeURIComponent(receiving[1]!));
      if (failure) fail(failure);
      else if (!email) send(404, resendError(404, 'not_found', 'Email not found'));
      else send(200, email);
      return;
    }
    if (method !== 'POST' || path !== '/emails') {
      send(405, resendError(405, 'method_not_allowed', `${method} ${path} is not supported`));
      return;
    }
    if (!body) {
      send(422, resendError(422, 'validation_error', 'Invalid JSON body.'));
      return;
    }
    if (idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > 256)) {
      send(400, resendError(400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.'));
      return;
    }
    const to = asList(body.to);
    for (const field of ['from', 'to', 'subject'] as const) {
      if (!body[field]) {
        send(422, resendError(422, 'missing_required_field', `Missing \`${field}\` field.`));
        return;
      }
    }
    if (!mailbox.test(String(body.from))) {
      send(
        422,
        resendError(
          422,
          'invalid_from_address',
          'Invalid `from` field. Use `email@example.com` or `Name <email@example.com>`.',
        ),
      );
      return;
    }
    if (!body.text && !body.html) {
      send(422, resendError(422, 'validation_error', 'Missing `html` or `text` field.'));
      return;
    }
    const payload = JSON.stringify(body);
    if (idempotencyKey) {
      if (inFlight.has(idempotencyKey)) {
        send(
          409,
          resendError(409, 'concurrent_idempotent_requests', 'Another request with this key is in progress.'),
        );
        return;
      }
      const seen = keys.get(idempotencyKey);
      if (seen) {
        if (seen.payload !== payload) {
          send(
            409,
            resendError(409, 'invalid_idempotent_request', 'This key was used with a different payload.'),
          );
        } else if (failure) {
          fail(failure);
        } else {
          send(200, { id: seen.id });
        }
        return;
      }
      inFlight.add(idempotencyKey);
    }
    const email: ResendSentEmail = {
      id: randomUUID(),
      from: String(body.from),
      to: to!,
      subject: String(body.subject),
      ...(typeof body.text === 'string' ? { text: body.text } : {}),
      ...(typeof body.html === 'string' ? { html: body.html } : {}),
      ...(body.reply_to ? { reply_to: asList(body.reply_to) } : {}),
      ...(body.headers ? { headers: body.headers as Record<string, string> } : {}),
      ...(body.tags ? { tags: body.tags as { name: string; value: string }[] } : {}),
      created_at: new Date().toISOString(),
      ...(idempotencyKey ? { idempotencyKey } : {}),
    };
    sent.push(email);
    if (idempotencyKey) {
      keys.set(idempotencyKey, { payload, id: email.id });
      inFlight.delete(idempotencyKey);
    }
    if (failure) fail(failure);
    else send(200, { id: email.id });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    sent,
    failNext(status, count = 1, options = {}) {
      failures = { status, count, options };
    },
    receiveEmail(email) {
      const id = randomUUID();
      const createdAt = new Date().toISOString();
      const messageId = email.messageId ?? `<${randomUUID()}@mail.prospect.example>`;
      received.set(id, {
        object: 'email',
        id,
        to: email.to,
        from: email.from,
        created_at: createdAt,
        subject: email.subject,
        bcc: null,
        cc: email.cc ?? null,
        reply_to: null,
        received_for: email.to,
        html: email.html ?? null,
        text: email.text ?? null,
        headers: email.headers ?? { 'message-id': messageId },
        message_id: messageId,
        raw: null,
        attachments: [],
      });
      return {
        type: 'email.received',
        created_at: createdAt,
        data: {
          email_id: id,
          created_at: createdAt,
          from: email.from,
          to: email.to,
          bcc: [],
          cc: email.cc ?? [],
          received_for: email.to,
          message_id: messageId,
          subject: email.subject,
          attachments: [],
        },
      };
    },
    deliveryEvent(type, email, extra = {}) {
      const found = typeof email === 'string' ? sent.find((candidate) => candidate.id === email) : email;
      return {
        type,
        created_at: new Date().toISOString(),
        data: {
          created_at: found?.created_at ?? new Date().toISOString(),
          email_id: typeof email === 'string' ? email : email.id,
          from: found?.from ?? 'Sales <sales@brightwave.example>',
          to: found?.to ?? ['someone@prospect.example'],
          subject: found?.subject ?? 'Hello',
          message_id: `<${randomUUID()}@email.amazonses.com>`,
          ...extra,
        },
      };
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
