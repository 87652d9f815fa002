export { AuditLog, appendAudit, chainHash } from './audit-log.js';
export type { AuditEntry } from './audit-log.js';
export { TokenService } from './token-service.js';
export type { Principal } from './token-service.js';
export type { Actor } from './actor.js';
export { roleAllows } from './roles.js';
export { FairnessService } from './fairness-service.js';
export type { FairnessPorts } from './fairness-service.js';
