import fc from 'fast-check';

/** A JSON Schema node as the OpenAPI document writes it (zod's toJSONSchema output). */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

/** Small sizes: the point is shapes the server has not seen, not volume. */
const MAX_ITEMS = 4;
const MAX_STRING = 24;

/** Numbers in a schema's range, integers when it says so, biased to the edges. */
function number(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + (integer ? 1 : 1e-9) : -1e6);
  const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - (integer ? 1 : 1e-9) : 1e6);
  if (integer) return fc.integer({ min: Math.ceil(Math.max(min, -(2 ** 31))), max: Math.floor(Math.min(max, 2 ** 31)) });
  return fc.oneof(fc.constantFrom(min, max), fc.double({ min, max, noNaN: true, noDefaultInfinity: true }));
}

function string(s: JsonSchema): fc.Arbitrary<string> {
  if (s.format === 'date-time') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
  const minLength = s.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxLength ?? MAX_STRING, MAX_STRING));
  if (s.pattern) {
    return fc
      .stringMatching(new RegExp(s.pattern))
      .filter((v) => v.length >= minLength && (s.maxLength === undefined || v.length <= s.maxLength));
  }
  return fc.string({ minLength, maxLength, unit: 'grapheme' });
}

/**
 * A fast-check arbitrary of values valid for a JSON Schema (as far as the schema says: refinements
 * zod could not write down, such as "alias or versions", are left to chance). `$ref`s resolve in
 * `components`; `depth` stops recursive schemas.
 */
export function arbitraryOf(schema: JsonSchema, components: Record<string, JsonSchema>, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    return arbitraryOf(components[name] ?? {}, components, depth + 1);
  }
  if (depth > 8) return fc.constant(null);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => arbitraryOf(a, components, depth + 1)));
  if (schema.allOf) return arbitraryOf(Object.assign({}, ...schema.allOf) as JsonSchema, components, depth + 1);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : ['object', 'string', 'number', 'boolean', 'null'];
  return fc.oneof(...types.map((t) => ofType(t, schema, components, depth)));
}

function ofType(type: string, s: JsonSchema, components: Record<string, JsonSchema>, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return string(s);
    case 'integer':
      return number(s, true);
    case 'number':
      return number(s, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(s.items ? arbitraryOf(s.items, components, depth + 1) : fc.anything(), {
        minLength: s.minItems ?? 0,
        maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? MAX_ITEMS, MAX_ITEMS)),
      });
    default:
      return object(s, components, depth);
  }
}

function object(s: JsonSchema, components: Record<string, JsonSchema>, depth: number): fc.Arbitrary<unknown> {
  const properties = s.properties ?? {};
  const required = new Set(s.required ?? []);
  const known = Object.keys(properties);
  const fixed = fc.record(
    Object.fromEntries(known.map((k) => [k, arbitraryOf(properties[k]!, components, depth + 1)])),
    { requiredKeys: known.filter((k) => required.has(k)) },
  );
  // A record (`additionalProperties` with a schema): a few extra keys of that schema.
  if (typeof s.additionalProperties === 'object' && known.length === 0) {
    const key = s.propertyNames ? (arbitraryOf(s.propertyNames, components, depth + 1) as fc.Arbitrary<string>) : fc.string({ minLength: 1, maxLength: 12 });
    return fc.dictionary(key, arbitraryOf(s.additionalProperties, components, depth + 1), { maxKeys: MAX_ITEMS });
  }
  return fixed;
}
