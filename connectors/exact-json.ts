// JSON from vendors with its ids intact. Shopify's ids are 64-bit integers sent as bare JSON numbers
// (an order id such as 820982911946154508); JSON.parse turns one past 2^53 into the nearest double, a
// different id. Here an integer JavaScript cannot hold exactly is kept as its digits, a string, so an id
// travels exactly; every other value parses as JSON.parse would.

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseJsonExact(text: string): unknown {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string, escapes included.
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      continue;
    }
    if (c !== 0x2d /* - */ && (c < 0x30 || c > 0x39)) continue;
    NUMBER.lastIndex = i;
    const match = NUMBER.exec(text);
    if (!match) continue; // not a number: JSON.parse names the error below
    const literal = match[0];
    if (/^-?\d+$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
      out += `${text.slice(from, i)}"${literal}"`;
      from = i + literal.length;
    }
    i += literal.length - 1;
  }
  return JSON.parse(from === 0 ? text : out + text.slice(from));
}
