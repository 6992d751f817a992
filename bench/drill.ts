import path from 'node:path';
import { ALL_DRILLS, redisRestart } from './drills/drills';
import { formatTable, runDrills, type RunOptions } from './drills/run';

// `npm run drill`: every fault drill under load, each checked for lost and duplicated work (bench/DRILLS.md).
// `npm run drill:smoke`: one short drill (Redis restart) for CI; exits non-zero on any loss or duplicate.
//
// Options: --only=<name>[,<name>] runs some drills; --rate=<orders per second>; --down=<seconds> a stopped
// service stays down; --warmup=/--after=<seconds> of load before/after the fault; --settle=<seconds> to wait
// for the orders to finish; --keep keeps the data directory.

const log = (msg: string) => console.log(`[drill ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function options(argv: string[]): RunOptions {
  const flag = (name: string) => argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  const value = (name: string) => flag(name)?.split('=')[1];
  const smoke = Boolean(flag('smoke'));
  // The smoke drill: a Redis restart is the quickest (no process start-up) and covers what no jest suite
  // does: webhook intake across the restart, the AOF, and every process's Redis reconnect. (The worker
  // SIGKILL has its own jest test, test/workflows/worker-crash.test.ts.)
  let drills = smoke ? [redisRestart] : ALL_DRILLS;
  const only = value('only');
  if (only) {
    const wanted = only.split(',');
    const unknown = wanted.filter((w) => !ALL_DRILLS.some((d) => d.name === w));
    if (unknown.length) throw new Error(`unknown drill(s) ${unknown.join(', ')}; known: ${ALL_DRILLS.map((d) => d.name).join(', ')}`);
    drills = ALL_DRILLS.filter((d) => wanted.includes(d.name));
  }
  return {
    drills,
    ratePerSecond: Number(value('rate') ?? 10.5),
    webhookShare: 1 / 6,
    warmupMs: Number(value('warmup') ?? (smoke ? 2 : 3)) * 1000,
    afterMs: Number(value('after') ?? (smoke ? 2 : 3)) * 1000,
    drainTimeoutMs: Number(value('settle') ?? (smoke ? 60 : 300)) * 1000,
    recoveryTimeoutMs: 90_000,
    resultsName: smoke ? 'drills-smoke' : 'drills',
    keepData: Boolean(flag('keep')),
    ...(value('down') !== undefined && { serviceDownMs: Number(value('down')) * 1000 }),
    log,
  };
}

let stopping = false;
async function main(): Promise<number> {
  const opts = options(process.argv.slice(2));
  const { results, file, seconds } = await runDrills(opts);
  console.log(`\n${formatTable(results)}\n`);
  for (const r of results.filter((x) => !x.passed)) {
    console.log(
      `${r.drill} failed: lost ${JSON.stringify(r.verdict.lostBy)}, duplicated ${JSON.stringify(r.verdict.duplicatedBy)}, recovery ${r.recoverySeconds ?? 'not seen'}, rate ${r.load.ratePerSecondAchieved}/s`,
    );
    for (const e of r.verdict.examples.slice(0, 5))
      console.log(`  e.g. ${e.what}${e.orderId ? ` (${e.orderId}${e.sku ? ` ${e.sku}` : ''})` : ''}`);
  }
  console.log(`results: ${path.relative(process.cwd(), file)} (${seconds.toFixed(0)} s in all)`);
  return results.every((r) => r.passed) ? 0 : 1;
}

// Ctrl-C or a CI timeout: the stack's exit hook signals every process the drills started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    process.exit(130);
  });
}

main()
  .catch((err: Error) => {
    console.error(`[drill] ${err.stack ?? err.message}`);
    return 1;
  })
  .then((code) => process.exit(code));
