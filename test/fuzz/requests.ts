import fc from 'fast-check';
import { z } from 'zod';
import { RegisterVersionMeta } from '../../src/contracts/versions.js';
import { brokenBody, ODD_QUERIES, ODD_SEGMENTS, type WireBody } from './breakers.js';
import type { DeploymentShape } from './fuzz-server.js';
import { arbitraryOf, type JsonSchema } from './schema-arbitrary.js';

/** One request as sent on the wire, with a summary that fast-check prints for a counterexample. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  summary: string;
}

interface Parameter {
  name: string;
  in: 'path' | 'query';
  required?: boolean;
  schema: JsonSchema;
}

interface Operation {
  method: string;
  template: string;
  parameters: Parameter[];
  body?: JsonSchema;
  multipart: boolean;
}

interface OpenApi {
  paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>>;
  components: { schemas: Record<string, JsonSchema> };
}

/** Every operation in the OpenAPI document. */
export function operations(doc: OpenApi): Operation[] {
  return Object.entries(doc.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      parameters: op.parameters ?? [],
      body: op.requestBody?.content['application/json']?.schema,
      multipart: op.requestBody?.content['multipart/form-data'] !== undefined,
    })),
  );
}

function request(method: string, path: string, body: WireBody | undefined, extra: Record<string, string>, notes: string[]): FuzzRequest {
  const headers: Record<string, string> = { ...extra };
  if (body?.contentType !== undefined) headers['content-type'] = body.contentType;
  const summary = `${method} ${path.length > 300 ? `${path.slice(0, 300)}…` : path} [${[...notes, body?.how].filter(Boolean).join('; ')}]`;
  const r: FuzzRequest = { method, path, headers, body: body?.bytes, summary };
  Object.defineProperty(r, fc.toStringMethod, { value: () => summary });
  return r;
}

/** A path parameter: mostly one that exists, sometimes one the schema allows, sometimes an odd one. */
function segment(p: Parameter, known: Record<string, string[]>, components: Record<string, JsonSchema>): fc.Arbitrary<string> {
  const existing = known[p.name] ?? [];
  return fc.oneof(
    { weight: existing.length ? 6 : 0, arbitrary: existing.length ? fc.constantFrom(...existing) : fc.constant('x') },
    { weight: 2, arbitrary: arbitraryOf(p.schema, components).map((v) => encodeURIComponent(String(v)) || 'x') },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_SEGMENTS) },
  );
}

/** A query string: the route's own parameters (valid values), sometimes plus an odd one. */
function query(params: Parameter[], components: Record<string, JsonSchema>): fc.Arbitrary<string> {
  const valid =
    params.length === 0
      ? fc.constant('')
      : fc
          .record(Object.fromEntries(params.map((p) => [p.name, arbitraryOf(p.schema, components)])), { requiredKeys: params.filter((p) => p.required).map((p) => p.name) })
          .map((values) => {
            const q = new URLSearchParams();
            for (const [k, v] of Object.entries(values)) for (const item of Array.isArray(v) ? v : [v]) q.append(k, String(item));
            return q.toString();
          });
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: fc.tuple(valid, fc.constantFrom(...ODD_QUERIES)).map(([q, odd]) => (q ? `${q}&${odd}` : odd)) });
}

/** A JSON body: valid for the schema, or broken in one way. */
function jsonBody(schema: JsonSchema | undefined, components: Record<string, JsonSchema>): fc.Arbitrary<WireBody | undefined> {
  if (!schema) {
    // No body expected: mostly none, sometimes one anyway.
    return fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: brokenBody({ unexpected: true }) });
  }
  return arbitraryOf(schema, components).chain((valid) =>
    fc.oneof({ weight: 2, arbitrary: fc.constant<WireBody>({ bytes: Buffer.from(JSON.stringify(valid) ?? 'null'), contentType: 'application/json', how: 'valid' }) }, { weight: 3, arbitrary: brokenBody(valid) }),
  );
}

const LINEAR = JSON.stringify({ format: 'sextant-linear', features: ['a', 'b'], link: 'identity', coefficients: [[1, 2]], intercept: [0.5] });

/** A version upload: metadata (valid or broken) and a file, in order or not. */
function multipartBody(): fc.Arbitrary<WireBody> {
  const meta = arbitraryOf(z.toJSONSchema(RegisterVersionMeta, { io: 'input', unrepresentable: 'any' }) as JsonSchema, {});
  const file = fc.oneof(fc.constant(Buffer.from(LINEAR)), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)), fc.constant(Buffer.alloc(0)));
  const boundary = 'fuzzboundary';
  const part = (name: string, content: Buffer, filename?: string) =>
    Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n\r\n`), content, Buffer.from('\r\n')]);
  return fc.tuple(meta, file, fc.constantFrom('ordered', 'file first', 'no file', 'junk metadata', 'no closing boundary', 'wrong boundary')).map(([m, f, shape]) => {
    const metaPart = part('metadata', Buffer.from(shape === 'junk metadata' ? '{"format":' : JSON.stringify(m)));
    const filePart = part('file', f, 'model.bin');
    const parts = shape === 'file first' ? [filePart, metaPart] : shape === 'no file' ? [metaPart] : [metaPart, filePart];
    const end = shape === 'no closing boundary' ? Buffer.alloc(0) : Buffer.from(`--${boundary}--\r\n`);
    const type = `multipart/form-data; boundary=${shape === 'wrong boundary' ? 'other' : boundary}`;
    return { bytes: Buffer.concat([...parts, end]), contentType: type, how: `multipart, ${shape}` };
  });
}

/** Valid rows for a deployment: its example row with numeric features moved a little. */
function rows(d: DeploymentShape): fc.Arbitrary<unknown[][]> {
  const row = fc.tuple(...d.row.map((v) => (typeof v === 'number' ? fc.double({ min: v - 1, max: v + 1, noNaN: true }) : fc.constant(v))));
  return fc.array(row, { minLength: 1, maxLength: 4 });
}

/** An MLflow scoring body for a deployment, in each of the protocol's forms. */
function mlflowBody(d: DeploymentShape): fc.Arbitrary<{ valid: unknown; csv?: string }> {
  return fc.tuple(rows(d), fc.nat(4)).map(([data, form]) => {
    const records = data.map((r) => Object.fromEntries(d.features.map((f, i) => [f, r[i]])));
    if (form === 0) return { valid: { dataframe_split: { columns: d.features, data } } };
    if (form === 1) return { valid: { dataframe_records: records } };
    if (form === 2) return { valid: { instances: data } };
    if (form === 3) return { valid: { inputs: Object.fromEntries(d.features.map((f, i) => [f, data.map((r) => r[i])])) } };
    return { valid: { instances: records }, csv: [d.features.join(','), ...data.map((r) => r.join(','))].join('\n') };
  });
}

/** An Open Inference Protocol v2 body: one tensor per feature. */
function oipBody(d: DeploymentShape): fc.Arbitrary<{ valid: unknown }> {
  return rows(d).map((data) => ({
    valid: {
      inputs: d.features.map((f, i) => {
        const column = data.map((r) => r[i]);
        return { name: f, shape: [data.length], datatype: typeof column[0] === 'string' ? 'BYTES' : 'FP64', data: column };
      }),
    },
  }));
}

function inferenceBody(op: Operation, d: DeploymentShape): fc.Arbitrary<WireBody> {
  const protocol = op.template.startsWith('/v2/') ? oipBody(d) : mlflowBody(d);
  return protocol.chain(({ valid, ...rest }) => {
    const csv = 'csv' in rest && typeof rest.csv === 'string' ? rest.csv : undefined;
    const good: WireBody = csv !== undefined ? { bytes: Buffer.from(csv), contentType: 'text/csv', how: 'valid CSV' } : { bytes: Buffer.from(JSON.stringify(valid)), contentType: 'application/json', how: 'valid' };
    return fc.oneof({ weight: 2, arbitrary: fc.constant(good) }, { weight: 3, arbitrary: brokenBody(valid) });
  });
}

/** A reference upload (text/csv or JSON lines), valid or broken. */
function referenceBody(d: DeploymentShape): fc.Arbitrary<WireBody> {
  return rows(d).chain((data) => {
    const csv = [d.features.join(','), ...data.map((r) => r.join(','))].join('\n');
    const jsonl = data.map((r) => JSON.stringify(Object.fromEntries(d.features.map((f, i) => [f, r[i]])))).join('\n');
    return fc.constantFrom<WireBody>(
      { bytes: Buffer.from(csv), contentType: 'text/csv', how: 'valid CSV' },
      { bytes: Buffer.from(jsonl), contentType: 'application/x-ndjson', how: 'valid JSON lines' },
      { bytes: Buffer.from('a,b\n1'), contentType: 'text/csv', how: 'ragged CSV' },
      { bytes: Buffer.from('{"a":1}\n{'), contentType: 'application/x-ndjson', how: 'broken JSON lines' },
      { bytes: Buffer.concat([Buffer.from('a,b\n'), Buffer.from([0xff, 0xfe])]), contentType: 'text/csv', how: 'invalid UTF-8 CSV' },
      { bytes: Buffer.from(csv), contentType: 'application/json', how: 'CSV sent as JSON' },
    );
  });
}

/**
 * Requests over every operation of the OpenAPI document (valid bodies from the contracts, then
 * each broken), the inference protocols for the deployments the server holds, odd path parameters
 * and odd query strings.
 */
export function fuzzRequests(doc: OpenApi, known: Record<string, string[]>, deployments: DeploymentShape[]): fc.Arbitrary<FuzzRequest> {
  const components = doc.components.schemas;
  const byName = new Map(deployments.map((d) => [d.name, d]));
  return fc.constantFrom(...operations(doc)).chain((op) => {
    const pathParams = op.parameters.filter((p) => p.in === 'path');
    const segments = fc.tuple(...pathParams.map((p) => segment(p, known, components)));
    return fc.tuple(segments, query(op.parameters.filter((p) => p.in === 'query'), components), fc.constantFrom(...deployments)).chain(([values, q, fallback]) => {
      let path = op.template;
      pathParams.forEach((p, i) => (path = path.replace(`{${p.name}}`, values[i]!)));
      const full = q ? `${path}?${q}` : path;
      const target = byName.get(values[0] ?? '') ?? fallback;
      const isInference = /\/(invocations|infer|explain)$/.test(op.template);
      const body = op.multipart
        ? multipartBody()
        : isInference
          ? inferenceBody(op, target)
          : op.template.endsWith('/reference') && op.method === 'PUT'
            ? referenceBody(target)
            : jsonBody(op.body, components);
      const headers = fc.oneof(
        { weight: 4, arbitrary: fc.constant<Record<string, string>>({}) },
        { weight: 1, arbitrary: fc.constantFrom<Record<string, string>>({ 'x-request-id': 'fuzz-id' }, { 'x-request-id': 'bad id with spaces' }, { 'x-user': 'u1' }, { 'x-sextant-actor': 'x'.repeat(500) }, { authorization: 'Bearer nope' }) },
      );
      return fc.tuple(body, headers).map(([b, h]) => request(op.method, full, b, h, []));
    });
  });
}
