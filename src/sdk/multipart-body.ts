/**
 * Streams a multipart/form-data body: the metadata JSON part first, then the file, so the server
 * can validate metadata before the bytes arrive and never buffers the artifact.
 */
export function multipartBody(
  metadata: unknown,
  file: AsyncIterable<Uint8Array>,
  filename: string,
): { contentType: string; body: ReadableStream<Uint8Array> } {
  // Web Crypto: global in browsers and in Node 20.
  const boundary = `sextant-${Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  const enc = new TextEncoder();
  const safeName = filename.replace(/["\r\n]/g, '_');
  const head = enc.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\nContent-Type: application/json\r\n\r\n` +
      `${JSON.stringify(metadata)}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safeName}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = enc.encode(`\r\n--${boundary}--\r\n`);
  async function* parts(): AsyncGenerator<Uint8Array> {
    yield head;
    for await (const chunk of file) yield chunk;
    yield tail;
  }
  const it = parts();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await it.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await it.return?.(undefined);
    },
  });
  return { contentType: `multipart/form-data; boundary=${boundary}`, body };
}
