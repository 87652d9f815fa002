import { z } from 'zod';
import { ErrorBody } from '../contracts/errors.js';
import type { RouteSpec } from './route-spec.js';

const toSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' });

function parameters(spec: RouteSpec) {
  const out: object[] = [];
  const add = (where: 'path' | 'query', schema: z.ZodType | undefined) => {
    if (!schema) return;
    const json = toSchema(schema, 'input') as { properties?: Record<string, object>; required?: string[] };
    for (const [name, s] of Object.entries(json.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: s });
    }
  };
  add('path', spec.params);
  add('query', spec.query);
  return out;
}

/** Builds the OpenAPI 3.1 document from the same zod contracts the routes validate with. */
export function buildOpenApi(routes: RouteSpec[], version: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const status = String(r.status ?? (r.response ? 200 : 204));
    const ok = r.binaryResponse
      ? { description: 'the artifact bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }
      : r.response
        ? { description: 'success', content: { 'application/json': { schema: toSchema(r.response, 'output') } } }
        : { description: 'success, no body' };
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string) => (c ? c.toUpperCase() : ''))}`,
      parameters: parameters(r),
      responses: {
        [status]: ok,
        default: { description: 'error', content: { 'application/json': { schema: toSchema(ErrorBody, 'output') } } },
      },
    };
    if (r.role !== 'public') op.security = [{ bearer: [] }];
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: toSchema(r.body, 'input') } } };
    if (r.multipart) {
      op.requestBody = {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              required: ['metadata', 'file'],
              properties: {
                metadata: { type: 'string', description: 'JSON RegisterVersionMeta; must come before the file part' },
                file: { type: 'string', format: 'binary' },
              },
            },
          },
        },
      };
    }
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Sextant API', version },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
