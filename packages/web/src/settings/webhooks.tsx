/**
 * Settings → Webhooks (owners and admins): a CRM or another system subscribes a URL to events. The
 * signing secret is shown once (on creation and rotation); the delivery log shows every attempt, and any
 * delivery can be sent again. docs/integrations.md has the signature scheme and a HubSpot example.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { api, ApiError, ok, type Schemas } from '../api/client';
import { dateTime } from '../format';
import { Dialog, Empty, ErrorNote, Loading } from '../ui';
import { CopyField } from './accounts';
import { problemText } from './common';
import { WEBHOOK_EVENTS } from './webhook-events';
import './accounts.css';

type Endpoint = Schemas['WebhookEndpoint'];

function useEndpoints() {
  return useQuery({ queryKey: ['webhook-endpoints'], queryFn: async () => (await ok(api.GET('/v1/webhook-endpoints'))).data });
}

export function Webhooks() {
  const endpoints = useEndpoints();
  const [editing, setEditing] = useState<Endpoint | 'new' | null>(null);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [log, setLog] = useState<Endpoint | null>(null);
  if (endpoints.isPending) return <Loading />;
  return (
    <div className="stack">
      <div className="card-head between">
        <p className="muted">
          Send texts, calls and opt-outs to your CRM as they happen, so the contact’s timeline there shows what Textback sent. Each delivery is signed (Standard Webhooks) and retried
          for up to three days.
        </p>
        <button className="btn primary" onClick={() => setEditing('new')}>
          Add endpoint
        </button>
      </div>
      <ErrorNote error={problemText(endpoints.error)} />
      {secret && (
        <div className="card ok-note" role="status">
          <p>The signing secret of {secret.url}: copy it into your receiver now; it will not be shown again.</p>
          <CopyField label="Signing secret" value={secret.secret} />
        </div>
      )}
      {(endpoints.data ?? []).length === 0 ? (
        <Empty title="No webhook endpoints">Add your CRM’s URL to have every text logged there.</Empty>
      ) : (
        endpoints.data?.map((e) => <EndpointCard key={e.id} e={e} onEdit={() => setEditing(e)} onLog={() => setLog(e)} onSecret={(s) => setSecret({ url: e.url, secret: s })} />)
      )}
      {editing && <EndpointForm endpoint={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onCreated={(url, s) => setSecret({ url, secret: s })} />}
      {log && <DeliveryLog e={log} onClose={() => setLog(null)} />}
    </div>
  );
}

function eventsText(events: string[]): string {
  if (events.includes('*')) return 'Every event';
  return events.map((t) => WEBHOOK_EVENTS.find((x) => x.type === t)?.label ?? t).join(' · ');
}

function EndpointCard({ e, onEdit, onLog, onSecret }: { e: Endpoint; onEdit: () => void; onLog: () => void; onSecret: (secret: string) => void }) {
  const qc = useQueryClient();
  const [confirm, setConfirm] = useState<null | 'delete' | 'rotate'>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: ['webhook-endpoints'] });
  const enable = useMutation({ mutationFn: (enabled: boolean) => ok(api.PATCH('/v1/webhook-endpoints/{id}', { params: { path: { id: e.id } }, body: { enabled } })), onSettled: refresh });
  const remove = useMutation({ mutationFn: () => ok(api.DELETE('/v1/webhook-endpoints/{id}', { params: { path: { id: e.id } } })), onSettled: refresh });
  const rotate = useMutation({
    mutationFn: () => ok(api.POST('/v1/webhook-endpoints/{id}/rotate-secret', { params: { path: { id: e.id } } })),
    onSuccess: (r) => onSecret(r.secret ?? ''),
  });
  const enabled = e.state === 'enabled';
  return (
    <article className="card account" aria-label={`Webhook endpoint ${e.url}`}>
      <div className="account-head">
        <div className="grow-min">
          <h3 className="endpoint-url">{e.url}</h3>
          {e.description && <p className="small">{e.description}</p>}
          <p className="muted small">{eventsText(e.events)}</p>
          <p className="small">
            {enabled ? <span className="chip state-active">Enabled</span> : <span className="chip state-paused">Disabled</span>}{' '}
            {!enabled && e.disabled_reason && <span className="muted">{e.disabled_reason}</span>}
            {enabled && e.failing_since && (
              <span className="warn-text">
                Failing since {dateTime(e.failing_since)} ({e.consecutive_failures} failed attempt{e.consecutive_failures === 1 ? '' : 's'}); disabled after three days without a success.
              </span>
            )}
          </p>
        </div>
        <div className="account-actions">
          <button className="btn small" onClick={onLog}>
            Deliveries
          </button>
          <button className="btn small" onClick={onEdit}>
            Edit
          </button>
          <button className="btn small" onClick={() => enable.mutate(!enabled)}>
            {enabled ? 'Pause' : 'Enable'}
          </button>
          <button className="btn small" onClick={() => setConfirm('rotate')}>
            New secret
          </button>
          <button className="btn small danger" onClick={() => setConfirm('delete')}>
            Delete
          </button>
        </div>
      </div>
      <ErrorNote error={problemText(enable.error ?? remove.error ?? rotate.error)} />
      {confirm && (
        <Dialog title={confirm === 'delete' ? 'Delete this endpoint?' : 'Replace the signing secret?'} onClose={() => setConfirm(null)}>
          <p>
            {confirm === 'delete'
              ? `Nothing more is sent to ${e.url}; deliveries waiting for it are cancelled.`
              : 'The current secret stops working at once: deliveries are signed with the new one, which your receiver must then use.'}
          </p>
          <div className="actions">
            <button className="btn ghost" onClick={() => setConfirm(null)}>
              Cancel
            </button>
            <button className="btn danger" onClick={() => (confirm === 'delete' ? remove.mutate() : rotate.mutate(), setConfirm(null))}>
              {confirm === 'delete' ? 'Delete endpoint' : 'Replace secret'}
            </button>
          </div>
        </Dialog>
      )}
    </article>
  );
}

function EndpointForm({ endpoint, onClose, onCreated }: { endpoint: Endpoint | null; onClose: () => void; onCreated: (url: string, secret: string) => void }) {
  const qc = useQueryClient();
  const [url, setUrl] = useState<string>(endpoint?.url ?? '');
  const [description, setDescription] = useState<string>(endpoint?.description ?? '');
  const [all, setAll] = useState<boolean>(endpoint ? endpoint.events.includes('*') : false);
  const [events, setEvents] = useState<string[]>(endpoint && !endpoint.events.includes('*') ? endpoint.events : ['message.created', 'message.status_changed', 'message.received']);
  const [bodies, setBodies] = useState<boolean>(endpoint?.include_bodies ?? true);
  const save = useMutation({
    mutationFn: async () => {
      const common = { url: url.trim(), events: all ? ['*'] : events, include_bodies: bodies };
      const text = description.trim();
      // An emptied description is removed (null) on a change, left out on creation.
      if (endpoint) return ok(api.PATCH('/v1/webhook-endpoints/{id}', { params: { path: { id: endpoint.id } }, body: { ...common, description: text || null } }));
      return ok(api.POST('/v1/webhook-endpoints', { body: { ...common, ...(text ? { description: text } : {}) } }));
    },
    onSuccess: (saved) => {
      void qc.invalidateQueries({ queryKey: ['webhook-endpoints'] });
      if (!endpoint && saved?.secret) onCreated(saved.url, saved.secret);
      onClose();
    },
  });
  const toggle = (type: string) => setEvents((list) => (list.includes(type) ? list.filter((t) => t !== type) : [...list, type]));
  const urlError = save.error instanceof ApiError ? save.error.field('url') : undefined;
  return (
    <Dialog title={endpoint ? 'Edit webhook endpoint' : 'Add a webhook endpoint'} onClose={onClose} wide>
      <form onSubmit={(ev) => (ev.preventDefault(), save.mutate())}>
        <label className="field">
          <span>URL</span>
          <input type="url" required value={url} onChange={(ev) => setUrl(ev.target.value)} placeholder="https://crm.example.com/hooks/textback" aria-invalid={urlError ? true : undefined} />
          {urlError ? <small className="form-error">{urlError}</small> : <small>https only (http for localhost while testing).</small>}
        </label>
        <label className="field">
          <span>Description</span>
          <input value={description} onChange={(ev) => setDescription(ev.target.value)} placeholder="e.g. HubSpot timeline" />
        </label>
        <fieldset className="field events-picker">
          <legend>Events</legend>
          <label className="check">
            <input type="checkbox" checked={all} onChange={(ev) => setAll(ev.target.checked)} /> Every event, including ones added later
          </label>
          {!all && (
            <div className="events-grid">
              {WEBHOOK_EVENTS.map((x) => (
                <label key={x.type} className="check">
                  <input type="checkbox" checked={events.includes(x.type)} onChange={() => toggle(x.type)} />
                  <span>
                    {x.label} <code className="muted small">{x.type}</code>
                  </span>
                </label>
              ))}
            </div>
          )}
        </fieldset>
        <label className="check">
          <input type="checkbox" checked={bodies} onChange={(ev) => setBodies(ev.target.checked)} /> Include what texts say (off: ids, numbers and statuses only)
        </label>
        {/* An error on the URL is shown under it; anything else here. */}
        <ErrorNote error={urlError ? null : problemText(save.error)} />
        <div className="actions">
          <button type="button" className="btn ghost" onClick={onClose}>
            Cancel
          </button>
          <button className="btn primary" disabled={!url.trim() || (!all && events.length === 0) || save.isPending}>
            {endpoint ? 'Save endpoint' : 'Add endpoint'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

const DELIVERY_STATE: Record<string, string> = { pending: 'Retrying', succeeded: 'Delivered', failed: 'Failed', cancelled: 'Cancelled' };

function DeliveryLog({ e, onClose }: { e: Endpoint; onClose: () => void }) {
  const qc = useQueryClient();
  const [open, setOpen] = useState<string | null>(null);
  const deliveries = useQuery({
    queryKey: ['webhook-deliveries', e.id],
    queryFn: () => ok(api.GET('/v1/webhook-endpoints/{id}/deliveries', { params: { path: { id: e.id }, query: { limit: 50 } } })),
    refetchInterval: 5_000,
  });
  const resend = useMutation({
    mutationFn: (deliveryId: string) => ok(api.POST('/v1/webhook-endpoints/{id}/deliveries/{deliveryId}/resend', { params: { path: { id: e.id, deliveryId } } })),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['webhook-deliveries', e.id] }),
  });
  const rows = deliveries.data?.data ?? [];
  return (
    <Dialog title={`Deliveries to ${e.url}`} onClose={onClose} wide>
      {deliveries.isPending && <Loading />}
      <ErrorNote error={problemText(deliveries.error ?? resend.error)} />
      {deliveries.isSuccess && rows.length === 0 && <p className="muted">Nothing sent yet. Deliveries appear here as events happen.</p>}
      {rows.length > 0 && (
        <div className="table-scroll">
          <table className="table stack-sm" aria-label="Deliveries">
            <thead>
              <tr>
                <th>When</th>
                <th>Event</th>
                <th>State</th>
                <th>Attempts</th>
                <th>Answer</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => {
                const last = d.attempts[0];
                return (
                  <Fragment key={d.id}>
                    <tr>
                      <td data-label="When">{dateTime(d.created_at)}</td>
                      <td data-label="Event">
                        <code>{d.event_type}</code>
                      </td>
                      <td data-label="State">
                        <span className={`chip ${d.state === 'succeeded' ? 'state-active' : d.state === 'failed' ? 'state-failed' : d.state === 'pending' ? 'state-paused' : ''}`}>{DELIVERY_STATE[d.state] ?? d.state}</span>
                        {d.state === 'pending' && d.next_attempt_at && <span className="muted small"> next {dateTime(d.next_attempt_at)}</span>}
                      </td>
                      <td data-label="Attempts">{d.attempt_count}</td>
                      <td data-label="Answer">
                        {d.last_response_code ?? '—'}
                        {last?.latency_ms != null && <span className="muted small"> in {last.latency_ms} ms</span>}
                      </td>
                      <td data-label="" className="right">
                        <button className="btn small ghost" aria-expanded={open === d.id} onClick={() => setOpen(open === d.id ? null : d.id)}>
                          Details
                        </button>{' '}
                        <button className="btn small" onClick={() => resend.mutate(d.id)} disabled={resend.isPending || e.state !== 'enabled'} title={e.state !== 'enabled' ? 'Enable the endpoint first' : undefined}>
                          Resend
                        </button>
                      </td>
                    </tr>
                    {open === d.id && (
                      <tr className="details-row">
                        <td colSpan={6}>
                          <ol className="attempts" aria-label="Attempts">
                            {d.attempts.map((a, i) => (
                              <li key={i}>
                                {dateTime(a.at)}: {a.response_code ?? a.error ?? a.status}
                                {a.latency_ms != null && ` · ${a.latency_ms} ms`}
                                {a.response_body && <pre className="payload" tabIndex={0}>{a.response_body}</pre>}
                              </li>
                            ))}
                          </ol>
                          <pre className="payload" aria-label="Payload" tabIndex={0}>
                            {JSON.stringify(d.payload, null, 2)}
                          </pre>
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Dialog>
  );
}
