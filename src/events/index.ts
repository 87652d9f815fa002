export type { EventBus, EventHandler, SextantEvent } from './event-bus.js';
export { InProcessBus } from './in-process-bus.js';
export { NatsBus } from './nats-bus.js';
