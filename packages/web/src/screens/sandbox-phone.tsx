/**
 * The sandbox phone: a simulated handset in the browser. Text or call a business number with an outcome,
 * see what the handset receives (live), reply, and make texts to it fail.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { PhoneIncoming, PhoneMissed, PhoneOff, Send, Smartphone, Voicemail } from 'lucide-react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, ok } from '../api/client';
import { formatPhone, timeOnly } from '../format';
import { ErrorNote } from '../ui';
import { useNumbers } from './shell';

const DEFAULT_HANDSET = '+15557770123';
const OUTCOMES = [
  { value: 'no-answer', label: 'Ring out (no answer)', icon: PhoneMissed },
  { value: 'busy', label: 'Busy', icon: PhoneOff },
  { value: 'voicemail', label: 'Leave a voicemail', icon: Voicemail },
  { value: 'answered', label: 'Answered', icon: PhoneIncoming },
] as const;

function normalize(input: string): string {
  const digits = input.replace(/[^\d+]/g, '');
  if (digits.startsWith('+')) return digits;
  if (digits.length === 10) return `+1${digits}`;
  if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
  return digits ? `+${digits}` : '';
}

export function SandboxPhone() {
  const qc = useQueryClient();
  const numbers = useNumbers();
  const handsets = useQuery({
    queryKey: ['handsets'],
    queryFn: async () => {
      const { data } = await ok(api.GET('/v1/sandbox/handsets'));
      return data;
    },
  });
  const [handset, setHandset] = useState(() => localStorage.getItem('textback.sandbox.handset') ?? DEFAULT_HANDSET);
  const [draftHandset, setDraftHandset] = useState(formatPhone(handset));
  const [business, setBusiness] = useState('');
  const [body, setBody] = useState('');
  const [outcome, setOutcome] = useState<(typeof OUTCOMES)[number]['value']>('no-answer');
  const [callNote, setCallNote] = useState<string | null>(null);
  useEffect(() => localStorage.setItem('textback.sandbox.handset', handset), [handset]);
  const businessNumber = business || numbers.data?.[0]?.e164 || '';

  const inbox = useQuery({
    queryKey: ['handset', handset],
    queryFn: async () => (await ok(api.GET('/v1/sandbox/handsets/{number}/messages', { params: { path: { number: handset }, query: { limit: 50 } } }))).data,
    refetchInterval: 2000,
  });
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['handset'] });
    void qc.invalidateQueries({ queryKey: ['handsets'] });
  };
  const text = useMutation({
    mutationFn: () => ok(api.POST('/v1/sandbox/messages', { body: { from: handset, to: businessNumber, body } })),
    onSuccess: () => {
      setBody('');
      refresh();
    },
  });
  const call = useMutation({
    mutationFn: () => ok(api.POST('/v1/sandbox/calls', { body: { from: handset, to: businessNumber, outcome } })),
    onSuccess: () => {
      setCallNote(
        outcome === 'answered'
          ? 'Call answered. No text-back for answered calls.'
          : 'Missed call placed. If missed-call text-back is on for this number, the text arrives here in about 15 seconds.',
      );
      refresh();
    },
  });
  const [failWith, setFailWith] = useState<'' | 'landline' | 'unreachable' | 'spam-filtered'>('');
  const fail = useMutation({
    mutationFn: (reason: '' | 'landline' | 'unreachable' | 'spam-filtered') => ok(api.PUT('/v1/sandbox/destinations/{number}', { params: { path: { number: handset } }, body: { fail_reason: reason || null } })),
  });

  const list = [...(inbox.data ?? [])].reverse();
  const screen = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (screen.current) screen.current.scrollTop = screen.current.scrollHeight;
  }, [list.length]);

  const pickHandset = (e: FormEvent) => {
    e.preventDefault();
    const n = normalize(draftHandset);
    if (n) {
      setHandset(n);
      setDraftHandset(formatPhone(n));
      setCallNote(null);
    }
  };
  const textError = text.error instanceof ApiError ? (text.error.field('from') ?? text.error.field('to') ?? text.error.message) : text.error?.message;

  return (
    <div className="page sandbox">
      <header className="page-head">
        <h1>Sandbox phone</h1>
        <p className="muted">A pretend customer’s phone. Text or call your business number and watch Textback answer — no carrier account needed.</p>
      </header>
      <div className="sandbox-grid">
        <div className="phone" aria-label={`Handset ${formatPhone(handset)}`} role="region">
          <div className="phone-top">
            <Smartphone size={16} aria-hidden="true" /> {formatPhone(handset)}
          </div>
          <div className="phone-screen" ref={screen} aria-live="polite" aria-label="Messages on this handset">
            {list.length === 0 ? (
              <p className="phone-empty">No texts yet. Send one below, or place a missed call.</p>
            ) : (
              list.map((m) => (
                <div key={m.id} className={`pmsg ${m.direction === 'sent' ? 'mine' : 'theirs'}`}>
                  <div className="pbubble">{m.body}</div>
                  <div className="pmeta">
                    {m.direction === 'received' ? `from ${formatPhone(m.business_number)} · ` : ''}
                    {timeOnly(m.created_at)}
                    {m.direction === 'received' && m.status && m.status !== 'delivered' ? ` · ${m.status}${m.error_code ? ` (${m.error_code})` : ''}` : ''}
                  </div>
                </div>
              ))
            )}
          </div>
          <form
            className="phone-compose"
            onSubmit={(e) => {
              e.preventDefault();
              if (body.trim() && businessNumber) text.mutate();
            }}
          >
            <label className="sr-only" htmlFor="handset-body">
              Text from the handset
            </label>
            <input id="handset-body" value={body} onChange={(e) => setBody(e.target.value)} placeholder={`Text ${formatPhone(businessNumber)}`} />
            <button className="icon-btn send" aria-label="Send from handset" disabled={!body.trim() || text.isPending || !businessNumber}>
              <Send size={18} />
            </button>
          </form>
          {textError && (
            <p className="form-error" role="alert">
              {textError}
            </p>
          )}
        </div>
        <div className="sandbox-controls">
          <section className="card">
            <h2>Handset</h2>
            <form className="inline-form" onSubmit={pickHandset}>
              <label className="field inline grow">
                <span>Handset number</span>
                <input value={draftHandset} onChange={(e) => setDraftHandset(e.target.value)} list="known-handsets" inputMode="tel" />
              </label>
              <datalist id="known-handsets">
                {(handsets.data ?? []).map((h) => (
                  <option key={h.number} value={formatPhone(h.number)}>
                    {h.fail_reason ? `texts fail: ${h.fail_reason}` : `${h.messages} texts`}
                  </option>
                ))}
              </datalist>
              <button className="btn">Use this phone</button>
            </form>
            <p className="muted small">Any number works, fictional 555 numbers too. Each one is a separate customer.</p>
            <label className="field">
              <span>Business number to reach</span>
              <select value={businessNumber} onChange={(e) => setBusiness(e.target.value)}>
                {numbers.data?.map((n) => (
                  <option key={n.id} value={n.e164}>
                    {n.name ? `${n.name} · ` : ''}
                    {formatPhone(n.e164)}
                  </option>
                ))}
              </select>
            </label>
          </section>
          <section className="card">
            <h2>Call the business</h2>
            <fieldset className="radios">
              <legend className="sr-only">How the call ends</legend>
              {OUTCOMES.map((o) => (
                <label key={o.value} className={`radio ${outcome === o.value ? 'on' : ''}`}>
                  <input type="radio" name="outcome" value={o.value} checked={outcome === o.value} onChange={() => setOutcome(o.value)} />
                  <o.icon size={16} aria-hidden="true" /> {o.label}
                </label>
              ))}
            </fieldset>
            <button className="btn primary" onClick={() => call.mutate()} disabled={call.isPending || !businessNumber}>
              Call {formatPhone(businessNumber)}
            </button>
            {callNote && (
              <p className="ok-note" role="status">
                {callNote}
              </p>
            )}
            <ErrorNote error={call.error} />
          </section>
          <section className="card">
            <h2>Make texts to this phone fail</h2>
            <p className="muted small">See how a failed text looks in the inbox, with its reason and error code.</p>
            <div className="inline-form">
              <label className="field inline grow">
                <span>Texts to {formatPhone(handset)}</span>
                <select value={failWith} onChange={(e) => setFailWith(e.target.value as typeof failWith)}>
                  <option value="">Are delivered</option>
                  <option value="landline">Fail: it is a landline</option>
                  <option value="unreachable">Fail: phone unreachable</option>
                  <option value="spam-filtered">Fail: filtered as spam</option>
                </select>
              </label>
              <button className="btn" onClick={() => fail.mutate(failWith)} disabled={fail.isPending}>
                Apply
              </button>
            </div>
            {fail.isSuccess && (
              <p className="ok-note" role="status">
                {fail.variables ? 'Texts to this phone will now fail.' : 'Texts to this phone will be delivered.'}
              </p>
            )}
            <ErrorNote error={fail.error} />
          </section>
        </div>
      </div>
    </div>
  );
}
