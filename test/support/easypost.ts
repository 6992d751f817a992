import { createHmac } from 'node:crypto';
import { uniqueId } from './stack';

// EasyPost v2 objects as its API documentation shows them (shipments, rates, postage labels, trackers,
// tracker.updated events), for nock replies, and its webhook signature.
type Json = Record<string, unknown>;

export const epRate = (shipmentId: string): Json => ({
  id: `rate_${shipmentId}`,
  object: 'Rate',
  mode: 'test',
  service: 'Priority',
  carrier: 'USPS',
  rate: '7.47',
  currency: 'USD',
  delivery_days: 2,
  delivery_date: null,
  delivery_date_guaranteed: false,
  est_delivery_days: 2,
  shipment_id: shipmentId,
  carrier_account_id: 'ca_b25657e9896e4d63ac8151ac346ac41e',
});

export const epShipment = (id: string, rated: boolean, reference: string | null = null): Json => ({
  id,
  object: 'Shipment',
  mode: 'test',
  reference,
  status: 'unknown',
  created_at: '2026-11-22T09:00:00Z',
  options: { label_format: 'PDF', currency: 'USD' },
  messages: rated ? [] : [{ carrier: 'USPS', type: 'rate_error', message: 'Destination not served by this account' }],
  rates: rated ? [epRate(id)] : [],
  selected_rate: null,
  postage_label: null,
  tracking_code: null,
  tracker: null,
  refund_status: null,
});

export const epBought = (id: string, reference: string | null, trackingCode: string): Json => ({
  ...epShipment(id, true, reference),
  selected_rate: epRate(id),
  tracking_code: trackingCode,
  postage_label: {
    object: 'PostageLabel',
    id: `pl_${id}`,
    label_file_type: 'application/pdf',
    label_url: `https://easypost-files.example/${id}.pdf`,
    label_pdf_url: `https://easypost-files.example/${id}.pdf`,
  },
  tracker: {
    id: `trk_${id}`,
    object: 'Tracker',
    tracking_code: trackingCode,
    status: 'unknown',
    carrier: 'USPS',
    public_url: `https://track.easypost.com/${id}`,
  },
});

export const epTrackerEvent = (status: string, message: string, trackingCode: string) =>
  JSON.stringify({
    id: `evt_${uniqueId('e').replace(/[^a-z0-9]/gi, '')}`,
    object: 'Event',
    mode: 'test',
    description: 'tracker.updated',
    created_at: new Date().toISOString(),
    result: {
      id: `trk_${trackingCode}`,
      object: 'Tracker',
      mode: 'test',
      tracking_code: trackingCode,
      status,
      carrier: 'USPS',
      created_at: '2026-11-22T09:10:00Z',
      updated_at: new Date().toISOString(),
      tracking_details: [{ object: 'TrackingDetail', message, status, datetime: new Date().toISOString(), source: 'USPS' }],
      public_url: `https://track.easypost.com/${trackingCode}`,
    },
  });

// The X-Hmac-Signature header EasyPost sends: HMAC-SHA256 of the body with the NFKD-normalised secret.
export const epSign = (body: string, secret: string) =>
  `hmac-sha256-hex=${createHmac('sha256', Buffer.from(secret.normalize('NFKD'), 'utf8'))
    .update(body)
    .digest('hex')}`;

export const EP_NOT_FOUND = { error: { code: 'NOT_FOUND', message: 'The requested resource could not be found.', errors: [] } };
