import { z } from 'zod';
import { ErrorBody } from '../contracts/errors.js';
import type { RouteSpec } from './route-spec.js';

type Json = Record<string, unknown>;

/**
 * Converts a contract to JSON Schema and hoists its named parts (`.meta({ id })`) into
 * components.schemas. An input shape that differs from the output shape of the same name (defaults
 * make fields optional on the way in) is filed as `<id>Input`.
 */
function schemaIn(components: Record<string, Json>) {
  return (schema: z.ZodType, io: 'input' | 'output'): Json => {
    const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
    const defs = (json.$defs ?? {}) as Record<string, Json>;
    delete json.$defs;
    delete json.$schema;
    const rename = new Map<string, string>();
    for (const [id, def] of Object.entries(defs)) {
      const existing = components[id];
      rename.set(id, existing && JSON.stringify(existing) !== JSON.stringify(def) ? `${id}Input` : id);
    }
    const rewrite = (value: Json): Json =>
      JSON.parse(JSON.stringify(value).replace(/"#\/\$defs\/([^"]+)"/g, (_m, id: string) => `"#/components/schemas/${rename.get(id) ?? id}"`));
    for (const [id, def] of Object.entries(defs)) components[rename.get(id)!] ??= rewrite(def);
    return rewrite(json);
  };
}

function parameters(spec: RouteSpec, toSchema: ReturnType<typeof schemaIn>) {
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
  const schemas: Record<string, Json> = {};
  const toSchema = schemaIn(schemas);
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const status = String(r.status ?? (r.response || r.produces ? 200 : 204));
    const ok = r.binaryResponse
      ? { description: 'the artifact bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }
      : r.produces
        ? { description: 'success', content: { [r.produces]: { schema: { type: 'string' } } } }
        : r.response
        ? { description: 'success', content: { 'application/json': { schema: toSchema(r.response, 'output') } } }
        : { description: 'success, no body' };
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string) => (c ? c.toUpperCase() : ''))}`,
      parameters: parameters(r, toSchema),
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
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
