import { createHash } from 'node:crypto';
import { createTestContext, uniqueId, type TestContext } from '../support/stack';
import { apiFor, TEST_API_KEY } from '../support/api';
import { eventually, orderBody } from '../support/fixtures';
import { hashApiKey } from '../../store/api-keys';

let ctx: TestContext;
let api: Awaited<ReturnType<typeof apiFor>>;

const location = (id: string) => ({
  id,
  name: id,
  type: 'warehouse',
  address: { line1: 'Lagerstrasse 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
  priority: 1,
});

// A key of the role, created by the admin (bootstrap) key; requests made with it.
async function keyFor(role: string, scopes: object = {}) {
  const res = await api.post('/api-keys', { name: `${role}-${uniqueId('k')}`, role, ...scopes });
  expect(res.status).toBe(201);
  return asKey(res.body.key as string, res.body.id as string);
}
function asKey(key: string, id = '') {
  const auth = { Authorization: `Bearer ${key}` };
  return {
    id,
    key,
    get: (path: string) => api.raw.get(path).set(auth),
    post: (path: string, body?: object) =>
      api.raw
        .post(path)
        .set(auth)
        .send(body ?? {}),
    put: (path: string, body: object) => api.raw.put(path).set(auth).send(body),
    del: (path: string) => api.raw.delete(path).set(auth),
  };
}

beforeAll(async () => {
  ctx = await createTestContext('api_access');
  api = await apiFor(ctx);
  for (const id of ['BER-1', 'HAM-1']) expect((await api.post('/locations', location(id))).status).toBe(201);
  expect((await api.post('/items', { sku: 'TEE-M', name: 'T-shirt M' })).status).toBe(201);
}, 60_000);
afterAll(async () => ctx?.close());

describe('roles: 403 names the missing permission, and nothing is written', () => {
  test('an operator cannot create API keys: 403 names keys:manage and no key is added', async () => {
    const operator = await keyFor('operator');
    const before = (await api.get('/api-keys')).body.apiKeys.length;
    const res = await operator.post('/api-keys', { name: 'escalate', role: 'admin' });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'forbidden', details: { permission: 'keys:manage' } });
    expect(res.body.error.message).toContain('keys:manage');
    expect((await api.get('/api-keys')).body.apiKeys.length).toBe(before);
    // What an operator may do, it does.
    expect((await operator.post('/items', { sku: 'CAP-1', name: 'Cap' })).status).toBe(201);
    expect((await operator.get('/audit')).status).toBe(403);
  });

  test('read-only reads and is refused every write', async () => {
    const reader = await keyFor('read_only');
    expect((await reader.get('/items/TEE-M')).status).toBe(200);
    expect((await reader.get('/orders')).status).toBe(200);
    const res = await reader.post('/items', { sku: 'RO-1', name: 'Nope' });
    expect(res.status).toBe(403);
    expect(res.body.error.details).toEqual({ permission: 'catalog:write' });
    expect((await api.get('/items/RO-1')).status).toBe(404);
  });

  test('customer service may cancel and hold orders but not retry them or change stock', async () => {
    const cs = await keyFor('customer_service');
    // The permission check passes: the unknown order is what stops these.
    expect((await cs.post('/orders/order:pos:NO-SUCH/cancel', {})).status).toBe(404);
    expect((await cs.post('/orders/order:pos:NO-SUCH/hold', {})).status).toBe(404);
    expect((await cs.post('/orders/order:pos:NO-SUCH/retry')).body.error.details).toEqual({ permission: 'orders:retry' });
    const receipt = await cs.post('/stock/receipts', { sku: 'TEE-M', locationId: 'BER-1', quantity: 5 });
    expect(receipt.status).toBe(403);
    expect(receipt.body.error.details.permission).toBe('stock:write');
  });

  test('a warehouse key scoped to BER-1 receives stock there and is refused at HAM-1, with nothing written', async () => {
    const warehouse = await keyFor('warehouse', { locations: ['BER-1'] });
    const ok = await warehouse.post('/stock/receipts', { sku: 'TEE-M', locationId: 'BER-1', quantity: 5 });
    expect(ok.status).toBe(201);
    const refused = await warehouse.post('/stock/adjustments', { sku: 'TEE-M', locationId: 'HAM-1', delta: 3, reason: 'count' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.details).toEqual({ permission: 'stock:write', scope: 'location', id: 'HAM-1' });
    expect(refused.body.error.message).toContain('HAM-1');
    const ledger = await api.get('/stock/TEE-M/ledger?locationId=HAM-1');
    expect(ledger.status).toBe(200);
    expect(JSON.stringify(ledger.body)).not.toContain('"adjustment"');
    // Picklists and bins likewise, by the location in the body, the path or the picklist id.
    expect((await warehouse.post('/picklists', { locationId: 'HAM-1' })).status).toBe(403);
    expect((await warehouse.put('/locations/HAM-1/bins', { bins: { 'TEE-M': 'A-01-1' } })).status).toBe(403);
    expect((await warehouse.get('/picklists/PL-HAM-1-20261207T101010-abcdef')).status).toBe(403);
    expect((await warehouse.put('/locations/BER-1/bins', { bins: { 'TEE-M': 'A-01-1' } })).status).toBe(200);
    expect((await warehouse.post('/orders', {})).body.error.details).toEqual({ permission: 'orders:write' });
  });

  test('a warehouse key records fulfilment only for orders at its locations', async () => {
    await ctx.startWorker();
    expect((await api.post('/items', { sku: 'HAT-1', name: 'Hat' })).status).toBe(201);
    expect((await api.post('/stock/receipts', { sku: 'HAT-1', locationId: 'HAM-1', quantity: 3 })).status).toBe(201);
    const placed = await api.post('/orders', orderBody({ channelOrderId: uniqueId('AC'), lines: [{ sku: 'HAT-1', quantity: 1 }] }));
    expect(placed.status).toBe(202);
    const orderId = placed.body.orderId as string;
    await eventually(
      async () => (await api.get(`/orders/${orderId}`)).body,
      (o) => o.status === 'released_to_fulfillment',
      60_000,
      'the order released at HAM-1',
    );
    expect((await api.get(`/orders/${orderId}`)).body.allocation.locationId).toBe('HAM-1');
    const berlin = await keyFor('warehouse', { locations: ['BER-1'] });
    const refused = await berlin.post(`/orders/${orderId}/events`, { type: 'picked' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.details).toEqual({ permission: 'orders:fulfil', scope: 'location', id: 'HAM-1' });
    expect((await api.get(`/orders/${orderId}`)).body.status).not.toBe('picked');
    const hamburg = await keyFor('warehouse', { locations: ['HAM-1'] });
    const picked = await hamburg.post(`/orders/${orderId}/events`, { type: 'picked' });
    expect([200, 202]).toContain(picked.status);

    // Reads are narrowed the same way: Berlin neither reads the Hamburg order nor finds it in a listing.
    for (const path of [`/orders/${orderId}`, `/orders/${orderId}/notifications`, `/orders/${orderId}/documents`]) {
      const read = await berlin.get(path);
      expect({ path, status: read.status, scope: read.body.error?.details?.scope }).toEqual({ path, status: 403, scope: 'location' });
      expect((await hamburg.get(path)).status).toBe(200);
    }
    const slip = `/documents/${encodeURIComponent(`doc:packing_slip:${orderId}`)}`;
    expect((await berlin.get(slip)).status).toBe(403);
    expect((await hamburg.get(slip)).status).toBe(200);
    expect((await berlin.get('/documents/doc:picklist:PL-HAM-1-20261207T101010-abcdef')).status).toBe(403);
    const listed = async (key: typeof berlin) =>
      ((await key.get('/orders?sku=HAT-1')).body.orders as { orderId: string }[]).map((o) => o.orderId);
    expect(await listed(berlin)).not.toContain(orderId);
    expect(await listed(hamburg)).toContain(orderId);
    expect(await listed(asKey(TEST_API_KEY))).toContain(orderId); // the admin sees every order
    // An unknown order is still 404 for a scoped key (nothing to be scoped to), and a bad id 400.
    expect((await berlin.get('/orders/order:manual:NOPE-1')).status).toBe(404);
    expect((await berlin.get('/orders/%20')).status).toBe(400);
  }, 90_000);

  test('an integration key scoped to its connection cannot read another, nor replay its dead letters', async () => {
    const integration = await keyFor('integration', { connections: ['shop-mine'] });
    const other = await integration.get('/connections/shop-other');
    expect(other.status).toBe(403);
    expect(other.body.error.details).toEqual({ permission: 'connections:read', scope: 'connection', id: 'shop-other' });
    expect((await integration.get('/connections/shop-mine')).status).toBe(404); // in scope; it does not exist
    expect((await integration.post('/webhooks/dead-letters/shop-other|123/replay')).status).toBe(403);
    expect((await integration.post('/connections', { id: 'shop-new', kind: 'shopify', name: 'x' })).body.error.details).toEqual({
      permission: 'connections:manage',
    });
    expect((await integration.get('/connections')).body).toEqual({ connections: [] });
  });

  test('scopes are given only to the roles that have them, and are required there', async () => {
    const res = await api.post('/api-keys', { name: 'bad-scope', role: 'warehouse' });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['locations']);
    const res2 = await api.post('/api-keys', { name: 'bad-scope', role: 'operator', connections: ['shop-a'] });
    expect(res2.body.error.details.map((d: { path: string }) => d.path)).toEqual(['connections']);
  });
});

describe('API keys: list, revoke, rotate', () => {
  test('the list shows name, role, scopes and times, never a key or hash', async () => {
    const warehouse = await keyFor('warehouse', { locations: ['BER-1'] });
    await warehouse.get('/items/TEE-M');
    const list = (await api.get('/api-keys')).body.apiKeys as Record<string, unknown>[];
    const entry = list.find((k) => k.id === warehouse.id)!;
    expect(entry).toMatchObject({ role: 'warehouse', locations: ['BER-1'], createdAt: expect.any(String), lastUsedAt: expect.any(String) });
    const text = JSON.stringify(list);
    expect(text).not.toContain(warehouse.key);
    expect(text).not.toContain(hashApiKey(warehouse.key));
    expect(text).not.toContain(TEST_API_KEY);
    expect(list.find((k) => k.name === 'test-operator')).toMatchObject({ role: 'admin' });
  });

  test('a revoked key stops at once', async () => {
    const reader = await keyFor('read_only');
    expect((await reader.get('/items/TEE-M')).status).toBe(200);
    expect((await api.raw.delete(`/api-keys/${reader.id}`).set('Authorization', `Bearer ${TEST_API_KEY}`)).status).toBe(200);
    expect((await reader.get('/items/TEE-M')).status).toBe(401);
    expect((await api.raw.delete(`/api-keys/${reader.id}`).set('Authorization', `Bearer ${TEST_API_KEY}`)).status).toBe(404);
  });

  test('a rotated key is replaced by a new one with the same role; the old one stops and rotates no more', async () => {
    const cs = await keyFor('customer_service');
    expect((await cs.get('/orders')).status).toBe(200);
    const rotated = await api.post(`/api-keys/${cs.id}/rotate`);
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ role: 'customer_service', replaces: cs.id, key: expect.stringMatching(/^ohk_/) });
    expect((await cs.get('/orders')).status).toBe(401);
    const fresh = asKey(rotated.body.key);
    expect((await fresh.get('/orders')).status).toBe(200);
    expect((await fresh.post('/items', { sku: 'CS-1', name: 'x' })).status).toBe(403);
    expect((await api.post(`/api-keys/${cs.id}/rotate`)).status).toBe(404);
  });

  test('a key stored before roles (no role) is an admin, and gets an id when listed', async () => {
    const legacy = `legacy-key-${uniqueId('l')}`;
    await ctx.mongo.db.collection('api_keys').insertOne({ _id: hashApiKey(legacy) as never, name: 'legacy', createdAt: new Date() });
    const key = asKey(legacy);
    const list = await key.get('/api-keys');
    expect(list.status).toBe(200);
    expect(list.body.apiKeys.find((k: { name: string }) => k.name === 'legacy')).toMatchObject({
      role: 'admin',
      id: expect.stringMatching(/^key_/),
    });
  });
});

describe('users and sessions', () => {
  const email = `ada-${Date.now()}@example.com`;
  const password = 'correct horse battery staple';

  test('an admin creates a user; the password is never answered; the email is taken once', async () => {
    const res = await api.post('/users', { email, name: 'Ada', role: 'customer_service', password });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ email, role: 'customer_service' });
    expect(JSON.stringify(res.body)).not.toContain(password);
    expect((await api.post('/users', { email: email.toUpperCase(), name: 'Ada 2', role: 'admin', password })).status).toBe(409);
    const stored = await ctx.mongo.db.collection('users').findOne({ _id: email as never });
    expect(String(stored?.password)).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(JSON.stringify(stored)).not.toContain(password);
    const operator = await keyFor('operator');
    expect((await operator.post('/users', { email: `x-${email}`, name: 'X', role: 'admin', password })).status).toBe(403);
  });

  test('two admins creating the same email at once: one user, the other 409', async () => {
    const same = `race-${Date.now()}@example.com`;
    const body = (name: string) => ({ email: same, name, role: 'read_only', password });
    const answers = await Promise.all([api.post('/users', body('One')), api.post('/users', body('Two'))]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    expect((await api.get('/users')).body.users.filter((u: { email: string }) => u.email === same)).toHaveLength(1);
  });

  test('sign in, use the session as a bearer token or cookie, sign out', async () => {
    const wrong = await api.raw.post('/session').send({ email, password: 'not the password' });
    const unknown = await api.raw.post('/session').send({ email: `nobody-${email}`, password });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const withoutRequestId = (body: { error: Record<string, unknown> }) => ({ ...body.error, requestId: undefined });
    expect(withoutRequestId(wrong.body)).toEqual(withoutRequestId(unknown.body)); // the same answer, but for its request id
    const login = await api.raw.post('/session').send({ email, password });
    expect(login.status).toBe(201);
    const token = login.body.token as string;
    expect(login.headers['set-cookie'][0]).toMatch(/^orderhub_session=ohs_.*HttpOnly.*SameSite=Strict/i);
    expect((await api.raw.get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await api.raw.get('/orders').set('Cookie', `orderhub_session=${token}`)).status).toBe(200);
    const me = await api.raw.get('/session').set('Authorization', `Bearer ${token}`);
    expect(me.body.principal).toMatchObject({ kind: 'user', id: email, role: 'customer_service' });
    expect(me.body.permissions).toEqual(expect.arrayContaining(['orders:cancel', 'orders:read']));
    expect(me.body.permissions).not.toContain('orders:retry');
    // A write by cookie needs the console's header (cross-site request forgery); nothing is written without it.
    const forged = await api.raw.delete('/session').set('Cookie', `orderhub_session=${token}`);
    expect(forged.status).toBe(403);
    expect(forged.body.error.details).toEqual({ header: 'X-Requested-With' });
    const crossSite = await api.raw.delete('/session').set('Cookie', `orderhub_session=${token}`).set('Sec-Fetch-Site', 'same-site');
    expect(crossSite.status).toBe(403);
    expect((await api.raw.get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    const refused = await api.raw.post('/items').set('Authorization', `Bearer ${token}`).send({ sku: 'U-1', name: 'x' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('user Ada (role customer_service)');
    const signOut = api.raw.delete('/session').set('Cookie', `orderhub_session=${token}`).set('X-Requested-With', 'orderhub-console');
    expect((await signOut).status).toBe(200);
    expect((await api.raw.get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(401);
  });

  test("a page of the API's own origin (bull-board's buttons) may write by cookie: the browser says so in Sec-Fetch-Site", async () => {
    const token = (await api.raw.post('/session').send({ email, password })).body.token as string;
    const signOut = await api.raw.delete('/session').set('Cookie', `orderhub_session=${token}`).set('Sec-Fetch-Site', 'same-origin');
    expect(signOut.status).toBe(200);
    expect((await api.raw.get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(401);
  });

  test('a session unused for 30 minutes has ended; one in use stays alive', async () => {
    const sessions = ctx.mongo.db.collection('sessions');
    const signIn = async () => (await api.raw.post('/session').send({ email, password })).body.token as string;
    const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
    const [idle, busy] = [await signIn(), await signIn()];
    const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    await sessions.updateOne({ _id: hashOf(idle) as never }, { $set: { createdAt: ago(31) } });
    await sessions.updateOne({ _id: hashOf(busy) as never }, { $set: { createdAt: ago(60), lastSeenAt: ago(29) } });
    const idleAnswer = await api.raw.get('/orders').set('Authorization', `Bearer ${idle}`);
    expect(idleAnswer.status).toBe(401);
    expect(idleAnswer.body.error.message).toContain('The session has ended');
    expect(await sessions.countDocuments({ _id: hashOf(idle) as never })).toBe(0);
    expect((await api.raw.get('/orders').set('Authorization', `Bearer ${busy}`)).status).toBe(200);
    const touched = await sessions.findOne({ _id: hashOf(busy) as never });
    expect(Date.now() - (touched?.lastSeenAt as Date).getTime()).toBeLessThan(60_000);
  });

  test('a disabled user cannot sign in, and their sessions end', async () => {
    const login = await api.raw.post('/session').send({ email, password });
    const token = login.body.token as string;
    expect((await api.post(`/users/${email}/disable`)).body).toMatchObject({ email, disabledAt: expect.any(String) });
    expect((await api.raw.get('/orders').set('Authorization', `Bearer ${token}`)).status).toBe(401);
    expect((await api.raw.post('/session').send({ email, password })).status).toBe(401);
    expect((await api.get('/users')).body.users.find((u: { email: string }) => u.email === email).disabledAt).toBeDefined();
  });
});

test('sign-in is refused for 15 minutes after 10 failures for an email, even with the right password', async () => {
  const target = `grace-${Date.now()}@example.com`;
  const password = 'another long password';
  expect((await api.post('/users', { email: target, name: 'Grace', role: 'read_only', password })).status).toBe(201);
  for (let i = 0; i < 10; i++) expect((await api.raw.post('/session').send({ email: target, password: `guess ${i}` })).status).toBe(401);
  const limited = await api.raw.post('/session').send({ email: target, password });
  expect(limited.status).toBe(429);
  expect(limited.body.error.code).toBe('rate_limited');
  expect(limited.body).not.toHaveProperty('token');
});

describe('the audit log', () => {
  test('every successful write is recorded with its actor; refused writes and bodies are not', async () => {
    const operator = await keyFor('operator');
    expect((await operator.post('/items', { sku: 'AUD-1', name: 'Audited' })).status).toBe(201);
    expect((await operator.post('/api-keys', { name: 'nope' })).status).toBe(403);
    const entries = await eventually(
      async () => (await api.get(`/audit?actor=${operator.id}`)).body.entries as Record<string, unknown>[],
      (e) => e.length >= 1,
      10_000,
      'the audit entry',
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: { kind: 'key', id: operator.id },
      role: 'operator',
      method: 'POST',
      path: '/items',
      status: 201,
    });
    expect(JSON.stringify(entries)).not.toContain('Audited');
    // The admin's key creation is there too, without the key.
    const all = (await api.get('/audit?limit=500')).body.entries as Record<string, unknown>[];
    const created = all.find((e) => e.path === '/api-keys' && e.method === 'POST');
    expect(created).toMatchObject({ role: 'admin', status: 201 });
    expect(JSON.stringify(all)).not.toContain('ohk_');
  });

  test('pages newest first with a cursor', async () => {
    const page1 = await api.get('/audit?limit=2');
    expect(page1.body.entries).toHaveLength(2);
    const page2 = await api.get(`/audit?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`);
    expect(page2.status).toBe(200);
    const ids = [...page1.body.entries, ...page2.body.entries].map((e: { id: string }) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect((await api.get('/audit?from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z')).status).toBe(400);
  });
});
