import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Role } from '../contracts/tokens.js';
import type { Actor } from '../governance/actor.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HandlerContext<P> {
  params: P;
  query: unknown;
  body: unknown;
  actor: Actor;
  req: FastifyRequest;
  reply: FastifyReply;
}

/** One REST operation: what it accepts and returns (for OpenAPI), who may call it, and its handler. */
export interface RouteSpec<P extends z.ZodType = z.ZodType> {
  method: Method;
  url: string;
  summary: string;
  tag: string;
  /** Minimum role; `public` skips authentication (health, OpenAPI). */
  role: Role | 'public';
  params?: P;
  query?: z.ZodType;
  body?: z.ZodType;
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
  handler(ctx: HandlerContext<z.output<P>>): Promise<unknown>;
}

/** Keeps each route's params type tied to its schema. */
export function route<P extends z.ZodType>(spec: RouteSpec<P>): RouteSpec<z.ZodType> {
  return spec as unknown as RouteSpec<z.ZodType>;
}
