import { z } from 'zod';
import { locationIdSchema } from './catalog';
import { connectionIdSchema } from './connection';

// Who may do what. Every API route declares one permission (api/access.ts); a role is a fixed set of
// permissions; warehouse and integration principals are further limited to the locations or connections
// they are scoped to. Pure: the API and its tests read the same table.

export const ROLES = ['admin', 'operator', 'warehouse', 'customer_service', 'integration', 'read_only'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'orders:read',
  'orders:write', // capture, import, payment decisions, drop-ship re-routes
  'orders:fulfil', // fulfilment events (picked, packed, shipped, delivered), pickups, allocation rejects
  'orders:cancel', // cancel an order or some of its lines
  'orders:hold', // hold and release
  'orders:retry', // retry a stuck order
  'catalog:read',
  'catalog:write', // locations and items
  'stock:read',
  'stock:write', // receipts, adjustments, quarantine decisions
  'picking:read',
  'picking:write', // bins, picklists, scans, short picks
  'returns:read',
  'returns:write',
  'purchasing:read',
  'purchasing:write', // suppliers, purchase orders, replenishment orders
  'settings:read',
  'settings:write', // routing and carrier rules, return policy, replenishment settings, recomputes
  'documents:read',
  'notifications:read',
  'notifications:write', // mark sent, retry a failed one
  'notifications:mailbox', // the local mail server's mailbox (GET /dev/mail): admins and operators
  'connections:read',
  'connections:sync', // test, sync, catalogue import, sku map of an existing connection
  'connections:manage', // create, change, delete connections
  'webhooks:read', // dead letters
  'webhooks:replay',
  'subscribers:manage', // outbound webhook subscribers: create, list, disable, rotate the secret (admins)
  'subscribers:replay', // send an outbound webhook delivery again
  'keys:manage',
  'users:manage',
  'audit:read',
  'metrics:read', // GET /metrics (Prometheus); a scraper may instead use METRICS_TOKEN
  'reports:read', // GET /metrics/orders: the business's order metrics, for every reader
  'queues:manage', // bull-board at /admin/queues: sees job payloads, retries and removes jobs
] as const;
export type Permission = (typeof PERMISSIONS)[number];

// Operations (metrics) are for admins and operators, not every reader.
const READ: Permission[] = PERMISSIONS.filter((p) => p.endsWith(':read') && p !== 'audit:read' && p !== 'metrics:read');
const ADMIN_ONLY: Permission[] = ['keys:manage', 'users:manage', 'audit:read', 'queues:manage', 'subscribers:manage'];

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set(PERMISSIONS),
  operator: new Set(PERMISSIONS.filter((p) => !ADMIN_ONLY.includes(p))),
  // Stock, picking and the fulfilment of orders at its locations; reads orders, items and documents to do so.
  warehouse: new Set<Permission>([
    'orders:read',
    'orders:fulfil',
    'catalog:read',
    'stock:read',
    'stock:write',
    'picking:read',
    'picking:write',
    'documents:read',
  ]),
  customer_service: new Set<Permission>([...READ, 'orders:cancel', 'orders:hold']),
  // A channel or ERP: sends orders, reads stock, runs its own connections and their dead letters.
  integration: new Set<Permission>([
    'orders:read',
    'orders:write',
    'orders:fulfil',
    'catalog:read',
    'stock:read',
    'connections:read',
    'connections:sync',
    'webhooks:read',
    'webhooks:replay',
  ]),
  read_only: new Set(READ),
};

/** Whom a request acts for: an API key or a signed-in user, with its role and scopes. */
export interface Principal {
  kind: 'key' | 'user';
  id: string; // key id or the user's email
  name: string;
  role: Role;
  locations?: string[]; // warehouse: the only locations it may act at
  connections?: string[]; // integration: the only connections it may touch
}

export type ScopeKind = 'location' | 'connection';

export function hasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/** Whether the principal may act on this location or connection: unscoped principals may act on any. */
export function inScope(principal: Pick<Principal, 'locations' | 'connections'>, kind: ScopeKind, id: string): boolean {
  const scope = kind === 'location' ? principal.locations : principal.connections;
  return scope === undefined || scope.includes(id);
}

/** A role and its scopes as given for a new key or user: scopes only where the role has them, and required there. */
export const grantSchema = z
  .strictObject({
    role: z.enum(ROLES),
    locations: z.array(locationIdSchema).min(1).max(100).optional(),
    connections: z.array(connectionIdSchema).min(1).max(100).optional(),
  })
  .superRefine((g, ctx) => {
    if (g.role === 'warehouse' && !g.locations)
      ctx.addIssue({ code: 'custom', path: ['locations'], message: 'is required for the warehouse role' });
    if (g.role !== 'warehouse' && g.locations)
      ctx.addIssue({ code: 'custom', path: ['locations'], message: 'is only for the warehouse role' });
    if (g.role === 'integration' && !g.connections)
      ctx.addIssue({ code: 'custom', path: ['connections'], message: 'is required for the integration role' });
    if (g.role !== 'integration' && g.connections)
      ctx.addIssue({ code: 'custom', path: ['connections'], message: 'is only for the integration role' });
  });
export type Grant = z.infer<typeof grantSchema>;

// Requests for a new API key and a new user.
const keyNameSchema = z.string().regex(/^[A-Za-z0-9 ._-]{1,64}$/, 'must be 1 to 64 letters, digits, spaces or . _ -');
// The grant's fields beside the name; the role defaults to admin, as keys were before roles.
export const apiKeyRequestSchema = z.strictObject({ name: keyNameSchema, ...grantSchema.partial({ role: true }).shape });
export const emailSchema = z.email('must be an email address').max(254);
export const userRequestSchema = z.strictObject({
  email: emailSchema,
  name: z.string().trim().min(1).max(100),
  password: z.string().min(12, 'must be at least 12 characters').max(200),
  ...grantSchema.shape,
});

/**
 * Where an order, or the part of it a command names, is fulfilled: a warehouse scoped to locations acts on
 * it only if it holds one of these. An order not placed anywhere yet has none.
 */
export function locationsOfOrder(
  order: { allocation?: { locationId: string }; parts?: { id: string; locationId: string }[]; pickup?: { locationId: string } },
  named: { part?: unknown; locationId?: unknown } = {},
): string[] {
  if (typeof named.part === 'string') return (order.parts ?? []).filter((p) => p.id === named.part).map((p) => p.locationId);
  if (typeof named.locationId === 'string') return [named.locationId];
  const all = [order.allocation?.locationId, ...(order.parts ?? []).map((p) => p.locationId), order.pickup?.locationId];
  return [...new Set(all.filter((l): l is string => l !== undefined))];
}

/** The location a picklist id names: PL-<location>-<yyyymmddThhmmss>-<hex>. */
export function locationOfPicklist(picklistId: string): string | undefined {
  return /^PL-(.+)-\d{8}T\d{6}-[0-9a-f]{6}$/.exec(picklistId)?.[1];
}

/** The connection a dead letter (webhook delivery) id names: <connectionId>|<delivery>. */
export function connectionOfDelivery(deliveryId: string): string | undefined {
  const i = deliveryId.indexOf('|');
  return i > 0 ? deliveryId.slice(0, i) : undefined;
}
