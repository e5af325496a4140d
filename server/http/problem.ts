import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { ZodError, z } from 'zod';
import { DomainError, type DomainErrorKind } from '../../core/errors.ts';

/** RFC 9457 problem details: every error this server answers has this shape. */
export function sendProblem(
  res: Response,
  status: number,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
): void {
  res
    .status(status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: 'about:blank',
        title,
        status,
        detail,
        requestId: res.locals.requestId,
        ...extra,
      }),
    );
}

const statusOf: Record<DomainErrorKind, [number, string]> = {
  invalid: [400, 'Bad Request'],
  unauthorized: [401, 'Unauthorized'],
  forbidden: [403, 'Forbidden'],
  not_found: [404, 'Not Found'],
  conflict: [409, 'Conflict'],
  refused: [422, 'Refused'],
  rate_limited: [429, 'Too Many Requests'],
};

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, 404, 'Not Found', `no route for ${req.method} ${req.path}`);
};

export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  if (res.headersSent) return;
  if (error instanceof ZodError) {
    sendProblem(res, 400, 'Bad Request', z.prettifyError(error), {
      errors: error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
    return;
  }
  if (error instanceof DomainError) {
    const [status, title] = statusOf[error.kind];
    const retryAfter = error.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') res.set('Retry-After', String(retryAfter));
    sendProblem(res, status, title, error.message, error.details ?? {});
    return;
  }
  // body-parser marks its own failures with a type and an HTTP status.
  const bodyError = error as { type?: string; status?: number; message?: string };
  if (bodyError.type === 'entity.parse.failed') {
    sendProblem(res, 400, 'Bad Request', 'the request body is not valid JSON');
    return;
  }
  if (bodyError.type === 'entity.too.large') {
    sendProblem(res, 413, 'Content Too Large', 'the request body is too large');
    return;
  }
  if (typeof bodyError.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
    sendProblem(res, bodyError.status, 'Bad Request', bodyError.message ?? 'bad request');
    return;
  }
  req.log.error({ err: error }, 'request failed');
  sendProblem(
    res,
    500,
    'Internal Server Error',
    'something went wrong; the request id identifies it in the logs',
  );
};
