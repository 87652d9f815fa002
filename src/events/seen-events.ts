/**
 * The ids of the events a subscriber saw lately, so one delivered twice (events are relayed at
 * least once) is handled once. Bounded: the oldest ids are forgotten first, and a repeat comes
 * within seconds of the first delivery (a sweep after a writer's claim lapsed), far inside it.
 */
export class SeenEvents {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  /** True the first time an id is offered (and for events without one); false for a repeat. */
  first(id: string | undefined): boolean {
    if (id === undefined) return true;
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}
