import nodemailer from 'nodemailer';

// Customer mail out by SMTP (nodemailer). SMTP_URL carries any login (smtp[s]://user:pass@host:port); it
// is never logged: smtpTarget() is what logs may show.

export interface OutgoingMail {
  to: { name: string; email: string };
  subject: string;
  text: string;
  html: string;
  messageId: string;
  language: string;
  headers: Record<string, string>;
}

/** Something that sends one mail by SMTP; throws when the server does not take it. */
export interface MailSender {
  send(mail: OutgoingMail): Promise<void>;
}

export function createSmtpSender(url: string, from: string, opts: { timeoutMs?: number } = {}): MailSender & { close(): void } {
  const timeout = opts.timeoutMs ?? 15_000;
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    async send(mail: OutgoingMail) {
      await transport.sendMail({
        from,
        to: { name: mail.to.name, address: mail.to.email },
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        headers: { ...mail.headers, 'Content-Language': mail.language },
      });
    },
    close: () => transport.close(),
  };
}

/** host:port of an SMTP URL, without any login: what logs show. */
export function smtpTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ''}`;
  } catch {
    return '(unparseable SMTP_URL)';
  }
}
