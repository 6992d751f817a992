import { useState } from 'react';
import { query } from '../api';
import { ErrorText, Section, useResource, when } from '../ui';

// The mail the local mail server received (GET /dev/mail), newest first: for trying Orderhub out and for
// tests. With a real SMTP_URL there is no local mailbox (404), and the page says so.

interface Mail {
  id: string;
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  receivedAt: string;
}

export function Mail() {
  const [to, setTo] = useState('');
  const [filter, setFilter] = useState('');
  const { data, error, reload } = useResource<{ messages: Mail[] }>(`/dev/mail${query({ to: filter, limit: 200 })}`);
  const [open, setOpen] = useState<string | null>(null);
  const noServer = error && /no local mail server/i.test(error);

  return (
    <div>
      <h1>Mail</h1>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(to.trim());
        }}
      >
        <label>
          To
          <input type="email" value={to} onChange={(e) => setTo(e.target.value)} placeholder="customer@example.com" />
        </label>
        <button type="submit">Search</button>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </form>
      {noServer ? (
        <p className="notice" role="status">
          No local mail server is in use: customer mail goes to the SMTP server Orderhub is configured with (SMTP_URL), so there is nothing
          to show here.
        </p>
      ) : (
        <ErrorText error={error} />
      )}
      {data && (
        <Section title={`Received (${data.messages.length})`}>
          {data.messages.length === 0 && <p className="empty">No mail received{filter && ` for ${filter}`}.</p>}
          {data.messages.length > 0 && (
            <table className="mail">
              <thead>
                <tr>
                  <th>To</th>
                  <th>Subject</th>
                  <th>Received</th>
                </tr>
              </thead>
              <tbody>
                {data.messages.map((m) => (
                  <MailRow key={m.id} mail={m} open={open === m.id} toggle={() => setOpen(open === m.id ? null : m.id)} />
                ))}
              </tbody>
            </table>
          )}
        </Section>
      )}
    </div>
  );
}

function MailRow({ mail, open, toggle }: { mail: Mail; open: boolean; toggle: () => void }) {
  return (
    <>
      <tr data-mail-id={mail.id}>
        <td>{mail.to.join(', ')}</td>
        <td>
          <button type="button" className="link" aria-expanded={open} onClick={toggle}>
            {mail.subject}
          </button>
        </td>
        <td>{when(mail.receivedAt)}</td>
      </tr>
      {open && (
        <tr className="mail-body">
          <td colSpan={3}>
            <p className="small">
              From {mail.from} · <code>{mail.messageId}</code>
            </p>
            <pre aria-label="Mail text">{mail.text}</pre>
          </td>
        </tr>
      )}
    </>
  );
}
