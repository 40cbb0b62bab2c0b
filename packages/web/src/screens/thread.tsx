/**
 * A conversation's thread: the contact's whole timeline (texts with their status and reasons, calls,
 * automation steps and why, team decisions, consent changes, notes), newest at the bottom.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, Ban, Bot, CalendarClock, CheckCheck, Hourglass, MailQuestion, PhoneIncoming, PhoneMissed, PhoneOutgoing, RotateCcw, ShieldCheck, StickyNote, UserCheck, Users, Voicemail } from 'lucide-react';
import { useEffect, useLayoutEffect, useMemo, useRef, type ReactNode } from 'react';
import { api, ok, type Schemas } from '../api/client';
import { useMe } from '../auth';
import { dateTime, formatPhone, reasonWords, ruleWords, statusWord, timeOnly, zoneName } from '../format';
import { Loading } from '../ui';
import { Composer } from './composer';
import { ReplyAgentBar } from './reply-agent-bar';
import { DeliveryIcon, useConversationActions, useUsers } from './inbox';
import { useTeams } from './shell';

type Message = Schemas['Message'];
type TimelineEntry = Schemas['TimelineEntry'];

export function useContact(contactId: string | undefined) {
  return useQuery({ queryKey: ['contact', contactId], enabled: !!contactId, queryFn: () => ok(api.GET('/v1/contacts/{id}', { params: { path: { id: contactId! } } })) });
}
export function useConsent(contactId: string | undefined) {
  return useQuery({ queryKey: ['consent', contactId], enabled: !!contactId, queryFn: async () => (await ok(api.GET('/v1/contacts/{id}/consent', { params: { path: { id: contactId! } } }))) });
}

export function Thread({ conversationId, actions, contactToggle }: { conversationId: string; actions: ReturnType<typeof useConversationActions>; contactToggle: ReactNode }) {
  const qc = useQueryClient();
  const me = useMe();
  const users = useUsers();
  const teams = useTeams();
  const conv = useQuery({ queryKey: ['conversation', conversationId], queryFn: () => ok(api.GET('/v1/conversations/{id}', { params: { path: { id: conversationId } } })) });
  const contactId = conv.data?.contact_id;
  const contact = useContact(contactId);
  const messages = useQuery({
    queryKey: ['messages', conversationId],
    queryFn: () => ok(api.GET('/v1/conversations/{id}/messages', { params: { path: { id: conversationId }, query: { limit: 200 } } })),
  });
  const timeline = useQuery({
    queryKey: ['timeline', contactId],
    enabled: !!contactId,
    queryFn: async () => (await ok(api.GET('/v1/contacts/{id}/timeline', { params: { path: { id: contactId! } } }))).data,
  });
  const consent = useConsent(contactId);

  // Opening a conversation reads it.
  const read = useMutation({
    mutationFn: () => ok(api.POST('/v1/conversations/{id}/read', { params: { path: { id: conversationId } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['conversations'] }),
  });
  const unread = conv.data ? conv.data.unread_count > 0 || !conv.data.read : false;
  useEffect(() => {
    if (unread && !read.isPending) read.mutate();
  }, [unread]);

  const zone = contact.data?.time_zone ?? null;
  const items = useMemo(() => {
    const rows: { at: string; key: string; node: ReactNode }[] = [];
    for (const m of messages.data?.data ?? []) rows.push({ at: m.created_at ?? '', key: `m${m.id}`, node: <MessageItem m={m} zone={zone} /> });
    // Automation steps of one run read as one line ("why"), opened for the detail.
    const runs = new Map<string, TimelineEntry[]>();
    for (const t of timeline.data ?? []) {
      if (t.kind === 'message') continue; // shown from the conversation's messages, with their full status
      if (t.kind === 'automation') {
        const steps = runs.get(t.id);
        if (steps) steps.push(t);
        else {
          const list = [t];
          runs.set(t.id, list);
          rows.push({ at: t.at, key: `run${t.id}`, node: <AutomationRun steps={list} /> });
        }
        continue;
      }
      rows.push({ at: t.at, key: `${t.kind}${t.id}${t.at}${t.summary}`, node: <TimelineItem t={t} /> });
    }
    for (const e of consent.data?.ledger ?? []) {
      rows.push({ at: e.created_at, key: `c${e.id}`, node: <ConsentItem e={e} /> });
    }
    rows.sort((a, b) => a.at.localeCompare(b.at));
    return rows;
  }, [messages.data, timeline.data, consent.data, zone]);

  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [items.length]);

  if (conv.isPending) return <Loading label="Loading conversation…" />;
  if (conv.isError) return <p className="form-error" role="alert">{conv.error.message}</p>;
  const c = conv.data;
  const name = contact.data?.name || formatPhone(contact.data?.phone) || 'Contact';
  const assignee = c.assigned_user_id ? (c.assigned_user_id === me.user.id ? 'You' : (users.data?.find((u) => u.id === c.assigned_user_id)?.name ?? 'Someone')) : null;

  return (
    <div className="thread">
      <header className="thread-head">
        <div className="thread-title">
          <h2>{name}</h2>
          <span className="muted">
            {contact.data?.name ? formatPhone(contact.data.phone) : ''}
            {zone ? ` · ${zoneName(zone)} time ${timeOnly(Date.now(), zone)}` : ''}
          </span>
        </div>
        <div className="thread-actions">
          <label className="assign">
            <span className="sr-only">Assigned to</span>
            <select value={c.assigned_user_id ?? ''} onChange={(e) => actions.assign(c.id, e.target.value || null)} title="Assigned to">
              <option value="">{assignee ? 'Unassign' : 'Unassigned'}</option>
              {users.data?.filter((u) => u.active || u.id === c.assigned_user_id).map((u) => (
                <option key={u.id} value={u.id}>
                  {u.id === me.user.id ? `${u.name ?? u.email} (you)` : (u.name ?? u.email)}
                </option>
              ))}
            </select>
          </label>
          {(teams.data?.length ?? 0) > 0 && (
            <label className="assign team">
              <span className="sr-only">Team</span>
              <select value={c.assigned_team_id ?? ''} onChange={(e) => actions.assignTeam(c.id, e.target.value || null)} title="Team">
                <option value="">No team</option>
                {teams.data?.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          {c.assigned_user_id !== me.user.id && (
            <button className="btn" onClick={() => actions.assignToMe(c.id)} title="Assign to me (a)">
              <UserCheck size={16} aria-hidden="true" /> <span className="label">Assign to me</span>
            </button>
          )}
          <button className="btn" onClick={() => actions.markUnread(c.id)} title="Mark unread (u)">
            <MailQuestion size={16} aria-hidden="true" /> <span className="label">Unread</span>
          </button>
          <label className="assign">
            <span className="sr-only">Snooze</span>
            <select
              title="Snooze: hide it until then (a new text wakes it)"
              value=""
              onChange={(e) => {
                const v = e.target.value;
                if (v) actions.snooze(c.id, v === 'wake' ? null : snoozeUntil(v));
              }}
            >
              <option value="">{c.snoozed_until ? `Snoozed until ${dateTime(c.snoozed_until)}` : 'Snooze…'}</option>
              <option value="1h">1 hour</option>
              <option value="tomorrow">Tomorrow 8 AM</option>
              <option value="week">Next Monday 8 AM</option>
              {c.snoozed_until && <option value="wake">Wake now</option>}
            </select>
          </label>
          {c.status === 'done' ? (
            <button className="btn" onClick={() => actions.reopen(c.id)} title="Reopen (e)">
              <RotateCcw size={16} aria-hidden="true" /> <span className="label">Reopen</span>
            </button>
          ) : (
            <button className="btn primary" onClick={() => actions.done(c.id)} title="Done (e)">
              <CheckCheck size={16} aria-hidden="true" /> <span className="label">Done</span>
            </button>
          )}
          {contactToggle}
        </div>
      </header>
      <div
        className="timeline"
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
        }}
      >
        <ol aria-label="Timeline" aria-live="polite">
          {items.map((r) => (
            <li key={r.key}>{r.node}</li>
          ))}
        </ol>
      </div>
      <ReplyAgentBar conversationId={c.id} version={timeline.dataUpdatedAt} />
      <Composer conversation={c} contact={contact.data} />
    </div>
  );
}

/** When a snooze ends, in the agent's own time. */
function snoozeUntil(choice: string): string {
  const d = new Date();
  if (choice === '1h') return new Date(d.getTime() + 3600_000).toISOString();
  d.setHours(8, 0, 0, 0);
  if (choice === 'tomorrow') d.setDate(d.getDate() + 1);
  else d.setDate(d.getDate() + (((8 - d.getDay()) % 7) || 7));
  return d.toISOString();
}

function MessageItem({ m, zone }: { m: Message; zone: string | null }) {
  const out = m.direction === 'outbound';
  const bad = m.status === 'failed' || m.status === 'undelivered';
  const qc = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => ok(api.POST('/v1/messages/{id}/cancel', { params: { path: { id: m.id } } })),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['messages'] }),
  });
  return (
    <div className={`msg ${out ? 'out' : 'in'} ${bad || m.status === 'blocked' ? 'bad' : ''}`} data-status={m.status}>
      {/* Bodies are text: React escapes them; never HTML. */}
      <div className="bubble">{m.body}</div>
      <div className="msg-meta">
        <time dateTime={m.created_at ?? undefined}>{dateTime(m.created_at)}</time>
        {out && (
          <span className={`status ${bad ? 'bad' : ''}`}>
            <DeliveryIcon status={m.status} /> {statusWord(m.status)}
          </span>
        )}
        {out && m.created_by?.type && m.created_by.type !== 'user' && <span className="muted">· {m.created_by.type === 'api_key' ? 'via the API' : `by ${m.created_by.type.replace(/_/g, ' ')}`}</span>}
        {m.segments > 1 && <span className="muted">· {m.segments} segments</span>}
      </div>
      {bad && (
        <div className="msg-note bad" role="note">
          <AlertTriangle size={15} aria-hidden="true" />
          <span>
            <strong>{m.status === 'failed' ? 'Failed' : 'Not delivered'}:</strong> {reasonWords(m.reason) || 'the carrier did not say why'}
            {m.error_code ? ` (carrier error ${m.error_code})` : ''}
            {m.status_detail ? ` — ${m.status_detail}` : ''}
          </span>
        </div>
      )}
      {m.status === 'held' && (
        <div className="msg-note warn" role="note">
          <Hourglass size={15} aria-hidden="true" />
          <span>
            Held for {ruleWords(m.rule) || 'a compliance rule'}
            {m.held_until ? ` until ${dateTime(m.held_until, zone)}${zone ? ` their time (${zoneName(zone)})` : ''}` : ''}
          </span>
        </div>
      )}
      {m.status === 'blocked' && (
        <div className="msg-note bad" role="note">
          <Ban size={15} aria-hidden="true" />
          <span>
            <strong>Blocked:</strong> {reasonWords(m.reason)}
            {m.rule ? ` (rule: ${ruleWords(m.rule)})` : ''}
          </span>
        </div>
      )}
      {m.status === 'scheduled' && (
        <div className="msg-note" role="note">
          <CalendarClock size={15} aria-hidden="true" />
          <span>
            Will be sent {dateTime(m.scheduled_at)} your time{zone ? ` (${dateTime(m.scheduled_at, zone)} in ${zoneName(zone)})` : ''}
          </span>
          <button className="btn small" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
            Cancel
          </button>
        </div>
      )}
    </div>
  );
}

function TimelineItem({ t }: { t: TimelineEntry }) {
  if (t.kind === 'note') {
    const d = t.data as { body?: string; author?: { name?: string | null } };
    return (
      <div className="note" role="note">
        <div className="note-head">
          <StickyNote size={14} aria-hidden="true" /> Internal note{d.author?.name ? ` by ${d.author.name}` : ''} · <time>{dateTime(t.at)}</time>
        </div>
        <div className="note-body">{String(d.body ?? t.summary)}</div>
      </div>
    );
  }
  let icon: ReactNode = <Bot size={15} />;
  let text = t.summary;
  if (t.kind === 'call') {
    const d = t.data as { direction?: string; outcome?: string | null; status?: string; duration_seconds?: number | null };
    const outcome = d.outcome ?? d.status ?? '';
    const dir = d.direction === 'outbound' ? 'Outgoing' : 'Incoming';
    if (outcome === 'answered') {
      icon = d.direction === 'outbound' ? <PhoneOutgoing size={15} /> : <PhoneIncoming size={15} />;
      text = `${dir} call answered${d.duration_seconds ? ` · ${Math.max(1, Math.round(d.duration_seconds / 60))} min` : ''}`;
    } else if (outcome === 'voicemail') {
      icon = <Voicemail size={15} />;
      text = `${dir} call · left a voicemail`;
    } else {
      icon = <PhoneMissed size={15} />;
      text = `Missed ${dir.toLowerCase()} call${outcome && outcome !== 'missed' ? ` (${outcome.replace(/[_-]/g, ' ')})` : ''}`;
    }
  } else if (t.kind === 'team') icon = <Users size={15} />;
  return (
    <div className={`event ${t.kind}`}>
      <span className="event-icon" aria-hidden="true">
        {icon}
      </span>
      <span className="event-text">
        {t.kind === 'automation' && <span className="sr-only">Automation: </span>}
        {text}
      </span>
      <time className="event-time">{timeOnly(t.at)}</time>
    </div>
  );
}

function AutomationRun({ steps }: { steps: TimelineEntry[] }) {
  const first = steps[0]!;
  const name = first.summary.split(' · ')[0] ?? 'Automation';
  const last = steps[steps.length - 1]!;
  const lastWhy = String((last.data as { message?: string }).message ?? last.summary).split(' — ').pop() ?? '';
  return (
    <details className="event automation">
      <summary>
        <span className="event-icon" aria-hidden="true">
          <Bot size={15} />
        </span>
        <span className="event-text">
          <strong>{name}</strong> · {lastWhy}
        </span>
        <time className="event-time">{timeOnly(first.at)}</time>
      </summary>
      <ol className="run-steps">
        {steps.map((s, i) => (
          <li key={i}>
            <time>{timeOnly(s.at)}</time> {String((s.data as { step?: string }).step ?? '')}: {String((s.data as { message?: string }).message ?? s.summary)}
          </li>
        ))}
      </ol>
    </details>
  );
}

function ConsentItem({ e }: { e: { state: string; source: string; created_at: string } }) {
  const out = e.state === 'opted_out';
  return (
    <div className={`event consent ${out ? 'bad' : ''}`}>
      <span className="event-icon" aria-hidden="true">
        {out ? <Ban size={15} /> : <ShieldCheck size={15} />}
      </span>
      <span className="event-text">
        {out ? 'Opted out' : e.state === 'opted_in' ? 'Opted in' : `Consent: ${e.state.replace(/_/g, ' ')}`} ({e.source.replace(/_/g, ' ')})
      </span>
      <time className="event-time">{dateTime(e.created_at)}</time>
    </div>
  );
}
