import { execFile } from 'node:child_process';

// Scans a PDF page as a printer and a scanner would: pdfjs-dist renders the page to pixels (its Node
// canvas, @napi-rs/canvas, at 203 dpi like a thermal label printer), and ZXing (an independent decoder,
// not the library that drew the bars) reads every Code 128 symbol it finds. Runs in a child process for
// the reason given in pdf-text.ts.
const SCRIPT = `
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/');
const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
const { createCanvas } = require('@napi-rs/canvas');
const zx = require('@zxing/library');
const { base64, page: pageNumber } = JSON.parse(readFileSync(0, 'utf8'));
const pdf = await pdfjs.getDocument({ data: new Uint8Array(Buffer.from(base64, 'base64')), verbosity: 0 }).promise;
const page = await pdf.getPage(pageNumber);
const viewport = page.getViewport({ scale: 203 / 72 });
const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
const context = canvas.getContext('2d');
context.fillStyle = 'white';
context.fillRect(0, 0, canvas.width, canvas.height);
await page.render({ canvasContext: context, canvas, viewport }).promise;
const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
const luminance = new Uint8ClampedArray(width * height);
for (let i = 0; i < width * height; i++) luminance[i] = (data[i * 4] * 299 + data[i * 4 + 1] * 587 + data[i * 4 + 2] * 114) / 1000;
const hints = new Map([[zx.DecodeHintType.POSSIBLE_FORMATS, [zx.BarcodeFormat.CODE_128]], [zx.DecodeHintType.TRY_HARDER, true]]);
const bitmap = new zx.BinaryBitmap(new zx.HybridBinarizer(new zx.RGBLuminanceSource(luminance, width, height)));
const found = [];
try {
  const result = new zx.MultiFormatReader().decode(bitmap, hints);
  found.push({ text: result.getText(), format: zx.BarcodeFormat[result.getBarcodeFormat()] });
} catch (err) {
  if (!(err instanceof zx.NotFoundException)) throw err;
}
await pdf.destroy();
process.stdout.write(JSON.stringify(found));
`;

export async function scanBarcodes(pdf: Buffer, page = 1): Promise<{ text: string; format: string }[]> {
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', SCRIPT],
      { cwd: __dirname, maxBuffer: 64 * 1024 * 1024 },
      (error, out, err) => (error ? reject(new Error(`barcode scan failed: ${err || error.message}`)) : resolve(out)),
    );
    child.stdin!.end(JSON.stringify({ base64: pdf.toString('base64'), page }));
  });
  return JSON.parse(stdout);
}
