import { defineSearchAttributeKey } from '@temporalio/common';

// Custom search attributes the order workflow sets; operators filter on them in the Temporal UI.
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', 'KEYWORD');
export const SalesChannelKey = defineSearchAttributeKey('SalesChannel', 'KEYWORD');
export const OrderTypeKey = defineSearchAttributeKey('OrderType', 'KEYWORD');
export const OrderLateKey = defineSearchAttributeKey('OrderLate', 'BOOL');

// Registered by scripts/ on the dev server and by the compose setup job: name -> Temporal CLI type.
export const ORDER_SEARCH_ATTRIBUTES = {
  OrderStatus: 'Keyword',
  SalesChannel: 'Keyword',
  OrderType: 'Keyword',
  OrderLate: 'Bool',
} as const;
