import { createHash } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { Address } from '../../domain/address';
import type { Location } from '../../domain/catalog';
import { NotFoundError, ValidationError } from '../../domain/errors';
import { orderIdSchema } from '../../domain/order';
import type { OrderView } from '../../domain/order-state';
import { parseOrThrow } from '../../domain/validation';
import { invoiceFromOrder, packingSlipFromOrder, renderDocument, type DocumentRequest } from '../../documents';
import type { ApiDeps } from '../app';
import { picklistIdSchema } from './picking';

// Documents rendered on the fly from stored facts: nothing is stored, so a document always shows the
// order as it is now. Ids name the kind and what it is about: doc:packing_slip:<orderId>,
// doc:invoice:<orderId>, doc:picklist:<picklistId>.

export const MERCHANT_NAME = 'Orderhub merchant';
const ORDER_KINDS = ['packing_slip', 'invoice'] as const;
const KINDS = [...ORDER_KINDS, 'picklist'] as const;
type Kind = (typeof KINDS)[number];

const TITLES: Record<Kind, string> = { packing_slip: 'Packing slip', invoice: 'Invoice', picklist: 'Picklist' };

const documentId = (kind: Kind, ref: string) => `doc:${kind}:${ref}`;
const documentUrl = (id: string) => `/documents/${encodeURIComponent(id)}`;

// Deterministic, so the same order always gets the same number. Not a gapless sequence: see README.
export function invoiceNumberOf(orderId: string): string {
  return `INV-${createHash('sha256').update(orderId).digest('hex').slice(0, 12).toUpperCase()}`;
}

const documentIdSchema = z
  .string()
  .max(300)
  .regex(/^doc:[a-z_]+:.+$/, 'must look like doc:<kind>:<id>, such as doc:packing_slip:order:shopify:1001')
  .transform((id) => {
    const [, kind, ref] = /^doc:([a-z_]+):(.+)$/.exec(id)!;
    return { kind, ref };
  })
  .superRefine((d, ctx) => {
    if (!(KINDS as readonly string[]).includes(d.kind)) {
      ctx.addIssue({ code: 'custom', message: `kind ${d.kind} is not one of ${KINDS.join(', ')}${d.kind === 'shipping_label' ? ' (shipping labels are not stored yet)' : ''}` });
      return;
    }
    const ref = (d.kind === 'picklist' ? picklistIdSchema : orderIdSchema).safeParse(d.ref);
    if (!ref.success) ctx.addIssue({ code: 'custom', message: `${d.kind === 'picklist' ? 'the picklist id' : 'the order id'} ${ref.error.issues[0].message}` });
  });

export function documentsRouter(deps: ApiDeps): Router {
  const router = Router();
  const { orders, locations, picklists } = deps.stores;

  async function orderOrThrow(id: string): Promise<OrderView> {
    const order = await orders.get(id);
    if (!order) throw new NotFoundError(`Order ${id} does not exist`, { orderId: id });
    return order;
  }

  // The seller and ship-from address: the allocated location, else the first location by priority.
  async function shipFromOf(order: OrderView): Promise<Location | undefined> {
    const allocated = order.allocation ? await locations.get(order.allocation.locationId) : null;
    return allocated ?? (await locations.list())[0];
  }

  async function requestFor(kind: Kind, ref: string): Promise<DocumentRequest> {
    if (kind === 'picklist') {
      const picklist = await picklists.get(ref);
      if (!picklist) throw new NotFoundError(`Picklist ${ref} does not exist`, { picklistId: ref });
      return { kind, picklist };
    }
    const view = await orderOrThrow(ref);
    const from = await shipFromOf(view);
    const fromAddress: Address | undefined = from && { ...from.address, company: from.address.company ?? MERCHANT_NAME };
    if (kind === 'packing_slip') {
      return { kind, packingSlip: packingSlipFromOrder(view.order, { createdAt: view.createdAt, parcels: 1, ...(fromAddress && { shipFrom: fromAddress }) }) };
    }
    // Order lines carry tax amounts without rates, so the tax shows as one line; totals equal the order's.
    const invoice = invoiceFromOrder(view.order, {
      invoiceNumber: invoiceNumberOf(view.orderId),
      issuedAt: view.createdAt,
      seller: { name: MERCHANT_NAME, address: from?.address ?? { line1: '', city: '', postalCode: '', country: '' } },
    });
    return { kind, invoice };
  }

  router.get('/orders/:id/documents', async (req, res) => {
    const id = parseOrThrow(orderIdSchema, req.params.id, 'order id', 'id');
    const order = await orderOrThrow(id);
    const entry = (kind: Kind, ref: string, extra: object = {}) => {
      const docId = documentId(kind, ref);
      return { id: docId, kind, title: `${TITLES[kind]} ${kind === 'picklist' ? ref : order.channelOrderId}`, contentType: 'application/pdf', url: documentUrl(docId), ...extra };
    };
    const lists = await picklists.idsForOrder(order.orderId);
    res.json({
      orderId: order.orderId,
      documents: [
        entry('packing_slip', order.orderId),
        entry('invoice', order.orderId, { invoiceNumber: invoiceNumberOf(order.orderId) }),
        ...lists.map((picklistId) => entry('picklist', picklistId)),
      ],
    });
  });

  router.get('/documents/:id', async (req, res) => {
    const { kind, ref } = parseOrThrow(documentIdSchema, req.params.id, 'document id', 'id');
    if (!(KINDS as readonly string[]).includes(kind)) throw new ValidationError('Invalid document id', [{ path: 'id', message: `unknown kind ${kind}` }]);
    const doc = await renderDocument(await requestFor(kind as Kind, ref));
    res
      .status(200)
      .set('Content-Type', doc.contentType)
      .set('Content-Disposition', `inline; filename="${doc.fileName}"`)
      .set('Content-Length', String(doc.body.length))
      .send(doc.body);
  });

  return router;
}
