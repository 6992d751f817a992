import type { Request } from 'express';
import { ValidationError } from '../domain/errors';

// The caller's Idempotency-Key header, when sent: 8 to 200 printable ASCII characters without spaces.
export function idempotencyKeyHeader(req: Request): string | undefined {
  const header = req.get('idempotency-key');
  if (header !== undefined && !/^[\x21-\x7e]{8,200}$/.test(header))
    throw new ValidationError('Invalid Idempotency-Key header', [
      { path: 'headers.idempotency-key', message: 'must be 8 to 200 printable ASCII characters without spaces' },
    ]);
  return header;
}
