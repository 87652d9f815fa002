import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('defaults to SQLite and a local artifact folder under ./.sextant on loopback:8080', () => {
    const c = loadConfig({ env: {}, cwd: '/srv' });
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, home: '/srv/.sextant', auth: { enabled: false } });
    expect(c.database).toEqual({ kind: 'sqlite', path: '/srv/.sextant/sextant.db' });
    expect(c.artifacts).toEqual({ kind: 'fs', root: '/srv/.sextant/artifacts' });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('switches to PostgreSQL and S3 from the environment, flags winning over variables', () => {
    const c = loadConfig({
      env: {
        SEXTANT_DATABASE_URL: 'postgres://u@db:5432/sextant',
        SEXTANT_ARTIFACTS: 's3://models/prod/sextant/',
        AWS_ENDPOINT_URL_S3: 'http://minio:9000',
        AWS_ACCESS_KEY_ID: 'k',
        AWS_SECRET_ACCESS_KEY: 's',
        SEXTANT_PORT: '9000',
      },
      flags: { port: '9100', home: '/data' },
    });
    expect(c.port).toBe(9100);
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/sextant' });
    expect(c.artifacts).toMatchObject({ kind: 's3', bucket: 'models', prefix: 'prod/sextant', endpoint: 'http://minio:9000', forcePathStyle: true });
    expect(path.isAbsolute(c.home)).toBe(true);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ env: { SEXTANT_PORT: 'eighty' } })).toThrow(/SEXTANT_PORT/);
    expect(() => loadConfig({ env: { SEXTANT_AUTH: 'maybe' } })).toThrow(/SEXTANT_AUTH/);
    expect(() => loadConfig({ env: { SEXTANT_DATABASE_URL: 'mysql://x' } })).toThrow(/SEXTANT_DATABASE_URL/);
    expect(() => loadConfig({ env: { SEXTANT_ARTIFACTS: 's3://' } })).toThrow(/SEXTANT_ARTIFACTS/);
    expect(() => loadConfig({ env: { SEXTANT_LOG_FLUSH_MS: '5' } })).toThrow(/SEXTANT_LOG_FLUSH_MS/);
  });

  it('takes the personal-data key nodes share, and refuses one that is not 32 bytes of hex without echoing it', () => {
    const key = 'AB'.repeat(32);
    expect(loadConfig({ env: { SEXTANT_PII_KEY: key } }).monitoring.piiKey).toBe(key.toLowerCase());
    expect(loadConfig({ env: {} }).monitoring.piiKey).toBeUndefined();
    expect(() => loadConfig({ env: { SEXTANT_PII_KEY: 'secret-but-short' } })).toThrow(/SEXTANT_PII_KEY: must be 64 hex digits/);
    expect(() => loadConfig({ env: { SEXTANT_PII_KEY: 'secret-but-short' } })).not.toThrow(/secret-but-short/);
  });

  it('writes the prediction log every 250 ms unless told otherwise', () => {
    expect(loadConfig({ env: {} }).monitoring.logFlushMs).toBe(250);
    expect(loadConfig({ env: { SEXTANT_LOG_FLUSH_MS: '1000' } }).monitoring.logFlushMs).toBe(1000);
  });
});
