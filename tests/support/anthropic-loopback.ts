import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A server on 127.0.0.1 that speaks the Anthropic Messages API (`POST /v1/messages`), so tests
 * run the real `@anthropic-ai/sdk` end to end: JSON responses, and with `stream: true` the SSE
 * event sequence the SDK parses (message_start, content_block_start, text and input_json deltas,
 * content_block_stop, message_delta, message_stop). What it answers comes from a responder the
 * test provides, or from replies queued with `script()`.
 */
export type LoopbackBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id?: string; name: string; input: unknown };

export interface LoopbackReply {
  content: LoopbackBlock[];
  stopReason?: 'end_turn' | 'tool_use' | 'max_tokens';
  usage?: { inputTokens: number; outputTokens: number };
}

export interface MessagesRequest {
  model: string;
  max_tokens: number;
  temperature?: number;
  system?: string;
  stream?: boolean;
  tools?: { name: string; description?: string; input_schema: Record<string, unknown> }[];
  tool_choice?: { type: string; name?: string };
  messages: { role: 'user' | 'assistant'; content: string | Record<string, unknown>[] }[];
}

export type LoopbackResponder = (request: MessagesRequest) => LoopbackReply | Promise<LoopbackReply>;

export interface AnthropicLoopback {
  url: string;
  /** Every request body received, in order. */
  requests: MessagesRequest[];
  /** Queues replies used (in order) before the responder. */
  script(...replies: LoopbackReply[]): void;
  close(): Promise<void>;
}

export async function startAnthropicLoopback(responder?: LoopbackResponder): Promise<AnthropicLoopback> {
  const requests: MessagesRequest[] = [];
  const queued: LoopbackReply[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
      return sendError(res, 404, 'not_found_error', `no route ${req.method} ${req.url}`);
    }
    // The API takes the key as `x-api-key` or, from newer SDKs, as a bearer token.
    if (!req.headers['x-api-key'] && !/^Bearer \S+/.test(req.headers.authorization ?? '')) {
      return sendError(res, 401, 'authentication_error', 'an API key is required');
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as MessagesRequest;
    requests.push(body);
    const reply =
      queued.shift() ?? (responder ? await responder(body) : { content: [{ type: 'text', text: 'ok' }] });
    const content = reply.content.map((block) =>
      block.type === 'tool_use'
        ? { ...block, id: block.id ?? `toolu_${randomUUID().replaceAll('-', '')}` }
        : block,
    );
    const stopReason =
      reply.stopReason ?? (content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn');
    const usage = reply.usage ?? {
      inputTokens:
        Math.ceil(JSON.stringify(body.messages).length / 4) + Math.ceil((body.system ?? '').length / 4),
      outputTokens: Math.ceil(JSON.stringify(content).length / 4),
    };
    const id = `msg_${randomUUID().replaceAll('-', '')}`;
    const message = {
      id,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens },
    };
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${id}` });
      res.end(JSON.stringify(message));
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'request-id': `req_${id}`,
    });
    const send = (event: string, data: unknown) =>
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('message_start', {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        stop_reason: null,
        usage: { input_tokens: usage.inputTokens, output_tokens: 1 },
      },
    });
    send('ping', { type: 'ping' });
    for (const [index, block] of content.entries()) {
      if (block.type === 'text') {
        send('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'text', text: '' },
        });
        for (const piece of block.text.match(/\S+\s*|\s+/g) ?? []) {
          send('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'text_delta', text: piece },
          });
        }
      } else {
        send('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        });
        const json = JSON.stringify(block.input);
        const third = Math.ceil(json.length / 3);
        for (let at = 0; at < json.length; at += third) {
          send('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: json.slice(at, at + third) },
          });
        }
      }
      send('content_block_stop', { type: 'content_block_stop', index });
    }
    send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.outputTokens },
    });
    send('message_stop', { type: 'message_stop' });
    res.end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) sendError(res, 500, 'api_error', error.message);
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    script: (...replies) => queued.push(...replies),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ type: 'error', error: { type, message } }));
}
