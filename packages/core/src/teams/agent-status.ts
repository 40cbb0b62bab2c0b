/**
 * An agent's availability: the status they set (online, offline, busy) and, optionally, a weekly
 * schedule in their own time zone. When a schedule is set it decides: outside its hours the agent
 * is offline whatever they set; inside them the agent is online, or busy when they said so (on a
 * call, in a meeting). Without a schedule the status they set is the status.
 */
import { isWithinBusinessHours, validateBusinessHours, type BusinessHoursError, type OpeningRange, type Weekday } from '../schedule/business-hours.js';

export const AGENT_STATUSES = ['online', 'offline', 'busy'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export interface AgentSchedule {
  /** IANA zone of the agent, e.g. `America/Chicago`. */
  timeZone: string;
  weekly: Partial<Record<Weekday, readonly OpeningRange[]>>;
}

export interface AgentAvailability {
  /** What the agent (or a supervisor) set. */
  status: AgentStatus;
  schedule: AgentSchedule | null;
}

export function isAgentStatus(value: unknown): value is AgentStatus {
  return typeof value === 'string' && (AGENT_STATUSES as readonly string[]).includes(value);
}

/** The status that routing uses at `now`. */
export function effectiveAgentStatus(agent: AgentAvailability, now: number): AgentStatus {
  if (!agent.schedule) return agent.status;
  if (!isWithinBusinessHours({ timeZone: agent.schedule.timeZone, weekly: agent.schedule.weekly }, now)) return 'offline';
  return agent.status === 'busy' ? 'busy' : 'online';
}

/** Problems in a schedule, with paths such as `weekly.mon[0].close` (empty when valid). */
export function validateAgentSchedule(schedule: AgentSchedule): BusinessHoursError[] {
  return validateBusinessHours({ timeZone: schedule.timeZone, weekly: schedule.weekly ?? {} });
}
