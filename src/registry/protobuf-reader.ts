/** One decoded protobuf field: varints as numbers, length-delimited fields as byte views. */
export type Field = { no: number; wire: 0; value: number } | { no: number; wire: 2; bytes: Uint8Array } | { no: number; wire: 1 | 5 };

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
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (no === 0) throw new Error('field number 0');
    if (wire === 0) yield { no, wire, value: varint() };
    else if (wire === 2) {
      const len = varint();
      if (pos + len > buf.length) throw new Error('truncated field');
      yield { no, wire, bytes: buf.subarray(pos, pos + len) };
      pos += len;
    } else if (wire === 1) {
      pos += 8;
      yield { no, wire };
    } else if (wire === 5) {
      pos += 4;
      yield { no, wire };
    } else throw new Error(`unsupported wire type ${wire}`);
    if (pos > buf.length) throw new Error('truncated field');
  }
}

export const utf8 = (b: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(b);
