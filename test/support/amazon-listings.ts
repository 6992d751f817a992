import nock from 'nock';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- vendor JSON, read field by field
type Json = Record<string, any>;

export const SP_NA = 'https://sellingpartnerapi-na.amazon.com';
const LWA = 'https://api.amazon.com';
const S3 = 'https://tortuga-prod-na.s3-external-1.amazonaws.com';

// Login with Amazon for every test connection: a fresh access token on each exchange.
export function nockLwa() {
  let n = 0;
  return nock(LWA)
    .persist()
    .post('/auth/o2/token')
    .reply(200, () => ({ access_token: `Atza|test-${++n}`, token_type: 'bearer', expires_in: 3600 }));
}

export interface AppliedStock {
  via: 'patch' | 'feed';
  sku: string;
  quantity: number;
}

// One seller's listings as Amazon keeps them, through the documented operations: patchListingsItem
// applies a fulfillment_availability merge at once (ACCEPTED), and a JSON_LISTINGS_FEED (createFeedDocument,
// upload to the presigned URL, createFeed, getFeed) stays IN_PROGRESS until `finishFeeds()` is called; the
// next getFeed then applies the uploaded messages and answers DONE. `applied` is the order things landed in.
export function nockAmazonListings(sellerId: string) {
  const quantities = new Map<string, number>();
  const applied: AppliedStock[] = [];
  const documents = new Map<string, Json>(); // feedDocumentId -> uploaded document
  const feeds = new Map<string, { documentId: string; done: boolean }>();
  let released = false;
  let n = 0;
  const apply = (a: AppliedStock) => {
    applied.push(a);
    quantities.set(a.sku, a.quantity);
  };
  const defaultQuantity = (patches: Json[]) =>
    (patches.find((p) => p.path === '/attributes/fulfillment_availability')?.value as Json[] | undefined)?.find(
      (v) => v.fulfillment_channel_code === 'DEFAULT',
    )?.quantity as number;

  nock(SP_NA)
    .persist()
    .patch(new RegExp(`^/listings/2021-08-01/items/${sellerId}/[^?]+`))
    .query(true)
    .reply(200, (uri, body) => {
      const sku = decodeURIComponent(uri.split('?')[0].split('/').pop()!);
      apply({ via: 'patch', sku, quantity: defaultQuantity((body as Json).patches) });
      return { sku, status: 'ACCEPTED', submissionId: `sub-${++n}`, issues: [] };
    })
    .post('/feeds/2021-06-30/documents')
    .reply(201, () => {
      const id = `${sellerId}-doc-${++n}`;
      return { feedDocumentId: id, url: `${S3}/NinetyDays/${id}?X-Amz-Signature=abc${n}` };
    })
    .post('/feeds/2021-06-30/feeds')
    .reply(202, (_uri, body) => {
      const feedId = `${sellerId}-feed-${++n}`;
      feeds.set(feedId, { documentId: (body as Json).inputFeedDocumentId, done: false });
      return { feedId };
    })
    .get(new RegExp(`^/feeds/2021-06-30/feeds/${sellerId}-feed-\\d+$`))
    .reply(200, (uri) => {
      const feedId = uri.split('/').pop()!;
      const feed = feeds.get(feedId)!;
      if (!released)
        return { feedId, feedType: 'JSON_LISTINGS_FEED', createdTime: '2026-03-05T12:00:01Z', processingStatus: 'IN_PROGRESS' };
      if (!feed.done) {
        feed.done = true;
        for (const m of documents.get(feed.documentId)!.messages as Json[])
          apply({ via: 'feed', sku: m.sku, quantity: defaultQuantity(m.patches) });
      }
      return { feedId, feedType: 'JSON_LISTINGS_FEED', processingStatus: 'DONE', resultFeedDocumentId: `${feedId}-report` };
    });
  nock(S3)
    .persist()
    .put(new RegExp(`^/NinetyDays/${sellerId}-doc-\\d+$`))
    .query(true)
    .reply(200, (uri, body) => {
      documents.set(uri.split('?')[0].split('/').pop()!, typeof body === 'string' ? JSON.parse(body) : (body as Json));
      return '';
    });

  return {
    quantities,
    applied,
    feedsSubmitted: () => feeds.size,
    finishFeeds: () => {
      released = true;
    },
  };
}
