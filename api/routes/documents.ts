import { Router } from 'express';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { parseReturnId } from '../../domain/ids';
import { orderIdSchema } from '../../domain/order';
import { parseOrThrow } from '../../domain/validation';
import { createDocumentService, KINDS, ORDER_REF, RETURN_KINDS, type Kind } from '../../services/documents';
import type { ApiDeps } from '../app';
import { requires } from '../auth';
import { orderLookup } from '../../services/orders';
import { locationOfPicklist, locationsOfOrder } from '../../domain/access';
import { orderLocations } from '../order-scope';
import { picklistIdSchema } from './picking';

// Documents over HTTP (services/documents.ts renders them): the list of an order's documents, and one
// document by id, doc:<kind>:<what it is about>.

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
      ctx.addIssue({ code: 'custom', message: `kind ${d.kind} is not one of ${KINDS.join(', ')}` });
      return;
    }
    if (d.kind === 'picklist') {
      const ref = picklistIdSchema.safeParse(d.ref);
      if (!ref.success) ctx.addIssue({ code: 'custom', message: `the picklist id ${ref.error.issues[0].message}` });
      return;
    }
    if ((RETURN_KINDS as readonly string[]).includes(d.kind)) {
      const ret = parseReturnId(d.ref);
      const order = ret && orderIdSchema.safeParse(ret.orderId);
      if (!ret) ctx.addIssue({ code: 'custom', message: 'must be a return id, return:<orderId>:<n>, such as return:order:shopify:1001:1' });
      else if (!order?.success) ctx.addIssue({ code: 'custom', message: `the return's order id ${order?.error.issues[0].message}` });
      return;
    }
    const match = ORDER_REF.exec(d.ref);
    const ref = orderIdSchema.safeParse(match?.[1] ?? d.ref);
    if (!ref.success) ctx.addIssue({ code: 'custom', message: `the order id ${ref.error.issues[0].message}` });
    else if (!match)
      ctx.addIssue({ code: 'custom', message: 'must be an order id, optionally followed by |part:<n> and (for a label) |parcel:<k>' });
    else if (match[2] && d.kind === 'invoice')
      ctx.addIssue({ code: 'custom', message: 'an invoice is for the whole order: leave |part out' });
    else if (match[3] && d.kind !== 'shipping_label') ctx.addIssue({ code: 'custom', message: 'only a shipping label has parcels' });
  });

export function documentsRouter(deps: ApiDeps): Router {
  const router = Router();
  // Where a document belongs, for a warehouse scoped to locations: a picklist's location, else the locations
  // of the order it is about (a return's: its order's). Undefined for a bad id or an unknown order (400, 404).
  const findOrder = orderLookup(deps.stores);
  const documentAt = async (id: unknown): Promise<string[] | undefined> => {
    const parsed = documentIdSchema.safeParse(id);
    if (!parsed.success) return undefined;
    const { kind, ref } = parsed.data;
    if (kind === 'picklist') return [locationOfPicklist(ref)].filter((l): l is string => !!l);
    const orderId = (RETURN_KINDS as readonly string[]).includes(kind) ? parseReturnId(ref)?.orderId : ORDER_REF.exec(ref)?.[1];
    const order = orderId ? await findOrder(orderId) : null;
    return order ? locationsOfOrder(order) : undefined;
  };
  const documents = createDocumentService(deps.stores);
  router.get('/orders/:id/documents', requires('documents:read', orderLocations(findOrder)), async (req, res) => {
    res.json(await documents.list(parseOrThrow(orderIdSchema, req.params.id, 'order id', 'id')));
  });
  router.get('/documents/:id', requires('documents:read', { location: (req) => documentAt(req.params.id) }), async (req, res) => {
    const { kind, ref } = parseOrThrow(documentIdSchema, req.params.id, 'document id', 'id');
    if (!(KINDS as readonly string[]).includes(kind))
      throw new ValidationError('Invalid document id', [{ path: 'id', message: `unknown kind ${kind}` }]);
    const rendered = await documents.render(kind as Kind, ref);
    // The carrier's own label file: sent there (carrier label URLs are public, time-limited links).
    if ('url' in rendered) {
      res.redirect(302, rendered.url);
      return;
    }
    const { doc } = rendered;
    res
      .status(200)
      .set('Content-Type', doc.contentType)
      .set('Content-Disposition', `inline; filename="${doc.fileName}"`)
      .set('Content-Length', String(doc.body.length))
      .send(doc.body);
  });
  return router;
}
