import type { Redis } from 'ioredis';
import type { Grant, Principal } from '../domain/access';
import { ConflictError, NotFoundError, OrderhubError, UnauthorizedError, ValidationError } from '../domain/errors';
import type { Logger } from '../domain/logger';
import type { ApiKeys } from '../store/api-keys';
import type { AuditLog } from '../store/audit';
import type { Users } from '../store/users';

// API keys, users and their sessions, and the audit log. Never logs a key, a password or a token.

export interface AccessDeps {
  apiKeys: ApiKeys;
  users: Users;
  audit: AuditLog;
  log: Logger;
  redis: Redis;
}

// Failed sign-ins counted per email and per client address over a window; past the limit the next
// attempt is refused before the password is checked (a guesser learns nothing, and pays in time).
export const SIGN_IN_WINDOW_S = 15 * 60;
export const SIGN_IN_FAILURES = { perEmail: 10, perAddress: 50 };

const KEY_NOTE = 'Store this key now: only its hash is kept.';
const MAX_AUDIT_SPAN_MS = 31 * 86_400_000;

export function createAccessService({ apiKeys, users, audit, log, redis }: AccessDeps) {
  const failureKeys = (email: string, address: string) => [
    `orderhub:sign-in-failures:email:${email.toLowerCase()}`,
    `orderhub:sign-in-failures:address:${address}`,
  ];
  return {
    async createKey(name: string, grant: Grant, by: string | undefined) {
      const { key, view } = await apiKeys.create(name, grant);
      log.info('api key created', { keyId: view.id, name, role: view.role, by });
      return { ...view, key, note: KEY_NOTE };
    },
    listKeys: async () => ({ apiKeys: await apiKeys.list() }),
    async revokeKey(id: string, by: string | undefined) {
      if (!(await apiKeys.revoke(id))) throw new NotFoundError(`No API key ${id}`);
      log.info('api key revoked', { keyId: id, by });
      return { id, revoked: true };
    },
    async rotateKey(id: string, by: string | undefined) {
      const rotated = await apiKeys.rotate(id);
      if (!rotated) throw new NotFoundError(`No API key ${id} (or it was rotated already)`);
      log.info('api key rotated', { keyId: id, newKeyId: rotated.view.id, by });
      return { ...rotated.view, key: rotated.key, replaces: id, note: KEY_NOTE };
    },

    async createUser(input: { email: string; name: string; password: string } & Grant, by: string | undefined) {
      const user = await users.create(input);
      if (!user) throw new ConflictError(`A user with the email ${input.email.toLowerCase()} exists`);
      log.info('user created', { role: user.role, by }); // not the email: personal data
      return user;
    },
    listUsers: async () => ({ users: await users.list() }),
    async disableUser(email: string, by: string | undefined) {
      const user = await users.disable(email);
      if (!user) throw new NotFoundError(`No user ${email}`);
      log.info('user disabled', { by });
      return user;
    },
    // The same answer for an unknown email, a wrong password and a disabled user.
    async signIn(email: string, password: string, address: string): Promise<{ token: string; expiresAt: Date; principal: Principal }> {
      const [byEmail, byAddress] = failureKeys(email, address);
      const [emailFailures, addressFailures] = (await redis.mget(byEmail, byAddress)).map(Number);
      if (emailFailures >= SIGN_IN_FAILURES.perEmail || addressFailures >= SIGN_IN_FAILURES.perAddress) {
        throw new OrderhubError('rate_limited', `Too many failed sign-ins: try again in ${SIGN_IN_WINDOW_S / 60} minutes`);
      }
      const session = await users.login(email, password);
      if (!session) {
        await redis
          .multi()
          .set(byEmail, 0, 'EX', SIGN_IN_WINDOW_S, 'NX') // the window starts at the first failure
          .incr(byEmail)
          .set(byAddress, 0, 'EX', SIGN_IN_WINDOW_S, 'NX')
          .incr(byAddress)
          .exec();
        log.info('sign-in refused', { address }); // never the email's password, nor the email (personal data)
        throw new UnauthorizedError('The email or password is not right');
      }
      await redis.del(byEmail);
      return session;
    },
    signOut: (token: string) => users.logout(token),

    async audit(q: { actor?: string; from?: string; to?: string; limit: number; cursor?: string }) {
      const to = q.to ? new Date(q.to) : new Date();
      const from = q.from ? new Date(q.from) : new Date(to.getTime() - 7 * 86_400_000);
      const span = to.getTime() - from.getTime();
      if (span < 0 || span > MAX_AUDIT_SPAN_MS)
        throw new ValidationError('Invalid query', [{ path: 'from', message: 'must be before to, and at most 31 days before it' }]);
      return audit.list({ ...(q.actor && { actor: q.actor }), from, to, limit: q.limit, ...(q.cursor && { cursor: q.cursor }) });
    },
  };
}
