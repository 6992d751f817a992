import { createHash } from 'node:crypto';
import type { Address } from '../domain/address';
import type { Location } from '../domain/catalog';
import { NotFoundError } from '../domain/errors';
import { paymentDueOf, type OrderPart, type OrderView } from '../domain/order-state';
import type { ReturnState } from '../domain/returns';
import {
  creditNoteFromReturn,
  invoiceFromOrder,
  packingSlipFromOrder,
  renderDocument,
  returnAuthorisationFromReturn,
  type DocumentRequest,
  type ShippingLabel,
} from '../documents';
import type { CarrierSetup } from '../store/carriers';
import type { Locations } from '../store/catalog';
import type { OrdersView } from '../store/orders';
import type { Picklists } from '../store/picking';
import type { ReturnSetup, ReturnsView } from '../store/returns';

// Documents rendered on the fly from stored facts: nothing is stored, so a document always shows the
// order as it is now. Ids name the kind and what it is about: doc:packing_slip:<orderId>,
// doc:invoice:<orderId>, doc:picklist:<picklistId>, doc:shipping_label:<orderId>; a split order's part
// adds |part:<n> (packing slip, label), a further parcel of a multi-parcel label |parcel:<k>. A return's
// documents name the return: doc:return_authorisation:<returnId>, doc:credit_note:<returnId>.
// A shipping label the carrier issued as a file is the carrier's (a redirect to it); for a carrier that
// issues none (a local courier entered by hand) we render our own.

export const MERCHANT_NAME = 'Orderhub merchant';
export const KINDS = ['packing_slip', 'invoice', 'shipping_label', 'picklist', 'return_authorisation', 'credit_note'] as const;
export type Kind = (typeof KINDS)[number];

const TITLES: Record<Kind, string> = {
  packing_slip: 'Packing slip',
  invoice: 'Invoice',
  shipping_label: 'Shipping label',
  picklist: 'Picklist',
  return_authorisation: 'Return authorisation',
  credit_note: 'Credit note',
};
// Kinds whose reference is a return id (return:<orderId>:<n>), not an order's.
export const RETURN_KINDS = ['return_authorisation', 'credit_note'] as const satisfies readonly Kind[];
type ReturnKind = (typeof RETURN_KINDS)[number];

// An order document's reference: the order id, then the part (packing slip, label) and parcel (label).
export const ORDER_REF = /^(order:[^|]+)(?:\|part:([1-9][0-9]{0,2}))?(?:\|parcel:([1-9][0-9]?))?$/;
interface OrderRef {
  orderId: string;
  part?: string;
  parcel?: number;
}
// A label file the carrier issued, served by redirect: only an https URL is followed.
const carrierFileOf = (label: { labelUrl?: string } | undefined) =>
  label?.labelUrl && /^https:\/\//.test(label.labelUrl) ? label.labelUrl : undefined;
const refOf = (r: OrderRef) => `${r.orderId}${r.part ? `|part:${r.part}` : ''}${r.parcel ? `|parcel:${r.parcel}` : ''}`;

const documentId = (kind: Kind, ref: string) => `doc:${kind}:${ref}`;
const documentUrl = (id: string) => `/documents/${encodeURIComponent(id)}`;

// Deterministic, so the same order always gets the same number. Not a gapless sequence: see README.
export function invoiceNumberOf(orderId: string): string {
  return `INV-${createHash('sha256').update(orderId).digest('hex').slice(0, 12).toUpperCase()}`;
}

// Deterministic like the invoice number, and unique across channels (two channels may share an order number).
export function raNumberOf(returnId: string): string {
  return `RA-${createHash('sha256').update(returnId).digest('hex').slice(0, 12).toUpperCase()}`;
}

// The number the workflow issued with store credit; a refund to the original payment gets one in the same
// shape, CN-<channel order id>-<return number>, so every refund is documented by one credit note.
export function creditNoteNumberOf(state: Pick<ReturnState, 'creditNote' | 'n'>, channelOrderId: string): string {
  return state.creditNote?.number ?? `CN-${channelOrderId}-${state.n}`;
}

// A return has an authorisation once approved: not while requested, nor when rejected or cancelled; one
// needing attention has one when its history shows it was approved.
export function hasReturnAuthorisation(r: Pick<ReturnState, 'status' | 'history'>): boolean {
  if (r.status === 'requested' || r.status === 'rejected' || r.status === 'cancelled') return false;
  return r.status !== 'needs_attention' || r.history.some((h) => h.status === 'approved');
}

// A credit note documents money given back: a refund paid, or store credit granted.
export const hasCreditNote = (r: Pick<ReturnState, 'refund'>): boolean =>
  r.refund?.status === 'refunded' || r.refund?.status === 'credited';

const orderRefOf = (ref: string): OrderRef => {
  const [, orderId, part, parcel] = ORDER_REF.exec(ref)!;
  return { orderId, ...(part && { part }), ...(parcel && { parcel: Number(parcel) }) };
};

export interface DocumentServiceDeps {
  orders: Pick<OrdersView, 'get'>;
  locations: Pick<Locations, 'get' | 'list'>;
  picklists: Pick<Picklists, 'get' | 'idsForOrder'>;
  carriers: Pick<CarrierSetup, 'labelFor'>;
  // Named as in Stores, which routes hand over whole: `returns` is the return setup (the policy, for its
  // reasons' labels), `returnsView` the returns themselves.
  returnsView: Pick<ReturnsView, 'forOrder' | 'get'>;
  returns: Pick<ReturnSetup, 'policy'>;
}

export function createDocumentService(deps: DocumentServiceDeps) {
  const { orders, locations, picklists, carriers, returnsView, returns: returnSetup } = deps;

  async function orderOrThrow(id: string): Promise<OrderView> {
    const order = await orders.get(id);
    if (!order) throw new NotFoundError(`Order ${id} does not exist`, { orderId: id });
    return order;
  }

  // The seller and ship-from address: the allocated location (the part's, for a part), else the first
  // location by priority.
  async function shipFromOf(order: OrderView, part?: OrderPart): Promise<Location | undefined> {
    const at = part?.locationId ?? order.allocation?.locationId ?? order.parts?.[0]?.locationId;
    const allocated = at ? await locations.get(at) : null;
    return allocated ?? (await locations.list())[0];
  }

  const partOrThrow = (view: OrderView, part: string | undefined): OrderPart | undefined => {
    if (part === undefined) return undefined;
    const found = view.parts?.find((p) => p.id === part);
    if (!found)
      throw new NotFoundError(
        `Order ${view.orderId} has no part ${part}${view.parts?.length ? ` (its parts: ${view.parts.map((p) => p.id).join(', ')})` : ': it is not split'}`,
        { orderId: view.orderId, part },
      );
    return found;
  };

  // The parcels' labels of the order (or one part): the label bought for it unless voided, one per
  // parcel, and the shipment the warehouse reported (which gets our own label when none was bought).
  async function parcelLabelsOf(view: OrderView, part: OrderPart | undefined) {
    const record = await carriers.labelFor(view.orderId, part?.id);
    const labels = record && !record.voided ? [record.label, ...(record.more ?? [])] : [];
    const shipment = part ? part.shipment : view.shipment;
    return { record, labels, shipment, count: labels.length || (shipment ? 1 : 0) };
  }

  // The label of the order (or part), parcel by parcel: the carrier's file where it issued one, else the
  // facts for our own label.
  async function labelOf(view: OrderView, ref: OrderRef): Promise<{ url: string } | { label: ShippingLabel }> {
    const part = partOrThrow(view, ref.part);
    if (view.parts?.length && !part)
      throw new NotFoundError(`Order ${view.orderId} is split: each part has its own label (doc:shipping_label:${view.orderId}|part:<n>)`, {
        orderId: view.orderId,
      });
    const { record, labels, shipment, count } = await parcelLabelsOf(view, part);
    const parcel = ref.parcel ?? 1;
    const what = `${part ? `part ${part.id} of ` : ''}order ${view.orderId}`;
    if (count === 0)
      throw new NotFoundError(`No shipping label for ${what} yet${record?.voided ? ': its label was voided' : ''}`, {
        orderId: view.orderId,
      });
    if (parcel > count)
      throw new NotFoundError(`${what.charAt(0).toUpperCase()}${what.slice(1)} has ${count} parcel(s), not ${parcel}`, {
        orderId: view.orderId,
        parcels: count,
      });
    const label = labels[parcel - 1];
    const url = carrierFileOf(label);
    if (url) return { url };
    const from = await shipFromOf(view, part);
    const to: Address = { ...view.order.shippingAddress, name: view.order.shippingAddress.name ?? view.order.customer.name };
    return {
      label: {
        carrier: label?.carrier ?? shipment!.carrier,
        service: label?.service ?? 'standard',
        trackingNumber: label?.trackingNumber ?? shipment!.trackingNumber,
        from: from
          ? { ...from.address, company: from.address.company ?? MERCHANT_NAME }
          : { line1: '', city: '', postalCode: '', country: view.order.shippingAddress.country },
        to,
        createdAt: record?.boughtAt.toISOString() ?? shipment?.shippedAt ?? view.createdAt,
        orderNumber: view.channelOrderId,
        ...(count > 1 && { parcel: { index: parcel, count } }),
      },
    };
  }

  // A return's document, once the return has it: the authorisation once approved, the credit note once refunded.
  async function returnDocumentOf(kind: ReturnKind, returnId: string): Promise<DocumentRequest> {
    const state = await returnsView.get(returnId);
    if (!state) throw new NotFoundError(`Return ${returnId} does not exist`, { returnId });
    const view = await orderOrThrow(state.orderId);
    const from = await shipFromOf(view);
    const address = from && { ...from.address, company: from.address.company ?? MERCHANT_NAME };
    const noAddress = { line1: '', city: '', postalCode: '', country: '' };
    if (kind === 'return_authorisation') {
      if (!hasReturnAuthorisation(state))
        throw new NotFoundError(
          `Return ${returnId} is ${state.status}: ${state.status === 'requested' ? 'its return authorisation is issued once it is approved' : 'it has no return authorisation'}`,
          { returnId, status: state.status },
        );
      const reason = (await returnSetup.policy()).policy.reasons.find((r) => r.code === state.request.reason);
      return {
        kind,
        returnAuthorisation: returnAuthorisationFromReturn(state, view.order, {
          raNumber: raNumberOf(returnId),
          merchant: { name: MERCHANT_NAME },
          returnTo: address ?? noAddress,
          ...(reason && { reasonLabel: reason.label }),
        }),
      };
    }
    if (!hasCreditNote(state))
      throw new NotFoundError(
        `Return ${returnId} has no credit note: ${state.refund ? `its refund is ${state.refund.status}` : 'nothing has been refunded for it yet'}`,
        { returnId, status: state.status },
      );
    return {
      kind,
      creditNote: creditNoteFromReturn(state, view.order, {
        number: creditNoteNumberOf(state, view.channelOrderId),
        invoiceNumber: invoiceNumberOf(view.orderId),
        seller: { name: MERCHANT_NAME, address: from?.address ?? noAddress },
      }),
    };
  }

  async function requestFor(kind: Kind, rawRef: string): Promise<DocumentRequest | { url: string }> {
    if (kind === 'return_authorisation' || kind === 'credit_note') return returnDocumentOf(kind, rawRef);
    if (kind === 'picklist') {
      const picklist = await picklists.get(rawRef);
      if (!picklist) throw new NotFoundError(`Picklist ${rawRef} does not exist`, { picklistId: rawRef });
      return { kind, picklist };
    }
    const ref = orderRefOf(rawRef);
    const view = await orderOrThrow(ref.orderId);
    if (kind === 'shipping_label') {
      const label = await labelOf(view, ref);
      return 'url' in label ? label : { kind, label: label.label };
    }
    const part = partOrThrow(view, ref.part);
    const from = await shipFromOf(view, part);
    const fromAddress: Address | undefined = from && { ...from.address, company: from.address.company ?? MERCHANT_NAME };
    if (kind === 'packing_slip') {
      const lines = part
        ? view.order.lines.flatMap((l) => part.lines.filter((p) => p.sku === l.sku).map((p) => ({ ...l, quantity: p.quantity })))
        : view.order.lines;
      const parcels = Math.max(1, 1 + ((part ? part.label : view.label)?.moreParcels?.length ?? 0));
      return {
        kind,
        packingSlip: packingSlipFromOrder(
          { ...view.order, lines },
          { createdAt: view.createdAt, parcels, ...(fromAddress && { shipFrom: fromAddress }) },
        ),
      };
    }
    // Order lines carry tax amounts without rates, so the tax shows as one line; totals equal the order's.
    const dueDate = paymentDueOf(view);
    const invoice = invoiceFromOrder(view.order, {
      invoiceNumber: invoiceNumberOf(view.orderId),
      issuedAt: view.createdAt,
      seller: { name: MERCHANT_NAME, address: from?.address ?? { line1: '', city: '', postalCode: '', country: '' } },
      ...(dueDate && { dueDate }),
    });
    return { kind, invoice };
  }

  // Every document of the order: packing slips (one per part), the invoice, its labels parcel by
  // parcel, the picklists it is on, and each return's authorisation and credit note once it has them.
  async function list(id: string) {
    const order = await orderOrThrow(id);
    const entry = (kind: Kind, ref: string, extra: { part?: string; parcel?: number; number?: string; [k: string]: unknown } = {}) => {
      const docId = documentId(kind, ref);
      const suffix = `${extra.part ? ` part ${extra.part}` : ''}${extra.parcel ? ` parcel ${extra.parcel}` : ''}`;
      return {
        id: docId,
        kind,
        title: `${TITLES[kind]} ${extra.number ?? (kind === 'picklist' ? ref : order.channelOrderId)}${suffix}`,
        contentType: 'application/pdf',
        url: documentUrl(docId),
        ...extra,
      };
    };
    const parts = order.parts ?? [];
    const lists = await picklists.idsForOrder(
      order.orderId,
      parts.map((p) => p.id),
    );
    // Labels: one per parcel of each label bought (not voided), or ours for a shipment reported without one.
    const labels: ReturnType<typeof entry>[] = [];
    for (const part of parts.length ? parts : [undefined]) {
      const { labels: bought, shipment, count } = await parcelLabelsOf(order, part);
      for (let parcel = 1; parcel <= count; parcel++) {
        const ref = refOf({ orderId: order.orderId, ...(part && { part: part.id }), ...(parcel > 1 && { parcel }) });
        const label = bought[parcel - 1];
        labels.push(
          entry('shipping_label', ref, {
            ...(part && { part: part.id }),
            ...(count > 1 && { parcel }),
            trackingNumber: label?.trackingNumber ?? shipment!.trackingNumber,
            source: carrierFileOf(label) ? 'carrier' : 'orderhub',
          }),
        );
      }
    }
    const returnDocuments = (await returnsView.forOrder(order.orderId)).flatMap((r) => [
      ...(hasReturnAuthorisation(r)
        ? [
            entry('return_authorisation', r.returnId, {
              returnId: r.returnId,
              number: raNumberOf(r.returnId),
              ...(r.label && { trackingNumber: r.label.trackingNumber }),
            }),
          ]
        : []),
      ...(hasCreditNote(r)
        ? [entry('credit_note', r.returnId, { returnId: r.returnId, number: creditNoteNumberOf(r, order.channelOrderId) })]
        : []),
    ]);
    return {
      orderId: order.orderId,
      documents: [
        ...(parts.length
          ? parts.map((p) => entry('packing_slip', refOf({ orderId: order.orderId, part: p.id }), { part: p.id, locationId: p.locationId }))
          : [entry('packing_slip', order.orderId)]),
        entry('invoice', order.orderId, { invoiceNumber: invoiceNumberOf(order.orderId) }),
        ...labels,
        ...lists.map((picklistId) => entry('picklist', picklistId)),
        ...returnDocuments,
      ],
    };
  }

  return {
    list,
    // The document rendered, or the carrier's own label file to send the caller to.
    async render(kind: Kind, ref: string): Promise<{ url: string } | { doc: Awaited<ReturnType<typeof renderDocument>> }> {
      const request = await requestFor(kind, ref);
      return 'url' in request ? request : { doc: await renderDocument(request) };
    },
  };
}
