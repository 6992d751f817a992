import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { problemsOf } from '../../domain/validation';

// The slices of SP-API payloads this connector reads. Objects are loose: Amazon adds fields often and
// an unknown field must not break intake. Field names follow the published models (Orders API 2026-01-01,
// Listings Items API 2021-08-01, Feeds API 2021-06-30, Sellers API v1, as in amzn/selling-partner-api-models).
// These shapes never leave connectors/amazon/.

// Money (Orders 2026-01-01, Listings): a decimal string, never a float; both fields required.
export const moneySchema = z.looseObject({
  amount: z.string(),
  currencyCode: z.string(),
});
export type AmazonMoney = z.infer<typeof moneySchema>;

// CustomerAddress of Orders 2026-01-01 (recipient.deliveryAddress). Every field is optional in the model.
export const addressSchema = z.looseObject({
  name: z.string().optional(),
  companyName: z.string().optional(),
  addressLine1: z.string().optional(),
  addressLine2: z.string().optional(),
  addressLine3: z.string().optional(),
  city: z.string().optional(),
  districtOrCounty: z.string().optional(),
  stateOrRegion: z.string().optional(),
  municipality: z.string().optional(),
  postalCode: z.string().optional(),
  countryCode: z.string().optional(),
  phone: z.string().optional(),
  addressType: z.string().optional(), // RESIDENTIAL, COMMERCIAL, PICKUP_POINT
});
export type AmazonAddress = z.infer<typeof addressSchema>;

// A proceeds breakdown (ITEM, SHIPPING, GIFT_WRAP, COD_FEE, OTHER, TAX, DISCOUNT); TAX and DISCOUNT may
// carry detailed breakdowns by subtype (ITEM, SHIPPING, GIFT_WRAP, COD_FEE, OTHER, DISCOUNT).
export const proceedsBreakdownSchema = z.looseObject({
  type: z.string(),
  subtotal: moneySchema,
  detailedBreakdowns: z.array(z.looseObject({ subtype: z.string().optional(), value: moneySchema.optional() })).optional(),
});

// OrderItem of Orders 2026-01-01: items are always included; proceeds, cancellation and fulfillment only
// with the matching includedData.
export const orderItemSchema = z.looseObject({
  orderItemId: z.string(),
  quantityOrdered: z.number().int().min(0),
  product: z.looseObject({
    asin: z.string().optional(),
    title: z.string().optional(),
    sellerSku: z.string().optional(),
    price: z.looseObject({ unitPrice: moneySchema.optional() }).optional(),
  }),
  proceeds: z
    .looseObject({
      proceedsTotal: moneySchema.optional(),
      breakdowns: z.array(proceedsBreakdownSchema).optional(),
    })
    .optional(),
  cancellation: z
    .looseObject({
      cancellationRequest: z.looseObject({ requester: z.string().optional(), cancelReason: z.string().optional() }).optional(),
      cancellationExecution: z.looseObject({ cancelledBy: z.string().optional(), cancelReason: z.string().optional() }).optional(),
    })
    .optional(),
  fulfillment: z
    .looseObject({
      quantityFulfilled: z.number().int().min(0).optional(),
      quantityUnfulfilled: z.number().int().min(0).optional(),
      shipping: z
        .looseObject({
          shippingConstraints: z.looseObject({ cashOnDelivery: z.string().optional() }).optional(),
        })
        .optional(),
    })
    .optional(),
});
export type AmazonOrderItem = z.infer<typeof orderItemSchema>;

// FulfillmentStatus of Orders 2026-01-01.
export const FULFILLMENT_STATUSES = [
  'PENDING_AVAILABILITY',
  'PENDING',
  'UNSHIPPED',
  'PARTIALLY_SHIPPED',
  'SHIPPED',
  'CANCELLED',
  'UNFULFILLABLE',
] as const;

// Order of Orders 2026-01-01. The model requires orderId, createdTime, lastUpdatedTime, salesChannel and
// orderItems; Orderhub also needs fulfillment (includedData FULFILLMENT) to know the status and who ships.
export const orderSchema = z.looseObject({
  orderId: z.string().min(1),
  createdTime: z.string().min(1),
  lastUpdatedTime: z.string().min(1),
  programs: z.array(z.string()).optional(), // AMAZON_BUSINESS, PRIME, PREORDER, ...
  salesChannel: z.looseObject({ channelName: z.string(), marketplaceId: z.string().optional() }),
  buyer: z
    .looseObject({
      buyerName: z.string().optional(),
      buyerEmail: z.string().optional(),
      buyerCompanyName: z.string().optional(),
    })
    .optional(),
  recipient: z.looseObject({ deliveryAddress: addressSchema.optional() }).optional(),
  proceeds: z.looseObject({ grandTotal: moneySchema.optional(), breakdowns: z.array(proceedsBreakdownSchema).optional() }).optional(),
  fulfillment: z.looseObject({
    fulfillmentStatus: z.enum(FULFILLMENT_STATUSES),
    fulfilledBy: z.string().optional(), // AMAZON or MERCHANT
  }),
  orderItems: z.array(orderItemSchema),
});
export type AmazonOrder = z.infer<typeof orderSchema>;

// searchOrders: the orders are read one by one (an order that does not match the model becomes a dead
// letter, not a failed page), so the page itself only promises an array and the pagination.
export const searchOrdersResponseSchema = z.looseObject({
  orders: z.array(z.unknown()),
  pagination: z.looseObject({ nextToken: z.string().optional() }).optional(),
});

export const getOrderResponseSchema = z.looseObject({ order: orderSchema });

// searchListingsItems (Listings Items 2021-08-01), includedData summaries and attributes.
export const listingsItemSchema = z.looseObject({
  sku: z.string(),
  summaries: z
    .array(
      z.looseObject({
        marketplaceId: z.string(),
        asin: z.string().optional(),
        productType: z.string().optional(),
        itemName: z.string().optional(),
      }),
    )
    .optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
});
export type AmazonListingsItem = z.infer<typeof listingsItemSchema>;

export const searchListingsItemsResponseSchema = z.looseObject({
  numberOfResults: z.number().int().min(0),
  pagination: z.looseObject({ nextToken: z.string().optional(), previousToken: z.string().optional() }).optional(),
  items: z.array(listingsItemSchema),
});

// patchListingsItem answer: ACCEPTED for processing, or INVALID with the issues that refused it.
export const listingsSubmissionSchema = z.looseObject({
  sku: z.string(),
  status: z.enum(['ACCEPTED', 'INVALID', 'VALID']),
  submissionId: z.string(),
  issues: z
    .array(
      z.looseObject({
        code: z.string().optional(),
        message: z.string().optional(),
        severity: z.string().optional(),
      }),
    )
    .optional(),
});

export const marketplaceParticipationsSchema = z.looseObject({
  payload: z.array(
    z.looseObject({
      marketplace: z.looseObject({ id: z.string(), name: z.string().optional() }),
      participation: z.looseObject({ isParticipating: z.boolean() }),
    }),
  ),
});

export const createFeedDocumentResponseSchema = z.looseObject({ feedDocumentId: z.string(), url: z.string() });
export const createFeedResponseSchema = z.looseObject({ feedId: z.string() });
export const feedSchema = z.looseObject({
  feedId: z.string(),
  processingStatus: z.enum(['CANCELLED', 'DONE', 'FATAL', 'IN_PROGRESS', 'IN_QUEUE']),
  resultFeedDocumentId: z.string().optional(),
});

// SP-API error body: { errors: [{ code, message, details }] }
export const errorListSchema = z.looseObject({
  errors: z.array(z.looseObject({ code: z.string().optional(), message: z.string().optional(), details: z.string().optional() })),
});

// LWA token endpoint success body.
export const lwaTokenSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().positive(),
});

// A payload that does not match the published model is reported with the paths that did not match.
export function parseAmazon<S extends z.ZodType>(schema: S, data: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(data);
  if (!result.success) {
    const problems = problemsOf(result.error).map((p) => ({ ...p, path: `amazon.${p.path}` }));
    throw new ValidationError(`Amazon ${what} response did not match the documented shape: ${problems.length} problem(s)`, problems);
  }
  return result.data;
}

// "code: message (details)" from an SP-API error body, or undefined when the body is not one.
export function describeAmazonErrors(body: unknown): string | undefined {
  const parsed = errorListSchema.safeParse(body);
  if (!parsed.success || parsed.data.errors.length === 0) return undefined;
  return parsed.data.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ') + (e.details ? ` (${e.details})` : '')).join('; ');
}
