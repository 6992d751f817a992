import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';

export interface HealthTargets {
  temporal: Client;
  db: Db;
  redis: Redis;
}

type Check = { ok: true; latencyMs: number } | { ok: false; error: string };

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function check(run: () => Promise<unknown>): Promise<Check> {
  const started = Date.now();
  try {
    await withTimeout(run(), 2_000);
    return { ok: true, latencyMs: Date.now() - started };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

export async function checkHealth(t: HealthTargets): Promise<{ ok: boolean; checks: Record<'temporal' | 'mongodb' | 'redis', Check> }> {
  const [temporal, mongodb, redis] = await Promise.all([
    check(() => t.temporal.workflowService.getSystemInfo({})),
    check(() => t.db.command({ ping: 1 })),
    check(() => t.redis.ping()),
  ]);
  return { ok: temporal.ok && mongodb.ok && redis.ok, checks: { temporal, mongodb, redis } };
}
