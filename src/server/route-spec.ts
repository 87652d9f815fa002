import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Role } from '../contracts/tokens.js';
import type { Actor } from '../governance/actor.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * What a handler receives: params, query and body already parsed by the route's schemas (a route
 * without a schema for one of them gets it as sent, after the server has refused any query key).
 */
export interface HandlerContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  actor: Actor;
  req: FastifyRequest;
  reply: FastifyReply;
}

/** One REST operation: what it accepts and returns (for OpenAPI), who may call it, and its handler. */
export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: Method;
  url: string;
  summary: string;
  tag: string;
  /**
   * Minimum global role; `public` skips authentication (health, OpenAPI). Writes say `viewer`
   * (authenticated): the write path checks the role each write needs on its model, grants included.
   */
  role: Role | 'public';
  params?: P;
  /** Query parameters; keys it does not name are refused. Without it, any query key is refused. */
  query?: Q;
  /** JSON body; a request without one is parsed as `{}`. Without it, the body reaches the handler unparsed. */
  body?: B;
  /** Request body is multipart/form-data (artifact uploads), documented by hand. */
  multipart?: boolean;
  response?: z.ZodType;
  /** Non-JSON success body (artifact downloads). */
  binaryResponse?: boolean;
  /** Media type of a success body that is neither JSON nor bytes (an HTML report). */
  produces?: string;
  status?: number;
  /** Body limit for this route instead of the server's (reference data uploads). */
  bodyLimit?: number;
  /**
   * Answers this route's failures (bad input, authentication, the handler's errors) in another
   * protocol's error shape (MLflow's); Sextant's error body otherwise. Such routes stay out of
   * Sextant's OpenAPI document.
   */
  errorHandler?: (err: unknown, req: FastifyRequest, reply: FastifyReply) => void;
  handler(ctx: HandlerContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<unknown>;
}

/** Keeps each route's handler types tied to its schemas. */
export function route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(spec: RouteSpec<P, Q, B>): RouteSpec {
  return spec as unknown as RouteSpec;
}
