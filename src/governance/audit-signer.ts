import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AuditPublicKey } from '../contracts/audit-pack.js';
import { keyIdOf, readSigningKey } from '../shared/signing-key.js';

/** Where a node keeps its own signing key when `SEXTANT_SIGNING_KEY` gives none. */
export const SIGNING_KEY_FILE = 'signing-key.pem';

/** Signs audit packs with the server's Ed25519 key. */
export class AuditSigner {
  readonly keyId: string;
  readonly publicKeyPem: string;

  private constructor(private readonly key: KeyObject) {
    const pub = createPublicKey(key);
    this.keyId = keyIdOf(pub);
    this.publicKeyPem = pub.export({ format: 'pem', type: 'spki' }).toString();
  }

  /** The configured key (PKCS#8 PEM or base64 DER), or else the home's, made on first use. */
  static fromConfig(home: string, signingKey: string | undefined): AuditSigner {
    return signingKey === undefined ? AuditSigner.fromHome(home) : new AuditSigner(readSigningKey(signingKey));
  }

  /**
   * The home's key, created (PKCS#8 PEM, owner-only) by the first process that needs it. The file
   * appears whole or not at all (written aside, then linked into place), because the processes of
   * a `--workers` server start together and each reads it.
   */
  static fromHome(home: string): AuditSigner {
    const file = path.join(home, SIGNING_KEY_FILE);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(home, { recursive: true });
      const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
      fs.writeFileSync(aside, pem, { mode: 0o600 });
      try {
        fs.linkSync(aside, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      } finally {
        fs.rmSync(aside, { force: true });
      }
    }
    try {
      return new AuditSigner(readSigningKey(fs.readFileSync(file, 'utf8')));
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Base64 Ed25519 signature of `data`. */
  sign(data: string): string {
    return sign(null, Buffer.from(data, 'utf8'), this.key).toString('base64');
  }

  publicKey(): AuditPublicKey {
    return { algorithm: 'Ed25519', keyId: this.keyId, publicKey: this.publicKeyPem };
  }
}
