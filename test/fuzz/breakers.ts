import fc from 'fast-check';

/** A request body as bytes on the wire, with the content type it is sent under (none: no header). */
export interface WireBody {
  bytes: Buffer;
  contentType?: string;
  /** What was done to it, for the counterexample. */
  how: string;
}

const json = (value: unknown, how: string, contentType = 'application/json'): WireBody => ({ bytes: Buffer.from(JSON.stringify(value) ?? 'null'), contentType, how });

type Path = (string | number)[];

/** Every place in a JSON value (the root included), for breaking one of them. */
function places(value: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (out.length > 200) return out;
  if (Array.isArray(value)) value.forEach((v, i) => places(v, [...at, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) places(v, [...at, k], out);
  return out;
}

function replaceAt(value: unknown, at: Path, next: (old: unknown) => unknown): unknown {
  if (at.length === 0) return next(value);
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  const [head, ...rest] = at;
  copy[head!] = replaceAt(copy[head!], rest, next);
  return copy;
}

/** A value of another JSON type than `old`. */
function otherType(old: unknown): fc.Arbitrary<unknown> {
  const all: [string, fc.Arbitrary<unknown>][] = [
    ['string', fc.string({ maxLength: 8 })],
    ['number', fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))],
    ['boolean', fc.boolean()],
    ['null', fc.constant(null)],
    ['array', fc.array(fc.integer(), { maxLength: 3 })],
    ['object', fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 })],
  ];
  const kind = old === null ? 'null' : Array.isArray(old) ? 'array' : typeof old;
  return fc.oneof(...all.filter(([k]) => k !== kind).map(([, a]) => a));
}

const nested = (depth: number, array: boolean) => (array ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth));

/** JSON text that is not JSON, or is JSON the server must refuse. */
const JUNK = [
  '',
  '{',
  '{"a":1,}',
  "{'a': 1}",
  '{"a": NaN}',
  '{"a": 1} trailing',
  '\ufeff{"a":1}',
  '{"a": 1 /* comment */}',
  '[1, 2',
  'null',
  'true',
  '"just a string"',
  '12345678901234567890123456789',
  '{"a": 1e999}',
  '{"a": -0, "b": 1e-400}',
  '{"__proto__": {"polluted": true}}',
  '{"constructor": {"prototype": {"polluted": true}}}',
  '{"a": {"__proto__": {"x": 1}}}',
  '{"a": "\\ud800"}',
  '{"a": "\\u0000"}',
  '{"a":1,"a":2}',
];

/** Bytes that are not UTF-8, placed inside a JSON string. */
const BAD_UTF8 = [Buffer.from([0xff]), Buffer.from([0xfe, 0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80])];

const CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'text/csv',
  'application/x-ndjson',
  'application/octet-stream',
  'APPLICATION/JSON',
  ';;;',
  'application/json;;charset=',
  undefined,
];

/**
 * A valid body broken in one way: a field of the wrong type, missing or extra, a huge or deeply
 * nested value, prototype keys, invalid UTF-8, junk JSON or the wrong content type.
 */
export function brokenBody(valid: unknown): fc.Arbitrary<WireBody> {
  const spots = places(valid);
  const spot = fc.constantFrom(...spots);
  const objects = spots.filter((p) => {
    const v = p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)?.[k], valid);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  });
  const objectSpot = objects.length ? fc.constantFrom(...objects) : fc.constant<Path>([]);
  return fc.oneof(
    spot.chain((at) => otherType(at.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)?.[k], valid)).map((v) => json(replaceAt(valid, at, () => v), `wrong type at ${at.join('.') || '(root)'}`))),
    objectSpot.chain((at) => {
      const keys = Object.keys(at.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)?.[k], valid) as object);
      return keys.length
        ? fc.constantFrom(...keys).map((k) => json(replaceAt(valid, at, (o) => Object.fromEntries(Object.entries(o as object).filter(([key]) => key !== k))), `missing ${[...at, k].join('.')}`))
        : fc.constant(json(valid, 'unchanged (no keys to drop)'));
    }),
    fc.tuple(objectSpot, fc.string({ minLength: 1, maxLength: 12 }), fc.anything({ maxDepth: 2 })).map(([at, k, v]) => json(replaceAt(valid, at, (o) => ({ ...(o as object), [k]: v })), `extra key ${JSON.stringify(k)} at ${at.join('.') || '(root)'}`)),
    fc.tuple(spot, fc.constantFrom(1_000, 100_000, 300_000)).map(([at, n]) => json(replaceAt(valid, at, () => 'x'.repeat(n)), `${n}-character string at ${at.join('.') || '(root)'}`)),
    fc.tuple(spot, fc.constantFrom(10_000, 50_000)).map(([at, n]) => json(replaceAt(valid, at, () => Array.from({ length: n }, (_, i) => i)), `${n}-element array at ${at.join('.') || '(root)'}`)),
    fc.tuple(spot, fc.constantFrom(50, 1_000, 20_000), fc.boolean()).map(([at, depth, array]) => {
      const marker = '"__deep__"';
      const text = JSON.stringify(replaceAt(valid, at, () => '__deep__')).replace(marker, nested(depth, array));
      return { bytes: Buffer.from(text), contentType: 'application/json', how: `${depth}-deep ${array ? 'arrays' : 'objects'} at ${at.join('.') || '(root)'}` };
    }),
    fc.tuple(objectSpot, fc.constantFrom('__proto__', 'constructor', 'prototype')).map(([at, key]) => {
      const marker = '"__key__":0';
      const text = JSON.stringify(replaceAt(valid, at, (o) => ({ __key__: 0, ...(o as object) }))).replace(marker, `"${key}":{"polluted":true,"prototype":{"polluted":true}}`);
      return { bytes: Buffer.from(text), contentType: 'application/json', how: `"${key}" key at ${at.join('.') || '(root)'}` };
    }),
    fc.tuple(fc.constantFrom(...BAD_UTF8), fc.nat()).map(([bad, n]) => {
      const text = Buffer.from(JSON.stringify(valid) ?? 'null');
      const quote = [...text.keys()].filter((i) => text[i] === 0x22);
      const at = quote.length ? quote[n % quote.length]! + 1 : 0;
      return { bytes: Buffer.concat([text.subarray(0, at), bad, text.subarray(at)]), contentType: 'application/json', how: `invalid UTF-8 ${bad.toString('hex')} at byte ${at}` };
    }),
    fc.constantFrom(...JUNK).map((text) => ({ bytes: Buffer.from(text), contentType: 'application/json', how: `junk ${JSON.stringify(text.slice(0, 40))}` })),
    fc.constantFrom(...CONTENT_TYPES).map((type) => ({ ...json(valid, ''), contentType: type, how: `content type ${JSON.stringify(type)}` })),
  );
}

/** Odd path parameter values: traversal, NUL, very long, non-ASCII, bad percent-encoding. */
export const ODD_SEGMENTS = [
  '..',
  '.',
  '%2e%2e',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  'a%00b',
  'x'.repeat(300),
  encodeURIComponent('ñandú'),
  encodeURIComponent('模型'),
  '%F0%9F%92%A9',
  '%FF',
  '%E0%A4%A',
  '%',
  '%20',
  '-1',
  '0',
  '99999999999999999999',
  '1e3',
  'latest',
  'CON',
  '__proto__',
  'constructor',
  encodeURIComponent('a/b'),
  encodeURIComponent('<script>'),
];

/** Odd query strings: unknown or repeated keys, huge, empty or badly encoded values, prototype keys. */
export const ODD_QUERIES = [
  'bogus=1',
  '__proto__=1',
  'constructor=x',
  'pageSize=-1',
  'pageSize=1e9',
  'pageSize=abc',
  'pageSize=1&pageSize=2',
  'since=yesterday',
  'since=2026-13-45T99:99:99Z',
  'reason=' + 'r'.repeat(5000),
  'q=%FF',
  'q=%',
  'status=',
  '=',
  '&&&',
  'a[b]=c',
  'ref=x@@y',
  'after=-5',
  'version=0',
  'tag=' + encodeURIComponent('k=v'),
];
