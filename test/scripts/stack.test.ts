import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ORDER_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { freePort, startStack, waitFor } from '../../scripts/stack';
import { stackEnv } from '../support/stack';

describe('local stack scripts', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderhub-stack-test-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test('a stack given the URLs of running servers starts nothing and finds the order search attributes registered', async () => {
    const env = stackEnv();
    const stack = await startStack({ dataDir, reuse: false, env, log: () => {} });
    expect(stack.spawned).toEqual([]);
    expect(stack.env).toMatchObject(env);
    await stack.stop();

    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(Object.keys(ORDER_SEARCH_ATTRIBUTES)));
    } finally {
      await connection.close();
    }
  });

  test('npm test describes the stack it spawned for drill tests', () => {
    const info = JSON.parse(readFileSync(process.env.ORDERHUB_TEST_STACK_INFO!, 'utf8'));
    expect(Object.keys(info.services).sort()).toEqual(['mail', 'mongo', 'postgres', 'redis', 'temporal']);
    for (const service of Object.values<{ pid: number }>(info.services)) {
      expect(() => process.kill(service.pid, 0)).not.toThrow();
    }
  });

  test('a port held by something else is reported instead of starting a second server on it', async () => {
    const port = await freePort();
    const squatter = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const { REDIS_URL, TEMPORAL_ADDRESS, SMTP_URL } = stackEnv();
      await expect(
        startStack({ dataDir, reuse: true, env: { REDIS_URL, TEMPORAL_ADDRESS, SMTP_URL }, ports: { mongo: port }, log: () => {} }),
      ).rejects.toThrow(`port ${port} is already in use by something that is not a healthy FerretDB`);
    } finally {
      squatter.close();
    }
  });

  test('waiting for a service that never comes names it in the error', async () => {
    await expect(waitFor(async () => false, 300, 'the moon', { intervalMs: 50 })).rejects.toThrow(
      /timed out after \d+ s waiting for the moon/,
    );
  });
});
