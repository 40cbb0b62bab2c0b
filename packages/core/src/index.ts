/**
 * @textback/core: Textback's domain as a library. Pure functions, no I/O, no clock of their own.
 *
 *   import { normalizePhone, countSegments } from '@textback/core';
 *   normalizePhone('(415) 943-4591', 'US'); // { e164: '+14159434591', country: 'US', type: 'FIXED_LINE_OR_MOBILE' }
 *   countSegments('Hi there 👋');           // { encoding: 'UCS-2', segments: 1, characters: 10, ... }
 */
export * from './phone/index.js';
export * from './messaging/index.js';
export * from './calls/index.js';
export * from './compliance/index.js';
export * from './templates/index.js';
export * from './schedule/index.js';
export * from './automations/index.js';
export * from './teams/index.js';
export * from './search/index.js';
export * from './analytics/index.js';
export * from './reply-agent/index.js';
