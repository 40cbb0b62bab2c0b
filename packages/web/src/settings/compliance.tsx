import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Plus, X } from 'lucide-react';
import { useMemo, useState } from 'react';
import { countSegments } from '@textback/core';
import { api, ApiError, ok, type Schemas } from '../api/client';
import { Loading } from '../ui';
import { FieldErrors, FormField } from './automation-editor';
import { pathSegments } from './automation-form';
import { problemText, Saved } from './common';

/* ---------------------------------------------------------------- Compliance */

type Settings = Schemas['ComplianceSettings'];

/** Two-letter regions the browser has names for (not EU, UN and other groupings), by name. */
function countryList(): { code: string; name: string }[] {
  let names: Intl.DisplayNames;
  try {
    names = new Intl.DisplayNames(undefined, { type: 'region', fallback: 'none' });
  } catch {
    return [];
  }
  const out: { code: string; name: string }[] = [];
  const skip = new Set(['EU', 'EZ', 'UN', 'QO', 'ZZ', 'XA', 'XB']);
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      if (skip.has(code)) continue;
      const name = names.of(code);
      if (name && name !== code) out.push({ code, name });
    }
  }
  return out.sort((x, y) => x.name.localeCompare(y.name));
}

export function Compliance() {
  const settings = useQuery({ queryKey: ['compliance-settings'], queryFn: () => ok(api.GET('/v1/compliance/settings')) });
  if (!settings.data) return <Loading />;
  return <ComplianceForm initial={settings.data} />;
}

function ComplianceForm({ initial }: { initial: Settings }) {
  const qc = useQueryClient();
  const [form, setForm] = useState<Settings>(initial);
  const [dirty, setDirty] = useState(false);
  const countries = useMemo(countryList, []);
  const countryName = (code: string) => countries.find((c) => c.code === code)?.name ?? code;
  const [adding, setAdding] = useState('');
  const save = useMutation({
    mutationFn: () => ok(api.PATCH('/v1/compliance/settings', { body: form })),
    onSuccess: (data) => {
      setForm(data);
      setDirty(false);
      qc.setQueryData(['compliance-settings'], data);
    },
  });
  const set = <K extends keyof Settings>(k: K, v: Settings[K]) => (setForm((f) => ({ ...f, [k]: v })), setDirty(true));
  // Errors name `settings.help_text` (checked by the domain) or `body.allowed_countries.0` (the schema).
  const problems = save.error instanceof ApiError ? (save.error.problem.errors ?? []) : [];
  const keyOf = (field: string) => {
    const s = pathSegments(field);
    return s[0] === 'settings' ? s[1] : s[0];
  };
  const errorsOf = (key: string) => problems.filter((p) => keyOf(p.field) === key).map((p) => p.message);
  const KNOWN = ['consent_scope', 'quiet_hours', 'quiet_hours_exempt_live_conversation', 'automated_requires_consent', 'automated_cap_per_24h', 'auto_suppress_after_failures', 'landline_policy', 'allowed_countries', 'opt_out_language', 'help_text', 'opt_out_text', 'opt_in_text'];
  const other = problems.filter((p) => !KNOWN.includes(keyOf(p.field) ?? '')).map((p) => `${p.field}: ${p.message}`);
  const allowed = form.allowed_countries;

  const text = (k: 'opt_out_language' | 'help_text' | 'opt_out_text' | 'opt_in_text', label: string, hint?: string) => {
    const value = form[k] ?? '';
    const seg = countSegments(value);
    return (
      <FormField
        label={label}
        errors={errorsOf(k)}
        hint={
          <>
            {hint && (
              <>
                {hint}
                <br />
              </>
            )}
            {value ? `${[...value].length} characters · ${seg.segments} ${seg.segments === 1 ? 'segment' : 'segments'} · ${seg.encoding}` : 'Empty: Textback’s default wording.'}
          </>
        }
      >
        {(p) => <textarea {...p} rows={2} value={value} onChange={(e) => set(k, e.target.value || null)} />}
      </FormField>
    );
  };

  return (
    <form className="card compliance-form" onSubmit={(e) => (e.preventDefault(), save.mutate())} noValidate>
      <fieldset className="plain-set">
        <legend>Quiet hours</legend>
        <label className="check">
          <input type="checkbox" checked={!!form.quiet_hours} onChange={(e) => set('quiet_hours', e.target.checked)} /> Hold texts during quiet hours (9 PM – 8 AM in the contact’s time, stricter where state law says so)
        </label>
        <label className="check">
          <input type="checkbox" checked={!!form.quiet_hours_exempt_live_conversation} onChange={(e) => set('quiet_hours_exempt_live_conversation', e.target.checked)} /> Let replies in a live conversation go during quiet hours
        </label>
        <FieldErrors errors={[...errorsOf('quiet_hours'), ...errorsOf('quiet_hours_exempt_live_conversation')]} />
      </fieldset>

      <fieldset className="plain-set">
        <legend>Consent and caps</legend>
        <label className="check">
          <input type="checkbox" checked={!!form.automated_requires_consent} onChange={(e) => set('automated_requires_consent', e.target.checked)} /> Automated texts need recorded consent
        </label>
        <FieldErrors errors={errorsOf('automated_requires_consent')} />
        <FormField label="Consent applies to" className="narrow" errors={errorsOf('consent_scope')}>
          {(p) => (
            <select {...p} value={form.consent_scope ?? 'universal'} onChange={(e) => set('consent_scope', e.target.value as Settings['consent_scope'])}>
              <option value="universal">All our numbers (STOP to one stops all)</option>
              <option value="per_number">Each number on its own</option>
            </select>
          )}
        </FormField>
        <div className="grid-2">
          <FormField label="Automated texts per contact per 24 hours" hint="Empty: no cap" errors={errorsOf('automated_cap_per_24h')}>
            {(p) => <input {...p} type="number" min={1} max={10000} value={form.automated_cap_per_24h ?? ''} onChange={(e) => set('automated_cap_per_24h', e.target.value ? Number(e.target.value) : null)} placeholder="No cap" />}
          </FormField>
          <FormField label="Stop texting a number after this many failed sends" hint="Empty: never; the number goes on the do-not-contact list" errors={errorsOf('auto_suppress_after_failures')}>
            {(p) => <input {...p} type="number" min={1} max={10000} value={form.auto_suppress_after_failures ?? ''} onChange={(e) => set('auto_suppress_after_failures', e.target.value ? Number(e.target.value) : null)} placeholder="Never" />}
          </FormField>
        </div>
      </fieldset>

      <fieldset className="plain-set">
        <legend>Where we text</legend>
        <FormField label="Landlines" className="narrow" errors={errorsOf('landline_policy')}>
          {(p) => (
            <select {...p} value={form.landline_policy} onChange={(e) => set('landline_policy', e.target.value as Settings['landline_policy'])}>
              <option value="block">Don’t text them</option>
              <option value="flag">Text, and flag them</option>
              <option value="allow">Text them</option>
            </select>
          )}
        </FormField>
        <p className="field-label-like">Countries we may text</p>
        {allowed.length === 0 ? (
          <p className="muted small">Any country.</p>
        ) : (
          <ul className="country-picks" aria-label="Countries we may text">
            {allowed.map((c) => (
              <li key={c} className="country-chip">
                {countryName(c)} <span className="muted">({c})</span>
                <button type="button" className="icon-btn" aria-label={`Remove ${countryName(c)}`} onClick={() => set('allowed_countries', allowed.filter((x) => x !== c))}>
                  <X size={14} />
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="inline-form">
          <label className="field inline">
            <span>Add a country</span>
            <select value={adding} onChange={(e) => setAdding(e.target.value)}>
              <option value="">Choose…</option>
              {countries
                .filter((c) => !allowed.includes(c.code))
                .map((c) => (
                  <option key={c.code} value={c.code}>
                    {c.name} ({c.code})
                  </option>
                ))}
            </select>
          </label>
          <button type="button" className="btn" disabled={!adding} onClick={() => (set('allowed_countries', [...allowed, adding]), setAdding(''))}>
            <Plus size={14} /> Add
          </button>
        </div>
        <FieldErrors errors={errorsOf('allowed_countries')} />
      </fieldset>

      <fieldset className="plain-set">
        <legend>Texts</legend>
        {text('opt_out_language', 'Opt-out language added to the first automated text', 'e.g. “Reply STOP to opt out.”')}
        {text('help_text', 'Answer to HELP', 'Name the business, how to opt out, “Msg & data rates may apply” and a contact.')}
        {text('opt_out_text', 'Confirmation after STOP')}
        {text('opt_in_text', 'Confirmation after START')}
      </fieldset>
      {save.error && (
        <p className="form-error" role="alert">
          Not saved. {problems.length > 0 ? 'The problems are shown next to the settings they name.' : problemText(save.error)}
        </p>
      )}
      <FieldErrors errors={other} />
      <div className="actions">
        {dirty && <span className="muted small">Unsaved changes</span>}
        <Saved show={save.isSuccess && !dirty} />
        <button className="btn primary" disabled={save.isPending}>
          Save
        </button>
      </div>
    </form>
  );
}
