import { z } from 'zod';

// Money is integer minor units (cents) plus an ISO 4217 code; never floats.
export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"');
export const minorUnitsSchema = z.number().int('must be whole minor units (e.g. cents)').min(0, 'must not be negative');

export interface Money {
  amount: number;
  currency: string;
}

export function money(amount: number, currency: string): Money {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`amount must be an integer number of minor units, got ${amount}`);
  return { amount, currency };
}
