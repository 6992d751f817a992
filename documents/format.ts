import type { Address } from '../domain/address';

// Text helpers shared by the renderers: money from minor units, addresses, and text the PDF fonts can show.

const formatters = new Map<string, Intl.NumberFormat>();
function currencyFormat(currency: string, locale: string): Intl.NumberFormat {
  const key = `${locale}:${currency}`;
  if (!formatters.has(key)) formatters.set(key, new Intl.NumberFormat(locale, { style: 'currency', currency }));
  return formatters.get(key)!;
}

// Minor-unit digits of a currency as ICU knows them: EUR 2, JPY 0, BHD 3.
export function minorUnitDigits(currency: string): number {
  return currencyFormat(currency, 'en-US').resolvedOptions().maximumFractionDigits ?? 2;
}

/**
 * Integer minor units to display text ("€1,234.50"). The amount goes to Intl as a decimal string, not a
 * float, so even amounts past 2^53 / 100 print exactly.
 */
export function formatMoney(amountMinor: number, currency: string, locale = 'en-US'): string {
  if (!Number.isSafeInteger(amountMinor)) throw new RangeError(`amount must be an integer number of minor units, got ${amountMinor}`);
  const digits = minorUnitDigits(currency);
  const abs = String(Math.abs(amountMinor)).padStart(digits + 1, '0');
  const decimal = digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  // Intl.NumberFormat v3 formats numeric strings exactly; ES2022's lib types only know number | bigint.
  return currencyFormat(currency, locale).format(`${amountMinor < 0 ? '-' : ''}${decimal}` as unknown as number);
}

// Basis points as a percentage: 1900 → "19%", 750 → "7.5%".
export function formatRate(basisPoints: number): string {
  const whole = Math.trunc(basisPoints / 100);
  const rest = String(Math.abs(basisPoints % 100))
    .padStart(2, '0')
    .replace(/0+$/, '');
  return rest ? `${whole}.${rest}%` : `${whole}%`;
}

export function addressLines(address: Address): string[] {
  const cityLine = [address.postalCode, address.city].join(' ') + (address.region ? `, ${address.region}` : '');
  return [address.name, address.company, address.line1, address.line2, cityLine, address.country].filter(
    (l): l is string => typeof l === 'string' && l.trim() !== '',
  );
}

// The characters of WinAnsiEncoding above ASCII, which PDFKit's built-in Helvetica and Courier can show.
const WIN_ANSI_EXTRA = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ';
const showable = (c: string) => {
  const code = c.codePointAt(0)!;
  return (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.includes(c);
};

/**
 * Text the standard PDF fonts can draw: accents the font lacks are dropped ("ő" → "o"), other characters
 * become "?". Embedding a Unicode TTF would lift this; the built-in fonts keep the documents small.
 */
// Letters with a stroke do not decompose under NFKD.
const STROKED: { [c: string]: string } = { Ł: 'L', ł: 'l', Đ: 'D', đ: 'd', Ħ: 'H', ħ: 'h', ı: 'i', Ŧ: 'T', ŧ: 't' };

export function pdfText(text: string): string {
  let out = '';
  for (const c of text.replace(/[\t\n\r]+/g, ' ')) {
    if (showable(c)) out += c;
    else if (Object.hasOwn(STROKED, c)) out += STROKED[c];
    else {
      const plain = c.normalize('NFKD').replace(/\p{M}/gu, '');
      out += plain !== '' && [...plain].every(showable) ? plain : '?';
    }
  }
  return out;
}
