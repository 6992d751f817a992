import type { Router } from 'express';
import { createApp, type ApiDeps } from '../../api/app';
import { DECLARED, type Declared } from '../../api/auth';
import { PERMISSIONS } from '../../domain/access';

// Runs in the unit tier: the app is built with dependencies that are never called, only to read which
// routes it mounts and what each declares. A route added without `requires(...)` (or an explicit
// publicRoute()) fails here, so no route can forget its permission.

const unused: unknown = new Proxy(() => unused, { get: () => unused, apply: () => unused });

interface Layer {
  route?: { path: string; methods: Record<string, boolean>; stack: { handle: Record<symbol, Declared | undefined> }[] };
  handle?: { stack?: Layer[] };
}

function declarations(): Map<string, Declared | undefined> {
  const app = createApp(unused as ApiDeps) as unknown as { router: Router & { stack: Layer[] } };
  const found = new Map<string, Declared | undefined>();
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const declared = layer.route.stack.map((l) => l.handle[DECLARED]).find(Boolean);
        for (const method of Object.keys(layer.route.methods)) found.set(`${method.toUpperCase()} ${layer.route.path}`, declared);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk(app.router.stack);
  return found;
}

test('every route declares the permission it needs; only health, docs, sign-in and signed webhooks are public', () => {
  const routes = declarations();
  expect(routes.size).toBeGreaterThan(90);
  const undeclared = [...routes].filter(([, d]) => !d).map(([r]) => r);
  expect(undeclared).toEqual([]);
  const open = [...routes].filter(([, d]) => d?.access === 'public').map(([r]) => r);
  expect(open.sort()).toEqual(['GET /docs', 'GET /health', 'GET /openapi.json', 'POST /session', 'POST /webhooks/:connectionId']);
  for (const [route, d] of routes) if (d?.permission) expect([route, PERMISSIONS.includes(d.permission)]).toEqual([route, true]);
});

test('keys, users and the audit log are for admins alone', () => {
  const routes = declarations();
  for (const route of ['POST /api-keys', 'GET /api-keys', 'DELETE /api-keys/:id', 'POST /api-keys/:id/rotate'])
    expect(routes.get(route)?.permission).toBe('keys:manage');
  for (const route of ['POST /users', 'GET /users', 'POST /users/:email/disable'])
    expect(routes.get(route)?.permission).toBe('users:manage');
  expect(routes.get('GET /audit')?.permission).toBe('audit:read');
});
