/**
 * The composer: a reply or an internal note. Shows characters, segments and encoding as you type (the
 * core's segment counter, the same code the server bills with), the organization's length limit, saved
 * replies with their variables filled in, send later in the contact's zone and yours, and what the
 * compliance gate will do. Sending is idempotent: one Idempotency-Key per draft, so a double click sends once.
 */
import { countSegments, renderTemplate } from '@textback/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, Ban, CalendarClock, Hourglass, MessageSquareQuote, Send, StickyNote, X } from 'lucide-react';
import { useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, ApiError, ok, type Schemas } from '../api/client';
import { useMe } from '../auth';
import { dateTime, formatPhone, templateVars, timeOnly, zoneName } from '../format';
import { Dialog } from '../ui';
import { useConsent } from './thread';
import { useNumbers } from './shell';

type Contact = Schemas['Contact'];
type Conversation = Schemas['Conversation'];


const drafts = new Map<string, { body: string; key: string }>();
const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

export function useOrganization() {
  return useQuery({ queryKey: ['organization'], queryFn: () => ok(api.GET('/v1/organization')), staleTime: 60_000 });
}
export function useSavedReplies() {
  return useQuery({ queryKey: ['saved-replies'], queryFn: async () => (await ok(api.GET('/v1/saved-replies'))).data, staleTime: 30_000 });
}

/** Characters that need UCS-2 (each one alone does not fit GSM-7). */
function ucs2Chars(text: string): string[] {
  const seen = new Set<string>();
  for (const ch of text) if (!seen.has(ch) && countSegments(ch).encoding === 'UCS-2') seen.add(ch);
  return [...seen].slice(0, 8);
}

export function Composer({ conversation, contact }: { conversation: Conversation; contact: Contact | undefined }) {
  const qc = useQueryClient();
  const me = useMe();
  const org = useOrganization();
  const numbers = useNumbers();
  const [mode, setMode] = useState<'reply' | 'note'>('reply');
  const draft = drafts.get(conversation.id) ?? { body: '', key: newKey() };
  const [body, setBody] = useState(draft.body);
  const keyRef = useRef(draft.key);
  const [later, setLater] = useState(false);
  const [sendAt, setSendAt] = useState('');
  const [picker, setPicker] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    drafts.set(conversation.id, { body, key: keyRef.current });
  }, [body, conversation.id]);
  useEffect(() => {
    const open = () => setPicker(true);
    window.addEventListener('textback:saved-replies', open);
    return () => window.removeEventListener('textback:saved-replies', open);
  }, []);

  const maxLength = (org.data?.settings as { max_body_length?: number } | undefined)?.max_body_length ?? 1000;
  const count = useMemo(() => countSegments(body), [body]);
  const wide = useMemo(() => (count.encoding === 'UCS-2' ? ucs2Chars(body) : []), [body, count.encoding]);
  const characters = [...body].length;
  const tooLong = characters > maxLength;
  const number = numbers.data?.find((n) => n.id === conversation.number_id);
  const zone = contact?.time_zone ?? null;
  const gate = useGatePreview(contact, conversation);

  const reset = () => {
    setBody('');
    keyRef.current = newKey();
    drafts.delete(conversation.id);
    setLater(false);
    setSendAt('');
  };

  const send = useMutation({
    mutationFn: async () => {
      if (!contact) throw new Error('The contact is still loading');
      const when = later && sendAt ? new Date(sendAt).toISOString() : undefined;
      return ok(
        api.POST('/v1/messages', {
          params: { header: { 'idempotency-key': keyRef.current } },
          body: { conversation_id: conversation.id, body, ...(when ? { send_at: when } : {}) },
        }),
      );
    },
    onSuccess: () => {
      reset();
      void qc.invalidateQueries({ queryKey: ['messages', conversation.id] });
      void qc.invalidateQueries({ queryKey: ['conversations'] });
      void qc.invalidateQueries({ queryKey: ['conversation', conversation.id] });
    },
  });
  const note = useMutation({
    mutationFn: () => ok(api.POST('/v1/conversations/{id}/notes', { params: { path: { id: conversation.id } }, body: { body } })),
    onSuccess: () => {
      reset();
      void qc.invalidateQueries({ queryKey: ['timeline'] });
    },
  });
  const busy = send.isPending || note.isPending;
  const canSend = body.trim().length > 0 && !busy && (mode === 'note' || (!tooLong && (!later || !!sendAt)));

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    if (!canSend) return;
    if (mode === 'note') note.mutate();
    else send.mutate();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit();
    if (e.key === 'Escape') area.current?.blur();
  };

  const vars = templateVars({ contactName: contact?.name, business: org.data?.name, agent: me.user.name, number: number?.e164 ?? number?.phone, attributes: contact?.attributes });
  const insert = (text: string) => {
    let filled = text;
    try {
      filled = renderTemplate(text, vars);
    } catch {
      /* an invalid template is inserted as written */
    }
    setBody((b) => (b ? `${b}${b.endsWith(' ') ? '' : ' '}${filled}` : filled));
    setPicker(false);
    requestAnimationFrame(() => area.current?.focus());
  };

  const error = send.error ?? note.error;
  const userZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  return (
    <form className={`composer ${mode}`} onSubmit={submit} aria-label={mode === 'note' ? 'Internal note' : 'Reply'}>
      <div className="composer-tabs" role="tablist" aria-label="Write">
        <button type="button" role="tab" aria-selected={mode === 'reply'} className={mode === 'reply' ? 'active' : ''} onClick={() => setMode('reply')}>
          <Send size={14} aria-hidden="true" /> Text {contact ? (contact.name?.split(' ')[0] ?? formatPhone(contact.phone)) : ''}
        </button>
        <button type="button" role="tab" aria-selected={mode === 'note'} className={mode === 'note' ? 'active' : ''} onClick={() => setMode('note')}>
          <StickyNote size={14} aria-hidden="true" /> Internal note
        </button>
      </div>
      {mode === 'reply' && gate.length > 0 && (
        <ul className="gate" aria-label="Before you send">
          {gate.map((g) => (
            <li key={g.text} className={g.level}>
              {g.level === 'bad' ? <Ban size={14} aria-hidden="true" /> : g.level === 'warn' ? <Hourglass size={14} aria-hidden="true" /> : <AlertTriangle size={14} aria-hidden="true" />}
              {g.text}
            </li>
          ))}
        </ul>
      )}
      <label className="sr-only" htmlFor="composer-body">
        {mode === 'note' ? 'Note (only your team sees it)' : 'Message'}
      </label>
      <textarea
        id="composer-body"
        ref={area}
        value={body}
        rows={3}
        placeholder={mode === 'note' ? 'Only your team sees notes. They are never sent.' : 'Write a text…  (Ctrl+Enter sends, / saved replies)'}
        onChange={(e) => setBody(e.target.value)}
        onKeyDown={onKeyDown}
        aria-describedby="composer-count"
        aria-invalid={tooLong || undefined}
      />
      {mode === 'reply' && later && (
        <div className="later">
          <label className="field inline">
            <span>Send at (your time, {zoneName(userZone)})</span>
            <input type="datetime-local" value={sendAt} onChange={(e) => setSendAt(e.target.value)} min={new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16)} />
          </label>
          {sendAt && (
            <p className="muted" aria-live="polite">
              {timeOnly(new Date(sendAt))} your time{zone && zone !== userZone ? ` is ${dateTime(new Date(sendAt), zone)} for them (${zoneName(zone)})` : ''}
            </p>
          )}
        </div>
      )}
      <div className="composer-bar">
        <span id="composer-count" className={`count ${tooLong ? 'bad' : ''}`} aria-live="polite">
          {mode === 'reply' ? (
            <>
              {characters.toLocaleString()} / {maxLength.toLocaleString()} · {count.segments} {count.segments === 1 ? 'segment' : 'segments'} · {count.encoding}
              {wide.length > 0 && (
                <span title="These characters need UCS-2, which fits 70 characters per segment instead of 160">
                  {' '}
                  because of{' '}
                  {wide.map((c) => (
                    <code key={c} className="char">
                      {c}
                    </code>
                  ))}
                </span>
              )}
            </>
          ) : (
            'Visible to your team only'
          )}
        </span>
        <span className="composer-buttons">
          {mode === 'reply' && (
            <>
              <button type="button" className="icon-btn" aria-label="Saved replies" title="Saved replies (/)" onClick={() => setPicker(true)}>
                <MessageSquareQuote size={18} />
              </button>
              <button type="button" className={`icon-btn ${later ? 'on' : ''}`} aria-label="Send later" aria-pressed={later} title="Send later" onClick={() => setLater((l) => !l)}>
                <CalendarClock size={18} />
              </button>
            </>
          )}
          <button className="btn primary" disabled={!canSend}>
            {mode === 'note' ? 'Add note' : later ? 'Schedule' : busy ? 'Sending…' : 'Send'}
          </button>
        </span>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error instanceof ApiError ? (error.field('body') ?? error.message) : error.message}
        </p>
      )}
      {picker && <SavedReplyPicker onPick={insert} onClose={() => setPicker(false)} vars={vars} />}
    </form>
  );
}

/** What the compliance gate will do, from what the page knows: consent, suppression, quiet hours. */
function useGatePreview(contact: Contact | undefined, conversation: Conversation): { level: 'bad' | 'warn' | 'info'; text: string }[] {
  const consent = useConsent(contact?.id);
  const suppression = useQuery({
    queryKey: ['suppressions', contact?.phone],
    enabled: !!contact,
    queryFn: async () => {
      const { response } = await api.GET('/v1/suppressions/{number}', { params: { path: { number: contact!.phone } } });
      return response.ok;
    },
  });
  const settings = useQuery({ queryKey: ['compliance-settings'], queryFn: () => ok(api.GET('/v1/compliance/settings')), staleTime: 60_000 });
  const out: { level: 'bad' | 'warn' | 'info'; text: string }[] = [];
  const events = consent.data?.ledger ?? [];
  const latest = [...events].sort((a, b) => b.created_at.localeCompare(a.created_at))[0];
  if (latest?.state === 'opted_out') out.push({ level: 'bad', text: `Opted out on ${dateTime(latest.created_at)}: this text will be blocked.` });
  if (suppression.data) out.push({ level: 'bad', text: 'On your do-not-contact list: this text will be blocked.' });
  const zone = contact?.time_zone;
  const quiet = settings.data?.quiet_hours;
  if (zone && quiet !== false) {
    const hour = Number(new Intl.DateTimeFormat('en-US', { hour: 'numeric', hourCycle: 'h23', timeZone: zone }).format(new Date()));
    if (hour >= 21 || hour < 8) {
      const live = conversation.last_message_at && Date.now() - new Date(conversation.last_message_at).getTime() < 24 * 3600_000;
      out.push({
        level: 'warn',
        text: `Quiet hours in ${zoneName(zone)} (it is ${timeOnly(Date.now(), zone)} there)${live ? ': a reply in a live conversation may go now, otherwise it is held until 8:00 AM their time.' : ': it will be held until 8:00 AM their time.'}`,
      });
    }
  }
  return out;
}

function SavedReplyPicker({ onPick, onClose, vars }: { onPick: (body: string) => void; onClose: () => void; vars: Record<string, string | undefined> }) {
  const replies = useSavedReplies();
  const [q, setQ] = useState('');
  const list = (replies.data ?? []).filter((r) => `${r.name} ${r.body}`.toLowerCase().includes(q.toLowerCase()));
  const preview = (b: string) => {
    try {
      return renderTemplate(b, vars);
    } catch {
      return b;
    }
  };
  return (
    <Dialog title="Saved replies" onClose={onClose} wide>
      <label className="field">
        <span className="sr-only">Search saved replies</span>
        <input autoFocus placeholder="Search saved replies" value={q} onChange={(e) => setQ(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && list[0] && (e.preventDefault(), onPick(list[0].body))} />
      </label>
      {replies.isPending ? null : list.length === 0 ? (
        <p className="muted">
          No saved replies{q ? ' match' : ' yet'}. {q ? '' : 'Owners and admins add them in Settings › Saved replies.'}
        </p>
      ) : (
        <ul className="pick-list">
          {list.map((r) => (
            <li key={r.id}>
              <button type="button" onClick={() => onPick(r.body)}>
                <strong>{r.name}</strong>
                <span className="muted">{preview(r.body)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="sr-only" onClick={onClose}>
        <X size={14} /> Close
      </button>
    </Dialog>
  );
}
