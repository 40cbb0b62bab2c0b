export { AGENT_STATUSES, effectiveAgentStatus, isAgentStatus, validateAgentSchedule } from './agent-status.js';
export type { AgentAvailability, AgentSchedule, AgentStatus } from './agent-status.js';
export { formatForwardedText, parseRelayPrefix, resolveRelayTarget, splitForwardedText } from './relay.js';
export type { RelayPrefix, RelayTarget } from './relay.js';
export { ACCEPT_REPLIES, AUTOMATED_SENDER, QUEUE_STRATEGIES, hasCapacity, isAcceptReply, looksLikeAutomatedSender, matchesQueueKeyword, pickAgentsToInvite, queueStatistics, validateQueueKeywords } from './queue.js';
export type { QueueAgentCandidate, QueueKeywordError, QueueStatistics, QueueStrategy, SessionTimes } from './queue.js';
