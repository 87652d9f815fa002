import { randomBytes, randomUUID } from 'node:crypto';

export const newId = (): string => randomUUID();

/** Request ids are short, URL-safe and unique enough to join feedback to predictions. */
export const newRequestId = (): string => randomBytes(12).toString('base64url');
