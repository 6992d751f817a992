import bwipjs from 'bwip-js';

// Code 128 symbols drawn as vector bars, shared by the shipping label and the return authorisation.

// The bars of a Code 128 symbol for the data (bwip-js picks the code sets, adds the check character and
// stop), as alternating bar and space widths in modules, bar first.
export function code128Widths(data: string): number[] {
  const [symbol] = bwipjs.raw('code128', data, {});
  if (!symbol || !('sbs' in symbol)) throw new Error(`bwip-js gave no linear symbol for ${JSON.stringify(data)}`);
  return symbol.sbs;
}

// Thermal label printers print 203 dots per inch, and a bar must be whole dots wide or the printer rounds
// some bars up and others down until the symbol no longer reads. So the module is a whole number of dots
// (up to 4) and every bar starts on a dot.
const DOT = 72 / 203;

// Drawn as filled rectangles (vector), centred in `width`, with the quiet zone of 10 modules either side
// that scanners need.
// False when the symbol would not fit at one dot a module (a tracking number of 60-odd letters).
export function drawCode128(
  doc: PDFKit.PDFDocument,
  data: string,
  box: { left: number; top: number; width: number; height: number },
): boolean {
  const widths = code128Widths(data);
  const modules = widths.reduce((a, b) => a + b, 0) + 20;
  const moduleDots = Math.min(4, Math.floor(box.width / modules / DOT));
  if (moduleDots < 1) return false;
  let dot = Math.round((box.left + (box.width - modules * moduleDots * DOT) / 2) / DOT) + 10 * moduleDots;
  widths.forEach((w, i) => {
    if (i % 2 === 0) doc.rect(dot * DOT, box.top, w * moduleDots * DOT, box.height);
    dot += w * moduleDots;
  });
  doc.fillColor('black').fill();
  return true;
}

// Code 128 prints its data in full under the bars; grouped by four it is also easy to key in by hand.
export function humanReadableTracking(trackingNumber: string): string {
  return trackingNumber
    .replace(/\s+/g, '')
    .toUpperCase()
    .replace(/(.{4})(?=.)/g, '$1 ');
}

// What a carrier's tracking number may be to print as a barcode: 4 to 64 printable ASCII characters,
// spaces taken out.
export function barcodeTracking(trackingNumber: string): string {
  const tracking = trackingNumber.replace(/\s+/g, '');
  if (!/^[\x21-\x7e]{4,64}$/.test(tracking))
    throw new RangeError(`tracking number must be 4 to 64 printable ASCII characters, got ${JSON.stringify(trackingNumber)}`);
  return tracking;
}
