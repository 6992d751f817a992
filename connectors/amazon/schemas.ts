import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { problemsOf } from '../../domain/validation';

// The slices of SP-API payloads this connector reads. Objects are loose: Amazon adds fields often and
// an unknown field must not break intake. Field names follow the published models (Orders API v0,
// Feeds API 2021-06-30, Sellers API v1). These shapes never leave connectors/amazon/.

// Orders v0 Money: a decimal string, never a float.
export const moneySchema = z.looseObject({
  CurrencyCode: z.string().optional(),
  Amount: z.string().optional(),
});
export type AmazonMoney = z.infer<typeof moneySchema>;

export const addressSchema = z.looseObject({
  Name: z.string().optional(),
  CompanyName: z.string().optional(),
  AddressLine1: z.string().optional(),
  AddressLine2: z.string().optional(),
  AddressLine3: z.string().optional(),
  City: z.string().optional(),
  County: z.string().optional(),
  District: z.string().optional(),
  Municipality: z.string().optional(),
  StateOrRegion: z.string().optional(),
  PostalCode: z.string().optional(),
  CountryCode: z.string().optional(),
  Phone: z.string().optional(),
});
export type AmazonAddress = z.infer<typeof addressSchema>;

export const orderSchema = z.looseObject({
  AmazonOrderId: z.string(),
  PurchaseDate: z.string(),
  LastUpdateDate: z.string(),
  // Pending, Unshipped, PartiallyShipped, Shipped, Canceled, Unfulfillable, InvoiceUnconfirmed, PendingAvailability
  OrderStatus: z.string(),
  FulfillmentChannel: z.string().optional(), // MFN (seller) or AFN (Amazon)
  OrderTotal: moneySchema.optional(),
  PaymentMethod: z.string().optional(), // COD, CVS or Other
  MarketplaceId: z.string().optional(),
  IsBusinessOrder: z.boolean().optional(),
  ShippingAddress: addressSchema.optional(),
  BuyerInfo: z
    .looseObject({
      BuyerEmail: z.string().optional(),
      BuyerName: z.string().optional(),
    })
    .optional(),
});
export type AmazonOrder = z.infer<typeof orderSchema>;

export const orderItemSchema = z.looseObject({
  OrderItemId: z.string(),
  ASIN: z.string().optional(),
  SellerSKU: z.string().optional(),
  Title: z.string().optional(),
  QuantityOrdered: z.number().int().min(0),
  QuantityShipped: z.number().int().min(0).optional(),
  ItemPrice: moneySchema.optional(), // the price for the whole QuantityOrdered, not per unit
  ItemTax: moneySchema.optional(),
  PromotionDiscount: moneySchema.optional(),
  ShippingPrice: moneySchema.optional(),
  ShippingTax: moneySchema.optional(),
  ShippingDiscount: moneySchema.optional(),
  ShippingDiscountTax: moneySchema.optional(),
  BuyerRequestedCancel: z
    .looseObject({
      IsBuyerRequestedCancel: z.union([z.boolean(), z.string()]).optional(),
      BuyerCancelReason: z.string().optional(),
    })
    .optional(),
});
export type AmazonOrderItem = z.infer<typeof orderItemSchema>;

export const getOrdersResponseSchema = z.looseObject({
  payload: z.looseObject({
    Orders: z.array(orderSchema),
    NextToken: z.string().optional(),
  }),
});

export const getOrderResponseSchema = z.looseObject({ payload: orderSchema });

export const getOrderItemsResponseSchema = z.looseObject({
  payload: z.looseObject({
    AmazonOrderId: z.string().optional(),
    OrderItems: z.array(orderItemSchema),
    NextToken: z.string().optional(),
  }),
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
