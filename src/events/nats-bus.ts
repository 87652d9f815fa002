import type { Codec, JetStreamClient, NatsConnection } from 'nats';
import type { EventBus, EventHandler, SextantEvent } from './event-bus.js';
import { SeenEvents } from './seen-events.js';

// The client library loads with the first connection (about 13 MB per process): without a NATS
// URL no process needs it.
type Nats = typeof import('nats');

/** Events on a NATS JetStream stream (`<stream>` over subjects `<prefix>.>`), seen by every process. */
export class NatsBus implements EventBus {
  readonly kind = 'nats' as const;
  private readonly stops = new Set<() => void>();

  private readonly codec: Codec<SextantEvent>;

  private constructor(
    private readonly nats: Nats,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly stream: string,
    private readonly prefix: string,
    private readonly onHandlerError: (err: unknown, event: SextantEvent) => void,
  ) {
    this.codec = nats.JSONCodec<SextantEvent>();
  }

  /** Connects and makes sure the stream exists. */
  static async connect(
    url: string,
    options: { stream?: string; prefix?: string; onHandlerError?: (err: unknown, event: SextantEvent) => void } = {},
  ): Promise<NatsBus> {
    const { stream = 'SEXTANT', prefix = 'sextant', onHandlerError = () => {} } = options;
    const nats = await import('nats');
    const nc = await nats.connect({ servers: url, name: 'sextant', timeout: 5000 });
    const jsm = await nc.jetstreamManager();
    try {
      await jsm.streams.info(stream);
    } catch {
      await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], max_age: 7 * 24 * 3600 * 1e9 });
    }
    return new NatsBus(nats, nc, nc.jetstream(), stream, prefix, onHandlerError);
  }

  private subject(type: string): string {
    return `${this.prefix}.${type.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  }

  /** An event with an id is published with it as the message id: JetStream stores a repeat within its duplicate window (2 minutes) once. */
  async publish(event: SextantEvent): Promise<void> {
    await this.js.publish(this.subject(event.type), this.codec.encode(event), event.id ? { msgID: event.id } : undefined);
  }

  async subscribe(typePrefix: string, handler: EventHandler): Promise<() => void> {
    const jsm = await this.nc.jetstreamManager();
    // An ephemeral consumer of new events on the stream; the type prefix is matched here, since a
    // prefix like "deploy" is not a subject boundary.
    const ci = await jsm.consumers.add(this.stream, {
      ack_policy: this.nats.AckPolicy.None,
      deliver_policy: this.nats.DeliverPolicy.New,
      filter_subject: `${this.prefix}.>`,
      inactive_threshold: 60 * 1e9,
    });
    const consumer = await this.js.consumers.get(this.stream, ci.name);
    const messages = await consumer.consume();
    let open = true;
    const seen = new SeenEvents();
    void (async () => {
      for await (const m of messages) {
        if (!open) break;
        const event = this.codec.decode(m.data);
        if (!event.type.startsWith(typePrefix) || !seen.first(event.id)) continue;
        await Promise.resolve()
          .then(() => handler(event))
          .catch((err) => this.onHandlerError(err, event));
      }
    })();
    const stop = () => {
      open = false;
      void messages.close();
      this.stops.delete(stop);
    };
    this.stops.add(stop);
    return stop;
  }

  async close(): Promise<void> {
    for (const stop of [...this.stops]) stop();
    await this.nc.drain();
  }
}
