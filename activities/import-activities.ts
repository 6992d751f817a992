import type { OrderImports } from '../store/order-imports';
import { captureOrder, type IntakeDeps } from '../services/order-intake';
import type { OrderWorkflowInput } from '../workflows/order';

export interface ImportActivityDeps {
  orderImports: Pick<OrderImports, 'chunk' | 'resultOf' | 'recordResult'>;
  intake?: Omit<IntakeDeps, 'orderSettings'>;
}

const AT_ONCE = 20; // orders of a chunk captured side by side (as many as a busy API serves at once)

export function createImportActivities(deps: ImportActivityDeps) {
  return {
    // Capture one chunk of an import's orders. Each order is captured exactly once however often this is
    // retried (captureOrder is keyed by the order id); the chunk's result is written once, so a retry after
    // it was written answers it. Orders an interrupted attempt captured count as duplicates on the retry.
    async captureImportChunk(
      importId: string,
      chunk: number,
      settings?: OrderWorkflowInput['settings'],
    ): Promise<{ captured: number; duplicates: number }> {
      const done = await deps.orderImports.resultOf(importId, chunk);
      if (done) return { captured: done.captured, duplicates: done.duplicates };
      if (!deps.intake) throw new Error('This worker cannot place orders (no intake)');
      const intake: IntakeDeps = { ...deps.intake, ...(settings && { orderSettings: settings }) };
      const orders = await deps.orderImports.chunk(importId, chunk);
      const orderIds: string[] = [];
      let captured = 0;
      for (let i = 0; i < orders.length; i += AT_ONCE) {
        const results = await Promise.all(orders.slice(i, i + AT_ONCE).map((o) => captureOrder(intake, o)));
        for (const r of results) {
          orderIds.push(r.orderId);
          if (!r.duplicate) captured++;
        }
      }
      const result = await deps.orderImports.recordResult({ importId, chunk, captured, duplicates: orders.length - captured, orderIds });
      deps.intake.log.info('import chunk captured', { importId, chunk, captured: result.captured, duplicates: result.duplicates });
      return { captured: result.captured, duplicates: result.duplicates };
    },
  };
}

export type ImportActivities = ReturnType<typeof createImportActivities>;
