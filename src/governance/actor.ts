/** Who is acting and under which request; every state change carries one into the audit trail. */
export interface Actor {
  actor: string;
  requestId?: string | null;
}
