// A bulk order import (POST /orders/import) captured chunk by chunk as one durable workflow,
// import:<importId>: a crash of any process resumes at the chunk it was on, and no order is captured twice.
import { proxyActivities } from '@temporalio/workflow';
import type { ImportActivities } from '../../activities/import-activities';
import type { OrderWorkflowInput } from '../order/api';

export interface ImportWorkflowInput {
  importId: string;
  chunks: number;
  settings?: OrderWorkflowInput['settings']; // the imported orders' settings, as the API places orders
}

// A chunk is a hundred captures: slow under load, never given up on (the orders are valid and stored).
const { captureImportChunk } = proxyActivities<ImportActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export async function importOrdersWorkflow(
  input: ImportWorkflowInput,
): Promise<{ importId: string; captured: number; duplicates: number }> {
  let captured = 0;
  let duplicates = 0;
  for (let chunk = 0; chunk < input.chunks; chunk++) {
    const r = await captureImportChunk(input.importId, chunk, input.settings);
    captured += r.captured;
    duplicates += r.duplicates;
  }
  return { importId: input.importId, captured, duplicates };
}
