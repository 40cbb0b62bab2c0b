/** The agent console: availability, queue invites arriving live (Accept), active sessions (reply, End), my conversations. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { BellRing, Circle, MessagesSquare, PhoneCall } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { api, ok, type Schemas } from '../api/client';
import { useMe } from '../auth';
import { dateTime, formatPhone, shortTime } from '../format';
import { Empty, ErrorNote } from '../ui';

const STATUSES = [
  { value: 'online', label: 'Online', hint: 'You get invites and leads' },
  { value: 'busy', label: 'Busy', hint: 'No new invites for now' },
  { value: 'offline', label: 'Offline', hint: 'Away: your team covers' },
] as const;

type Session = Schemas['QueueSession'];

export function AgentConsole() {
  const me = useMe();
  const qc = useQueryClient();
  const agent = useQuery({ queryKey: ['agents', me.user.id], queryFn: () => ok(api.GET('/v1/users/{id}/agent', { params: { path: { id: me.user.id } } })) });
  const setStatus = useMutation({
    mutationFn: (status: 'online' | 'busy' | 'offline') => ok(api.PUT('/v1/users/{id}/status', { params: { path: { id: me.user.id } }, body: { status } })),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['agents'] }),
  });
  const waiting = useQuery({ queryKey: ['queue-sessions', 'waiting'], queryFn: async () => (await ok(api.GET('/v1/queue-sessions', { params: { query: { state: 'waiting' } } }))).data, refetchInterval: 30_000 });
  const active = useQuery({ queryKey: ['queue-sessions', 'active'], queryFn: async () => (await ok(api.GET('/v1/queue-sessions', { params: { query: { state: 'active' } } }))).data });
  const mine = useQuery({ queryKey: ['conversations', { assigned: 'me', status: 'open', limit: 20 }], queryFn: () => ok(api.GET('/v1/conversations', { params: { query: { assigned: 'me', status: 'open', limit: 20 } } })) });
  const refresh = () => void qc.invalidateQueries({ queryKey: ['queue-sessions'] });
  const accept = useMutation({ mutationFn: (id: string) => ok(api.POST('/v1/queue-sessions/{id}/accept', { params: { path: { id } } })), onSettled: refresh });
  const end = useMutation({ mutationFn: (id: string) => ok(api.POST('/v1/queue-sessions/{id}/end', { params: { path: { id } } })), onSettled: refresh });

  const current = agent.data?.status;
  const invites = (waiting.data ?? []).filter((s) => !s.invites || s.invites.some((i) => i.user_id === me.user.id && (i.state === 'pending' || i.state === 'offered' || i.state === 'invited')));
  const mySessions = (active.data ?? []).filter((s) => s.agent_id === me.user.id);

  return (
    <div className="page">
      <header className="page-head">
        <h1>Agent console</h1>
        <p className="muted">Your availability, queue invites and the conversations you own.</p>
      </header>
      <section className="card" aria-labelledby="availability">
        <h2 id="availability">Availability</h2>
        <div className="segmented" role="radiogroup" aria-label="Availability">
          {STATUSES.map((s) => (
            <button key={s.value} role="radio" aria-checked={current === s.value} className={`seg ${s.value} ${current === s.value ? 'on' : ''}`} onClick={() => setStatus.mutate(s.value)} disabled={setStatus.isPending}>
              <Circle size={10} aria-hidden="true" className="dot" /> {s.label}
              <small>{s.hint}</small>
            </button>
          ))}
        </div>
        <ErrorNote error={setStatus.error} />
      </section>
      <div className="grid-2">
        <section className="card" aria-labelledby="invites" role="region">
          <h2 id="invites">
            <BellRing size={18} aria-hidden="true" /> Queue invites
          </h2>
          {invites.length === 0 ? (
            <p className="muted">No one is waiting. Invites appear here the moment a customer texts a queue’s keyword.</p>
          ) : (
            <ul className="rows" aria-live="polite">
              {invites.map((s) => (
                <li key={s.id} className="row">
                  <span>
                    <strong>{formatPhone(s.originator)}</strong>
                    <span className="muted"> · waiting since {shortTime(s.created_at)}</span>
                  </span>
                  <button className="btn primary" onClick={() => accept.mutate(s.id)} disabled={accept.isPending}>
                    Accept
                  </button>
                </li>
              ))}
            </ul>
          )}
          <ErrorNote error={accept.error} />
        </section>
        <section className="card" aria-labelledby="sessions" role="region">
          <h2 id="sessions">
            <MessagesSquare size={18} aria-hidden="true" /> Active sessions
          </h2>
          {mySessions.length === 0 ? (
            <p className="muted">No active sessions.</p>
          ) : (
            <ul className="rows">
              {mySessions.map((s) => (
                <SessionRow key={s.id} s={s} onEnd={() => end.mutate(s.id)} ending={end.isPending} />
              ))}
            </ul>
          )}
          <ErrorNote error={end.error} />
        </section>
      </div>
      <section className="card" aria-labelledby="mine">
        <h2 id="mine">
          <PhoneCall size={18} aria-hidden="true" /> My conversations
        </h2>
        {(mine.data?.data.length ?? 0) === 0 ? (
          <Empty title="Nothing assigned to you">Conversations you reply to or take with “Assign to me” show here, forwarded leads included.</Empty>
        ) : (
          <ul className="rows">
            {mine.data?.data.map((c) => (
              <li key={c.id} className="row">
                <Link to="/inbox/$view" params={{ view: 'mine' }} search={{ c: c.id }}>
                  {c.contact?.name || formatPhone(c.contact?.phone)}
                </Link>
                <span className="muted ellipsis">{c.last_message?.body}</span>
                <span className="muted">{shortTime(c.last_message_at)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function SessionRow({ s, onEnd, ending }: { s: Session; onEnd: () => void; ending: boolean }) {
  const [body, setBody] = useState('');
  const qc = useQueryClient();
  const send = useMutation({
    mutationFn: () => ok(api.POST('/v1/queue-sessions/{id}/messages', { params: { path: { id: s.id } }, body: { body } })),
    onSuccess: () => {
      setBody('');
      void qc.invalidateQueries({ queryKey: ['messages'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (body.trim()) send.mutate();
  };
  return (
    <li className="row session">
      <div className="session-top">
        <span>
          <strong>{formatPhone(s.originator)}</strong>
          <span className="muted"> · since {dateTime(s.accepted_at ?? s.created_at)}</span>
        </span>
        <button className="btn danger" onClick={onEnd} disabled={ending}>
          End
        </button>
      </div>
      <form className="inline-form" onSubmit={submit}>
        <label className="sr-only" htmlFor={`s-${s.id}`}>
          Reply to {formatPhone(s.originator)}
        </label>
        <input id={`s-${s.id}`} value={body} onChange={(e) => setBody(e.target.value)} placeholder="Reply in this session…" />
        <button className="btn" disabled={!body.trim() || send.isPending}>
          Send
        </button>
      </form>
      <ErrorNote error={send.error} />
    </li>
  );
}
