import { orderCostsSchema } from '../domain/order-metrics';
import { z } from 'zod';
import { itemPatchSchema, itemSchema, locationSchema } from '../domain/catalog';
import { attachReturnLabelSchema, inspectionSchema, receiveReturnSchema, returnPolicySchema, returnRequestSchema } from '../domain/returns';
import { orderInputSchema } from '../domain/order';
import { adjustmentSchema, quarantineDecisionSchema, receiptSchema } from '../domain/stock';
import { routingRulesSchema } from '../domain/routing';
import { carrierRulesSchema } from '../domain/carrier-rules';
import { binSchema, picklistCriteriaSchema } from '../domain/picking';
import { allocationRejectionSchema, cancelLinesSchema, dropShipRerouteSchema, fulfillmentEventSchema } from './routes/orders';
import { ORDER_STATUSES } from '../domain/status';
import { connectionInputSchema, connectionPatchSchema, skuMapSchema } from '../domain/connection';
import {
  PURCHASE_ORDER_STATUSES,
  purchaseOrderInputSchema,
  purchaseOrderPatchSchema,
  purchaseOrderReceiptSchema,
  supplierEventSchema,
  supplierSchema,
} from '../domain/purchasing';
import { replenishmentSettingsSchema } from '../domain/replenishment';
import { apiKeyRequestSchema, userRequestSchema } from '../domain/access';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
const json = (ref: string) => ({ content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const errors = {
  '400': { description: 'Invalid input: every bad field is named with its path', ...json('Error') },
  '401': { description: 'Missing or invalid API key or session', ...json('Error') },
  '403': {
    description:
      'The role lacks the permission, or the key or user is not scoped to the location or connection: details name which; nothing was changed',
    ...json('Error'),
  },
  '503': {
    description: 'At capacity, or the store or Temporal is away: nothing was changed; send the request again after Retry-After seconds',
    ...json('Error'),
  },
};
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'order:shopify:450789469' } };
const locationParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'BER-1' } };
const picklistParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'PL-BER-1-20250301T091500-3fa9c1' } };
const connectionParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'shop-eu' } };
const supplierParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'acme' } };
const poParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'PO-20260301-3FA9C1' } };
const keyParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'key_3fa9c1d2e4b5a6f7' } };
const skuParam = { name: 'sku', in: 'path', required: true, schema: { type: 'string' } };
const command = (summary: string, body?: string) => ({
  post: {
    summary,
    description:
      "Sent to the order's workflow as a Temporal Update: the workflow decides whether the order can take it and answers once it has acted. An Idempotency-Key header (8 to 200 printable characters) is the command id: the same id is applied once, and repeating a request answered 202 gives its answer.",
    parameters: [idParam, { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } }],
    ...(body && { requestBody: json(body) }),
    responses: {
      '200': { description: "Done: the order's state after the command, with accepted (the command) and commandId" },
      '202': { description: 'Not answered within 10 s (the order is slow to act): { orderId, accepted, commandId, pending: true }' },
      '404': { description: 'No such order' },
      '409': {
        description: "Refused by the order's workflow, with its reason (not allowed in the order's current state, or it has ended)",
        ...json('Error'),
      },
      ...errors,
      '400': {
        description:
          'Invalid input, or arguments that do not fit this order (an unknown part, a location not holding it): every bad field is named',
        ...json('Error'),
      },
    },
  },
});

const returnParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'return:order:shopify:450789469:1' } };
const returnCommand = (summary: string, body?: string) => ({
  post: {
    summary,
    description:
      "Sent to the return's workflow as a Temporal Update: the workflow decides whether the return can take it and answers once it has acted. An Idempotency-Key header is the command id: the same id is applied once.",
    parameters: [returnParam, { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } }],
    ...(body && { requestBody: json(body) }),
    responses: {
      '200': { description: "Done: the return's state after the command, with accepted and commandId" },
      '202': { description: 'Not answered within 10 s: { returnId, accepted, commandId, pending: true }' },
      '404': { description: 'No such return' },
      '409': {
        description: "Refused by the return's workflow, with its reason (not allowed in its current state, or it has ended)",
        ...json('Error'),
      },
      ...errors,
      '400': { description: 'Invalid input, or lines that do not fit this return: every bad field is named', ...json('Error') },
    },
  },
});

let cached: object | undefined;

// The OpenAPI 3.1 description, built from the same zod schemas that validate requests.
export function openApiDocument(): object {
  cached ??= {
    openapi: '3.1.0',
    info: {
      title: 'Orderhub API',
      version: '0.1.0',
      description:
        "Orders, stock and locations. Send `Authorization: Bearer <API key or session token>` on every route but /health, /openapi.json, /docs, POST /session and the signed webhook intake. Each route needs a permission of the caller's role (named in its summary where it is an admin's); a missing one is a 403 naming it.",
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      schemas: {
        OrderInput: schema(orderInputSchema),
        ApiKeyRequest: schema(apiKeyRequestSchema),
        UserRequest: schema(userRequestSchema),
        SignIn: {
          type: 'object',
          required: ['email', 'password'],
          properties: { email: { type: 'string' }, password: { type: 'string' } },
        },
        OrderNotice: {
          type: 'object',
          description: 'A change the channel made after the order was picked, not applied: for an operator to settle by hand',
          required: ['at', 'source', 'message', 'changes'],
          properties: {
            at: { type: 'string', format: 'date-time' },
            source: { enum: ['channel'] },
            message: { type: 'string' },
            changes: {
              type: 'array',
              items: { type: 'string' },
              example: ['shipping address changed', 'line MUG-1 2 -> 3', 'line CAP-2 added (1)'],
            },
          },
        },
        OrderView: {
          type: 'object',
          description: 'The fields below and the rest of the order state (see README, Orders); additional fields may appear',
          required: ['orderId', 'status', 'stage', 'history', 'version', 'order'],
          properties: {
            orderId: { type: 'string' },
            status: { enum: [...ORDER_STATUSES] },
            stage: { type: 'string' },
            history: {
              type: 'array',
              items: { type: 'object', properties: { status: { type: 'string' }, at: { type: 'string' }, reason: { type: 'string' } } },
            },
            notices: { type: 'array', items: { $ref: '#/components/schemas/OrderNotice' } },
            cancelledLines: {
              type: 'array',
              description:
                'Partial cancels, oldest first: { commandId, at, reason, lines: [{ sku, quantity, amount }], released: [{ locationId, reservationId, part?, sku, quantity }], amount, money: { kind: voided | refunded | none, amount, reference? } }',
              items: { type: 'object' },
            },
            channelUpdatedAt: {
              type: 'string',
              format: 'date-time',
              description: "The channel's time of the newest copy of the order taken (captured, applied or noticed)",
            },
            version: { type: 'integer' },
            order: { $ref: '#/components/schemas/OrderInput' },
          },
        },
        Location: schema(locationSchema),
        Item: schema(itemSchema),
        ItemPatch: schema(itemPatchSchema),
        SkuMap: schema(skuMapSchema),
        StockReceipt: schema(receiptSchema),
        StockAdjustment: schema(adjustmentSchema),
        CarrierRules: {
          type: 'object',
          required: ['rules'],
          properties: { rules: schema(carrierRulesSchema) },
          additionalProperties: false,
        },
        RoutingRules: {
          type: 'object',
          required: ['rules'],
          properties: { rules: schema(routingRulesSchema) },
          additionalProperties: false,
        },
        ReturnPolicy: schema(returnPolicySchema),
        OrderCosts: schema(orderCostsSchema),
        QuarantineDecision: schema(quarantineDecisionSchema),
        ReturnRequest: schema(returnRequestSchema),
        ReturnReceipt: schema(receiveReturnSchema),
        Inspection: schema(inspectionSchema),
        ReturnLabel: schema(attachReturnLabelSchema),
        FulfillmentEvent: schema(fulfillmentEventSchema),
        AllocationRejection: schema(allocationRejectionSchema),
        CancelLines: schema(cancelLinesSchema),
        DropShipReroute: schema(dropShipRerouteSchema),
        ConnectionInput: schema(connectionInputSchema),
        ConnectionPatch: schema(connectionPatchSchema),
        Reason: { type: 'object', properties: { reason: { type: 'string' } }, additionalProperties: false },
        Supplier: schema(supplierSchema),
        PurchaseOrderInput: schema(purchaseOrderInputSchema),
        PurchaseOrderReceipt: schema(purchaseOrderReceiptSchema),
        ReplenishmentSettings: schema(replenishmentSettingsSchema),
        PurchaseOrderPatch: schema(purchaseOrderPatchSchema),
        SupplierEvent: schema(supplierEventSchema),
        BinLocations: {
          type: 'object',
          required: ['bins'],
          properties: {
            bins: {
              type: 'object',
              description: 'sku → bin, "A-03-2" (zone-aisle-shelf[-position]) or structured',
              additionalProperties: schema(binSchema),
            },
          },
          additionalProperties: false,
        },
        PicklistRequest: {
          type: 'object',
          required: ['locationId'],
          properties: { locationId: { type: 'string' }, criteria: schema(picklistCriteriaSchema) },
          additionalProperties: false,
        },
        Scan: {
          type: 'object',
          required: ['code', 'quantity'],
          properties: {
            code: { type: 'string', description: 'barcode or sku as scanned' },
            quantity: { type: 'integer', minimum: 1, maximum: 100000 },
            idempotencyKey: { type: 'string', minLength: 8, maxLength: 200 },
          },
          additionalProperties: false,
        },
        ShortPick: {
          type: 'object',
          required: ['sku', 'missingQuantity'],
          properties: {
            sku: { type: 'string' },
            missingQuantity: { type: 'integer', minimum: 1, maximum: 100000 },
            idempotencyKey: { type: 'string', minLength: 8, maxLength: 200 },
          },
          additionalProperties: false,
        },
        Error: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                details: {},
                requestId: { type: 'string', description: 'The X-Request-Id of the request, as in the API logs' },
              },
              required: ['code', 'message'],
            },
          },
        },
      },
    },
    security: [{ apiKey: [] }],
    paths: {
      '/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
      '/docs': { get: { summary: 'This document as an HTML page', security: [], responses: { '200': { description: 'HTML' } } } },
      '/webhooks/{connectionId}': {
        post: {
          summary:
            "A channel's, carrier's or drop-ship supplier's webhook delivery, verified with the connection's secret (Shopify X-Shopify-Hmac-Sha256, EasyPost X-Hmac-Signature, supplier_http X-Orderhub-Signature: sha256=<hex HMAC of the body>), stored and queued; repeats of a delivery id are recognised",
          security: [],
          parameters: [{ name: 'connectionId', in: 'path', required: true, schema: { type: 'string', example: 'shop-eu' } }],
          requestBody: { content: { '*/*': { schema: { description: 'The raw body exactly as the sender signed it (up to 2 MB)' } } } },
          responses: {
            '200': { description: '{ received: true, duplicate }' },
            '401': { description: 'The signature does not match', ...json('Error') },
            '404': { description: 'No enabled connection with that id takes webhooks', ...json('Error') },
            '400': errors['400'],
            '503': errors['503'],
          },
        },
      },
      '/webhooks/dead-letters': {
        get: {
          summary:
            'Webhook deliveries that could not be processed, and polled orders that could not be mapped (topic poll/order), newest first, with the reason and without their bodies',
          parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } }],
          responses: { '200': { description: '{ deadLetters }' }, ...errors },
        },
      },
      '/webhooks/dead-letters/{id}/replay': {
        post: {
          summary: 'Queue a dead letter again (its stored body, through the same processing)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'shop-eu|2c1f…' } }],
          responses: {
            '202': { description: '{ id, replay }' },
            '404': { description: 'No such dead letter', ...json('Error') },
            ...errors,
          },
        },
      },
      '/connections': {
        post: {
          summary:
            'Connect a channel, ERP or carrier; its credentials are stored encrypted and never returned. Creates its Temporal schedules',
          requestBody: json('ConnectionInput'),
          responses: {
            '201': { description: 'The connection (without credentials), its schedules and webhookUrl' },
            '409': { description: 'Exists', ...json('Error') },
            ...errors,
          },
        },
        get: { summary: 'All connections, without credentials', responses: { '200': { description: '{ connections }' }, ...errors } },
      },
      '/connections/{id}': {
        get: {
          summary: 'One connection, without credentials',
          parameters: [connectionParam],
          responses: {
            '200': { description: 'The connection' },
            '404': { description: 'No such connection', ...json('Error') },
            ...errors,
          },
        },
        patch: {
          summary: 'Change options, credentials, stock feeds or enabled; the schedules follow',
          parameters: [connectionParam],
          requestBody: json('ConnectionPatch'),
          responses: {
            '200': { description: 'The connection and its schedules' },
            '404': { description: 'No such connection', ...json('Error') },
            ...errors,
          },
        },
        delete: {
          summary: 'Remove a connection and its schedules',
          parameters: [connectionParam],
          responses: { '204': { description: 'Removed' }, '404': { description: 'No such connection', ...json('Error') }, ...errors },
        },
      },
      '/connections/{id}/test': {
        post: {
          summary: 'One cheap authenticated call to the system behind the connection',
          parameters: [connectionParam],
          responses: {
            '200': { description: '{ ok: true, latencyMs }' },
            '404': { description: 'No such connection', ...json('Error') },
            '502': { description: "The system refused the connection's credentials or failed", ...json('Error') },
            ...errors,
          },
        },
      },
      '/connections/{id}/sync': {
        post: {
          summary: 'Run its order poll and stock reconciliation (or ERP receipt pull) now, beside its schedules',
          parameters: [connectionParam],
          responses: { '202': { description: '{ triggered }' }, '404': { description: 'No such connection', ...json('Error') }, ...errors },
        },
      },
      '/connections/{id}/catalog/import': {
        post: {
          summary:
            "Import the channel's product variants as items (Shopify: productVariants; Amazon: listings): a sku the catalogue lacks is created (through the sku map) with the channel's ids under channels.<connection id>; one it has keeps its fields and gets the channel's ids recorded; a variant the channel sells as a pre-order (Shopify: a PRE_ORDER selling plan fulfilled at an exact time, still to come) marks its item preorder.releaseAt, and an item whose date is the channel's follows it (changed, or removed when the plan is gone or its date passed; a date set in Orderhub is left); a variant without a usable sku is named and skipped. The same import runs on the connection's catalogue schedule (sync.catalogEveryMinutes, daily by default)",
          parameters: [connectionParam],
          responses: {
            '200': {
              description:
                '{ connectionId, created: [sku], existing, linked, skipped: [{ channelSku, variant, reason }], preorders: { marked: [sku], cleared: [sku] } }',
            },
            '404': { description: 'No such connection', ...json('Error') },
            ...errors,
          },
        },
      },
      '/connections/{id}/sku-map': {
        get: {
          summary: "The connection's sku map: channel skus that differ from Orderhub's",
          parameters: [connectionParam],
          responses: {
            '200': { description: '{ connectionId, entries: [{ channelSku, sku }] }' },
            '404': { description: 'No such connection', ...json('Error') },
            ...errors,
          },
        },
        put: {
          summary:
            'Replace the sku map whole: orders arrive with channelSku and are taken as sku; stock for sku is sent as channelSku. Every sku must be in the catalogue',
          parameters: [connectionParam],
          requestBody: json('SkuMap'),
          responses: {
            '200': { description: 'The map as stored' },
            '404': { description: 'No such connection', ...json('Error') },
            ...errors,
          },
        },
      },
      '/connections/{id}/stock-sync': {
        get: {
          summary:
            'What was last pushed to this connection, per sku and channel location: the available quantity, when, and whether a change or a reconciliation sent it',
          parameters: [connectionParam, { name: 'sku', in: 'query', schema: { type: 'string' } }],
          responses: {
            '200': { description: '{ connectionId, pushes }' },
            '404': { description: 'No such connection', ...json('Error') },
            ...errors,
          },
        },
      },
      '/health': {
        get: {
          summary: 'Temporal, MongoDB and Redis reachability; 503 when one is down',
          security: [],
          responses: { '200': { description: 'All up' }, '503': { description: 'Something is down' } },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (text format 0.0.4); needs metrics:read (admins, operators) or the METRICS_TOKEN bearer token',
          description:
            'orderhub_http_request_duration_seconds{method,route,status_class}, orderhub_orders{status,channel} (orders in progress, read at most every 20 s), orderhub_orders_needs_attention, orderhub_webhook_dead_letters, orderhub_webhooks_received_total{outcome}, orderhub_connector_calls_total{connector,outcome} and orderhub_connector_call_retries_total{connector,reason} (calls this process made), BullMQ queue depths (bullmq_job_count{queue,state}, bullmq_job_completed_total, bullmq_job_failed_total) and the process metrics of prom-client. Not JSON. The queues are also shown by bull-board at /admin/queues (HTML, needs queues:manage: admins only).',
          responses: {
            '200': { description: 'Prometheus text', content: { 'text/plain': { schema: { type: 'string' } } } },
            ...errors,
          },
        },
      },
      '/metrics/orders': {
        get: {
          summary:
            "Seed 003's order metrics over the orders received in a period, of one channel or all (reports:read: admins, operators, customer service, read-only)",
          description:
            'Each metric: name, label, value (null when it cannot be computed), unit, formula (in words), inputs (the numbers that went in), and where it applies note, unavailable (why an OMS cannot know it), breakdown (per currency, per picker) and distribution (cycle times). Average order value, cycle time (internal: released to shipped; full: placed to delivered), on-time shipping (against the SLA; the channel promise is unavailable), fill rate (units), perfect order rate, orders picked per hour (per picker), return rate, scrap rate, shipping cost per order, purchasing frequency, cost per order (from PUT /metrics/order-costs), cart abandonment and order placement percentage (unavailable). Money is per currency, never converted. Also daily: orders and revenue per day. A period holding more than 20000 orders is refused (400 naming from).',
          parameters: [
            {
              name: 'from',
              in: 'query',
              required: false,
              schema: { type: 'string' },
              description: 'YYYY-MM-DD (UTC, included) or an ISO date-time; default 30 days before to',
            },
            {
              name: 'to',
              in: 'query',
              required: false,
              schema: { type: 'string' },
              description: 'YYYY-MM-DD (UTC, included) or an ISO date-time (excluded); default now; at most 92 days after from',
            },
            { name: 'channel', in: 'query', required: false, schema: { type: 'string', pattern: '^[a-z0-9_-]{1,32}$' } },
          ],
          responses: {
            '200': { description: '{ period: { from, to }, channel, ordersReceived, metrics: [...], daily: [...] }' },
            ...errors,
          },
        },
      },
      '/metrics/order-costs': {
        get: {
          summary: 'The monthly costs behind cost per order (reports:read)',
          responses: { '200': { description: '{ costs: [{ month, label, amount, currency }], updatedAt, updatedBy }' }, ...errors },
        },
        put: {
          summary:
            "Replace the monthly costs (staff, rent, packaging...) whole: each month's amount in minor units is spread over its days for cost per order (settings:write)",
          requestBody: { required: true, ...json('OrderCosts') },
          responses: { '200': { description: 'Stored: { costs, updatedAt, updatedBy }' }, ...errors },
        },
      },
      '/orders': {
        post: {
          summary: 'Capture an order (manual, phone or POS entry). Repeats of the same channel order id are harmless.',
          description:
            "A line with preorder.releaseAt, or for an item the catalogue sells as a pre-order, is a pre-order line and the order is a pre_order: each such line claims its quantity of the stock open purchase orders still expect (first come, first served), reserves as the stock arrives ahead of normal orders, and goes to the warehouse on its release date. A release date in the past is refused (400 naming lines.N.preorder.releaseAt). A line with dropShip { supplierId } (or for an item the catalogue has drop-shipped) goes to that supplier as a purchase order; an order whose every line does is a drop_ship order, one mixing stocked and drop-shipped lines keeps its type and ships in parts (each supplier's lines a part, the stocked lines from a location); such an order cannot be fulfillment.allowSplit false, nor sent as type drop_ship (400 naming the field).",
          requestBody: json('OrderInput'),
          responses: {
            '202': { description: 'Captured; the order workflow started' },
            '200': { description: 'Already captured earlier' },
            '409': {
              description:
                'A pre-order line asks for more than can still be claimed: details { path, sku, requested, inbound, claimed, claimable }; nothing was written',
              ...json('Error'),
            },
            ...errors,
          },
        },
        get: {
          summary: 'List orders, newest first',
          parameters: [
            { name: 'status', in: 'query', schema: { enum: [...ORDER_STATUSES] } },
            { name: 'channel', in: 'query', schema: { type: 'string' } },
            { name: 'sku', in: 'query', schema: { type: 'string' }, description: 'orders with a line of this sku' },
            {
              name: 'customer',
              in: 'query',
              schema: { type: 'string', maxLength: 254 },
              description:
                "Orders of one customer: an email (any case, surrounding spaces ignored) or the channel's customer id. Combines with status, channel, from and to; 400 naming customer when it is neither",
            },
            { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' } },
            { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor from the previous page' },
          ],
          responses: { '200': { description: '{ orders, nextCursor? }' }, ...errors },
        },
      },
      '/orders/late': {
        get: {
          summary: 'Orders running late (past the SLA of a stage), not yet final; found by the OrderLate search attribute',
          parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 200 } }],
          responses: { '200': { description: '{ orders }: each with lateStages (the stages and when they were due)' }, ...errors },
        },
      },
      '/orders/import': {
        post: {
          summary:
            'Import orders in bulk (B2B), up to 10,000 per file: text/csv, one row per order line (rows with the same order_ref are one order; columns order_ref, channel (default b2b), currency, customer_name, customer_email, customer_phone, customer_id, customer_account, purchase_order_ref, ship_name, ship_company, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, ship_country, ship_phone, shipping, payment_method, net_days (paid on invoice), allow_split, priority, notes, placed_at, sku, name, quantity, unit_price, discount, tax; amounts as decimals in the order currency), or application/json { orders: [OrderInput] }',
          description:
            'Every row is checked and each problem named by row (CSV: the file line, the header is 1; JSON: the order from 1) and column. An order with a bad row or an unknown sku is left out whole; lines for items the catalogue drop-ships or sells as pre-orders take the item setting (no column needed), and an order that would mix drop-shipped and stocked lines is left out naming the row; each pre-order claims its share of the inbound stock in file order as POST /orders does, one beyond what is left to claim left out naming its row and quantity with the 409 message; the others are captured exactly once by an import workflow (import:<importId>). The import id is derived from the file: the same file uploaded again answers 200 with the same import and captures nothing.',
          requestBody: {
            content: {
              'text/csv': { schema: { type: 'string' } },
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['orders'],
                  properties: { orders: { type: 'array', maxItems: 10000, items: { $ref: '#/components/schemas/OrderInput' } } },
                },
              },
            },
          },
          responses: {
            '202': {
              description:
                'The import: importId, rows, orders to capture, invalidRows, refusedOrders, problems [{ row, column, message }], progress',
            },
            '200': { description: 'This file was imported before: its import' },
            ...errors,
            '400': {
              description: 'No order in the file can be imported (every problem named: rows.<row>.<column>), or neither CSV nor JSON',
              ...json('Error'),
            },
            '413': { description: 'Larger than 25 MB' },
          },
        },
      },
      '/imports/{id}': {
        get: {
          summary: 'A bulk import: its problems and progress (chunks captured, orders captured, orders Orderhub had already)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^imp_[0-9a-f]{32}$' } }],
          responses: { '200': { description: 'The import' }, '404': { description: 'No such import' }, ...errors },
        },
      },
      '/orders/{id}': {
        get: {
          summary: 'One order with its full state history',
          description:
            'The channel may change an order it sent (a Shopify order edit): before picking the order takes the new contact, addresses and lines (its stock follows, and the history names what changed); from picking on it is left as it is and the change is listed in `notices` for an operator. An order waiting for stock (`awaiting_stock`) shows `promise: { date, reason?, basis: [{ sku, from, expectedDate, quantity }], updatedAt }`: the date its lines are covered, from `stock` available now or a purchase order id on its expected date (`date: null` with the reason when nothing inbound covers it); an order no longer waiting shows none. A pre-order shows `preorder: { releaseAt, releasedAt?, claims: [{ sku, quantity, seq, at, status }] }` (status active, reserved, cancelled or refused); it waits in `stock_reserved` with its stock held until releaseAt.',
          parameters: [idParam],
          responses: {
            '200': {
              description: 'The order view: its state (status, stage, history, payment, allocation or parts, notices, ...) and the order',
              ...json('OrderView'),
            },
            '404': { description: 'No such order' },
            ...errors,
          },
        },
      },
      '/orders/{id}/cancel': command('Cancel before shipment: releases stock, voids or refunds payment', 'Reason'),
      '/orders/{id}/lines/cancel': command(
        'Cancel some lines or units before they ship (lines: sku and quantity, optional reason): exactly those units are given back to stock and their money (price less their share of the line discount, plus tax) is voided, or refunded when already captured; recorded in cancelledLines. Refused (409) once the part holding a line is picked, before the payment is settled, or while the order is on hold or needs attention; 400 names every line not on the order, more units than are left, or a cancel of every remaining unit (cancel the order instead)',
        'CancelLines',
      ),
      '/orders/{id}/hold': command('Put the order on hold where it stands', 'Reason'),
      '/orders/{id}/release': command('Release a held order'),
      '/orders/{id}/retry': command('Retry the failed step of an order in needs_attention'),
      '/orders/{id}/events': command(
        'Report warehouse or carrier progress: picked, packed (parcels), shipped (carrier, trackingNumber), delivered; for a split order, per part (part)',
        'FulfillmentEvent',
      ),
      '/orders/{id}/allocation/reject': command(
        'The allocated location cannot fill the order (reason not_in_stock or damaged, optional skus, note; locationId names the part of a split order): its reservation is released, its stock corrected, and the whole order routed again without it. A part filled from the backorder after the first parts were picked may be rejected by its location until it is picked (part names it when the location holds several): its reservation is released, its stock corrected, and its units are backordered again, filled from the next stock wherever it arrives',
        'AllocationRejection',
      ),
      '/orders/{id}/pickup': command('A pickup order was collected at its store (only when ready_for_pickup)'),
      '/orders/{id}/payment/confirm': command('Confirm a manual payment the order is waiting for'),
      '/orders/{id}/payment/decline': command('Decline the payment: the order is rejected', 'Reason'),
      '/orders/{id}/drop-ship/reroute': command(
        'Send a drop-ship part its supplier refused (the order in needs_attention, step supplier_refused) to another drop-ship supplier: a new purchase order to it, the refused one kept in dropShip.purchaseOrders. supplierId must exist and drop-ship (400); part is required for an order with several suppliers. Refused (409) unless the part waits on a refusal, or when the supplier already had the part',
        'DropShipReroute',
      ),
      '/locations': {
        post: {
          summary: 'Create a location',
          requestBody: json('Location'),
          responses: { '201': { description: 'Created' }, '409': { description: 'Exists' }, ...errors },
        },
        get: { summary: 'All locations in allocation order', responses: { '200': { description: '{ locations }' } } },
      },
      '/locations/{id}': {
        get: {
          summary: 'One location',
          parameters: [locationParam],
          responses: { '200': { description: 'The location' }, '404': { description: 'No such location', ...json('Error') }, ...errors },
        },
      },
      '/items': {
        post: {
          summary: 'Create an item',
          requestBody: json('Item'),
          responses: { '201': { description: 'Created' }, '409': { description: 'Exists' }, ...errors },
        },
        get: {
          summary: 'The catalogue in sku order; search matches the start of a sku or any part of a name, in any case',
          parameters: [
            { name: 'search', in: 'query', schema: { type: 'string', maxLength: 100 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the page before' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
          ],
          responses: { '200': { description: '{ items, nextCursor? }' }, ...errors },
        },
      },
      '/items/{sku}': {
        get: {
          summary: 'One item',
          parameters: [skuParam],
          responses: { '200': { description: 'The item' }, '404': { description: 'No such item' } },
        },
        patch: {
          summary:
            'Change an item: any of name, barcode, weightGrams, dimensionsMm, allowBackorder, preorder { releaseAt } (sold as a pre-order until then; a date in the past is refused) (null removes an optional one)',
          parameters: [skuParam],
          requestBody: json('ItemPatch'),
          responses: { '200': { description: 'The item as changed' }, '404': { description: 'No such item', ...json('Error') }, ...errors },
        },
      },
      '/stock/receipts': {
        post: {
          summary:
            'Receive stock (applied once per idempotencyKey or Idempotency-Key header); the stock is offered to the orders waiting for it, first come, first served',
          requestBody: json('StockReceipt'),
          responses: {
            '201': { description: 'Applied: { entry, duplicate, idempotencyKey, waitingOrders }' },
            '200': { description: 'Already applied' },
            ...errors,
            '503': {
              description:
                'Not applied now (the store is busy or away): send it again with the idempotencyKey in details, Retry-After seconds later',
              ...json('Error'),
            },
          },
        },
      },
      '/stock/adjustments': {
        post: {
          summary: 'Adjust on-hand stock with a reason',
          requestBody: json('StockAdjustment'),
          responses: {
            '201': { description: 'Applied: { entry, duplicate, idempotencyKey, waitingOrders }' },
            '200': { description: 'Already applied' },
            '409': { description: 'Would leave a negative balance' },
            ...errors,
            '503': { description: 'Not applied now: send it again with the idempotencyKey in details', ...json('Error') },
          },
        },
      },
      '/stock/quarantine': {
        post: {
          summary:
            'Decide quarantined units (held by a return inspection): release (sellable again, offered to waiting orders and pushed to channels) or scrap (written off; reason required)',
          requestBody: json('QuarantineDecision'),
          responses: {
            '201': { description: 'Applied: { entry, duplicate, idempotencyKey, waitingOrders }' },
            '200': { description: 'Already applied' },
            '409': { description: 'More than is quarantined there' },
            ...errors,
            '503': { description: 'Not applied now: send it again with the idempotencyKey in details', ...json('Error') },
          },
        },
      },
      '/stock/{sku}': {
        get: {
          summary:
            'On hand, reserved, quarantined and available per location and in total; what open purchase orders still expect (inbound, per order with its expected date, and inboundByLocation); the pre-orders claiming it (preorders)',
          parameters: [skuParam],
          responses: {
            '200': {
              description:
                '{ sku, total, locations, inbound: [{ locationId, quantity, expectedDate, purchaseOrderId }], inboundByLocation: [{ locationId, quantity, nextExpectedDate }], preorders: { claimed, claimable, claims: [{ orderId, quantity, claimedAt }] } }',
            },
            '404': { description: 'No such item' },
          },
        },
      },
      '/stock/{sku}/ledger': {
        get: {
          summary: 'The append-only ledger of a sku',
          parameters: [
            skuParam,
            { name: 'locationId', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer' } },
          ],
          responses: { '200': { description: '{ sku, entries }' } },
        },
      },
      '/stock/{sku}/locations/{locationId}/ledger': {
        get: {
          summary:
            'The ledger of a sku at one location, newest first, a page at a time: each entry with its type, quantity, the balance after it, actor, reference, reason and note. nextBefore (null on the last page) is the before of the next page',
          parameters: [
            skuParam,
            { name: 'locationId', in: 'path', required: true, schema: { type: 'string', example: 'BER-1' } },
            { name: 'before', in: 'query', schema: { type: 'integer', minimum: 1 }, description: 'Entries below this sequence number' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 25 } },
          ],
          responses: {
            '200': {
              description: '{ sku, locationId, entries: [{ id, seq, type, quantity, deltas, balance, actor, at, ... }], nextBefore }',
            },
            '404': { description: 'No such item or location', ...json('Error') },
            ...errors,
          },
        },
      },
      '/low-stock': {
        get: {
          summary:
            'Low-stock items: every sku and location of the last replenishment recompute whose available plus inbound stock is now at or below its reorder point, furthest below first, with what to order up to its order-up-to level. Empty until a recompute has run',
          parameters: [{ name: 'locationId', in: 'query', schema: { type: 'string' }, description: 'Only this location' }],
          responses: {
            '200': {
              description:
                '{ runId, computedAt, items: [{ sku, locationId, onHand, available, inbound, position, reorderPoint, orderUpTo, toOrder, source, supplierId }] }',
            },
            '404': { description: 'No such location', ...json('Error') },
            ...errors,
          },
        },
      },
      '/routing/rules': {
        get: {
          summary: 'The routing rule set, in the order the rules run',
          responses: { '200': { description: '{ rules, updatedAt, updatedBy }' }, ...errors },
        },
        put: {
          summary: 'Replace the routing rule set (filters, sort, what to do when nothing fits; per channel or for all)',
          requestBody: json('RoutingRules'),
          responses: { '200': { description: 'Stored' }, ...errors },
        },
      },
      '/return-policy': {
        get: {
          summary:
            'The return policy (the defaults until one is set): window per channel, reasons, resolutions, label, restocking fee, non-returnable skus',
          responses: { '200': { description: '{ policy, isDefault, updatedAt, updatedBy }' }, ...errors },
        },
        put: {
          summary: 'Replace the return policy whole; a field left out takes its default. Every non-returnable sku must be in the catalogue',
          requestBody: json('ReturnPolicy'),
          responses: { '200': { description: 'Stored: { policy, isDefault: false, updatedAt, updatedBy }' }, ...errors },
        },
      },
      '/orders/{id}/returns': {
        get: {
          summary: "The order's returns, oldest first",
          parameters: [idParam],
          responses: { '200': { description: '{ returns }' }, '404': { description: 'No such order' }, ...errors },
        },
        post: {
          summary:
            'Ask for a return: lines and quantities, a reason code and the resolution wanted (refund, exchange with exchangeLines, store_credit). Checked against what was delivered less earlier returns, then decided by the return policy (approved, or held for review); the decision and why are on the return, which runs as the workflow return:<orderId>:<n>',
          parameters: [idParam, { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } }],
          requestBody: json('ReturnRequest'),
          responses: {
            '201': { description: 'The return, with its decision' },
            '200': { description: 'The return this Idempotency-Key made before' },
            '404': { description: 'No such order' },
            '409': {
              description:
                'Refused by the return policy: details name the rule (not_delivered, window_closed, non_returnable, resolution_not_offered, unknown_reason) and why',
              ...json('Error'),
            },
            ...errors,
          },
        },
      },
      '/returns/{id}': {
        get: {
          summary: 'A return: status and history, request, decision, receipt, inspection, refund or credit note',
          parameters: [returnParam],
          responses: { '200': { description: 'The return' }, '404': { description: 'No such return' }, ...errors },
        },
      },
      '/returns/{id}/approve': returnCommand('Approve a return held for review (optional reason)', 'Reason'),
      '/returns/{id}/reject': returnCommand('Reject a return held for review (optional reason)', 'Reason'),
      '/returns/{id}/receive': returnCommand(
        'The items are back at a location: a warehouse, or a store (buy online, return in store) where the store operator scans them (scanned) and may decide each line at once (inspection)',
        'ReturnReceipt',
      ),
      '/returns/{id}/inspect': returnCommand(
        'Decide each received unit: restock (sellable again, pushed to channels), quarantine (on hand, not sellable) or scrap (written off, reason required); each a ledger entry at the receiving location, then the refund or credit note',
        'Inspection',
      ),
      '/returns/{id}/label': returnCommand(
        'Enter the tracking number of a parcel the customer sends back another way (no return label was bought): carrier, or a carrierConnectionId whose signed tracking webhooks then move the return',
        'ReturnLabel',
      ),
      '/returns/{id}/cancel': returnCommand('Cancel a return whose items have not arrived (optional reason)', 'Reason'),
      '/returns/{id}/retry': returnCommand('Retry the failed step of a return in needs_attention'),
      '/routing/postal-prefixes': {
        get: {
          summary: 'How many postal-code prefixes are loaded, per country',
          responses: { '200': { description: '{ rows, countries }' }, ...errors },
        },
        put: {
          summary:
            'Replace the postal-code prefix table that places addresses without coordinates: text/csv, or JSON { csv }, header country,prefix,latitude,longitude',
          responses: { '200': { description: '{ rows, updatedAt }' }, ...errors },
        },
      },
      '/carrier-rules': {
        get: { summary: 'The carrier rules', responses: { '200': { description: '{ rules, updatedAt, updatedBy }' }, ...errors } },
        put: {
          summary:
            'Replace the carrier rules: per region or postal prefix, carrier services in priority order (carrier = a carrier connection id), and how to choose among their rates (priority, cheapest, fastest_within_promise)',
          requestBody: json('CarrierRules'),
          responses: { '200': { description: 'Stored' }, ...errors },
        },
      },
      '/routing/simulate': {
        post: {
          summary:
            "Where an order (stored, by orderId, or described: channel, lines, shippingAddress) would be fulfilled and why, with live stock and each location's capacity left today; nothing is reserved. `rules` tries a draft set.",
          responses: {
            '200': { description: '{ decision, explanation, stock, capacity: { <locationId>: { unitsPerDay, used, left } } }' },
            '404': { description: 'No such order' },
            ...errors,
          },
        },
      },
      '/locations/{id}/bins': {
        get: {
          summary: 'Where each sku sits at this location (sku → bin code)',
          parameters: [locationParam],
          responses: {
            '200': { description: '{ locationId, bins, updatedAt?, updatedBy? }' },
            '404': { description: 'No such location' },
            ...errors,
          },
        },
        put: {
          summary: 'Replace the whole sku → bin map of a location; unknown skus are named one by one',
          parameters: [locationParam],
          requestBody: json('BinLocations'),
          responses: { '200': { description: 'Stored, bins in canonical form' }, '404': { description: 'No such location' }, ...errors },
        },
      },
      '/locations/{id}/picklists': {
        get: {
          summary: "A location's newest picklists, each with its status (picking, complete or closed), totals and current stop",
          parameters: [locationParam, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } }],
          responses: {
            '200': {
              description: '{ locationId, picklists: [{ id, createdAt, createdBy, orders, stops, status, currentStop, totals }] }',
            },
            '404': { description: 'No such location', ...json('Error') },
            ...errors,
          },
        },
      },
      '/picklists': {
        post: {
          summary:
            'Batch the released orders at a location that are on no picklist yet into one picklist: each bin visited once, in walking order. An order goes on one picklist only.',
          requestBody: json('PicklistRequest'),
          responses: {
            '201': { description: '{ picklist, progress }' },
            '409': {
              description: 'No released order at the location is waiting for a picklist, or none fits the criteria',
              ...json('Error'),
            },
            ...errors,
          },
        },
      },
      '/picklists/{id}': {
        get: {
          summary: 'A picklist with its pick progress: stops, current stop, what each order got',
          parameters: [picklistParam],
          responses: { '200': { description: '{ picklist, progress }' }, '404': { description: 'No such picklist' }, ...errors },
        },
      },
      '/picklists/{id}/scans': {
        post: {
          summary: 'Confirm a pick: a barcode or sku and a quantity, at any stop. Applied once per idempotencyKey.',
          parameters: [picklistParam],
          requestBody: json('Scan'),
          responses: {
            '201': { description: '{ picklistId, duplicate: false, progress }' },
            '200': { description: 'Already applied (same idempotencyKey)' },
            '404': { description: 'No such picklist' },
            '409': { description: 'Refused: the item is not on the list, or more units than the list still needs', ...json('Error') },
            ...errors,
          },
        },
      },
      '/picklists/{id}/short': {
        post: {
          summary:
            'Record units missing from a bin; answers the order lines made short (lowest-ranked orders first), and each such order is routed again without this location (reroutes).',
          parameters: [picklistParam],
          requestBody: json('ShortPick'),
          responses: {
            '201': { description: '{ picklistId, shortLines, reroutes, progress }' },
            '200': { description: 'Already applied (same idempotencyKey)' },
            '404': { description: 'No such picklist, or the sku is not on it' },
            '409': { description: 'More units short than the list still needs, or the list is closed', ...json('Error') },
            ...errors,
          },
        },
      },
      '/picklists/{id}/close': {
        post: {
          summary:
            'Close the list (finished, or abandoned): no more scans; orders fully picked stay on it, every other order is released from it for the next picklist. Closing again answers the first close.',
          parameters: [picklistParam],
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } },
                  additionalProperties: false,
                },
              },
            },
          },
          responses: {
            '201': { description: '{ picklistId, kept, released, progress }' },
            '200': { description: 'Already closed: the first close (duplicate: true)' },
            '404': { description: 'No such picklist' },
            ...errors,
          },
        },
      },
      '/orders/{id}/documents': {
        get: {
          summary:
            'Documents available for an order: packing slip (one per part of a split order), invoice, shipping labels (one per parcel; source carrier or orderhub), the picklists that hold it, and per return its return authorisation (once approved) and credit note (once refunded or credited), each with its id and URL',
          parameters: [idParam],
          responses: {
            '200': {
              description:
                '{ orderId, documents: [{ id, kind, title, contentType, url, part?, parcel?, trackingNumber?, source?, returnId?, number? }] }',
            },
            '404': { description: 'No such order' },
            ...errors,
          },
        },
      },
      '/documents/{id}': {
        get: {
          summary:
            "Render a document as PDF from stored facts: doc:packing_slip:<orderId>[|part:<n>], doc:invoice:<orderId>, doc:shipping_label:<orderId>[|part:<n>][|parcel:<k>], doc:picklist:<picklistId>, doc:return_authorisation:<returnId>, doc:credit_note:<returnId>. A label the carrier issued as a file answers 302 to the carrier's URL.",
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'doc:invoice:order:shopify:450789469' } },
          ],
          responses: {
            '200': {
              description: 'The PDF (Content-Disposition names the file)',
              content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
            },
            '302': { description: "The carrier's own label file" },
            '404': {
              description:
                'No such order, part, label, picklist or return, or not yet: a return authorisation before the return is approved (none once rejected or cancelled), a credit note before it is refunded',
            },
            ...errors,
          },
        },
      },
      '/customer-notifications': {
        get: {
          summary:
            'The customer notifications outbox, oldest first: ready_for_pickup, shipped (per part of a split order, with carrier and tracking number), delivered. Whatever sends email or SMS reads it, then marks each sent.',
          parameters: [
            { name: 'status', in: 'query', schema: { enum: ['pending', 'sent', 'failed', 'skipped'] } },
            { name: 'orderId', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
          ],
          responses: {
            '200': {
              description:
                '{ notifications: [{ id, orderId, kind, part?, channel, to, details, status, at, sentAt?, messageId?, attempts: [{ at, ok, error?, ms }], error?, failedAt?, retries? }] }',
            },
            ...errors,
          },
        },
      },
      '/customer-notifications/{id}/sent': {
        post: {
          summary: 'Mark a notification sent (id <orderId>|<kind>[|part:<n>], URL-encoded); repeating it changes nothing',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'order:manual:PO-1001|shipped' } }],
          responses: { '200': { description: 'The notification, now sent' }, '404': { description: 'No such notification' }, ...errors },
        },
      },
      '/customer-notifications/{id}/retry': {
        post: {
          summary:
            'Send a failed notification again (the worker mailer gives it its full count of tries again); its attempt log stays. Body: {}',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'order:manual:PO-1001|shipped' } }],
          responses: {
            '200': { description: 'The notification, pending again (retries counts the operator retries)' },
            '404': { description: 'No such notification' },
            '409': { description: 'The notification is not failed (pending, sent or skipped)' },
            ...errors,
          },
        },
      },
      '/orders/{id}/notifications': {
        get: {
          summary:
            "An order's customer notifications, oldest first, each with its status (pending, sent, failed, skipped), Message-ID and every try of the mailer",
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'order:manual:PO-1001' } }],
          responses: {
            '200': {
              description:
                '{ orderId, notifications: [...] (as GET /customer-notifications), webhookDeliveries: [{ id, eventId, eventType, subscriberId, status, replays, attempts: [{ at, statusCode?, ms, error? }], error? }] }',
            },
            ...errors,
          },
        },
      },
      '/webhook-subscribers': {
        post: {
          summary:
            'Subscribe a URL to outbound webhooks (admins): { url, events: ["order.status_changed", "return.status_changed"], description? }. The answer carries the signing secret, shown this once. Each event is POSTed as JSON with the header Orderhub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>, and Orderhub-Event-Id, Orderhub-Event-Type, Orderhub-Delivery-Id; a non-2xx answer is retried with exponential backoff. URLs must be https in production.',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
          responses: { '201': { description: '{ id, url, events, description?, enabled, createdAt, secret }' }, ...errors },
        },
        get: {
          summary: 'The outbound webhook subscribers (admins), without their secrets',
          responses: {
            '200': {
              description: '{ subscribers: [{ id, url, events, description?, enabled, createdAt, secretRotatedAt?, disabledAt? }] }',
            },
            ...errors,
          },
        },
      },
      '/webhook-subscribers/{id}/disable': {
        post: {
          summary: 'Stop sending to a subscriber (admins); deliveries still pending fail with "subscriber disabled". Body: {}',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'sub_0123456789abcdef' } }],
          responses: { '200': { description: 'The subscriber, disabled' }, '404': { description: 'No such subscriber' }, ...errors },
        },
      },
      '/webhook-subscribers/{id}/rotate-secret': {
        post: {
          summary: 'A new signing secret for a subscriber (admins), shown this once; deliveries from now on are signed with it. Body: {}',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'sub_0123456789abcdef' } }],
          responses: {
            '200': { description: 'The subscriber and its new secret' },
            '404': { description: 'No such subscriber' },
            ...errors,
          },
        },
      },
      '/webhook-deliveries/{id}/replay': {
        post: {
          summary:
            'Send an outbound webhook delivery (<eventId>|<subscriberId>, URL-encoded) again, delivered or failed, with the same event id; its attempt log goes on. Body: {}',
          parameters: [
            {
              name: 'id',
              in: 'path',
              required: true,
              schema: { type: 'string', example: 'order:manual:PO-1001|shipped|5|sub_0123456789abcdef' },
            },
          ],
          responses: {
            '200': { description: 'The delivery, pending again (replays counts the replays)' },
            '404': { description: 'No such delivery' },
            '409': { description: 'The delivery is still being sent' },
            ...errors,
          },
        },
      },
      '/dev/mail': {
        get: {
          summary:
            'What the local mail server (npm start, tests) received, newest first: only while it is in use (404 with a real SMTP_URL). Admins and operators (notifications:mailbox).',
          parameters: [
            { name: 'to', in: 'query', schema: { type: 'string', format: 'email' }, description: 'Only mail to this address' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
          ],
          responses: {
            '200': { description: '{ messages: [{ id, messageId, from, to, subject, text, html, headers, receivedAt }] }' },
            '404': { description: 'No local mail server is in use' },
            ...errors,
          },
        },
      },
      '/suppliers': {
        post: {
          summary: 'Add a supplier: id, name, lead time in days, currency, contact email',
          requestBody: json('Supplier'),
          responses: { '201': { description: 'The supplier' }, '409': { description: 'A supplier with this id exists' }, ...errors },
        },
        get: {
          summary: 'Suppliers in id order, a page at a time',
          parameters: [
            { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the page before' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
          ],
          responses: { '200': { description: '{ suppliers, nextCursor? }' }, ...errors },
        },
      },
      '/suppliers/{id}': {
        get: {
          summary: 'One supplier',
          parameters: [supplierParam],
          responses: { '200': { description: 'The supplier' }, '404': { description: 'No such supplier' }, ...errors },
        },
      },
      '/purchase-orders': {
        post: {
          summary:
            'Create a purchase order: supplier, destination location, lines (sku, quantity, unitCost in minor units), expected date (default: today plus the supplier lead time), status draft (default) or open. Unknown supplier, location and skus are each named',
          requestBody: json('PurchaseOrderInput'),
          responses: {
            '201': { description: 'The purchase order' },
            '409': { description: 'A purchase order with this id exists' },
            ...errors,
          },
        },
        get: {
          summary: 'Purchase orders in id order, filtered by status, supplier and sku, a page at a time',
          parameters: [
            { name: 'status', in: 'query', schema: { enum: [...PURCHASE_ORDER_STATUSES] } },
            { name: 'supplierId', in: 'query', schema: { type: 'string' } },
            { name: 'sku', in: 'query', schema: { type: 'string' } },
            { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the page before' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
          ],
          responses: { '200': { description: '{ purchaseOrders, nextCursor? }' }, ...errors },
        },
      },
      '/purchase-orders/{id}': {
        get: {
          summary: 'A purchase order: status, lines with received, cancelled and outstanding quantities, receipts and history',
          parameters: [poParam],
          responses: { '200': { description: 'The purchase order' }, '404': { description: 'No such purchase order' }, ...errors },
        },
        patch: {
          summary: "Move the expected date of what is still expected (the supplier's new date), with an optional reason",
          parameters: [poParam],
          requestBody: json('PurchaseOrderPatch'),
          responses: {
            '200': { description: '{ purchaseOrder, changed }' },
            '404': { description: 'No such purchase order' },
            '409': { description: 'It is cancelled or fully received', ...json('Error') },
            ...errors,
          },
        },
      },
      '/purchase-orders/{id}/open': {
        post: {
          summary: 'Open a draft purchase order: its lines are expected stock from now on (opening an open one changes nothing)',
          parameters: [poParam],
          responses: {
            '200': { description: '{ purchaseOrder, changed }' },
            '404': { description: 'No such purchase order' },
            '409': { description: 'It is cancelled', ...json('Error') },
            ...errors,
          },
        },
      },
      '/purchase-orders/{id}/cancel': {
        post: {
          summary: 'Cancel the unreceived rest of a purchase order (optional reason); cancelling again changes nothing',
          parameters: [poParam],
          requestBody: json('Reason'),
          responses: {
            '200': { description: '{ purchaseOrder, changed }' },
            '404': { description: 'No such purchase order' },
            '409': { description: 'It is fully received', ...json('Error') },
            ...errors,
          },
        },
      },
      '/purchase-orders/{id}/receipts': {
        post: {
          summary:
            'Receive goods against a purchase order at its destination: each line applied to the stock ledger once per receiptId (or Idempotency-Key header), offered to waiting orders and pushed to channels. More than is still expected is refused naming the line unless overReceipt is true',
          parameters: [poParam, { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } }],
          requestBody: json('PurchaseOrderReceipt'),
          responses: {
            '201': { description: 'Applied: { purchaseOrder, receipt, duplicate: false, entries, waitingOrders, receiptId }' },
            '200': { description: 'This receiptId was applied before: its first answer, nothing new written' },
            '404': { description: 'No such purchase order' },
            '409': {
              description: 'A draft, cancelled or fully received purchase order, or a receiptId used for other lines',
              ...json('Error'),
            },
            ...errors,
            '503': {
              description:
                'Not finished now (the store is busy or away): send it again with the receiptId in details, which applies it once',
              ...json('Error'),
            },
          },
        },
      },
      '/purchase-orders/{id}/supplier-events': {
        post: {
          summary:
            "Record a drop-ship supplier's answer about its purchase order (suppliers reached by email, or an answer given by phone): confirmed, shipped (carrier and trackingNumber: the order's part ships) or refused (reason: the order waits in needs_attention). Applied once per eventId (or Idempotency-Key header), then told to the order",
          parameters: [poParam, { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } }],
          requestBody: json('SupplierEvent'),
          responses: {
            '201': { description: 'Recorded: { purchaseOrder, duplicate: false, eventId }' },
            '200': { description: 'This eventId was recorded before: nothing new written' },
            '404': { description: 'No such purchase order' },
            '409': {
              description: 'Not a drop-ship purchase order, or one that cannot take this answer now (shipped, cancelled, already refused)',
              ...json('Error'),
            },
            ...errors,
          },
        },
      },
      '/replenishment/settings/{sku}': {
        get: {
          summary:
            "A sku's replenishment settings (service level, review period, preferred supplier, unit cost, reorder point and order-up-to set by hand per location; defaults when none are stored) and the levels the last recompute computed per location, with the forecast behind them",
          parameters: [skuParam],
          responses: {
            '200': { description: '{ sku, serviceLevel, reviewPeriodDays, preferredSupplierId, unitCost?, locations, stored, computed }' },
            '404': { description: 'No such item' },
            ...errors,
          },
        },
        put: {
          summary:
            'Replace the settings of a sku: serviceLevel in (0.5, 0.999] (default 0.95), reviewPeriodDays (default 7), preferredSupplierId, unitCost (minor units, carried into suggestions), locations [{ locationId, reorderPoint, orderUpTo }] that win over the computed levels. An unknown sku, supplier or location is named with its path, all at once, and nothing is written. Used from the next recompute on',
          parameters: [skuParam],
          requestBody: json('ReplenishmentSettings'),
          responses: { '200': { description: 'The settings as stored' }, ...errors },
        },
      },
      '/replenishment/suggestions': {
        get: {
          summary:
            'Purchase orders to place, per supplier and destination: every sku and location whose available plus inbound stock is at or below its reorder point (from the last recompute), ordered up to its order-up-to level, each line with its reasoning (forecast daily demand, lead time, safety stock, reorder point, on hand, inbound). A group with a supplier carries purchaseOrder, a body for POST /purchase-orders',
          responses: {
            '200': {
              description:
                '{ runId, computedAt, purchaseOrders: [{ supplierId, locationId, supplierName?, leadTimeDays?, currency?, lines, purchaseOrder? }] }',
            },
            ...errors,
          },
        },
      },
      '/replenishment/suggestions/{supplierId}/order': {
        post: {
          summary:
            "Create the draft purchase order suggested now for a supplier and a destination ({ locationId }): the same as POST /purchase-orders with the suggestion's purchaseOrder",
          parameters: [{ name: 'supplierId', in: 'path', required: true, schema: { type: 'string', example: 'acme' } }],
          requestBody: {
            content: {
              'application/json': { schema: { type: 'object', properties: { locationId: { type: 'string' } }, required: ['locationId'] } },
            },
          },
          responses: {
            '201': { description: 'The draft purchase order' },
            '404': { description: 'Nothing is suggested for that supplier and location' },
            ...errors,
          },
        },
      },
      '/replenishment/recompute': {
        post: {
          summary:
            'Recompute now (the same as the nightly maintenance:replenishment schedule): starts replenishmentWorkflow, which counts finished days of demand, forecasts, sets reorder levels and queues low-stock alerts. An optional runId names the run; the same runId again answers the run it started',
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { runId: { type: 'string' } } } } } },
          responses: { '202': { description: '{ runId, workflowId, started }' }, ...errors },
        },
      },
      '/promises/recompute': {
        post: {
          summary:
            "Recompute now the promise dates of the orders waiting for a sku (and the skus they also wait for): each waiting order's date from stock available now and what purchase orders expect, by date. Purchase order changes do this themselves; GET /orders/:id shows the result as `promise`",
          parameters: [{ name: 'sku', in: 'query', required: true, schema: { type: 'string' } }],
          requestBody: { content: { 'application/json': { schema: { type: 'object', additionalProperties: false } } } },
          responses: { '200': { description: '{ skus, waiting, changed, notified, dropped }' }, ...errors },
        },
      },
      '/api-keys': {
        post: {
          summary:
            'Create an API key with a role (default admin) and, for warehouse or integration, its locations or connections; the key is shown once (keys:manage)',
          requestBody: { required: true, ...json('ApiKeyRequest') },
          responses: { '201': { description: '{ id, name, role, locations?, connections?, createdAt, key }' }, ...errors },
        },
        get: {
          summary: 'List API keys: id, name, role, scopes, createdAt, lastUsedAt; never the key or its hash (keys:manage)',
          responses: { '200': { description: '{ apiKeys: [...] }' }, ...errors },
        },
      },
      '/api-keys/{id}': {
        delete: {
          summary: 'Revoke a key: refused at once by this API process, by others within 10 s (keys:manage)',
          parameters: [keyParam],
          responses: { '200': { description: '{ id, revoked }' }, '404': { description: 'No such key', ...json('Error') }, ...errors },
        },
      },
      '/api-keys/{id}/rotate': {
        post: {
          summary: 'A new key with the same name, role and scopes; the old one stops (keys:manage)',
          parameters: [keyParam],
          responses: {
            '201': { description: '{ id, name, role, key, replaces }' },
            '404': { description: 'No such key, or it was rotated already', ...json('Error') },
            ...errors,
          },
        },
      },
      '/users': {
        post: {
          summary: 'Create a console user with a password (scrypt-hashed) and a role (users:manage)',
          requestBody: { required: true, ...json('UserRequest') },
          responses: {
            '201': { description: 'The user, without the password' },
            '409': { description: 'The email is taken', ...json('Error') },
            ...errors,
          },
        },
        get: { summary: 'List users (users:manage)', responses: { '200': { description: '{ users: [...] }' }, ...errors } },
      },
      '/users/{email}/disable': {
        post: {
          summary: 'Disable a user and end their sessions (users:manage)',
          parameters: [{ name: 'email', in: 'path', required: true, schema: { type: 'string', example: 'ada@example.com' } }],
          responses: {
            '200': { description: 'The user with disabledAt' },
            '404': { description: 'No such user', ...json('Error') },
            ...errors,
          },
        },
      },
      '/session': {
        post: {
          summary:
            'Sign in: a session token (Bearer) and an httpOnly cookie, valid 12 h; 401 alike for an unknown email and a wrong password; 429 after 10 failures for an email within 15 min. Writes authenticated by the cookie need X-Requested-With: orderhub-console',
          security: [],
          requestBody: { required: true, ...json('SignIn') },
          responses: { '201': { description: '{ token, expiresAt, user }' }, ...errors },
        },
        get: {
          summary: 'Who the caller is (key or user, role, scopes) and the permissions of its role',
          responses: { '200': { description: '{ principal, permissions }' }, ...errors },
        },
        delete: { summary: 'Sign out: the session ends', responses: { '200': { description: '{ signedOut }' }, ...errors } },
      },
      '/audit': {
        get: {
          summary: 'Successful writes newest first: actor, role, method, path, targets, status, time (audit:read)',
          parameters: [
            { name: 'actor', in: 'query', schema: { type: 'string' }, description: 'a key id or a user email' },
            { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'default: 7 days before to' },
            {
              name: 'to',
              in: 'query',
              schema: { type: 'string', format: 'date-time' },
              description: 'default: now; at most 31 days after from',
            },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page' },
          ],
          responses: { '200': { description: '{ entries, nextCursor? }' }, ...errors },
        },
      },
    },
  };
  return cached;
}

// A self-contained page (no CDN: it must work offline) listing every route from the OpenAPI document.
export function docsPage(): string {
  const doc = openApiDocument() as {
    info: { title: string; description: string };
    paths: Record<string, Record<string, { summary: string }>>;
  };
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  const rows = Object.entries(doc.paths)
    .flatMap(([path, ops]) =>
      Object.entries(ops).map(
        ([method, op]) =>
          `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${esc(path)}</code></td><td>${esc(op.summary)}</td></tr>`,
      ),
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(doc.info.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}td{padding:.3rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}</style></head>
<body><h1>${esc(doc.info.title)}</h1><p>${esc(doc.info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1; request schemas included).</p>
<table>${rows}</table></body></html>`;
}
