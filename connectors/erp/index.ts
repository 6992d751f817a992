import { z } from 'zod';
import type { Order } from '../../domain/order';
import type { ConnectorFactory, ErpTarget } from '../types';
import { ErpClient } from './client';
import { parseStockReceiptPage, toErpInvoice, toErpSalesOrder } from './mapper';

/*
 * The generic REST/JSON ERP. There is no vendor behind it: this is the contract an ERP (or a small
 * adapter in front of one) implements to work with Orderhub. Wire shapes are in mapper.ts.
 *
 * Options:     { baseUrl: http(s) URL, requestsPerSecond = 5, burst = 10 } (the ERP's rate limit,
 *              shared by every Orderhub process using the connection).
 * Credentials: { apiKey }, sent on every call as `Authorization: Bearer <apiKey>`.
 *
 * GET  {baseUrl}/ping                  2xx when the key is good; 401/403 when it is not.
 * POST {baseUrl}/sales-orders          body ErpSalesOrder, header Idempotency-Key. 2xx: created.
 *                                      409: a sales order with that Idempotency-Key already exists,
 *                                      which Orderhub treats as success (it is a retry of ours). Any
 *                                      other business conflict must be reported as 422, not 409.
 * POST {baseUrl}/invoices              body ErpInvoice, header Idempotency-Key, same 409 rule.
 * GET  {baseUrl}/stock-receipts?cursor=&limit=100
 *                                      { receipts: [{ id, sku, warehouse, quantity, purchaseOrder,
 *                                      receivedAt }], nextCursor } oldest first; no cursor on the
 *                                      first call, and no (or null) nextCursor on the last page.
 *                                      A receipt's id must be stable: it is the ledger idempotency key.
 *
 * Errors: 401/403 become UnauthorizedError; other 4xx an UpstreamError naming the status (not retried);
 * 429 (with Retry-After), 5xx and network errors are retried by the HTTP layer, then
 * UpstreamUnavailableError. A malformed receipt page is a ValidationError naming receipts.N.field.
 */

export const RECEIPTS_PAGE_SIZE = 100;

export const erpOptionsSchema = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/, message: 'must be an http or https URL' }).transform((u) => u.replace(/\/+$/, '')),
  requestsPerSecond: z.number().positive().max(1000).default(5),
  burst: z.number().int().min(1).max(1000).default(10),
});
export type ErpOptions = z.infer<typeof erpOptionsSchema>;

export const erpCredentialsSchema = z.strictObject({
  apiKey: z.string().min(1, 'is required'),
});
export type ErpCredentials = z.infer<typeof erpCredentialsSchema>;

export const erpConnector: ConnectorFactory<ErpOptions, ErpCredentials> = {
  kind: 'erp',
  optionsSchema: erpOptionsSchema,
  credentialsSchema: erpCredentialsSchema,
  create(options, credentials, ctx) {
    const client = new ErpClient({ ...options, apiKey: credentials.apiKey }, ctx);
    const erp: ErpTarget = {
      async pushSalesOrder(order: Order, idempotencyKey: string) {
        await client.postOnce('/sales-orders', toErpSalesOrder(order), idempotencyKey);
      },
      async pushInvoice(invoice, idempotencyKey) {
        await client.postOnce('/invoices', toErpInvoice(invoice), idempotencyKey);
      },
      async fetchStockReceipts(cursor) {
        const body = await client.get<unknown>('/stock-receipts', { cursor, limit: RECEIPTS_PAGE_SIZE });
        return parseStockReceiptPage(body);
      },
    };
    return {
      kind: 'erp',
      async testConnection() {
        await client.get('/ping');
      },
      erp,
    };
  },
};
