import { useState } from 'react';
import { api, seg } from './api';
import { useSession } from './session';
import { ErrorText, Section, Status, useResource, when } from './ui';

// An order's customer notifications (the mail outbox) and outbound webhook deliveries, each with its tries
// (GET /orders/:id/notifications); a failed notification can be sent again, a settled delivery replayed.
// A refusal shows the API's message.

interface Notification {
  id: string;
  kind: string;
  part?: string;
  status: string;
  to: { name: string; email?: string };
  sentAt?: string;
  failedAt?: string;
  error?: string;
  retries?: number;
  attempts: { at: string; ok: boolean; error?: string; ms: number }[];
}
interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  subscriberId: string;
  status: string;
  replays: number;
  error?: string;
  attempts: { at: string; statusCode?: number; ms: number; error?: string }[];
}
interface OrderNotifications {
  notifications: Notification[];
  webhookDeliveries: Delivery[];
}

export function OrderNotifications({ orderId }: { orderId: string }) {
  const { can } = useSession();
  const { data, error, reload } = useResource<OrderNotifications>(`/orders/${seg(orderId)}/notifications`);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function act(path: string, done: string) {
    setBusy(true);
    try {
      await api.post(path);
      setMessage({ ok: true, text: done });
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    }
    setBusy(false);
    reload();
  }

  return (
    <Section
      title="Notifications"
      actions={
        <button type="button" className="link" onClick={reload}>
          Refresh
        </button>
      }
    >
      <ErrorText error={error} />
      {message && (
        <p className={message.ok ? 'notice' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
      {data && data.notifications.length === 0 && <p className="empty">No customer notification for this order.</p>}
      {data && data.notifications.length > 0 && (
        <table className="notifications">
          <thead>
            <tr>
              <th>Kind</th>
              <th>To</th>
              <th>Status</th>
              <th className="num">Tries</th>
              <th>Last error</th>
              <th>Sent</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.notifications.map((n) => (
              <tr key={n.id} data-notification-id={n.id}>
                <td>
                  {n.kind.replace(/_/g, ' ')} {n.part && <span className="small">part {n.part}</span>}
                </td>
                <td className="small">{n.to.email ?? n.to.name}</td>
                <td>
                  <Status status={n.status} />
                </td>
                <td className="num">{n.attempts.length}</td>
                <td className="error-text">{n.error ?? [...n.attempts].reverse().find((a) => a.error)?.error ?? ''}</td>
                <td>{when(n.sentAt)}</td>
                <td>
                  {n.status === 'failed' && can('notifications:write') && (
                    <button
                      type="button"
                      disabled={busy}
                      onClick={() => void act(`/customer-notifications/${seg(n.id)}/retry`, `${n.kind}: sent back to the mailer`)}
                    >
                      Retry
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && data.webhookDeliveries.length > 0 && (
        <>
          <h3>Outbound webhooks</h3>
          <table className="deliveries">
            <thead>
              <tr>
                <th>Event</th>
                <th>Subscriber</th>
                <th>Status</th>
                <th>Attempts</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.webhookDeliveries.map((d) => (
                <tr key={d.id} data-delivery-id={d.id}>
                  <td>
                    {d.eventType} <span className="small">{d.eventId.split('|').slice(1).join(' ')}</span>
                  </td>
                  <td className="small">{d.subscriberId}</td>
                  <td>
                    <Status status={d.status} /> {d.replays > 0 && <span className="small">({d.replays} replays)</span>}
                  </td>
                  <td>
                    <ol className="small">
                      {d.attempts.map((a, i) => (
                        <li key={i}>
                          {when(a.at)}: {a.statusCode ?? 'no answer'} in {a.ms} ms{' '}
                          {a.error && <span className="error-text">{a.error}</span>}
                        </li>
                      ))}
                    </ol>
                  </td>
                  <td>
                    {d.status !== 'pending' && can('subscribers:replay') && (
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() => void act(`/webhook-deliveries/${seg(d.id)}/replay`, `${d.eventType}: replaying`)}
                      >
                        Replay
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Section>
  );
}
