/** One decoded protobuf field: varints as numbers, length-delimited fields as byte views. */
export type Field = ({ no: number; wire: 0; value: number } | { no: number; wire: 2; bytes: Uint8Array } | { no: number; wire: 1 | 5 }) & {
  /** The whole field as encoded (key included), for copying it unchanged. */
  raw: Uint8Array;
};

/**
 * Minimal protobuf wire-format reader: enough to walk ONNX's ModelProto without a schema
 * compiler. Throws on malformed input so callers can report "not a valid model".
 */
export function* readFields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new Error('varint too long');
  };
  while (pos < buf.length) {
    const start = pos;
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (no === 0) throw new Error('field number 0');
    if (wire === 0) {
      const value = varint();
      yield { no, wire, value, raw: buf.subarray(start, pos) };
    } else if (wire === 2) {
      const len = varint();
      if (pos + len > buf.length) throw new Error('truncated field');
      const bytes = buf.subarray(pos, pos + len);
      pos += len;
      yield { no, wire, bytes, raw: buf.subarray(start, pos) };
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      if (pos > buf.length) throw new Error('truncated field');
      yield { no, wire, raw: buf.subarray(start, pos) };
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

export const utf8 = (b: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(b);

function varintBytes(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** Encodes a length-delimited field (strings, bytes, nested messages). */
export function lengthField(no: number, bytes: Uint8Array): Uint8Array {
  const head = [...varintBytes(no * 8 + 2), ...varintBytes(bytes.length)];
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head, 0);
  out.set(bytes, head.length);
  return out;
}

/** Encodes a varint field. */
export function varintField(no: number, value: number): Uint8Array {
  return Uint8Array.from([...varintBytes(no * 8), ...varintBytes(value)]);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
