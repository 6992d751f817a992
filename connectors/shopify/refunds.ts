import { createHash } from 'node:crypto';
import { parseReturnId } from '../../domain/ids';
import { ValidationError, type FieldProblem } from '../../domain/errors';
import { UpstreamError } from '../http';
import type { ConnectorContext, RefundReport, RefundTarget } from '../types';
import { gidOf, numericIdOf, type ShopifyClient } from './client';
import { refused } from './fulfillment';
import { toDecimal, toMinorUnits } from './money';

// A refund Orderhub granted, made on Shopify with refundCreate: the returned line items (never restocked:
// Orderhub owns the stock), the shipping share, and one REFUND transaction per sale or capture it is paid
// back against. Done at most once per Orderhub return, twice over: the order's refunds are read first and
// one whose note names the return means it is done (an earlier attempt whose answer was lost), and the
// mutation carries Shopify's @idempotent key (required on refundCreate from 2026-04) derived from the
// return id, so two attempts racing past the read still make one refund.

const NOTE_MARKER = 'Orderhub return';
const RETURN_IN_NOTE = /\bOrderhub return (return:\S+)/;

// The refund's note: Orderhub's marker with the return id first, then Orderhub's words.
export function refundNoteOf(returnId: string, note?: string): string {
  const words = note?.trim();
  return words ? `${NOTE_MARKER} ${returnId}: ${words}` : `${NOTE_MARKER} ${returnId}`;
}

// The Orderhub return a Shopify refund note names, if Orderhub made the refund.
export function orderhubReturnIdIn(note: string | null | undefined): string | undefined {
  const candidate = note ? RETURN_IN_NOTE.exec(note)?.[1]?.replace(/[:.,;]+$/, '') : undefined;
  return candidate && parseReturnId(candidate) ? candidate : undefined;
}

// Orders with more refunds, payments or lines than this are not refunded by Orderhub (it says so).
const MAX_REFUNDS = 50;
const MAX_TRANSACTIONS = 50;
const LINES_PER_READ = 100;

const REFUND_STATE = `
  query RefundState($id: ID!, $lines: Int!) {
    order(id: $id) {
      id
      currencyCode
      presentmentCurrencyCode
      refunds(first: ${MAX_REFUNDS}) { id note }
      transactions(first: ${MAX_TRANSACTIONS}) {
        id kind status gateway
        maximumRefundableV2 { amount currencyCode }
      }
      lineItems(first: $lines) { nodes { id sku refundableQuantity } pageInfo { hasNextPage endCursor } }
    }
  }`;

const MORE_LINES = `
  query RefundLines($id: ID!, $lines: Int!, $after: String) {
    order(id: $id) { lineItems(first: $lines, after: $after) { nodes { id sku refundableQuantity } pageInfo { hasNextPage endCursor } } }
  }`;

interface LineNode {
  id: string;
  sku: string | null;
  refundableQuantity: number;
}
interface LinePage {
  nodes: LineNode[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}
interface RefundState {
  order: {
    id: string;
    currencyCode: string;
    presentmentCurrencyCode: string;
    refunds: { id: string; note: string | null }[];
    transactions: {
      id: string;
      kind: string;
      status: string;
      gateway: string | null;
      maximumRefundableV2: { amount: string; currencyCode: string } | null;
    }[];
    lineItems: LinePage;
  } | null;
}
interface MoreLines {
  order: { lineItems: LinePage } | null;
}

const REFUND_CREATE = `
  mutation ReportRefund($input: RefundInput!, $idempotencyKey: String!) {
    refundCreate(input: $input) @idempotent(key: $idempotencyKey) {
      refund { id note }
      userErrors { field message }
    }
  }`;

interface RefundCreate {
  refundCreate: { refund: { id: string; note: string | null } | null; userErrors: { field: string[] | null; message: string }[] };
}

// Money goes back against what was taken: a successful sale, or a capture of an authorization.
const PAID = new Set(['SALE', 'CAPTURE']);

export function createShopifyRefunds(client: ShopifyClient, ctx: ConnectorContext, opts: { notifyCustomer: boolean }): RefundTarget {
  async function allLines(orderGid: string, first: LinePage): Promise<LineNode[]> {
    const lines = [...first.nodes];
    let page = first.pageInfo;
    while (page.hasNextPage && page.endCursor) {
      const { order } = await client.graphql<MoreLines>(MORE_LINES, { id: orderGid, lines: LINES_PER_READ, after: page.endCursor });
      if (!order) break;
      lines.push(...order.lineItems.nodes);
      page = order.lineItems.pageInfo;
    }
    return lines;
  }

  return {
    async lineSkus(channelOrderId) {
      const orderId = orderIdOf(channelOrderId);
      const orderGid = gidOf('Order', orderId);
      const { order } = await client.graphql<MoreLines>(MORE_LINES, { id: orderGid, lines: LINES_PER_READ });
      if (!order) throw new UpstreamError(`Shopify has no order ${orderId}`, 404);
      const lines = await allLines(orderGid, order.lineItems);
      return Object.fromEntries(lines.flatMap((l) => (l.sku?.trim() ? [[numericIdOf(l.id, 'LineItem') ?? l.id, l.sku.trim()]] : [])));
    },

    async reportRefund(refund) {
      const orderId = orderIdOf(refund.channelOrderId);
      const orderGid = gidOf('Order', orderId);
      const fields = { connectionId: ctx.connectionId, channelOrderId: orderId, returnId: refund.returnId };
      checkReport(refund);
      const { order } = await client.graphql<RefundState>(REFUND_STATE, { id: orderGid, lines: LINES_PER_READ });
      if (!order) throw new UpstreamError(`Shopify has no order ${orderId}`, 404);

      const done = order.refunds.find((r) => orderhubReturnIdIn(r.note) === refund.returnId);
      if (done) {
        ctx.log.info('refund already reported to Shopify', { ...fields, channelRefundId: idOf(done.id) });
        return { status: 'reported', channelRefundId: idOf(done.id) };
      }

      const currency = refund.currency.trim().toUpperCase();
      if (currency !== order.currencyCode || order.presentmentCurrencyCode !== order.currencyCode) {
        // Orderhub keeps an order in the shop's money; a refund in the customer's other currency is Shopify's to work out.
        throw new ValidationError(`Refund for Shopify order ${orderId} cannot be reported in ${currency}`, [
          {
            path: 'currency',
            message:
              order.presentmentCurrencyCode !== order.currencyCode
                ? `the customer paid in ${order.presentmentCurrencyCode}, not the shop's ${order.currencyCode}: refund it in the Shopify admin`
                : `must be the order's currency ${order.currencyCode}`,
          },
        ]);
      }

      const refundLineItems = lineItemsFor(refund, await allLines(orderGid, order.lineItems), orderId);
      const transactions = refundTransactions(orderGid, refund.amount, currency, order.transactions, orderId);
      const shipping = refund.shipping?.amount ? { amount: toDecimal(refund.shipping.amount, currency) } : undefined;
      const input = {
        orderId: orderGid,
        note: refundNoteOf(refund.returnId, refund.note),
        notify: opts.notifyCustomer,
        refundLineItems,
        ...(shipping && { shipping }),
        transactions,
      };
      const { refund: made, userErrors } = (
        await client.graphql<RefundCreate>(REFUND_CREATE, { input, idempotencyKey: idempotencyKeyOf(refund.returnId) })
      ).refundCreate;
      if (userErrors.length > 0) throw refused(`Shopify refused the refund for order ${orderId} (${refund.returnId})`, userErrors);
      if (!made) throw new UpstreamError(`Shopify made no refund for order ${orderId} (${refund.returnId}) and said nothing why`, 502);
      ctx.log.info('refund reported to Shopify', { ...fields, channelRefundId: idOf(made.id), amount: refund.amount, currency });
      return { status: 'reported', channelRefundId: idOf(made.id) };
    },
  };
}

function checkReport(refund: RefundReport): void {
  const problems: FieldProblem[] = [];
  if (!parseReturnId(refund.returnId))
    problems.push({ path: 'returnId', message: 'must be an Orderhub return id (return:order:<channel>:<id>:<n>)' });
  if (!Number.isSafeInteger(refund.amount) || refund.amount < 0)
    problems.push({ path: 'amount', message: 'must be whole minor units, 0 or more' });
  const shipping = refund.shipping?.amount ?? 0;
  if (!Number.isSafeInteger(shipping) || shipping < 0 || shipping > refund.amount)
    problems.push({ path: 'shipping.amount', message: 'must be whole minor units between 0 and the amount' });
  refund.lines.forEach((l, i) => {
    if (!Number.isInteger(l.quantity) || l.quantity < 1) problems.push({ path: `lines.${i}.quantity`, message: 'must be at least 1' });
  });
  if (refund.lines.length === 0 && shipping === 0 && refund.amount === 0) problems.push({ path: 'lines', message: 'nothing to refund' });
  if (problems.length > 0) throw new ValidationError(`Refund ${refund.returnId} cannot be reported`, problems);
}

// The returned lines as Shopify line items: a line naming its line item goes there; otherwise its sku is
// spread over the order's line items with that sku (an order may list one sku on several lines), as far as
// each can still be refunded.
function lineItemsFor(refund: RefundReport, lineItems: LineNode[], orderId: string) {
  const left = new Map(lineItems.map((li) => [li.id, li.refundableQuantity]));
  const out = new Map<string, number>();
  const problems: FieldProblem[] = [];
  refund.lines.forEach((line, i) => {
    let wanted = line.quantity;
    const take = (id: string, most: number) => {
      const n = Math.min(wanted, most);
      if (n <= 0) return;
      out.set(id, (out.get(id) ?? 0) + n);
      left.set(id, (left.get(id) ?? 0) - n);
      wanted -= n;
    };
    if (line.channelLineId !== undefined) {
      const id = /^\d+$/.test(line.channelLineId) ? gidOf('LineItem', line.channelLineId) : line.channelLineId;
      if (!left.has(id)) {
        problems.push({ path: `lines.${i}.channelLineId`, message: `line item ${line.channelLineId} is not on Shopify order ${orderId}` });
        return;
      }
      take(id, left.get(id)!);
    } else {
      const candidates = lineItems.filter((li) => li.sku?.trim() === line.sku);
      if (candidates.length === 0) {
        problems.push({ path: `lines.${i}.sku`, message: `${line.sku} is not on Shopify order ${orderId}` });
        return;
      }
      for (const li of candidates) take(li.id, left.get(li.id) ?? 0);
    }
    if (wanted > 0)
      problems.push({
        path: `lines.${i}.quantity`,
        message: `${wanted} more than Shopify can still refund of ${line.sku} on order ${orderId}`,
      });
  });
  if (problems.length > 0) throw new ValidationError(`Refund ${refund.returnId} does not fit Shopify order ${orderId}`, problems);
  return [...out].map(([lineItemId, quantity]) => ({ lineItemId, quantity, restockType: 'NO_RESTOCK' }));
}

// The amount paid back against the order's sales and captures, first taken first, each up to what Shopify
// says it can still refund.
function refundTransactions(
  orderGid: string,
  amount: number,
  currency: string,
  transactions: NonNullable<RefundState['order']>['transactions'],
  orderId: string,
) {
  const out: { orderId: string; parentId: string; gateway: string; kind: 'REFUND'; amount: string }[] = [];
  let left = amount;
  for (const t of transactions) {
    if (left <= 0) break;
    if (!PAID.has(t.kind) || t.status !== 'SUCCESS' || !t.gateway || !t.maximumRefundableV2) continue;
    const most = toMinorUnits(t.maximumRefundableV2.amount, currency);
    const take = Math.min(left, most);
    if (take <= 0) continue;
    out.push({ orderId: orderGid, parentId: t.id, gateway: t.gateway, kind: 'REFUND', amount: toDecimal(take, currency) });
    left -= take;
  }
  if (left > 0) {
    throw new ValidationError(`Shopify order ${orderId} has less left to refund than asked`, [
      {
        path: 'amount',
        message: `${toDecimal(amount, currency)} ${currency} asked, ${toDecimal(amount - left, currency)} ${currency} can still be refunded against its payments`,
      },
    ]);
  }
  return out;
}

// Shopify keeps an idempotency key for a while and answers a repeat with the first result.
const idempotencyKeyOf = (returnId: string) => createHash('sha256').update(`orderhub-refund|${returnId}`).digest('hex');

const idOf = (gid: string) => numericIdOf(gid, 'Refund') ?? gid;

function orderIdOf(channelOrderId: string): string {
  if (!/^\d+$/.test(channelOrderId)) {
    throw new ValidationError('Not a Shopify order id', [{ path: 'channelOrderId', message: 'must be the numeric Shopify order id' }]);
  }
  return channelOrderId;
}
