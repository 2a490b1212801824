/** The one error type HTTP handlers throw; `onError` maps it to the one reply shape (protocol's ApiReply). */
export type ApiErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_many_requests'
  | 'unavailable'
  | 'internal';

const STATUS: Record<ApiErrorCode, 400 | 401 | 403 | 404 | 409 | 429 | 503 | 500> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_many_requests: 429,
  unavailable: 503,
  internal: 500,
};

export class ApiError extends Error {
  readonly status: 400 | 401 | 403 | 404 | 409 | 429 | 503 | 500;
  constructor(readonly code: ApiErrorCode, message: string, readonly details?: unknown) {
    super(message);
    this.status = STATUS[code];
  }
}
