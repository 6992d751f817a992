import type { Router } from 'express';
import { createApp, type ApiDeps } from '../../api/app';
import { openApiDocument } from '../../api/openapi';

// Runs in the unit tier: the app is built with dependencies that are never called, only to read which
// routes it mounts. A route added without its description, or a description left for a route that is
// gone, fails here.

const unused: unknown = new Proxy(() => unused, { get: () => unused, apply: () => unused });

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

function mountedRoutes(): string[] {
  const app = createApp(unused as ApiDeps) as unknown as { router: Router & { stack: Layer[] } };
  const found: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) for (const method of Object.keys(layer.route.methods)) found.push(`${method.toUpperCase()} ${layer.route.path}`);
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk(app.router.stack);
  return found.sort();
}

function documentedRoutes(): string[] {
  const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
    .sort();
}

test('every route the API mounts is in /openapi.json, and nothing else is', () => {
  const mounted = mountedRoutes();
  expect(mounted.length).toBeGreaterThan(40); // the walk found the routers' routes, not just the app's own
  expect(mounted).toContain('POST /connections');
  expect(mounted).toContain('POST /webhooks/:connectionId');
  expect(documentedRoutes()).toEqual(mounted);
});

test('the connection routes describe their request bodies with the schemas the routes validate with', () => {
  const doc = openApiDocument() as {
    components: { schemas: Record<string, { properties?: Record<string, unknown>; anyOf?: unknown[]; oneOf?: unknown[] }> };
  };
  const input = doc.components.schemas.ConnectionInput;
  expect(input.properties ?? input.anyOf ?? input.oneOf).toBeDefined();
  expect(JSON.stringify(input)).toContain('shopify');
  expect(doc.components.schemas.ConnectionPatch).toBeDefined();
});
