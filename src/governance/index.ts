export { AuditLog, appendAudit, chainHash } from './audit-log.js';
export type { AuditEntry } from './audit-log.js';
export { TokenService } from './token-service.js';
export type { Principal } from './token-service.js';
export type { Actor } from './actor.js';
export { higherRole, roleAllows } from './roles.js';
export { AccessControl, ALL_MODELS } from './access.js';
export { WritePath } from './write-path.js';
