import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Grant, Principal } from '../domain/access';
import { insertOnce } from './atomic';

// People who sign in to the console: passwords kept as salted scrypt hashes (the parameters stored with
// each hash), sessions as the SHA-256 of their token. A user's _id is the email in lower case, so the
// unique _id index is what keeps two users from taking one email (FerretDB has no transactions).

interface UserRecord {
  _id: string; // email, lower case
  name: string;
  role: Grant['role'];
  locations?: string[];
  connections?: string[];
  password: string; // scrypt$N$r$p$salt$hash (base64url)
  createdAt: Date;
  disabledAt?: Date;
}

interface SessionRecord {
  _id: string; // sha256 of the token
  userId: string;
  principal: Principal;
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt?: Date; // refreshed at most once a minute while the session is used
}

export interface UserView {
  email: string;
  name: string;
  role: Grant['role'];
  locations?: string[];
  connections?: string[];
  createdAt: string;
  disabledAt?: string;
}

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
// A session unused this long has ended, however long it had left (a console left open on a shared screen).
export const SESSION_IDLE_MS = 30 * 60 * 1000;
const SESSION_TOUCH_MS = 60 * 1000;
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 64 };

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt') return false;
  const expected = Buffer.from(hash, 'base64url');
  const opts = { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 };
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, opts);
  return timingSafeEqual(actual, expected);
}

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
export const isSessionToken = (token: string) => token.startsWith('ohs_');
// Compared against when the email is unknown, so an unknown user costs as long as a wrong password.
let decoy: Promise<string> | undefined;

export class Users {
  private readonly users: Collection<UserRecord>;
  private readonly sessions: Collection<SessionRecord>;
  constructor(db: Db) {
    this.users = db.collection<UserRecord>('users');
    this.sessions = db.collection<SessionRecord>('sessions');
  }

  /** False when a user with this email exists. */
  async create(input: { email: string; name: string; password: string } & Grant): Promise<UserView | null> {
    const { email, password, ...rest } = input;
    const record: UserRecord = { _id: email.toLowerCase(), ...rest, password: await hashPassword(password), createdAt: new Date() };
    return (await insertOnce(this.users, record)) ? viewOf(record) : null;
  }

  // A small collection read whole: admins list users, nothing on a request's path does.
  async list(): Promise<UserView[]> {
    return (await this.users.find({}).toArray()).map(viewOf).sort((a, b) => a.email.localeCompare(b.email));
  }

  /** Disables the user and ends their sessions; null for an unknown email. */
  async disable(email: string): Promise<UserView | null> {
    const id = email.toLowerCase();
    const user = await this.users.findOne({ _id: id });
    if (!user) return null;
    const disabledAt = user.disabledAt ?? new Date();
    if (!user.disabledAt) await this.users.updateOne({ _id: id }, { $set: { disabledAt } });
    await this.sessions.deleteMany({ userId: id });
    return viewOf({ ...user, disabledAt });
  }

  /** A new session token for the right password of an enabled user; null otherwise, the same for every reason. */
  async login(email: string, password: string): Promise<{ token: string; expiresAt: Date; principal: Principal } | null> {
    const user = await this.users.findOne({ _id: email.toLowerCase() });
    if (!user) {
      await passwordMatches(password, await (decoy ??= hashPassword(randomBytes(12).toString('hex'))));
      return null;
    }
    if (!(await passwordMatches(password, user.password)) || user.disabledAt) return null;
    const token = `ohs_${randomBytes(32).toString('base64url')}`;
    const principal: Principal = {
      kind: 'user',
      id: user._id,
      name: user.name,
      role: user.role,
      ...(user.locations && { locations: user.locations }),
      ...(user.connections && { connections: user.connections }),
    };
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await this.sessions.insertOne({ _id: hashToken(token), userId: user._id, principal, createdAt: new Date(), expiresAt });
    return { token, expiresAt, principal };
  }

  /** The principal of a live session, or null (unknown, expired or logged out). */
  async verifySession(token: string): Promise<Principal | null> {
    const session = await this.sessions.findOne({ _id: hashToken(token) });
    if (!session) return null;
    const now = Date.now();
    const lastSeen = (session.lastSeenAt ?? session.createdAt).getTime();
    if (session.expiresAt.getTime() <= now || now - lastSeen >= SESSION_IDLE_MS) {
      await this.sessions.deleteOne({ _id: session._id });
      return null;
    }
    if (now - lastSeen >= SESSION_TOUCH_MS) await this.sessions.updateOne({ _id: session._id }, { $set: { lastSeenAt: new Date(now) } });
    return session.principal;
  }

  async logout(token: string): Promise<void> {
    await this.sessions.deleteOne({ _id: hashToken(token) });
  }
}

function viewOf(u: UserRecord): UserView {
  return {
    email: u._id,
    name: u.name,
    role: u.role,
    ...(u.locations && { locations: u.locations }),
    ...(u.connections && { connections: u.connections }),
    createdAt: u.createdAt.toISOString(),
    ...(u.disabledAt && { disabledAt: u.disabledAt.toISOString() }),
  };
}
