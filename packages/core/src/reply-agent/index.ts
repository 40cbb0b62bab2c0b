/**
 * The reply agent's rules (docs/reply-agent.md): intent recognition in English and Spanish, callback
 * times in the contact's zone, templated replies from the business's facts, guardrails. Pure.
 */
export { normalizeReplyText } from './normalize.js';
export { extractCallbackTime, type ExtractedTime } from './time.js';
export { REPLY_INTENTS, classifyReply, type ReplyClassification, type ReplyIntent, type ReplyLanguage } from './classify.js';
export {
  DEFAULT_REPLY_AGENT_POLICY,
  MAX_UNANSWERED_AGENT_TEXTS,
  checkReplyGuardrails,
  decideReply,
  describeCallbackTime,
  type ReplyAgentAction,
  type ReplyAgentDecision,
  type ReplyAgentFacts,
  type ReplyAgentPolicy,
  type ReplyAgentState,
} from './decide.js';
export { REPLY_CORPUS, REPLY_CORPUS_NOW, REPLY_CORPUS_ZONE, type ReplyCorpusEntry } from './corpus.js';
export { evaluateCorpus, type CorpusReport } from './evaluate.js';
