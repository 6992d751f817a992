import { ApiError, api, seg } from './api';
import type { OrderView } from './orders';

// Operator commands on an order: the order's workflow decides; a refusal (409) carries its reason.

export type CommandName = 'cancel' | 'hold' | 'release' | 'retry';

export interface CommandResult {
  orderId: string;
  ok: boolean;
  message: string;
  status?: string;
}

const idempotencyKey = () => `console-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

export async function sendCommand(orderId: string, command: string, body?: unknown): Promise<CommandResult> {
  try {
    const answer = await api.post<Partial<OrderView> & { pending?: boolean }>(`/orders/${seg(orderId)}/${command}`, body ?? {}, {
      idempotencyKey: idempotencyKey(),
    });
    if (answer.pending) return { orderId, ok: true, message: `${command}: accepted, the order has not answered yet` };
    return { orderId, ok: true, status: answer.status, message: `${command}: done, now ${String(answer.status).replace(/_/g, ' ')}` };
  } catch (err) {
    const refused = err instanceof ApiError && err.status >= 400 && err.status < 500;
    return { orderId, ok: false, message: refused ? `${command} refused: ${err.message}` : (err as Error).message };
  }
}

/** Retries each order, a few at a time; one result per order. */
export async function retryAll(orderIds: string[]): Promise<CommandResult[]> {
  const results: CommandResult[] = [];
  for (let i = 0; i < orderIds.length; i += 4) {
    results.push(...(await Promise.all(orderIds.slice(i, i + 4).map((id) => sendCommand(id, 'retry')))));
  }
  return results;
}

export function Results({ results }: { results: CommandResult[] }) {
  if (results.length === 0) return null;
  return (
    <ul className="results" aria-label="Command results">
      {results.map((r) => (
        <li key={r.orderId} className={r.ok ? 'ok' : 'error'}>
          <code>{r.orderId}</code>: {r.message}
        </li>
      ))}
    </ul>
  );
}
