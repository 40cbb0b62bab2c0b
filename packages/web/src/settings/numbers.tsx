/**
 * Settings → Numbers: each business number's name, team, forwarding and carrier account; buying a
 * number onto a team in one step (the sandbox sells fictional ones), and releasing one.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { api, ApiError, ok, type Schemas } from '../api/client';
import { formatPhone } from '../format';
import { useNumbers, useTeams } from '../screens/shell';
import { Dialog, Empty, ErrorNote, Loading } from '../ui';
import { accountLabel, carrierName, useCarrierAccounts } from './accounts';
import { problemText } from './common';
import './accounts.css';

type BusinessNumber = Schemas['Number'];

export function Numbers() {
  const numbers = useNumbers();
  const teams = useTeams();
  const accounts = useCarrierAccounts();
  const [buying, setBuying] = useState(false);
  const [releasing, setReleasing] = useState<BusinessNumber | null>(null);
  const [rules, setRules] = useState<BusinessNumber | null>(null);
  if (numbers.isPending) return <Loading />;
  return (
    <div className="stack">
      <div className="card-head between">
        <p className="muted">
          Each business number belongs to a team; its texts can be forwarded to that team’s agents. Quiet hours, caps and opt-out rules apply to every number: see{' '}
          <Link to="/settings/$section" params={{ section: 'compliance' }}>
            Compliance
          </Link>
          .
        </p>
        <button className="btn primary" onClick={() => setBuying(true)}>
          Buy a number
        </button>
      </div>
      <ErrorNote error={problemText(numbers.error)} />
      {(numbers.data ?? []).length === 0 ? (
        <Empty title="No business numbers yet">Buy one, or import your carrier account’s numbers under Carrier accounts.</Empty>
      ) : (
        <div className="table-scroll">
          <table className="table stack-sm">
            <thead>
              <tr>
                <th>Number</th>
                <th>Name</th>
                <th>Team</th>
                <th>Forward texts</th>
                <th>Carrier account</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {numbers.data?.map((n) => (
                <NumberRow key={n.id} n={n} teams={teams.data ?? []} accounts={accounts.data ?? []} onRelease={() => setReleasing(n)} onRules={() => setRules(n)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {buying && <BuyNumber accounts={accounts.data ?? []} onClose={() => setBuying(false)} />}
      {releasing && <ReleaseNumber n={releasing} onClose={() => setReleasing(null)} />}
      {rules && <SendingRules n={rules} onClose={() => setRules(null)} />}
    </div>
  );
}

function NumberRow({ n, teams, accounts, onRelease, onRules }: { n: BusinessNumber; teams: { id: string; name: string }[]; accounts: Schemas['CarrierAccount'][]; onRelease: () => void; onRules: () => void }) {
  const qc = useQueryClient();
  const label = formatPhone(n.phone);
  const [name, setName] = useState<string>(n.name ?? '');
  const routing = useQuery({ queryKey: ['routing', n.id], queryFn: () => ok(api.GET('/v1/numbers/{id}/routing', { params: { path: { id: n.id } } })) });
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['routing', n.id] });
    void qc.invalidateQueries({ queryKey: ['numbers'] });
  };
  const route = useMutation({ mutationFn: (body: Record<string, unknown>) => ok(api.PATCH('/v1/numbers/{id}/routing', { params: { path: { id: n.id } }, body: body })), onSettled: refresh });
  const patch = useMutation({ mutationFn: (body: Record<string, unknown>) => ok(api.PATCH('/v1/numbers/{id}', { params: { path: { id: n.id } }, body: body })), onSettled: refresh });
  const r = routing.data;
  const error = problemText(route.error ?? patch.error);
  return (
    <tr>
      <td className="nowrap" data-label="Number">{label}</td>
      <td data-label="Name">
        <input
          className="number-name"
          aria-label={`Name of ${label}`}
          value={name}
          placeholder="Name it"
          onChange={(e) => setName(e.target.value)}
          onBlur={() => name.trim() && name.trim() !== (n.name ?? '') && patch.mutate({ name: name.trim() })}
        />
      </td>
      <td data-label="Team">
        <select aria-label={`Team of ${label}`} value={r?.team_id ?? ''} onChange={(e) => route.mutate({ team_id: e.target.value || null })}>
          <option value="">No team</option>
          {teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      </td>
      <td data-label="Forward texts">
        <select aria-label={`Forwarding of ${label}`} value={String(r?.forward_texts ?? 'off')} onChange={(e) => route.mutate({ forward_texts: e.target.value })}>
          <option value="off">Off</option>
          <option value="all">To all agents</option>
          <option value="online">To online agents</option>
        </select>
        {error && <span className="form-error"> {error}</span>}
      </td>
      <td data-label="Carrier account">
        <select aria-label={`Carrier account of ${label}`} value={n.carrier_account_id ?? ''} onChange={(e) => e.target.value && patch.mutate({ carrier_account_id: e.target.value })}>
          {!n.carrier_account_id && <option value="">{carrierName(n.carrier)}</option>}
          {accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {accountLabel(a)}
            </option>
          ))}
        </select>
      </td>
      <td className="right">
        <button className="btn small" onClick={onRules} aria-label={`Sending rules of ${label}`}>
          Sending rules
        </button>{' '}
        <button className="btn small danger" onClick={onRelease}>
          {n.carrier_account_id ? 'Release' : 'Remove'}
        </button>
      </td>
    </tr>
  );
}

const SENDER_TYPES: { id: string; label: string; rate: number }[] = [
  { id: 'long_code', label: 'Local number (10DLC)', rate: 1 },
  { id: 'toll_free', label: 'Toll-free', rate: 3 },
  { id: 'short_code', label: 'Short code', rate: 100 },
];

/** A number's own pace, daily cap and keyword answers (GET|PATCH /v1/numbers/:id/compliance). */
function SendingRules({ n, onClose }: { n: BusinessNumber; onClose: () => void }) {
  const current = useQuery({ queryKey: ['number-compliance', n.id], queryFn: () => ok(api.GET('/v1/numbers/{id}/compliance', { params: { path: { id: n.id } } })) });
  return (
    <Dialog title={`Sending rules of ${formatPhone(n.phone)}`} onClose={onClose}>
      {current.isPending ? <Loading /> : current.data ? <SendingRulesForm n={n} initial={current.data} onClose={onClose} /> : <ErrorNote error={problemText(current.error)} />}
    </Dialog>
  );
}

function SendingRulesForm({ n, initial, onClose }: { n: BusinessNumber; initial: Schemas['NumberCompliance']; onClose: () => void }) {
  const qc = useQueryClient();
  const [form, setForm] = useState({
    sender_type: initial.sender_type as Schemas['NumberCompliance']['sender_type'],
    rate: initial.rate_per_second === null ? '' : String(initial.rate_per_second),
    cap: initial.daily_cap === null ? '' : String(initial.daily_cap),
    help_text: initial.texts?.help_text ?? '',
    opt_out_text: initial.texts?.opt_out_text ?? '',
  });
  const save = useMutation({
    mutationFn: () =>
      ok(
        api.PATCH('/v1/numbers/{id}/compliance', {
          params: { path: { id: n.id } },
          body: {
            sender_type: form.sender_type,
            rate_per_second: form.rate === '' ? null : Number(form.rate),
            daily_cap: form.cap === '' ? null : Number(form.cap),
            help_text: form.help_text.trim() || null,
            opt_out_text: form.opt_out_text.trim() || null,
          },
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['number-compliance', n.id] });
      onClose();
    },
  });
  const type = SENDER_TYPES.find((t) => t.id === form.sender_type);
  const fieldError = (f: string) => (save.error instanceof ApiError ? save.error.field(f) : undefined);
  return (
    <form onSubmit={(e) => (e.preventDefault(), save.mutate())}>
      <p className="muted">Quiet hours, consent and the organization’s caps apply as set under Compliance; these add this number’s own limits.</p>
      <label className="field">
        <span>Kind of number</span>
        <select value={form.sender_type} onChange={(e) => setForm({ ...form, sender_type: e.target.value as Schemas['NumberCompliance']['sender_type'] })}>
          {SENDER_TYPES.map((t) => (
            <option key={t.id} value={t.id}>
              {t.label}
            </option>
          ))}
        </select>
        <small>Carriers let it send {type?.rate ?? 1} text{type?.rate === 1 ? '' : 's'} a second; texts beyond that wait their turn, none is dropped.</small>
      </label>
      <label className="field">
        <span>Texts per second</span>
        <input type="number" min={1} max={1000} value={form.rate} placeholder={`${type?.rate ?? 1} (the carrier’s limit)`} onChange={(e) => setForm({ ...form, rate: e.target.value })} />
        {fieldError('rate_per_second') && <small className="form-error">{fieldError('rate_per_second')}</small>}
      </label>
      <label className="field">
        <span>Most texts a day</span>
        <input type="number" min={1} value={form.cap} placeholder="No limit" onChange={(e) => setForm({ ...form, cap: e.target.value })} />
        <small>Texts past the cap are held until the next day, in the organization’s time zone.</small>
        {fieldError('daily_cap') && <small className="form-error">{fieldError('daily_cap')}</small>}
      </label>
      <label className="field">
        <span>Answer to HELP</span>
        <textarea rows={2} value={form.help_text} placeholder="The organization’s HELP text" onChange={(e) => setForm({ ...form, help_text: e.target.value })} />
        {fieldError('help_text') && <small className="form-error">{fieldError('help_text')}</small>}
      </label>
      <label className="field">
        <span>Answer to STOP</span>
        <textarea rows={2} value={form.opt_out_text} placeholder="The organization’s opt-out confirmation" onChange={(e) => setForm({ ...form, opt_out_text: e.target.value })} />
        {fieldError('opt_out_text') && <small className="form-error">{fieldError('opt_out_text')}</small>}
      </label>
      {/* Errors on a field are shown under it; anything else here. */}
      <ErrorNote error={['rate_per_second', 'daily_cap', 'help_text', 'opt_out_text'].some((f) => fieldError(f)) ? null : problemText(save.error)} />
      <div className="actions">
        <button type="button" className="btn ghost" onClick={onClose}>
          Cancel
        </button>
        <button className="btn primary" disabled={save.isPending}>
          Save rules
        </button>
      </div>
    </form>
  );
}

/** { sms: true, voice: true, mms: false } → "text, call, picture texts". */
const canDo = (c: Record<string, boolean>) =>
  Object.entries(c)
    .filter(([, yes]) => yes)
    .map(([k]) => ({ sms: 'text', voice: 'call', mms: 'picture texts' })[k] ?? k)
    .join(', ');

const COUNTRIES = [
  { id: 'US', label: 'United States' },
  { id: 'CA', label: 'Canada' },
  { id: 'GB', label: 'United Kingdom' },
];

function BuyNumber({ accounts, onClose }: { accounts: Schemas['CarrierAccount'][]; onClose: () => void }) {
  const qc = useQueryClient();
  const teams = useTeams();
  const [accountId, setAccountId] = useState<string>(accounts.find((a) => a.carrier !== 'sandbox')?.id ?? accounts[0]?.id ?? '');
  const [q, setQ] = useState({ country: 'US', area_code: '', contains: '', capability: 'sms' });
  const [teamId, setTeamId] = useState('');
  const team = teamId || teams.data?.[0]?.id || '';
  const search = useMutation({
    mutationFn: () => {
      const query = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== ''));
      return ok(api.GET('/v1/carrier-accounts/{id}/available-numbers', { params: { path: { id: accountId }, query: query } }));
    },
  });
  const buy = useMutation({
    mutationFn: (phone: string) => ok(api.POST('/v1/carrier-accounts/{id}/numbers', { params: { path: { id: accountId } }, body: { phone, team_id: team } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['numbers'] });
      void qc.invalidateQueries({ queryKey: ['carrier-accounts'] });
    },
  });
  if (buy.data) {
    return (
      <Dialog title="Number bought" onClose={onClose}>
        <p role="status">
          {formatPhone(buy.data.phone)} is yours, on {teams.data?.find((t) => t.id === buy.data.team_id)?.name ?? 'its team'}, with its webhooks pointed at this server. Texts to it arrive in the inbox.
        </p>
        <div className="actions">
          <button className="btn primary" onClick={onClose}>
            Done
          </button>
        </div>
      </Dialog>
    );
  }
  const found = search.data?.data ?? [];
  return (
    <Dialog title="Buy a number" onClose={onClose} wide>
      <form className="inline-form" onSubmit={(e) => (e.preventDefault(), search.mutate())}>
        <label className="field inline">
          <span>Account</span>
          <select value={accountId} onChange={(e) => setAccountId(e.target.value)}>
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {accountLabel(a)}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>Country</span>
          <select value={q.country} onChange={(e) => setQ({ ...q, country: e.target.value })}>
            {COUNTRIES.map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>Area code</span>
          <input inputMode="numeric" size={5} value={q.area_code} placeholder={q.country === 'GB' ? '20' : '415'} onChange={(e) => setQ({ ...q, area_code: e.target.value.trim() })} />
        </label>
        <label className="field inline">
          <span>Contains</span>
          <input inputMode="numeric" size={6} value={q.contains} onChange={(e) => setQ({ ...q, contains: e.target.value.trim() })} />
        </label>
        <label className="field inline">
          <span>Can</span>
          <select value={q.capability} onChange={(e) => setQ({ ...q, capability: e.target.value })}>
            <option value="sms">Text</option>
            <option value="voice">Call</option>
            <option value="">Either</option>
          </select>
        </label>
        <button className="btn" disabled={!accountId || search.isPending}>
          {search.isPending ? 'Searching…' : 'Search'}
        </button>
      </form>
      <ErrorNote error={problemText(search.error)} />
      {search.isSuccess && found.length === 0 && <p className="muted">No numbers match; try another area code or fewer digits.</p>}
      {found.length > 0 && (
        <>
          <label className="field narrow">
            <span>Team that answers it</span>
            <select value={team} onChange={(e) => setTeamId(e.target.value)}>
              {teams.data?.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
          <ul className="available" aria-label="Available numbers">
            {found.map((n) => (
              <li key={n.phone}>
                <span>
                  <span className="avail-phone">{formatPhone(n.phone)}</span>{' '}
                  <span className="muted small">
                    {[n.locality, n.region].filter(Boolean).join(', ')} · {canDo(n.capabilities)}
                    {n.monthly_price ? ` · ${n.monthly_price}/month` : ''}
                  </span>
                </span>
                <button className="btn small primary" disabled={!team || buy.isPending} onClick={() => buy.mutate(n.phone)} aria-label={`Buy ${formatPhone(n.phone)}`}>
                  Buy
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      <ErrorNote error={problemText(buy.error)} />
    </Dialog>
  );
}

function ReleaseNumber({ n, onClose }: { n: BusinessNumber; onClose: () => void }) {
  const qc = useQueryClient();
  const [typed, setTyped] = useState('');
  const release = useMutation({
    mutationFn: () =>
      n.carrier_account_id
        ? ok(api.DELETE('/v1/carrier-accounts/{id}/numbers/{number}', { params: { path: { id: n.carrier_account_id, number: n.id }, query: { confirm: n.phone } } }))
        : ok(api.DELETE('/v1/numbers/{id}', { params: { path: { id: n.id } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['numbers'] });
      void qc.invalidateQueries({ queryKey: ['carrier-accounts'] });
      onClose();
    },
  });
  const digits = (s: string) => s.replace(/\D/g, '');
  const matches = digits(typed) !== '' && digits(n.phone).endsWith(digits(typed)) && digits(typed).length >= 10;
  return (
    <Dialog title={`Release ${formatPhone(n.phone)}?`} onClose={onClose}>
      <form onSubmit={(e) => (e.preventDefault(), release.mutate())}>
        <p>
          {n.carrier_account_id
            ? `The number goes back to ${carrierName(n.carrier)}; someone else may get it, and texts to it stop reaching you. This cannot be undone. Its history stays here.`
            : 'The number is removed from Textback. A number that has texts or calls cannot be removed: move it to another team instead.'}
        </p>
        <label className="field">
          <span>Type the number to confirm</span>
          <input inputMode="tel" value={typed} onChange={(e) => setTyped(e.target.value)} placeholder={formatPhone(n.phone)} />
        </label>
        <ErrorNote error={problemText(release.error)} />
        <div className="actions">
          <button type="button" className="btn ghost" onClick={onClose}>
            Cancel
          </button>
          <button className="btn danger" disabled={!matches || release.isPending}>
            Release {formatPhone(n.phone)}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
