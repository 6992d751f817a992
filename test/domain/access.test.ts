import {
  connectionOfDelivery,
  grantSchema,
  hasPermission,
  inScope,
  locationOfPicklist,
  locationsOfOrder,
  PERMISSIONS,
  ROLE_PERMISSIONS,
  ROLES,
  type Permission,
  type Role,
} from '../../domain/access';

const can = (role: Role, permission: Permission) => hasPermission(role, permission);

describe('the role table', () => {
  test('an admin holds every permission; only admins manage keys, users and queues and read the audit log', () => {
    for (const p of PERMISSIONS) expect(can('admin', p)).toBe(true);
    for (const role of ROLES.filter((r) => r !== 'admin'))
      for (const p of ['keys:manage', 'users:manage', 'audit:read', 'queues:manage'] as Permission[])
        expect([role, p, can(role, p)]).toEqual([role, p, false]);
  });

  test('an operator runs the business but not access', () => {
    expect(can('operator', 'orders:cancel')).toBe(true);
    expect(can('operator', 'connections:manage')).toBe(true);
    expect(can('operator', 'settings:write')).toBe(true);
    expect(can('operator', 'subscribers:manage')).toBe(false); // outbound webhook subscribers: admins
    expect(can('operator', 'subscribers:replay')).toBe(true);
    expect(ROLE_PERMISSIONS.operator.size).toBe(PERMISSIONS.length - 5);
  });

  test('metrics are read by admins and operators only', () => {
    expect(ROLES.filter((r) => can(r, 'metrics:read'))).toEqual(['admin', 'operator']);
  });

  test('customer service reads everything but the audit log, and may cancel and hold orders only', () => {
    const writes = [...ROLE_PERMISSIONS.customer_service].filter((p) => !p.endsWith(':read'));
    expect(writes.sort()).toEqual(['orders:cancel', 'orders:hold']);
    expect(can('customer_service', 'orders:read')).toBe(true);
    expect(can('customer_service', 'connections:read')).toBe(true);
    expect(can('customer_service', 'orders:retry')).toBe(false);
  });

  test('read-only reads and never writes', () => {
    expect([...ROLE_PERMISSIONS.read_only].every((p) => p.endsWith(':read'))).toBe(true);
    expect(can('read_only', 'stock:read')).toBe(true);
    expect(can('read_only', 'audit:read')).toBe(false);
  });

  test('a warehouse works stock and picking but cannot capture, cancel or configure', () => {
    expect(can('warehouse', 'stock:write')).toBe(true);
    expect(can('warehouse', 'picking:write')).toBe(true);
    expect(can('warehouse', 'orders:fulfil')).toBe(true);
    for (const p of ['orders:write', 'orders:cancel', 'catalog:write', 'settings:write', 'connections:read'] as Permission[])
      expect([p, can('warehouse', p)]).toEqual([p, false]);
  });

  test('an integration sends orders and syncs its connections but cannot create connections or change stock', () => {
    expect(can('integration', 'orders:write')).toBe(true);
    expect(can('integration', 'connections:sync')).toBe(true);
    expect(can('integration', 'connections:manage')).toBe(false);
    expect(can('integration', 'stock:write')).toBe(false);
    expect(can('integration', 'orders:cancel')).toBe(false);
  });
});

describe('scopes', () => {
  test('a scoped principal acts only where it is scoped; an unscoped one anywhere', () => {
    expect(inScope({ locations: ['BER-1'] }, 'location', 'BER-1')).toBe(true);
    expect(inScope({ locations: ['BER-1'] }, 'location', 'HAM-1')).toBe(false);
    expect(inScope({ connections: ['shop-a'] }, 'connection', 'shop-b')).toBe(false);
    expect(inScope({}, 'location', 'HAM-1')).toBe(true);
    expect(inScope({ locations: ['BER-1'] }, 'connection', 'shop-b')).toBe(true);
  });

  test('warehouse needs locations and integration needs connections; other roles take no scopes', () => {
    const paths = (g: unknown) => grantSchema.safeParse(g).error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(paths({ role: 'warehouse' })).toEqual(['locations']);
    expect(paths({ role: 'integration' })).toEqual(['connections']);
    expect(paths({ role: 'operator', locations: ['BER-1'] })).toEqual(['locations']);
    expect(paths({ role: 'read_only', connections: ['a'] })).toEqual(['connections']);
    expect(paths({ role: 'warehouse', locations: ['BER-1'] })).toEqual([]);
    expect(paths({ role: 'root' })).toEqual(['role']);
  });

  test('an order is fulfilled where it is allocated, where its parts are, or where the command names', () => {
    const split = {
      parts: [
        { id: '1', locationId: 'BER-1' },
        { id: '2', locationId: 'HAM-1' },
      ],
    };
    expect(locationsOfOrder(split)).toEqual(['BER-1', 'HAM-1']);
    expect(locationsOfOrder(split, { part: '2' })).toEqual(['HAM-1']);
    expect(locationsOfOrder(split, { part: '9' })).toEqual([]);
    expect(locationsOfOrder({ allocation: { locationId: 'BER-1' } }, { locationId: 'MUC-1' })).toEqual(['MUC-1']);
    expect(locationsOfOrder({ allocation: { locationId: 'BER-1' }, pickup: { locationId: 'BER-1' } })).toEqual(['BER-1']);
    expect(locationsOfOrder({})).toEqual([]);
  });

  test('the location of a picklist and the connection of a dead letter come from their ids', () => {
    expect(locationOfPicklist('PL-BER-1-20261207T102130-a1b2c3')).toBe('BER-1');
    expect(locationOfPicklist('PL-x')).toBeUndefined();
    expect(connectionOfDelivery('shop-a|123')).toBe('shop-a');
    expect(connectionOfDelivery('nopipe')).toBeUndefined();
  });
});
