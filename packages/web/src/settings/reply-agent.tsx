/**
 * Settings → Reply agent (owners and admins): per business number, whether the agent answers texts,
 * the facts it may use (nothing else is ever quoted), and when it hands off to a person.
 * docs/reply-agent.md.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, ok } from '../api/client';
import { formatPhone } from '../format';
import { Empty, ErrorNote, Loading } from '../ui';
import { problemText, Saved } from './common';
import { useNumbers } from '../screens/shell';
import './accounts.css';

type Settings = Awaited<ReturnType<typeof load>>;
const load = (id: string) => ok(api.GET('/v1/numbers/{id}/reply-agent', { params: { path: { id } } }));

const FACTS: { key: 'business' | 'hours' | 'services' | 'address' | 'booking_link' | 'prices'; label: string; hint: string; rows: number }[] = [
  { key: 'business', label: 'Business', hint: 'Its name and what it does, in a sentence', rows: 2 },
  { key: 'hours', label: 'Hours', hint: 'e.g. Mon–Fri 8–6, Sat 9–1', rows: 2 },
  { key: 'services', label: 'Services', hint: 'What you do (and do not do)', rows: 3 },
  { key: 'address', label: 'Address', hint: 'Where customers come, or the area you serve', rows: 2 },
  { key: 'booking_link', label: 'Booking link', hint: 'The only link it will ever send (https://…)', rows: 1 },
  { key: 'prices', label: 'Prices it may quote', hint: 'Leave empty and it never quotes a price', rows: 3 },
];

export function ReplyAgent() {
  const numbers = useNumbers();
  const [picked, setPicked] = useState<string>('');
  if (numbers.isPending) return <Loading />;
  const list = numbers.data ?? [];
  const numberId = picked || list[0]?.id || '';
  if (!numberId) return <Empty title="No business numbers yet">Buy or import one under Numbers first.</Empty>;
  return (
    <div className="stack">
      <p className="muted">
        When a contact replies, the agent can answer questions about your hours, address, services and prices from the facts below, book a callback at the time they ask for,
        and hand the conversation to a person when it is unsure, when asked, or after a few replies. STOP and HELP are always answered by the compliance rules first, and its texts
        follow quiet hours and caps like any automated text.
      </p>
      {list.length > 1 && (
        <label className="field narrow">
          <span>Business number</span>
          <select value={numberId} onChange={(e) => setPicked(e.target.value)}>
            {list.map((n) => (
              <option key={n.id} value={n.id}>
                {n.name ? `${n.name}, ` : ''}
                {formatPhone(n.phone)}
              </option>
            ))}
          </select>
        </label>
      )}
      <AgentForLoader key={numberId} numberId={numberId} label={formatPhone(list.find((n) => n.id === numberId)?.phone ?? '')} />
    </div>
  );
}

function AgentForLoader({ numberId, label }: { numberId: string; label: string }) {
  const settings = useQuery({ queryKey: ['reply-agent', numberId], queryFn: () => load(numberId) });
  if (settings.isPending) return <Loading />;
  if (!settings.data) return <ErrorNote error={problemText(settings.error)} />;
  return <AgentForm numberId={numberId} label={label} initial={settings.data} />;
}

function AgentForm({ numberId, label, initial }: { numberId: string; label: string; initial: Settings }) {
  const qc = useQueryClient();
  const [enabled, setEnabled] = useState(initial.enabled);
  const [facts, setFacts] = useState<Record<string, string>>(Object.fromEntries(FACTS.map((f) => [f.key, initial.facts[f.key] ?? ''])));
  const [policy, setPolicy] = useState(initial.policy);
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PUT('/v1/numbers/{id}/reply-agent', {
          params: { path: { id: numberId } },
          body: { enabled, facts: Object.fromEntries(FACTS.map((f) => [f.key, facts[f.key]!.trim() || null])), policy },
        }),
      ),
    onSuccess: (data) => {
      qc.setQueryData(['reply-agent', numberId], data);
      setSaved(true);
    },
  });
  const fieldError = (f: string) => (save.error instanceof ApiError ? save.error.field(f) : undefined);
  const change = <T,>(set: (v: T) => void) => (v: T) => (set(v), setSaved(false));
  return (
    <form className="card" aria-label={`Reply agent of ${label}`} onSubmit={(e) => (e.preventDefault(), save.mutate())}>
      <label className="check switch-line">
        <input type="checkbox" role="switch" checked={enabled} onChange={(e) => change(setEnabled)(e.target.checked)} />
        <span>
          <strong>Answer texts to {label} automatically</strong>
          <br />
          <span className="muted small">Off: replies wait for a person, as before.</span>
        </span>
      </label>
      <h3>What it may say</h3>
      {FACTS.map((f) => (
        <label key={f.key} className="field">
          <span>{f.label}</span>
          {f.rows === 1 ? (
            <input type="url" value={facts[f.key]} onChange={(e) => change(setFacts)({ ...facts, [f.key]: e.target.value })} placeholder="https://book.example.com" />
          ) : (
            <textarea rows={f.rows} value={facts[f.key]} onChange={(e) => change(setFacts)({ ...facts, [f.key]: e.target.value })} />
          )}
          {fieldError(`facts.${f.key}`) ?? fieldError(f.key) ? <small className="form-error">{fieldError(`facts.${f.key}`) ?? fieldError(f.key)}</small> : <small>{f.hint}</small>}
        </label>
      ))}
      <h3>When it hands off to a person</h3>
      <div className="inline-form">
        <label className="field inline">
          <span>When less sure than</span>
          <select value={String(policy.confidence_threshold)} onChange={(e) => change(setPolicy)({ ...policy, confidence_threshold: Number(e.target.value) })}>
            {[0.5, 0.6, 0.7, 0.8, 0.9].concat([0.5, 0.6, 0.7, 0.8, 0.9].includes(policy.confidence_threshold) ? [] : [policy.confidence_threshold]).map((v) => (
              <option key={v} value={v}>
                {Math.round(v * 100)}%
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>After this many of its replies</span>
          <input type="number" min={1} max={50} value={policy.max_exchanges} onChange={(e) => change(setPolicy)({ ...policy, max_exchanges: Number(e.target.value) })} />
        </label>
        <label className="field inline">
          <span>To</span>
          <select value={policy.hand_off_to} onChange={(e) => change(setPolicy)({ ...policy, hand_off_to: e.target.value as 'team' | 'agent' })}>
            <option value="team">the number’s team</option>
            <option value="agent">its first online agent (else the team)</option>
          </select>
        </label>
      </div>
      <p className="muted small">It also hands off whenever the contact asks for a person, and stays quiet in a conversation once a person has replied there.</p>
      {/* Errors on a fact are shown under it; anything else here. */}
      <ErrorNote error={FACTS.some((f) => fieldError(`facts.${f.key}`) ?? fieldError(f.key)) ? null : problemText(save.error)} />
      <div className="actions">
        <Saved show={saved} />
        <button className="btn primary" disabled={save.isPending}>
          Save
        </button>
      </div>
    </form>
  );
}
