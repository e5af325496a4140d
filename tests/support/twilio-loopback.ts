import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';

/**
 * A server on 127.0.0.1 that speaks the part of Twilio's REST API QuotaHit uses, so the real
 * `twilio` SDK runs against it (TWILIO_BASE_URL):
 *
 * - `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded → a Message resource
 *   (`SM…` sid, status `queued`), 201;
 * - `GET /2010-04-01/Accounts/{AccountSid}/Messages.json?To=&From=&DateSent>=` → one page of
 *   the account's messages, newest first. Like Twilio, `DateSent` filters by UTC day.
 *
 * Basic auth (account sid and auth token) is checked on every request. Like Twilio's Messages
 * API, a create is never deduplicated: the same request twice sends two texts. `failNext` makes
 * the next creates fail — before the message exists, or after (`afterCreate`: the text went out
 * but the answer says otherwise) — so retries and reconciliation can be proven.
 */
export interface TwilioRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The form fields as sent (`To`, `From`, `Body`, `StatusCallback`, ...). */
  form: Record<string, string>;
  authorization: string | undefined;
}

export interface TwilioLoopbackMessage {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
  dateCreated: Date;
}

export type TwilioFailure = number | 'connection_reset';

export interface TwilioLoopback {
  url: string;
  accountSid: string;
  authToken: string;
  requests: TwilioRequest[];
  /** Every message created, in order: what prospects' phones received. */
  messages: TwilioLoopbackMessage[];
  /** Messages creates only (`POST .../Messages.json`), in order. */
  creates(): TwilioRequest[];
  /**
   * The next `count` creates fail with this HTTP status (429, 500, 503, 400, ...) or a dropped
   * connection. With `afterCreate` the message is created first (a text went out), then the
   * failure is answered.
   */
  failNext(failure: TwilioFailure, count?: number, options?: { afterCreate?: boolean }): void;
  /** The number texted STOP to our sender at the carrier: Twilio refuses it with error 21610. */
  optOutAtCarrier(number: string): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Twilio's error body: `{code, message, more_info, status}`. */
const twilioError = (status: number, code: number, message: string) => ({
  code,
  message,
  more_info: `https://www.twilio.com/docs/errors/${code}`,
  status,
});

const e164 = /^\+[1-9]\d{7,14}$/;
const isAddress = (value: string) => e164.test(value.replace(/^whatsapp:/, ''));

/** RFC 2822, as Twilio writes its dates ("Wed, 15 Jul 2026 16:00:00 +0000"). */
const rfc2822 = (date: Date) => date.toUTCString().replace('GMT', '+0000');

export async function startTwilioLoopback(
  options: { accountSid?: string; authToken?: string } = {},
): Promise<TwilioLoopback> {
  const accountSid = options.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = options.authToken ?? randomBytes(16).toString('hex');
  const requests: TwilioRequest[] = [];
  const messages: TwilioLoopbackMessage[] = [];
  const failures: { failure: TwilioFailure; afterCreate: boolean }[] = [];
  const optedOut = new Set<string>();
  const base = `/2010-04-01/Accounts/${accountSid}`;
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;

  const resource = (message: TwilioLoopbackMessage, listed: boolean) => ({
    account_sid: accountSid,
    api_version: '2010-04-01',
    body: message.body,
    date_created: rfc2822(message.dateCreated),
    // A text is handed to the carrier moments after it is queued; a listing sees it sent.
    date_sent: listed ? rfc2822(message.dateCreated) : null,
    date_updated: rfc2822(message.dateCreated),
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: message.from,
    messaging_service_sid: message.messagingServiceSid,
    num_media: '0',
    num_segments: '1',
    price: null,
    price_unit: 'USD',
    sid: message.sid,
    status: listed ? 'sent' : 'queued',
    subresource_uris: { media: `${base}/Messages/${message.sid}/Media.json` },
    to: message.to,
    uri: `${base}/Messages/${message.sid}.json`,
  });

  function create(form: Record<string, string>): TwilioLoopbackMessage | { error: object } {
    const to = form.To ?? '';
    const from = form.From ?? null;
    const service = form.MessagingServiceSid ?? null;
    if (!isAddress(to)) {
      return { error: twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`) };
    }
    if (!from && !service) {
      return { error: twilioError(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required.") };
    }
    if (from && (!isAddress(from) || from.startsWith('whatsapp:') !== to.startsWith('whatsapp:'))) {
      return {
        error: twilioError(400, 21910, 'Invalid From and To pair. From and To should be of the same channel'),
      };
    }
    if (optedOut.has(to)) {
      return { error: twilioError(400, 21610, 'Attempt to send to unsubscribed recipient') };
    }
    if (!form.Body) return { error: twilioError(400, 21602, 'Message body is required.') };
    if (form.Body.length > 1600) {
      return {
        error: twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.'),
      };
    }
    const message: TwilioLoopbackMessage = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      to,
      from,
      messagingServiceSid: service,
      body: form.Body,
      statusCallback: form.StatusCallback ?? null,
      dateCreated: new Date(),
    };
    messages.push(message);
    return message;
  }

  function list(query: Record<string, string>) {
    // `DateSent>=2026-07-15...` reads as on or after midnight UTC of that day, as Twilio does.
    const after = query['DateSent>'] ? Date.parse(`${query['DateSent>'].slice(0, 10)}T00:00:00Z`) : null;
    const pageSize = Math.min(Number(query.PageSize ?? 50) || 50, 1000);
    return messages
      .filter((message) => !query.To || message.to === query.To)
      .filter((message) => !query.From || message.from === query.From)
      .filter((message) => after === null || message.dateCreated.getTime() >= after)
      .reverse()
      .slice(0, pageSize)
      .map((message) => resource(message, true));
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://loopback');
    const request: TwilioRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      form: Object.fromEntries(new URLSearchParams(raw)),
      authorization: req.headers.authorization,
    };
    requests.push(request);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (request.authorization !== expectedAuth) {
      send(401, twilioError(401, 20003, 'Authenticate'));
      return;
    }
    if (request.path !== `${base}/Messages.json`) {
      send(404, twilioError(404, 20404, `The requested resource ${request.path} was not found`));
      return;
    }
    if (request.method === 'GET') {
      const page = list(request.query);
      send(200, {
        messages: page,
        end: Math.max(page.length - 1, 0),
        first_page_uri: `${base}/Messages.json?PageSize=${request.query.PageSize ?? 50}&Page=0`,
        next_page_uri: null,
        page: 0,
        page_size: Number(request.query.PageSize ?? 50),
        previous_page_uri: null,
        start: 0,
        uri: `${base}/Messages.json`,
      });
      return;
    }
    if (request.method !== 'POST') {
      send(405, twilioError(405, 20004, 'Method not allowed'));
      return;
    }
    const failure = failures.shift();
    if (failure && !failure.afterCreate) {
      fail(res, failure.failure);
      return;
    }
    const created = create(request.form);
    if ('error' in created) {
      send((created.error as { status: number }).status, created.error);
      return;
    }
    if (failure) {
      fail(res, failure.failure);
      return;
    }
    send(201, resource(created, false));
  };

  function fail(res: ServerResponse, failure: TwilioFailure) {
    if (failure === 'connection_reset') {
      res.socket?.destroy();
      return;
    }
    res.writeHead(failure, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        failure === 429
          ? twilioError(429, 20429, 'Too Many Requests')
          : twilioError(failure, 20500, 'Internal Server Error'),
      ),
    );
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    accountSid,
    authToken,
    requests,
    messages,
    creates: () => requests.filter((request) => request.method === 'POST'),
    failNext(failure, count = 1, { afterCreate = false } = {}) {
      for (let i = 0; i < count; i++) failures.push({ failure, afterCreate });
    },
    optOutAtCarrier: (number) => optedOut.add(number),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Twilio's `X-Twilio-Signature`: HMAC-SHA1, keyed with the auth token, of the full URL Twilio
 * called followed by every form parameter's name and value, sorted by name; base64.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}

/**
 * Delivers a webhook the way Twilio does: form-encoded, signed for `signedUrl` (the public URL
 * Twilio was given), sent to the same path and query on `serverUrl` (the server behind its proxy).
 * `signature: null` leaves the header out; a string replaces it.
 */
export async function postTwilioWebhook(
  serverUrl: string,
  signedUrl: string,
  params: Record<string, string>,
  options: { authToken: string; signature?: string | null },
): Promise<{ status: number; contentType: string; text: string; json: () => Record<string, unknown> }> {
  const target = new URL(signedUrl);
  const signature =
    options.signature === undefined
      ? twilioSignature(options.authToken, signedUrl, params)
      : options.signature;
  const response = await fetch(`${serverUrl}${target.pathname}${target.search}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'user-agent': 'TwilioProxy/1.1',
      ...(signature === null ? {} : { 'x-twilio-signature': signature }),
    },
    body: new URLSearchParams(params).toString(),
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text,
    json: () => JSON.parse(text),
  };
}

/** The form fields of an inbound text, as Twilio posts them to the messaging webhook. */
export function inboundTextParams(input: {
  accountSid: string;
  from: string;
  to: string;
  body: string;
  messageSid?: string;
  profileName?: string;
  media?: { url: string; contentType: string }[];
}): Record<string, string> {
  const sid = input.messageSid ?? `SM${randomBytes(16).toString('hex')}`;
  const media = input.media ?? [];
  return {
    ToCountry: 'US',
    SmsMessageSid: sid,
    NumMedia: String(media.length),
    SmsSid: sid,
    SmsStatus: 'received',
    Body: input.body,
    To: input.to,
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: input.accountSid,
    From: input.from,
    ApiVersion: '2010-04-01',
    ...(input.profileName
      ? { ProfileName: input.profileName, WaId: input.from.replace(/^whatsapp:\+/, '') }
      : {}),
    ...Object.fromEntries(
      media.flatMap((item, i) => [
        [`MediaUrl${i}`, item.url],
        [`MediaContentType${i}`, item.contentType],
      ]),
    ),
  };
}

/** The form fields of a status callback for a message the loopback created. */
export function statusCallbackParams(
  accountSid: string,
  message: TwilioLoopbackMessage,
  status: string,
  errorCode?: string,
): Record<string, string> {
  return {
    AccountSid: accountSid,
    ApiVersion: '2010-04-01',
    SmsSid: message.sid,
    SmsStatus: status,
    MessageSid: message.sid,
    MessageStatus: status,
    To: message.to,
    From: message.from ?? '',
    ...(errorCode ? { ErrorCode: errorCode } : {}),
  };
}
