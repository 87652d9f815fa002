import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../shared/parse.js';
import type { RouteSpec } from './route-spec.js';

/** A route's request parts, parsed by its schemas. */
export interface RouteInput {
  params: unknown;
  query: unknown;
  body: unknown;
}

/** No query parameters at all: what a route without a query schema accepts. */
const NO_QUERY = z.object({}).strict();

/**
 * Compiles, once per route, the parser that runs before its handler: params, query and body
 * through the route's schemas, each failure a 400 naming the field (`body.reason: expected
 * string, received number`). Query keys a route does not name are refused rather than dropped,
 * so a misspelt filter is an error instead of an unfiltered answer.
 */
export function routeInput(spec: RouteSpec): (req: FastifyRequest) => RouteInput {
  const { params, body } = spec;
  const query = spec.query === undefined ? NO_QUERY : spec.query instanceof z.ZodObject ? spec.query.strict() : spec.query;
  return (req) => ({
    params: params ? parseInput(params, req.params, 'params') : req.params,
    query: parseInput(query, req.query ?? {}, 'query'),
    body: body ? parseInput(body, req.body === undefined ? {} : req.body, 'body') : req.body,
  });
}
