import { Router, type Request } from 'express';
import { z } from 'zod';
import { apiKeyRequestSchema, emailSchema, grantSchema, ROLE_PERMISSIONS, userRequestSchema } from '../../domain/access';
import { UnauthorizedError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import { createAccessService } from '../../services/access';
import { SESSION_TTL_MS } from '../../store/users';
import type { ApiDeps } from '../app';
import { authenticated, publicRoute, requires, SESSION_COOKIE, tokenOf } from '../auth';

// Keys, users, sessions and the audit log. Only admins hold keys:manage, users:manage and audit:read.

const signInSchema = z.strictObject({ email: z.string().max(254), password: z.string().max(200) });
const auditQuerySchema = z.strictObject({
  actor: z.string().min(1).max(254).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z~[0-9a-f]{8}$/, 'is not an audit cursor')
    .optional(),
});

const keyIdSchema = z.string().regex(/^key_[0-9a-f]{16}$/, 'is not an API key id');
const keyIdOf = (req: Request) => parseOrThrow(keyIdSchema, req.params.id, 'API key id', 'id');
const serviceOf = (deps: ApiDeps) => createAccessService({ ...deps.stores, log: deps.log, redis: deps.redis });

// Sign-in: public, so mounted before authentication.
export function signInRouter(deps: ApiDeps): Router {
  const router = Router();
  const access = serviceOf(deps);
  router.post('/session', publicRoute(), async (req, res) => {
    const { email, password } = parseOrThrow(signInSchema, req.body, 'sign-in');
    const session = await access.signIn(email, password, req.ip ?? 'unknown');
    req.principal = session.principal; // for the audit entry of the sign-in
    res.cookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
      maxAge: SESSION_TTL_MS,
    });
    res.status(201).json({ token: session.token, expiresAt: session.expiresAt.toISOString(), user: session.principal });
  });
  return router;
}

export function apiKeysRouter(deps: ApiDeps): Router {
  const router = Router();
  const access = serviceOf(deps);
  router.post('/api-keys', requires('keys:manage'), async (req, res) => {
    const { name, ...grant } = parseOrThrow(apiKeyRequestSchema, req.body, 'API key request');
    res
      .status(201)
      .json(await access.createKey(name, parseOrThrow(grantSchema, { role: 'admin', ...grant }, 'API key request'), req.actor));
  });
  router.get('/api-keys', requires('keys:manage'), async (_req, res) => {
    res.json(await access.listKeys());
  });
  router.delete('/api-keys/:id', requires('keys:manage'), async (req, res) => {
    res.json(await access.revokeKey(keyIdOf(req), req.actor));
  });
  router.post('/api-keys/:id/rotate', requires('keys:manage'), async (req, res) => {
    res.status(201).json(await access.rotateKey(keyIdOf(req), req.actor));
  });
  return router;
}

export function usersRouter(deps: ApiDeps): Router {
  const router = Router();
  const access = serviceOf(deps);
  router.post('/users', requires('users:manage'), async (req, res) => {
    const { email, name, password, ...grant } = parseOrThrow(userRequestSchema, req.body, 'user');
    parseOrThrow(grantSchema, grant, 'user');
    res.status(201).json(await access.createUser({ email, name, password, ...grant }, req.actor));
  });
  router.get('/users', requires('users:manage'), async (_req, res) => {
    res.json(await access.listUsers());
  });
  router.post('/users/:email/disable', requires('users:manage'), async (req, res) => {
    res.json(await access.disableUser(parseOrThrow(emailSchema, req.params.email, 'email', 'email'), req.actor));
  });
  // Who the caller is and what its role may do (the console shows only the actions it may take).
  router.get('/session', authenticated(), (req, res) => {
    const p = req.principal!;
    res.json({ principal: p, permissions: [...ROLE_PERMISSIONS[p.role]] });
  });
  router.delete('/session', authenticated(), async (req, res) => {
    const token = tokenOf(req);
    if (req.principal?.kind !== 'user' || !token) throw new UnauthorizedError('Only a signed-in user has a session to end');
    await access.signOut(token);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.json({ signedOut: true });
  });
  router.get('/audit', requires('audit:read'), async (req, res) => {
    res.json(await access.audit(parseOrThrow(auditQuerySchema, req.query, 'query')));
  });
  return router;
}
