import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, providerModes } from './config.ts';

describe('loadConfig', () => {
  it('defaults to port 3000 and the embedded database in ./.data', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.dataDir).toMatch(/\.data$/);
    expect(config.publicUrl).toBe('http://localhost:3000');
  });

  it.each([
    ['PORT', 'abc', /PORT: must be a port number/],
    ['PORT', '70000', /PORT: must be between 0 and 65535/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ connection URL/],
    ['PUBLIC_URL', 'not a url', /PUBLIC_URL: must be a URL/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL:/],
    ['REDIS_URL', 'http://x', /REDIS_URL: must be a redis:\/\//],
    ['PUBLIC_URL', 'ftp://sales.example.com', /PUBLIC_URL: must be a URL starting http:\/\/ or https:\/\//],
    ['TRUST_PROXY', 'yes', /TRUST_PROXY: must be true, false, a number of proxy hops, or .*"yes"/],
    ['TRUST_PROXY', '-1', /TRUST_PROXY: .*"-1"/],
    ['TRUST_PROXY', 'loopback, 10.0.0.0/33', /TRUST_PROXY: .*not an address or subnet: "10.0.0.0\/33"/],
    ['TRUST_PROXY', '10.0.0.1/8/8', /TRUST_PROXY: .*"10.0.0.1\/8\/8"/],
  ])('a wrong %s=%s stops start-up naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('never echoes a secret value in its error', () => {
    try {
      loadConfig({ DATABASE_URL: 'mysql://user:hunter2@db' });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['true', true],
    ['2', 2],
    ['loopback', ['loopback']],
    [
      'loopback, 10.0.0.0/8, 192.168.1.7, fd00::/8, ::1',
      ['loopback', '10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1'],
    ],
  ])('reads TRUST_PROXY=%s as Express trust proxy %j', (value, expected) => {
    expect(loadConfig(value === undefined ? {} : { TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).PORT).toBe(3000);
  });

  it('says which providers are live and which only record', () => {
    const modes = providerModes(
      loadConfig({
        STRIPE_SECRET_KEY: 'sk_test_123',
        RESEND_API_KEY: 're_123',
        EMAIL_FROM: 'Acme <sales@acme.example>',
        TWILIO_ACCOUNT_SID: 'AC123',
        TWILIO_AUTH_TOKEN: 'secret-token',
        TWILIO_FROM: '+15005550006',
        PUBLIC_URL: 'https://sales.acme.example',
      }),
    );
    expect(modes['payments (Stripe)']).toBe('live');
    expect(modes['email (Resend)']).toMatch(/^live \(no RESEND_WEBHOOK_SECRET/);
    expect(modes['SMS (Twilio)']).toBe('live');
    expect(modes['WhatsApp (Twilio)']).toBe('recorded-only');
    // Twilio signs the public URL it calls: without PUBLIC_URL nothing it sends would verify.
    const twilioOnly = {
      TWILIO_ACCOUNT_SID: 'AC123',
      TWILIO_AUTH_TOKEN: 'secret-token',
      TWILIO_FROM: '+15005550006',
    };
    expect(providerModes(loadConfig(twilioOnly))['SMS (Twilio)']).toMatch(/^live \(no PUBLIC_URL/);
    const none = providerModes(loadConfig({}));
    expect(none['payments (Stripe)']).toBe('recorded-only');
    expect(none['email (Resend)']).toBe('recorded-only');
    expect(none['SMS (Twilio)']).toBe('recorded-only');
  });

  it('stops on a provider key that cannot work alone, naming what is missing', () => {
    expect(() => loadConfig({ RESEND_API_KEY: 're_123' })).toThrow(
      /EMAIL_FROM: is required with RESEND_API_KEY/,
    );
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: 'AC123' })).toThrow(/set both, or neither/);
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 'secret-token' })).toThrow(
      /TWILIO_FROM: is required/,
    );
    try {
      loadConfig({ TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 'secret-token' });
    } catch (error) {
      expect(String(error)).not.toContain('secret-token');
    }
  });
});
