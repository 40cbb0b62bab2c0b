/**
 * One EventSource per tab on /v1/events (the browser resumes it with Last-Event-ID after a drop).
 * Events carry ids, not resources: each one invalidates the TanStack Query keys it changes, batched so a
 * burst of events refetches once. The connection state is shown in the shell ("Reconnecting…").
 */
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';

export type StreamState = 'connecting' | 'live' | 'reconnecting';
const StreamContext = createContext<StreamState>('connecting');
export const useStreamState = () => useContext(StreamContext);

type Listener = (type: string, data: { subject_type?: string; subject_id?: string; data?: Record<string, unknown> }) => void;
const listeners = new Set<Listener>();
/** Components that must react to one kind of event (the agent console's invite sound, the sandbox phone). */
export function useEventListener(fn: Listener) {
  useEffect(() => {
    listeners.add(fn);
    return () => {
      listeners.delete(fn);
    };
  }, [fn]);
}

/** Which query keys an event makes stale. */
function keysFor(type: string): string[][] {
  if (type.startsWith('message.') || type === 'compliance.decision') return [['conversations'], ['conversation'], ['messages'], ['timeline'], ['handset'], ['queue-sessions']];
  if (type.startsWith('call.') || type.startsWith('automation.') || type.startsWith('lead.')) return [['timeline'], ['conversations'], ['handset'], ['handsets']];
  if (type.startsWith('queue.')) return [['queue-sessions'], ['timeline']];
  if (type.startsWith('agent')) return [['agents'], ['teams'], ['agent-calls']];
  if (type.startsWith('contact.') || type.startsWith('suppression.')) return [['contact'], ['consent'], ['suppressions'], ['timeline'], ['conversations']];
  if (type.startsWith('conversation.') || type.startsWith('note.')) return [['conversations'], ['conversation'], ['timeline'], ['notes']];
  return [['conversations'], ['timeline']];
}

function invalidator(qc: QueryClient) {
  const pending = new Map<string, string[]>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (keys: string[][]) => {
    for (const k of keys) pending.set(k.join('/'), k);
    timer ??= setTimeout(() => {
      timer = undefined;
      const batch = [...pending.values()];
      pending.clear();
      for (const queryKey of batch) void qc.invalidateQueries({ queryKey });
    }, 50);
  };
}

export function EventStream({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const [state, setState] = useState<StreamState>('connecting');
  useEffect(() => {
    const invalidate = invalidator(qc);
    const source = new EventSource('/v1/events', { withCredentials: true });
    let everOpen = false;
    source.onopen = () => {
      // After a drop, what happened meanwhile arrives as events (Last-Event-ID); refresh lists anyway.
      if (everOpen) invalidate([['conversations'], ['timeline'], ['queue-sessions']]);
      everOpen = true;
      setState('live');
    };
    source.onerror = () => setState(everOpen ? 'reconnecting' : 'connecting');
    const onEvent = (e: MessageEvent<string>) => {
      let payload: Parameters<Listener>[1] = {};
      try {
        payload = JSON.parse(e.data) as Parameters<Listener>[1];
      } catch {
        /* a comment or heartbeat */
      }
      invalidate(keysFor(e.type));
      for (const l of listeners) l(e.type, payload);
    };
    // Server-sent events are named (event: message.received); listen to the families we know.
    const types = [
      'message.created', 'message.received', 'message.status_changed', 'message.forwarded', 'message.relayed', 'message.not_replied',
      'call.completed', 'automation.run_finished', 'lead.created', 'lead.unavailable_text',
      'queue.session_created', 'queue.session_invite', 'queue.session_accepted', 'queue.session_ended', 'queue.invite_expired', 'queue.message',
      'agent.status_changed', 'agent_call.ringing', 'agent_call.answered', 'agent_call.missed',
      'contact.consent_changed', 'compliance.decision', 'compliance.likely_opt_out',
      'suppression.added', 'suppression.removed', 'suppression.imported',
      'conversation.updated', 'conversation.assigned', 'note.created',
    ];
    for (const t of types) source.addEventListener(t, onEvent as EventListener);
    source.onmessage = onEvent;
    return () => source.close();
  }, [qc]);
  return <StreamContext.Provider value={state}>{children}</StreamContext.Provider>;
}
