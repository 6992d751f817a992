import { proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/maintenance-activities';

// Housekeeping on a Temporal Schedule (worker/schedules.ts): visible, pausable and triggerable in the UI.
const housekeeping = { startToCloseTimeout: '30m', heartbeatTimeout: '2m', retry: { initialInterval: '5s', maximumAttempts: 5 } } as const;
const { reconcileReservations } = proxyActivities<MaintenanceActivities>(housekeeping);

/** Gives back stock still reserved for orders that ended or do not exist. */
export async function reconcileReservationsWorkflow(input: { olderThanMs?: number } = {}) {
  return reconcileReservations(input);
}
