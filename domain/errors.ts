// Error classes with a stable code; the API maps the code to an HTTP status.
export type ErrorCode =
  | 'validation_failed'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'forbidden'
  | 'upstream_unavailable'
  | 'upstream_rejected'
  | 'rate_limited'
  | 'unavailable'
  | 'insufficient_stock';

export interface FieldProblem {
  path: string;
  message: string;
}

export class OrderhubError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends OrderhubError {
  constructor(
    message: string,
    readonly problems: FieldProblem[],
  ) {
    super('validation_failed', message, problems);
  }
}

export class NotFoundError extends OrderhubError {
  constructor(message: string, details?: unknown) {
    super('not_found', message, details);
  }
}

export class ConflictError extends OrderhubError {
  constructor(message: string, details?: unknown) {
    super('conflict', message, details);
  }
}

export class UnauthorizedError extends OrderhubError {
  constructor(message = 'A valid API key is required: send "Authorization: Bearer <key>"') {
    super('unauthorized', message);
  }
}

// Authenticated, but the role or its scopes do not allow this request; details name what is missing.
export class ForbiddenError extends OrderhubError {
  constructor(message: string, details: { permission?: string; scope?: string; id?: string; header?: string }) {
    super('forbidden', message, details);
  }
}

export class UpstreamUnavailableError extends OrderhubError {
  constructor(message: string, details?: unknown) {
    super('upstream_unavailable', message, details);
  }
}

// Orderhub itself cannot take this request right now (its store or Temporal is busy or away): nothing
// was changed, and the same request may be sent again after retryAfterSeconds.
export class UnavailableError extends OrderhubError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 2,
    details?: unknown,
  ) {
    super('unavailable', message, details);
  }
}

export class InsufficientStockError extends OrderhubError {
  constructor(
    readonly sku: string,
    readonly locationId: string,
    readonly requested: number,
    readonly available: number,
  ) {
    super('insufficient_stock', `Only ${available} of ${sku} available at ${locationId}, ${requested} requested`, {
      sku,
      locationId,
      requested,
      available,
    });
  }
}
