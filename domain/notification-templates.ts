// What a notification says by email, per kind and language: a subject, a plain-text body and a simple
// HTML body. Pure; the mailer (services/customer-mail.ts) picks the language and sends.

export const MAIL_LANGUAGES = ['en', 'de'] as const;
export type MailLanguage = (typeof MAIL_LANGUAGES)[number];

// The kinds as in store/notifications.ts (domain does not import the store).
type Kind =
  | 'ready_for_pickup'
  | 'shipped'
  | 'delivered'
  | 'lines_cancelled'
  | 'backordered'
  | 'return_approved'
  | 'return_received'
  | 'return_refunded'
  | 'promise_date_changed'
  | 'supplier_purchase_order'
  | 'supplier_purchase_order_cancelled'
  | 'low_stock';

export interface MailInput {
  kind: Kind;
  orderId: string;
  part?: string;
  returnId?: string;
  to: { name: string };
  details: Record<string, string>;
}

export interface RenderedMail {
  language: MailLanguage;
  subject: string;
  text: string;
  html: string;
}

interface Wording {
  greeting: (name: string) => string;
  closing: string;
  detailsHeading: string;
  labels: Record<string, string>;
  kinds: Record<Kind, { subject: (ref: string, part?: string) => string; lead: string }>;
}

const EN: Wording = {
  greeting: (name) => `Hello ${name},`,
  closing: 'Thank you for your order.',
  detailsHeading: 'Details',
  labels: {
    locationId: 'Pickup location',
    holdUntil: 'Held for you until',
    carrier: 'Carrier',
    trackingNumber: 'Tracking number',
    trackingUrl: 'Track your parcel',
    deliveredAt: 'Delivered at',
    shipsNow: 'Ships now',
    backordered: 'Ships later',
    cancelled: 'Cancelled',
    refund: 'Refund',
    amount: 'Amount',
    promisedDate: 'New expected date',
    date: 'New expected date',
    previousDate: 'Previously expected',
    shippedAt: 'Shipped at',
    items: 'Items',
    part: 'Part',
    parts: 'Parts in all',
  },
  kinds: {
    ready_for_pickup: {
      subject: (r) => `Your order ${r} is ready for pickup`,
      lead: 'Your order is ready and waiting for you at the store.',
    },
    shipped: {
      subject: (r, p) => (p ? `Part ${p} of your order ${r} has shipped` : `Your order ${r} has shipped`),
      lead: 'Good news: your parcel is on its way.',
    },
    delivered: { subject: (r) => `Your order ${r} was delivered`, lead: 'Your parcel was delivered. We hope you enjoy it.' },
    lines_cancelled: {
      subject: (r) => `Items of your order ${r} were cancelled`,
      lead: 'Some items of your order were cancelled. The rest of your order goes ahead.',
    },
    backordered: {
      subject: (r) => `Part of your order ${r} ships later`,
      lead: 'Some items are not in stock yet: we ship what we have now and the rest as soon as it arrives.',
    },
    return_approved: { subject: (r) => `Your return for order ${r} is approved`, lead: 'We have approved your return.' },
    return_received: { subject: (r) => `We received your return for order ${r}`, lead: 'Your returned items have arrived.' },
    return_refunded: { subject: (r) => `Your refund for order ${r}`, lead: 'We have refunded your return.' },
    promise_date_changed: {
      subject: (r) => `New expected date for your order ${r}`,
      lead: 'The date we expect to ship your order has changed.',
    },
    supplier_purchase_order: { subject: (r) => `Purchase order for ${r}`, lead: 'Please ship the following order to our customer.' },
    supplier_purchase_order_cancelled: { subject: (r) => `Purchase order for ${r} withdrawn`, lead: 'Please do not ship this order.' },
    low_stock: { subject: (r) => `Low stock: ${r}`, lead: 'A sku fell to its reorder point.' },
  },
};

const DE: Wording = {
  greeting: (name) => `Hallo ${name},`,
  closing: 'Vielen Dank für Ihre Bestellung.',
  detailsHeading: 'Einzelheiten',
  labels: {
    locationId: 'Abholort',
    holdUntil: 'Für Sie reserviert bis',
    carrier: 'Versanddienstleister',
    trackingNumber: 'Sendungsnummer',
    trackingUrl: 'Sendung verfolgen',
    deliveredAt: 'Zugestellt am',
    shipsNow: 'Wird jetzt versandt',
    backordered: 'Wird später versandt',
    cancelled: 'Storniert',
    refund: 'Erstattung',
    amount: 'Betrag',
    promisedDate: 'Neuer voraussichtlicher Termin',
    date: 'Neuer voraussichtlicher Termin',
    previousDate: 'Bisher erwartet',
    shippedAt: 'Versandt am',
    items: 'Artikel',
    part: 'Teil',
    parts: 'Teile insgesamt',
  },
  kinds: {
    ready_for_pickup: {
      subject: (r) => `Ihre Bestellung ${r} ist abholbereit`,
      lead: 'Ihre Bestellung liegt zur Abholung im Geschäft für Sie bereit.',
    },
    shipped: {
      subject: (r, p) => (p ? `Teil ${p} Ihrer Bestellung ${r} wurde versandt` : `Ihre Bestellung ${r} wurde versandt`),
      lead: 'Gute Nachricht: Ihr Paket ist unterwegs.',
    },
    delivered: { subject: (r) => `Ihre Bestellung ${r} wurde zugestellt`, lead: 'Ihr Paket wurde zugestellt. Viel Freude damit!' },
    lines_cancelled: {
      subject: (r) => `Artikel Ihrer Bestellung ${r} wurden storniert`,
      lead: 'Einige Artikel Ihrer Bestellung wurden storniert. Der Rest Ihrer Bestellung wird wie geplant bearbeitet.',
    },
    backordered: {
      subject: (r) => `Ein Teil Ihrer Bestellung ${r} wird später versandt`,
      lead: 'Einige Artikel sind noch nicht vorrätig: Wir versenden, was da ist, und den Rest, sobald er eintrifft.',
    },
    return_approved: { subject: (r) => `Ihre Rücksendung zu Bestellung ${r} ist genehmigt`, lead: 'Wir haben Ihre Rücksendung genehmigt.' },
    return_received: {
      subject: (r) => `Wir haben Ihre Rücksendung zu Bestellung ${r} erhalten`,
      lead: 'Ihre zurückgesandten Artikel sind bei uns eingetroffen.',
    },
    return_refunded: { subject: (r) => `Ihre Erstattung zu Bestellung ${r}`, lead: 'Wir haben Ihre Rücksendung erstattet.' },
    promise_date_changed: {
      subject: (r) => `Neuer Termin für Ihre Bestellung ${r}`,
      lead: 'Der voraussichtliche Versandtermin Ihrer Bestellung hat sich geändert.',
    },
    supplier_purchase_order: {
      subject: (r) => `Bestellung für ${r}`,
      lead: 'Bitte versenden Sie die folgende Bestellung an unseren Kunden.',
    },
    supplier_purchase_order_cancelled: {
      subject: (r) => `Bestellung für ${r} zurückgezogen`,
      lead: 'Bitte versenden Sie diese Bestellung nicht.',
    },
    low_stock: { subject: (r) => `Niedriger Bestand: ${r}`, lead: 'Ein Artikel hat seinen Meldebestand erreicht.' },
  },
};

const WORDING: Record<MailLanguage, Wording> = { en: EN, de: DE };

/** The language to write in: the customer's when we have a template for it ("de-AT" counts as "de"), else the merchant's. */
export function mailLanguage(wanted: string | undefined, merchantDefault: MailLanguage): MailLanguage {
  const base = wanted?.toLowerCase().split(/[-_]/)[0];
  return (MAIL_LANGUAGES as readonly string[]).includes(base ?? '') ? (base as MailLanguage) : merchantDefault;
}

/** The order's number as the customer knows it: order:<channel>:<number> -> <number>. */
export const customerOrderRef = (orderId: string) => (orderId.startsWith('order:') ? orderId.split(':').slice(2).join(':') : orderId);

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderMail(n: MailInput, language: MailLanguage): RenderedMail {
  const w = WORDING[language];
  const ref = customerOrderRef(n.orderId);
  const kind = w.kinds[n.kind];
  const subject = kind.subject(ref, n.part);
  const rows = Object.entries(n.details).map(([key, value]) => [w.labels[key] ?? key, value] as const);
  const text = [
    w.greeting(n.to.name),
    '',
    kind.lead,
    ...(rows.length > 0 ? ['', `${w.detailsHeading}:`, ...rows.map(([k, v]) => `- ${k}: ${v}`)] : []),
    '',
    w.closing,
    '',
  ].join('\n');
  const html = [
    `<!doctype html><html lang="${language}"><body style="font-family:sans-serif">`,
    `<p>${escapeHtml(w.greeting(n.to.name))}</p>`,
    `<p>${escapeHtml(kind.lead)}</p>`,
    ...(rows.length > 0
      ? [
          `<h3>${escapeHtml(w.detailsHeading)}</h3><table>`,
          ...rows.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
          '</table>',
        ]
      : []),
    `<p>${escapeHtml(w.closing)}</p>`,
    '</body></html>',
  ].join('\n');
  return { language, subject, text, html };
}
