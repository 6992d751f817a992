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

// Decimal amounts as channels and spreadsheets write them ("199.00"), to and from integer minor units,
// digit by digit, never through a float.

// ISO 4217 minor-unit exponents that differ from the usual 2.
const EXPONENTS: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

export function currencyExponent(currency: string): number {
  return EXPONENTS[currency] ?? 2;
}

export class MoneyFormatError extends Error {
  constructor(readonly value: unknown) {
    super(`is not a decimal amount: ${JSON.stringify(value)}`);
    this.name = new.target.name;
  }
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d*))?$/;

// "19.99" in EUR -> 1999; "1500" in JPY -> 1500; "1.250" in KWD -> 1250. Digits beyond the currency's
// precision (which Shopify does not send) are rounded half away from zero rather than rejected.
export function toMinorUnits(value: unknown, currency: string): number {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string') throw new MoneyFormatError(value);
  const match = DECIMAL.exec(text.trim());
  if (!match) throw new MoneyFormatError(value);
  const [, minus, whole, fraction = ''] = match;
  const exponent = currencyExponent(currency);
  const kept = fraction.slice(0, exponent).padEnd(exponent, '0');
  const roundUp = fraction.length > exponent && fraction.charCodeAt(exponent) >= 0x35; // '5'
  let minor = Number(whole + kept) + (roundUp ? 1 : 0);
  if (!Number.isSafeInteger(minor)) throw new MoneyFormatError(value);
  if (minus && minor !== 0) minor = -minor;
  return minor;
}

// 1999 in EUR -> "19.99"; 1500 in JPY -> "1500"; 1250 in KWD -> "1.250": the decimal string Shopify's Money
// scalar takes, written digit by digit.
export function toDecimal(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new MoneyFormatError(minor);
  const exponent = currencyExponent(currency);
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const text = exponent === 0 ? whole : `${whole}.${digits.slice(digits.length - exponent)}`;
  return minor < 0 ? `-${text}` : text;
}
