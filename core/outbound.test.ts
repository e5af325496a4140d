import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * "There is no second path to a provider": a structural check over the source tree. A channel's
 * sender is invoked only by `sendOutbound` (which asks the gate first), and a provider's send API
 * is called only inside a channel adapter (where the senders live).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const sourceDirs = ['core', 'server', 'channels', 'agents', 'inngest', 'mcp', 'widget', 'console', 'bin'];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true }).catch(() => []);
  const files = await Promise.all(
    entries.map(async (entry) => {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(relative);
      return /\.(ts|tsx|js|mjs)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [relative] : [];
    }),
  );
  return files.flat();
}

// `sender.send(`, `senders.sms.send(`, `senders[channel]?.send(`, `smsSender.send(`
const channelSenderCall = /\b\w*[sS]enders?\b(?:\s*\[[^\]]*\])?(?:\??\.\w+)?\s*\??\.send\s*\(/;
// Resend `emails.send`, Twilio `messages.create` / `calls.create`
const providerSendCall = /\.(?:emails\.send|messages\.create|calls\.create)\s*\(/;

describe('no send path around the compliance gate', () => {
  it('invokes channel senders only from core/outbound.ts', async () => {
    const files = (await Promise.all(sourceDirs.map(sourceFiles))).flat();
    expect(files).toContain(path.join('core', 'outbound.ts'));
    const offenders: string[] = [];
    for (const file of files) {
      if (file === path.join('core', 'outbound.ts')) continue;
      const text = await readFile(path.join(root, file), 'utf8');
      if (channelSenderCall.test(text)) offenders.push(file);
    }
    expect(offenders, 'send through sendOutbound (core/outbound.ts) instead').toEqual([]);
  });

  it('calls provider send APIs only inside channel adapters', async () => {
    const files = (await Promise.all(sourceDirs.filter((dir) => dir !== 'channels').map(sourceFiles))).flat();
    const offenders: string[] = [];
    for (const file of files) {
      if (providerSendCall.test(await readFile(path.join(root, file), 'utf8'))) offenders.push(file);
    }
    expect(offenders, 'wrap the provider in a ChannelSender under channels/').toEqual([]);
  });

  it('recognizes the call shapes it looks for', () => {
    for (const call of [
      'sender.send(draft)',
      'senders.sms.send(x)',
      'senders[channel]?.send(x)',
      'smsSender.send(x)',
    ]) {
      expect(channelSenderCall.test(call), call).toBe(true);
    }
    for (const other of ['res.send(body)', 'socket.send(x)', 'send: async (draft) =>']) {
      expect(channelSenderCall.test(other), other).toBe(false);
    }
    expect(providerSendCall.test('resend.emails.send({})')).toBe(true);
    expect(providerSendCall.test('client.messages.create({})')).toBe(true);
  });
});
