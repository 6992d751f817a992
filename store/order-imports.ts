import type { Collection, Db } from 'mongodb';
import type { ImportProblem } from '../domain/order-import';
import type { OrderInput } from '../domain/order';
import { insertOnce, insertOrGet } from './atomic';

// Bulk order imports: the import as checked (written once), its valid orders in chunks (written once each,
// before the import), and one result per chunk captured (written once by the import's workflow). Progress
// is read from the results, so no document is ever updated by two writers.

export const IMPORT_CHUNK_SIZE = 100; // orders per chunk: one activity captures one chunk
export const MAX_LISTED_PROBLEMS = 1_000;

export interface OrderImport {
  _id: string; // the import id: imp_ + the file's digest, so the same file is the same import
  format: 'csv' | 'json';
  rows: number;
  orders: number; // valid orders to capture
  chunks: number;
  invalidRows: number;
  refusedOrders: number;
  problemCount: number;
  problems: ImportProblem[]; // the first MAX_LISTED_PROBLEMS
  createdAt: Date;
  createdBy: string;
}

export interface ImportChunkResult {
  _id: string; // `${importId}|${chunk}`
  importId: string;
  chunk: number;
  captured: number; // orders new to Orderhub
  duplicates: number; // orders Orderhub had already (an earlier import, POST /orders, a channel)
  orderIds: string[];
  at: Date;
}

interface ImportChunk {
  _id: string; // `${importId}|${chunk}`
  orders: OrderInput[];
}

export class OrderImports {
  private readonly imports: Collection<OrderImport>;
  private readonly chunks: Collection<ImportChunk>;
  private readonly results: Collection<ImportChunkResult>;

  constructor(db: Db) {
    this.imports = db.collection<OrderImport>('order_imports');
    this.chunks = db.collection<ImportChunk>('order_import_chunks');
    this.results = db.collection<ImportChunkResult>('order_import_results');
  }

  get(importId: string): Promise<OrderImport | null> {
    return this.imports.findOne({ _id: importId });
  }

  // The chunks first, then the import: an import that exists has all its orders stored. Returns the
  // import as stored (an earlier upload of the same file wins).
  async create(doc: OrderImport, orders: OrderInput[]): Promise<{ doc: OrderImport; created: boolean }> {
    for (let i = 0; i * IMPORT_CHUNK_SIZE < orders.length; i++)
      await insertOnce(this.chunks, { _id: `${doc._id}|${i}`, orders: orders.slice(i * IMPORT_CHUNK_SIZE, (i + 1) * IMPORT_CHUNK_SIZE) });
    const { doc: stored, inserted } = await insertOrGet(this.imports, doc);
    return { doc: stored, created: inserted };
  }

  async chunk(importId: string, chunk: number): Promise<OrderInput[]> {
    const doc = await this.chunks.findOne({ _id: `${importId}|${chunk}` });
    if (!doc) throw new Error(`import ${importId} has no chunk ${chunk}`);
    return doc.orders;
  }

  resultOf(importId: string, chunk: number): Promise<ImportChunkResult | null> {
    return this.results.findOne({ _id: `${importId}|${chunk}` });
  }

  async recordResult(result: Omit<ImportChunkResult, '_id' | 'at'>): Promise<ImportChunkResult> {
    return (await insertOrGet(this.results, { ...result, _id: `${result.importId}|${result.chunk}`, at: new Date() })).doc;
  }

  // Each chunk's result by id (keyed reads only).
  async resultsOf(importId: string, chunks: number): Promise<(ImportChunkResult | null)[]> {
    const out: (ImportChunkResult | null)[] = [];
    for (let i = 0; i < chunks; i++) out.push(await this.resultOf(importId, i));
    return out;
  }
}
