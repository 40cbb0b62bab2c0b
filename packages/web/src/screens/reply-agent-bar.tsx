/**
 * The reply agent's line above the composer: whether it answers this conversation, and the button to
 * take over from it or hand the conversation back. Shown only when the number's agent is on.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Bot } from 'lucide-react';
import { useEffect } from 'react';
import { api, ok } from '../api/client';
import { problemText } from '../settings/common';

export function ReplyAgentBar({ conversationId, version }: { conversationId: string; version: number }) {
  const qc = useQueryClient();
  const key = ['reply-agent-conversation', conversationId];
  const agent = useQuery({ queryKey: key, queryFn: () => ok(api.GET('/v1/conversations/{id}/reply-agent', { params: { path: { id: conversationId } } })) });
  // A new line in the timeline (the agent replied, handed off, a person wrote): read the state again.
  useEffect(() => {
    if (version) void qc.invalidateQueries({ queryKey: key });
  }, [version]);
  const act = useMutation({
    mutationFn: (action: 'take_over' | 'hand_back') => ok(api.POST('/v1/conversations/{id}/reply-agent', { params: { path: { id: conversationId } }, body: { action } })),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: key });
      void qc.invalidateQueries({ queryKey: ['timeline'] });
    },
  });
  const a = agent.data;
  if (!a?.enabled) return null;
  let text: string;
  let action: 'take_over' | 'hand_back' | null = null;
  if (a.state === 'active') {
    text = `The reply agent answers this conversation${a.exchanges ? ` (${a.exchanges} ${a.exchanges === 1 ? 'reply' : 'replies'} so far)` : ''}.`;
    action = 'take_over';
  } else if (a.state === 'handed_off') {
    text = `The reply agent handed this conversation to a person${a.reason ? `: ${a.reason}` : ''}.`;
    action = 'hand_back';
  } else if (a.state === 'taken_over') {
    text = 'A person has this conversation; the reply agent stays quiet.';
    action = 'hand_back';
  } else {
    text = 'The contact opted out: the reply agent stays quiet.';
  }
  return (
    <div className={`agent-bar ${a.state}`} role="status" aria-label="Reply agent">
      <Bot size={16} aria-hidden="true" />
      <span className="grow-min">{text}</span>
      {action && (
        <button className="btn small" onClick={() => act.mutate(action)} disabled={act.isPending}>
          {action === 'take_over' ? 'Take over' : 'Hand back to the agent'}
        </button>
      )}
      {act.error && <span className="form-error">{problemText(act.error)}</span>}
    </div>
  );
}
