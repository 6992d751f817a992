// What the local mail server (scripts/mail-server.ts) received, for the console and the demo: only when
// the stack runs one (LOCAL_MAILBOX_URL); with a real SMTP_URL there is nothing here to read.
import { NotFoundError, UpstreamUnavailableError } from '../domain/errors';

export function createDevMailbox(mailboxUrl: string | undefined) {
  return {
    async list(q: { to?: string; limit: number }) {
      if (!mailboxUrl) throw new NotFoundError('No local mail server is in use: customer mail goes to the SMTP_URL server');
      const url = new URL('/messages', mailboxUrl);
      if (q.to) url.searchParams.set('to', q.to);
      url.searchParams.set('limit', String(q.limit));
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) }).catch((err: Error) => {
        throw new UpstreamUnavailableError(`The local mail server does not answer: ${err.message}`);
      });
      if (!res.ok) throw new UpstreamUnavailableError(`The local mail server answered ${res.status}`);
      return (await res.json()) as { messages: unknown[] };
    },
  };
}
