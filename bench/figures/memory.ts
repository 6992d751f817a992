import { memoryOf } from '../harness';
import { metric } from '../stats';
import type { FigureContext, FigureResult } from './context';

// Figure 6: resident memory (VmRSS) of the worker and the API at the end of figure 2, against the same
// processes idle right after start. VmHWM (the peak) and the stack's own processes are in the details.

export interface MemorySnapshot {
  worker?: { rssMiB: number; peakMiB: number };
  api?: { rssMiB: number; peakMiB: number };
  stack: Record<string, { rssMiB: number; peakMiB: number } | undefined>;
}

export async function snapshotMemory(ctx: FigureContext): Promise<MemorySnapshot> {
  const { bench } = ctx;
  const stack: MemorySnapshot['stack'] = {};
  for (const s of bench.stack.spawned) stack[String(s.service)] = await memoryOf(s.pid);
  stack['baseline-worker'] = await memoryOf(bench.baselineWorker.info.pid);
  return { worker: await memoryOf(bench.worker.info.pid), api: await memoryOf(bench.apiProcess.info.pid), stack };
}

export function memoryFigure(idle: MemorySnapshot, loaded: MemorySnapshot, ordersInWorkflows: number): FigureResult {
  const fig = '6 memory after figure 2';
  const failures: string[] = [];
  if (!loaded.worker || !loaded.api) failures.push('memory: could not read /proc/<pid>/status of the worker or the API');
  const m = (name: string, now: number | undefined, before: number | undefined) =>
    metric({
      figure: fig,
      name: `${name} VmRSS`,
      unit: 'MiB',
      better: 'lower',
      runs: [now ?? Number.NaN],
      baseline: { name: 'same process idle after start', runs: [before ?? Number.NaN] },
    });
  return {
    metrics: [m('worker', loaded.worker?.rssMiB, idle.worker?.rssMiB), m('API', loaded.api?.rssMiB, idle.api?.rssMiB)],
    failures,
    details: { idle, loaded, openOrderWorkflows: ordersInWorkflows },
  };
}
