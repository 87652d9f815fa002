import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

/**
 * Reads an Ed25519 private key given as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, as
 * `openssl genpkey -algorithm ed25519` writes it) or as the base64 of its PKCS#8 DER. A PEM passed
 * through an environment variable with its line breaks written as `\n` is accepted too. Throws an
 * Error saying what is wrong.
 */
export function readSigningKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    key = trimmed.startsWith('-----BEGIN')
      ? createPrivateKey({ key: trimmed.replace(/\\n/g, '\n'), format: 'pem' })
      : createPrivateKey({ key: base64Der(trimmed), format: 'der', type: 'pkcs8' });
  } catch (err) {
    throw new Error(`not a PKCS#8 private key in PEM or base64 DER (${(err as Error).message})`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an Ed25519 key is needed, this one is ${key.asymmetricKeyType ?? 'of no known type'}`);
  return key;
}

function base64Der(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) throw new Error('neither PEM nor base64');
  return Buffer.from(compact, 'base64');
}

/** Reads an Ed25519 public key from SPKI PEM; throws an Error saying what is wrong. */
export function readPublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem.trim(), format: 'pem' });
  } catch (err) {
    throw new Error(`not a public key in PEM (${(err as Error).message})`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`an Ed25519 key is needed, this one is ${key.asymmetricKeyType ?? 'of no known type'}`);
  return key;
}

/** A short, stable name of a public key: the first 16 hex digits of the sha256 of its SPKI DER. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16);
}
