export {
  CALL_OUTCOMES,
  DEFAULT_TOO_SHORT_SECONDS,
  callDurationSeconds,
  classifyCall,
} from './classify-call.js';
export type {
  AnsweredBy,
  CallClassification,
  CallDirection,
  CallOutcome,
  CallRecord,
  CallStatus,
  ClassifyCallOptions,
} from './classify-call.js';
export { DEFAULT_EPISODE_WINDOW_MS, groupIntoEpisodes, isSameEpisode } from './episodes.js';
