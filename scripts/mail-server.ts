import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

// The local mail server of `npm start`, the demo and the tests: takes every message by SMTP (no TLS, any
// or no login) and keeps it, for the API's GET /dev/mail to show (it reads GET /messages here). Not for
// production: there SMTP_URL names a real mail server and this one does not run.

export interface ReceivedMail {
  id: string;
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>; // the X-Orderhub-* headers and Content-Language
  receivedAt: string;
}

export interface LocalMailServerOptions {
  host?: string;
  smtpPort: number;
  httpPort: number;
  /** Append each message here (JSON lines) and read them back on start, so a restart keeps the mailbox. */
  storeFile?: string;
  /** Runs after a message is kept and before the SMTP answer: a test may hold the answer, or refuse with an Error. */
  onMessage?: (mail: ReceivedMail) => Promise<void>;
  /** Refuse every message with a temporary failure (451) while this says so (a test's failing mail server). */
  refusing?: () => boolean;
}

export interface LocalMailServer {
  smtpUrl: string;
  mailboxUrl: string;
  messages(): ReceivedMail[];
  close(): Promise<void>;
}

const MAX_KEPT = 2_000;
const KEPT_HEADERS = /^(x-orderhub-|content-language$)/;

const addresses = (a: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => v.address ?? '')).filter(Boolean);

export async function startLocalMailServer(opts: LocalMailServerOptions): Promise<LocalMailServer> {
  const host = opts.host ?? '127.0.0.1';
  const kept: ReceivedMail[] = [];
  if (opts.storeFile && existsSync(opts.storeFile)) {
    for (const line of readFileSync(opts.storeFile, 'utf8').split('\n')) if (line.trim()) kept.push(JSON.parse(line) as ReceivedMail);
  }
  const keep = (mail: ReceivedMail) => {
    kept.push(mail);
    if (kept.length > MAX_KEPT) kept.splice(0, kept.length - MAX_KEPT);
    if (opts.storeFile) appendFileSync(opts.storeFile, `${JSON.stringify(mail)}\n`);
  };

  const smtp = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    onAuth: (auth, _session, cb) => cb(null, { user: auth.username ?? 'local' }),
    onData(stream, session, cb) {
      simpleParser(stream)
        .then(async (parsed) => {
          if (opts.refusing?.()) throw Object.assign(new Error('local mail server refuses mail for now'), { responseCode: 451 });
          const headers: Record<string, string> = {};
          for (const [name, value] of parsed.headers) if (KEPT_HEADERS.test(name)) headers[name] = String(value);
          const mail: ReceivedMail = {
            id: randomUUID(),
            messageId: parsed.messageId ?? '',
            from: parsed.from?.text ?? '',
            to: session.envelope.rcptTo
              .map((r) => r.address)
              .concat(addresses(parsed.to))
              .filter((v, i, all) => all.indexOf(v) === i),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            headers,
            receivedAt: new Date().toISOString(),
          };
          keep(mail);
          await opts.onMessage?.(mail);
        })
        .then(
          () => cb(),
          (err: Error) => cb(err),
        );
    },
  });

  // GET /messages[?to=<address>][&limit=<n>]: newest first. GET /health: up.
  const api = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/health') return void res.writeHead(200).end('ok');
    if (req.method !== 'GET' || url.pathname !== '/messages') return void res.writeHead(404).end();
    const to = url.searchParams.get('to')?.toLowerCase();
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit')) || 100, 1), 500);
    const messages = kept
      .filter((m) => !to || m.to.some((a) => a.toLowerCase() === to))
      .slice(-limit)
      .reverse();
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ messages }));
  });

  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(opts.smtpPort, host, () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    api.once('error', reject);
    api.listen(opts.httpPort, host, () => resolve());
  });
  return {
    smtpUrl: `smtp://${host}:${opts.smtpPort}`,
    mailboxUrl: `http://${host}:${opts.httpPort}`,
    messages: () => [...kept],
    close: () =>
      Promise.all([new Promise<void>((r) => smtp.close(() => r())), new Promise<void>((r) => api.close(() => r()))]).then(() => undefined),
  };
}

// As a process: `mail-server.ts --smtp-port N --http-port M [--store FILE]` (scripts/stack.ts runs it).
if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const smtpPort = Number(arg('smtp-port'));
  const httpPort = Number(arg('http-port'));
  const storeFile = arg('store');
  startLocalMailServer({ smtpPort, httpPort, ...(storeFile && { storeFile }) }).then(
    (server) => {
      console.log(`local mail server: SMTP ${server.smtpUrl}, mailbox ${server.mailboxUrl}/messages`);
      const stop = () => void server.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err: Error) => {
      console.error(`local mail server failed: ${err.message}`);
      process.exit(1);
    },
  );
}
