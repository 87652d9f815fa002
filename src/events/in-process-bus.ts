import type { EventBus, EventHandler, SextantEvent } from './event-bus.js';
import { SeenEvents } from './seen-events.js';

/** The embedded default: handlers in this process, called after the publisher continues. */
export class InProcessBus implements EventBus {
  readonly kind = 'in-process' as const;
  private readonly handlers = new Set<{ prefix: string; handler: EventHandler }>();
  /** An event published again (a sweep after a failed mark) reaches the handlers once. */
  private readonly seen = new SeenEvents();

  /** `onHandlerError` hears about subscribers that throw; the publisher never does. */
  constructor(private readonly onHandlerError: (err: unknown, event: SextantEvent) => void = () => {}) {}

  async publish(event: SextantEvent): Promise<void> {
    if (!this.seen.first(event.id)) return;
    for (const h of this.handlers) {
      if (!event.type.startsWith(h.prefix)) continue;
      // A failing subscriber must not fail the publisher.
      void Promise.resolve()
        .then(() => h.handler(event))
        .catch((err) => this.onHandlerError(err, event));
    }
  }

  async subscribe(typePrefix: string, handler: EventHandler): Promise<() => void> {
    const entry = { prefix: typePrefix, handler };
    this.handlers.add(entry);
    return () => this.handlers.delete(entry);
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
