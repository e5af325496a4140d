import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { buildServer } from './mcp-server.ts';

/** What `quotahit mcp` reads from its environment. */
export const mcpEnvSchema = z.object({
  QUOTAHIT_URL: z
    .url('QUOTAHIT_URL must be a URL, e.g. http://localhost:3000')
    .default('http://localhost:3000'),
  QUOTAHIT_API_KEY: z
    .string({ error: 'QUOTAHIT_API_KEY is required: the organization API key (`quotahit org create`)' })
    .trim()
    .min(1, 'QUOTAHIT_API_KEY is required: the organization API key (`quotahit org create`)'),
});

/**
 * `quotahit mcp`: the MCP server on stdio. stdout carries MCP JSON-RPC only, so everything else
 * goes to stderr. Answers 2 for a missing or malformed setting; otherwise keeps serving until the
 * client closes stdin.
 */
export async function runMcpServer(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const settings = mcpEnvSchema.safeParse({
    QUOTAHIT_URL: env.QUOTAHIT_URL || undefined,
    QUOTAHIT_API_KEY: env.QUOTAHIT_API_KEY,
  });
  if (!settings.success) {
    // The messages name the variable, never its value: the key is a secret.
    process.stderr.write(`${settings.error.issues.map((issue) => issue.message).join('\n')}\n`);
    return 2;
  }
  const { QUOTAHIT_URL: apiUrl, QUOTAHIT_API_KEY: apiKey } = settings.data;
  const server = buildServer({ apiUrl, apiKey });
  await server.connect(new StdioServerTransport());
  process.stderr.write(`QuotaHit MCP server on stdio, using the API at ${apiUrl}\n`);
  return 0;
}
