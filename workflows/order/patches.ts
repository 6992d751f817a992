// Patch ids (Temporal's patched()): behaviour added while orders were in flight. An order started before a
// patch replays without it; every order started since takes it.
export const NOTIFY_SHIPMENTS = 'notify-customer-shipped-delivered';
// A cancelled order gives back whatever any reservation attempt still holds; a reservation step that
// parks the order gives back what its attempts reserved.
export const RELEASE_ALL_STOCK = 'release-all-stock-on-cancel-and-park';
// The view skips states it would only show for a moment: the capture already wrote the first, and
// stock_reserved is followed at once by released_to_fulfillment (both stay in the history).
export const FEWER_PROJECTIONS = 'fewer-projections';
// The view is written one state at a time (a queue of local activities): two parts of a split order
// writing side by side made the order of their next commands depend on which write finished first, so
// a worker replaying the order after a restart could issue them in another order and fail it.
export const SERIAL_PROJECTIONS = 'serial-projections';
// Order edits from the channel: before picking the order takes the change (stock released and reserved
// again when the lines change); after, it records a notice. Only orders that received an edit reach it.
export const CHANNEL_EDITS = 'channel-edits';
// Lines or units cancelled before they ship (the cancelOrderLines Update): their stock given back, their
// money voided or refunded. Only orders that receive such a command reach it.
export const CANCEL_LINES = 'cancel-lines';
// Each part of a split order captures its own amount as it ships (before: the whole total with the first).
export const PER_PART_CAPTURE = 'per-part-capture';
// Pre-orders: claims on inbound stock settled once the order reserves (or given back when it ends), and
// the order waits for its release date before it goes to the warehouse (authorised again first when the
// authorisation lapsed meanwhile). Only orders with a pre-order line reach it.
export const PRE_ORDERS = 'pre-orders';
// The happy path writes the view less and asks Temporal for one task fewer: validated, and
// payment_authorized when the order goes on to reserve, are not projected (the next projection carries them
// in the history), and the sales order goes to the ERPs as an activity only when an ERP connection exists
// (a local activity asks first).
export const LIGHTER_HAPPY_PATH = 'lighter-happy-path';
// A pre-order whose units are cancelled (the cancelOrderLines Update) gives back those units' share of its
// claims on inbound stock. Only pre-orders that receive such a command reach it.
export const PREORDER_LINE_CANCELS = 'pre-order-line-cancels';
// Orders mixing stocked and drop-shipped lines ship in parts: the stocked lines reserved and shipped from a
// location, each supplier's lines as a part of its own, side by side. Only such orders reach it.
export const MIXED_DROP_SHIP = 'mixed-drop-ship';
// A part filled from a backorder may be rejected by its location until it is picked: its reservation given
// back and its units backordered again. Only backordered orders reach it.
export const BACKORDER_REJECTIONS = 'backorder-part-rejections';
// A hold on an order whose parts wait side by side is taken once: before, each waiting part recorded
// on_hold, and the second, which had seen on_hold as the status to go back to, left the order on_hold after
// the release. Only split orders held while two parts wait reach it.
export const ONE_HOLD_FOR_ALL_PARTS = 'one-hold-for-all-parts';
