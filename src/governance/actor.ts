export type { Actor } from '../shared/actor.js';
