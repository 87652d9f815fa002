/** Something that happened, as other parts of Sextant (and operators) subscribe to it. */
export interface SextantEvent {
  /**
   * Unique per event (events from the outbox carry one): delivered at least once, an event may
   * arrive twice, and a consumer that saw its id before drops it.
   */
  id?: string;
  /** Dotted type, e.g. `deployment.slo_rollback`, `alias.moved`. */
  type: string;
  time: string;
  /** What it is about, e.g. the deployment name. */
  subject: string;
  data: Record<string, unknown>;
  /**
   * The W3C `traceparent` of the write that emitted the event, when tracing is on: subscribers
   * (webhook deliveries) continue that trace. Not part of the event's identity.
   */
  traceparent?: string;
}

export type EventHandler = (event: SextantEvent) => void | Promise<void>;

/**
 * Publish/subscribe between Sextant's parts and processes. In-process by default; NATS JetStream
 * when configured, so every process and machine sees every event and events survive restarts.
 */
export interface EventBus {
  /** Publishes an event; resolves once the bus has accepted it (JetStream: stored). */
  publish(event: SextantEvent): Promise<void>;
  /** Calls `handler` for events whose type starts with `typePrefix` ('' for all); returns an unsubscribe. */
  subscribe(typePrefix: string, handler: EventHandler): Promise<() => void>;
  close(): Promise<void>;
  readonly kind: 'in-process' | 'nats';
}
