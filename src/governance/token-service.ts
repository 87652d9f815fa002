import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CreatedToken, CreateTokenRequest, Role, Token } from '../contracts/tokens.js';
import { CreateTokenRequest as CreateTokenSchema } from '../contracts/tokens.js';
import { AppError } from '../shared/app-error.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import { parseInput } from '../shared/parse.js';
import type { Actor } from '../shared/actor.js';
import type { DB, TokensTable, Writes } from '../storage/index.js';

export interface Principal {
  name: string;
  role: Role;
  tokenId: string | null;
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

function toToken(r: TokensTable): Token {
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    prefix: r.prefix,
    createdAt: r.created_at,
    createdBy: r.created_by,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  };
}

/** Tokens are Sextant-wide: only a global admin manages them. */
const ADMIN = { role: 'admin', model: null } as const;

/** How long a verified token is trusted without asking the database again (inference must not hit it). */
const AUTH_CACHE_MS = 5_000;

/** Bearer tokens: the secret is shown once, only its sha256 is stored. */
export class TokenService {
  private readonly verified = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly writes: Writes,
    private readonly clock: Clock,
  ) {}

  /** Creates a token and returns it with its secret; the secret cannot be read again. */
  async create(input: CreateTokenRequest, by: Actor): Promise<CreatedToken> {
    const req = parseInput(CreateTokenSchema, input);
    const secret = `sxt_${randomBytes(32).toString('base64url')}`;
    return this.writes.run({
      by,
      permission: ADMIN,
      apply: async ({ db, now, audit }) => {
        const row: TokensTable = {
          id: newId(),
          name: req.name,
          role: req.role,
          scopes: '{}',
          hash: hashToken(secret),
          prefix: secret.slice(0, 10),
          created_at: now,
          created_by: by.actor,
          last_used_at: null,
          expires_at: req.expiresInDays ? new Date(Date.parse(now) + req.expiresInDays * 86_400_000).toISOString() : null,
          revoked_at: null,
        };
        const token = toToken(row);
        await db.insertInto('tokens').values(row).execute();
        audit({ action: 'token.create', target: `token:${row.id}`, after: token });
        return { ...token, token: secret };
      },
    });
  }

  async list(): Promise<Token[]> {
    const rows = await this.db.selectFrom('tokens').selectAll().orderBy('created_at', 'asc').orderBy('id').execute();
    return rows.map(toToken);
  }

  /** Revokes a token by id or name; revoked tokens stop authenticating at once. */
  async revoke(idOrName: string, by: Actor): Promise<Token> {
    return this.writes.run({
      by,
      permission: ADMIN,
      apply: async ({ db: trx, now, audit }) => {
        const rows = await trx
          .selectFrom('tokens')
          .selectAll()
          .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
          .where('revoked_at', 'is', null)
          .execute();
        if (rows.length === 0) throw new AppError('not_found', `token ${idOrName} not found (or already revoked)`);
        if (rows.length > 1) throw new AppError('conflict', `several active tokens are named ${idOrName}; revoke by id`);
        const row = rows[0]!;
        await trx.updateTable('tokens').set({ revoked_at: now }).where('id', '=', row.id).execute();
        this.verified.clear();
        const after = toToken({ ...row, revoked_at: now });
        audit({ action: 'token.revoke', target: `token:${row.id}`, before: toToken(row), after });
        return after;
      },
    });
  }

  async count(): Promise<number> {
    const r = await this.db.selectFrom('tokens').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * Resolves a presented secret to its principal, or null when unknown, revoked or expired. A
   * verified token is cached for a few seconds; revocation clears this process's cache at once and
   * reaches other processes within that time.
   */
  async authenticate(secret: string): Promise<Principal | null> {
    const hash = hashToken(secret);
    const cached = this.verified.get(hash);
    if (cached && cached.until > Date.now()) return cached.principal;
    const row = await this.db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
    if (!row || row.revoked_at) return null;
    const now = this.clock.now();
    if (row.expires_at && new Date(row.expires_at) <= now) return null;
    // Record use at most once a minute: auth must not turn every read into a write.
    if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() > 60_000) {
      await this.db.updateTable('tokens').set({ last_used_at: now.toISOString() }).where('id', '=', row.id).execute();
    }
    const principal: Principal = { name: row.name, role: row.role as Role, tokenId: row.id };
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(hash, { principal, until: Math.min(Date.now() + AUTH_CACHE_MS, row.expires_at ? new Date(row.expires_at).getTime() : Infinity) });
    return principal;
  }
}
