import { execFile } from 'node:child_process';

// Reads PDFs back with pdfjs-dist (Mozilla's parser, legacy build for Node). It is ESM-only and jest runs
// test code in a CJS vm where import() of .mjs fails (no --experimental-vm-modules); pdf-parse v2's CJS
// bundle fails the same way loading its worker. So parsing runs in a plain Node child process instead.
const SCRIPT = `
import { readFileSync } from 'node:fs';
const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
const docs = JSON.parse(readFileSync(0, 'utf8'));
const out = [];
for (const base64 of docs) {
  const pdf = await pdfjs.getDocument({ data: new Uint8Array(Buffer.from(base64, 'base64')), verbosity: 0 }).promise;
  const pages = [];
  for (let n = 1; n <= pdf.numPages; n++) {
    const content = await (await pdf.getPage(n)).getTextContent();
    // One string per text run; runs on one baseline are joined by a space, baselines by a newline.
    const lines = [];
    let y;
    for (const item of content.items) {
      if (!('str' in item)) continue;
      const at = Math.round(item.transform[5]);
      if (y === undefined || at !== y) lines.push([]);
      lines[lines.length - 1].push(item.str);
      y = at;
    }
    pages.push(lines.map((l) => l.join(' ').replace(/\\s+/g, ' ').trim()).filter(Boolean).join('\\n'));
  }
  const { info } = await pdf.getMetadata();
  out.push({ pages, info });
  await pdf.destroy();
}
process.stdout.write(JSON.stringify(out));
`;

export interface ParsedPdf {
  pages: string[];
  text: string;
  info: Record<string, unknown>;
}

export async function parsePdfs(buffers: readonly Buffer[]): Promise<ParsedPdf[]> {
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', SCRIPT],
      { cwd: __dirname, maxBuffer: 64 * 1024 * 1024 },
      (error, out, err) => (error ? reject(new Error(`pdfjs failed: ${err || error.message}`)) : resolve(out)),
    );
    child.stdin!.end(JSON.stringify(buffers.map((b) => b.toString('base64'))));
  });
  return (JSON.parse(stdout) as { pages: string[]; info: Record<string, unknown> }[]).map((p) => ({ ...p, text: p.pages.join('\n') }));
}

export async function parsePdf(buffer: Buffer): Promise<ParsedPdf> {
  return (await parsePdfs([buffer]))[0];
}
