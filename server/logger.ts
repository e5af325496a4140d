import { pino } from 'pino';

/** Structured JSON logs. Anything that looks like a credential is redacted wherever it appears. */
export function createLogger(level: string, destination?: pino.DestinationStream) {
  return pino(
    {
      level,
      base: { service: 'quotahit' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-admin-token"]',
          '*.password',
          '*.apiKey',
          '*.token',
          '*.secret',
          'password',
          'apiKey',
          'token',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export type Logger = pino.Logger;
