/** The contact beside the thread: who, where, consent with its evidence, suppression, other conversations. */
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { Ban, ShieldCheck, X } from 'lucide-react';
import { api, ok } from '../api/client';
import { dateTime, formatPhone, initials, timeOnly, zoneName } from '../format';
import { useNumbers } from './shell';
import { useConsent, useContact } from './thread';

export function ContactPanel({ contactId, conversationId, onClose }: { contactId: string; conversationId: string; onClose: () => void }) {
  const contact = useContact(contactId);
  const consent = useConsent(contactId);
  const numbers = useNumbers();
  const others = useQuery({
    queryKey: ['conversations', { contact: contactId }],
    queryFn: () => ok(api.GET('/v1/conversations', { params: { query: { contact: contactId, limit: 20 } } })),
  });
  const suppressed = useQuery({
    queryKey: ['suppressions', contact.data?.phone],
    enabled: !!contact.data,
    queryFn: async () => (await api.GET('/v1/suppressions/{number}', { params: { path: { number: contact.data!.phone } } })).response.ok,
  });
  const c = contact.data;
  if (!c) return <aside className="contact-pane" aria-label="Contact" />;
  const events = (consent.data?.ledger ?? []).slice().sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''));
  const latest = events[0];
  const attrs = Object.entries(c.attributes ?? {}).filter(([, v]) => v != null && v !== '');
  const otherConvs = (others.data?.data ?? []).filter((x) => x.id !== conversationId);
  return (
    <aside className="contact-pane" aria-label="Contact">
      <div className="pane-head">
        <h2 className="sr-only">Contact</h2>
        <button className="icon-btn" aria-label="Close contact details" onClick={onClose}>
          <X size={18} />
        </button>
      </div>
      <div className="contact-card">
        <span className="avatar big" aria-hidden="true">
          {initials(c.name, '#')}
        </span>
        <div className="contact-name">{c.name || 'No name'}</div>
        <div className="contact-phone">{formatPhone(c.phone)}</div>
        {c.time_zone && (
          <div className="muted">
            {zoneName(c.time_zone)} · {timeOnly(Date.now(), c.time_zone)} now
          </div>
        )}
      </div>
      <dl className="facts">
        <dt>Source</dt>
        <dd>{c.source ? c.source.replace(/[_.-]/g, ' ') : '—'}</dd>
        <dt>Added</dt>
        <dd>{dateTime(c.created_at)}</dd>
        {attrs.map(([k, v]) => (
          <FragmentRow key={k} k={k} v={typeof v === 'object' ? JSON.stringify(v) : String(v)} />
        ))}
      </dl>
      <h3>Consent</h3>
      {latest ? (
        <div className={`consent-state ${latest.state === 'opted_out' ? 'bad' : 'ok'}`}>
          {latest.state === 'opted_out' ? <Ban size={15} aria-hidden="true" /> : <ShieldCheck size={15} aria-hidden="true" />}
          <span>
            {latest.state === 'opted_out' ? 'Opted out' : latest.state === 'opted_in' ? 'Opted in' : latest.state.replace(/_/g, ' ')} · {latest.source.replace(/_/g, ' ')} · {dateTime(latest.created_at)}
          </span>
        </div>
      ) : (
        <p className="muted">No consent recorded. Replies are allowed; automated texts follow your compliance settings.</p>
      )}
      {latest?.evidence && Object.keys(latest.evidence).length > 0 && (
        <details className="evidence">
          <summary>Evidence</summary>
          <dl className="facts">
            {Object.entries(latest.evidence).map(([k, v]) => (
              <FragmentRow key={k} k={k} v={typeof v === 'object' ? JSON.stringify(v) : String(v)} />
            ))}
          </dl>
        </details>
      )}
      {suppressed.data && (
        <p className="consent-state bad">
          <Ban size={15} aria-hidden="true" /> On the do-not-contact list
        </p>
      )}
      {otherConvs.length > 0 && (
        <>
          <h3>Other numbers</h3>
          <ul className="plain">
            {otherConvs.map((o) => {
              const n = numbers.data?.find((x) => x.id === o.number_id);
              return (
                <li key={o.id}>
                  <Link to="/inbox/$view" params={{ view: 'all' }} search={{ c: o.id }}>
                    {n ? (n.name ?? formatPhone(n.e164)) : 'Another number'}
                  </Link>{' '}
                  <span className="muted">{o.status}</span>
                </li>
              );
            })}
          </ul>
        </>
      )}
    </aside>
  );
}

function FragmentRow({ k, v }: { k: string; v: string }) {
  return (
    <>
      <dt>{k.replace(/_/g, ' ')}</dt>
      <dd>{v}</dd>
    </>
  );
}
