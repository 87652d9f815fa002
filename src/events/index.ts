export type { EventBus, EventHandler, SextantEvent } from './event-bus.js';
export { InProcessBus } from './in-process-bus.js';
export { NatsBus } from './nats-bus.js';
export { appendOutbox, OUTBOX_CLAIM_MS, OutboxRelay } from './outbox-relay.js';
export type { OutboxEntry } from './outbox-relay.js';
