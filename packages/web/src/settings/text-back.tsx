/**
 * Settings → Missed-call text-back as a form: when to text (after an inbound or an outbound missed
 * call, after voicemail), the in-hours, after-hours, outbound and follow-up texts with a live preview
 * and their segment count, A/B variants with weights (or sent more to the one that gets replies), and
 * the cap of one text per contact per window. The form edits the options of the preset
 * (@textback/core's missedCallTextBackPreset) and saves the automation document they make; a document
 * changed beyond them in the automation editor is edited there.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import {
  countSegments,
  MISSED_CALL_TEXTS,
  missedCallTextBackPreset,
  readMissedCallPreset,
  renderTemplate,
  type Automation,
  type MissedCallPresetOptions,
  type MissedCallTextKey,
  type SmsVariant,
} from '@textback/core';
import { useState } from 'react';
import { api, ApiError, ok, type Schemas } from '../api/client';
import { Loading } from '../ui';
import { problemText, Saved } from './common';
import { useAutomations } from './automations';
import './accounts.css';

const TEXTS: { key: MissedCallTextKey; label: string; when: string }[] = [
  { key: 'inHours', label: 'Text during business hours', when: 'after a missed call while you are open' },
  { key: 'afterHours', label: 'Text after hours', when: 'after a missed call while you are closed' },
  { key: 'outbound', label: 'Text after your own unanswered call', when: 'only to contacts who agreed to texts' },
  { key: 'followUp', label: 'Follow-up text', when: 'if they have not replied, in business hours' },
];

/** What the form holds: the preset's options, flattened for inputs. */
interface Draft {
  inboundDelay: string;
  outboundDelay: string;
  voicemailOn: boolean;
  voicemailDelay: string;
  capWindow: string;
  followUpOn: boolean;
  followUpAfter: string;
  texts: Record<MissedCallTextKey, string>;
  variants: Partial<Record<MissedCallTextKey, SmsVariant[]>>;
  thompson: boolean;
}

function draftOf(o: MissedCallPresetOptions | null): Draft {
  return {
    inboundDelay: o?.inboundDelay ?? '15s',
    outboundDelay: o?.outboundDelay ?? '3m',
    voicemailOn: !!o && o.voicemail !== undefined && o.voicemail !== 'skip',
    voicemailDelay: o && o.voicemail && o.voicemail !== 'skip' ? o.voicemail.delay : '20m',
    capWindow: o?.capWindow ?? '24h',
    followUpOn: o ? o.followUp !== false : true,
    followUpAfter: o && o.followUp ? o.followUp.after : '2h',
    texts: { ...MISSED_CALL_TEXTS, ...(o?.texts ?? {}) },
    variants: Object.fromEntries(Object.entries(o?.variants ?? {}).map(([k, v]) => [k, [...(v ?? [])]])),
    thompson: o?.variantSelection === 'thompson',
  };
}

function optionsOf(d: Draft, base: { businessName: string; numbers: MissedCallPresetOptions['numbers']; name: string; state: Automation['state']; priority: number }): MissedCallPresetOptions {
  const variants = Object.fromEntries(Object.entries(d.variants).filter(([, v]) => v && v.length > 0));
  return {
    ...base,
    texts: d.texts,
    inboundDelay: d.inboundDelay.trim(),
    outboundDelay: d.outboundDelay.trim(),
    voicemail: d.voicemailOn ? { delay: d.voicemailDelay.trim() } : 'skip',
    capWindow: d.capWindow.trim(),
    followUp: d.followUpOn ? { after: d.followUpAfter.trim() } : false,
    ...(Object.keys(variants).length > 0 ? { variants } : {}),
    ...(d.thompson ? { variantSelection: 'thompson' as const } : {}),
  };
}

export function TextBack() {
  const automations = useAutomations();
  // Kept here: saving the first time creates the automation, and the form below starts again on it.
  const [saved, setSaved] = useState(false);
  const org = useQuery({ queryKey: ['organization'], queryFn: () => ok(api.GET('/v1/organization')) });
  if (automations.isPending || org.isPending) return <Loading />;
  const existing = automations.data?.find((a) => a.preset === 'missed-call-text-back');
  const options = existing ? readMissedCallPreset(existing as Automation) : null;
  return (
    <div className="stack">
      <p className="muted">When someone calls and nobody answers, Textback texts them back from the number they called, with the right words for the hour.</p>
      {existing && !options ? (
        <div className="card">
          <p>
            “{existing.name}” was changed step by step, beyond what this form shows. Edit it under{' '}
            <Link to="/settings/$section" params={{ section: 'automations' }}>
              Automations
            </Link>
            .
          </p>
          <StateSwitch automation={existing} />
        </div>
      ) : (
        <TextBackForm key={existing?.id ?? 'new'} existing={existing ?? null} options={options} orgName={org.data?.name ?? ''} saved={saved} setSaved={setSaved} />
      )}
    </div>
  );
}

function StateSwitch({ automation }: { automation: Schemas['Automation'] }) {
  const qc = useQueryClient();
  const set = useMutation({
    mutationFn: (state: string) => ok(api.PATCH('/v1/automations/{id}', { params: { path: { id: automation.id } }, body: { state } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['automations'] }),
  });
  const on = automation.state === 'active';
  return (
    <div className="actions">
      <span className={`chip ${on ? 'state-active' : 'state-paused'}`}>{on ? 'On' : automation.state === 'draft' ? 'Draft' : 'Paused'}</span>
      <button type="button" className={`btn ${on ? '' : 'primary'}`} onClick={() => set.mutate(on ? 'paused' : 'active')} disabled={set.isPending}>
        {on ? 'Pause text-back' : 'Turn on text-back'}
      </button>
      {set.error && <span className="form-error">{problemText(set.error)}</span>}
    </div>
  );
}

function TextBackForm({
  existing,
  options,
  orgName,
  saved,
  setSaved,
}: {
  existing: Schemas['Automation'] | null;
  options: MissedCallPresetOptions | null;
  orgName: string;
  saved: boolean;
  setSaved: (v: boolean) => void;
}) {
  const qc = useQueryClient();
  const [d, setD] = useState<Draft>(() => draftOf(options));
  const set = (patch: Partial<Draft>) => (setD({ ...d, ...patch }), setSaved(false));
  const business = options?.businessName || orgName || 'our business';
  const save = useMutation({
    mutationFn: async () => {
      const doc = missedCallTextBackPreset(
        optionsOf(d, {
          businessName: business,
          numbers: options?.numbers ?? 'all',
          name: existing?.name ?? 'Missed-call text-back',
          state: existing?.state ?? 'active',
          priority: existing?.priority ?? 100,
        }),
      );
      // The preset route marks the automation as the text-back (the page finds it again); the form's document replaces its steps.
      const id = existing?.id ?? ((await ok(api.POST('/v1/automations/presets/missed-call-text-back', { body: { business_name: business, state: 'active' } })))).id;
      return ok(api.PATCH('/v1/automations/{id}', { params: { path: { id } }, body: doc as unknown as Record<string, unknown> }));
    },
    onSuccess: () => {
      setSaved(true);
      void qc.invalidateQueries({ queryKey: ['automations'] });
    },
  });
  /** The server names fields by step path (`steps[3].then[0].template`); shown on the form as one line. */
  const serverErrors = save.error instanceof ApiError ? (save.error.problem.errors ?? []) : [];
  return (
    <form className="card" aria-label="Missed-call text-back" onSubmit={(e) => (e.preventDefault(), save.mutate())}>
      {existing ? <StateSwitch automation={existing} /> : <p className="muted small">Saving turns it on for every business number.</p>}
      <h3>When to text</h3>
      <div className="inline-form">
        <label className="field inline">
          <span>After a missed call from them, wait</span>
          <input size={6} value={d.inboundDelay} onChange={(e) => set({ inboundDelay: e.target.value })} />
        </label>
        <label className="field inline">
          <span>After your own unanswered call, wait</span>
          <input size={6} value={d.outboundDelay} onChange={(e) => set({ outboundDelay: e.target.value })} />
        </label>
        <label className="field inline">
          <span>At most one text per contact every</span>
          <input size={6} value={d.capWindow} onChange={(e) => set({ capWindow: e.target.value })} />
        </label>
      </div>
      <p className="muted small">Durations like 15s, 3m, 2h or 1d.</p>
      <label className="check">
        <input type="checkbox" checked={d.voicemailOn} onChange={(e) => set({ voicemailOn: e.target.checked })} /> Also text callers who left a voicemail, after{' '}
        <input className="inline-input" aria-label="Voicemail delay" size={5} value={d.voicemailDelay} disabled={!d.voicemailOn} onChange={(e) => set({ voicemailDelay: e.target.value })} />
      </label>
      <label className="check">
        <input type="checkbox" checked={d.followUpOn} onChange={(e) => set({ followUpOn: e.target.checked })} /> Follow up once if they have not replied after{' '}
        <input className="inline-input" aria-label="Follow-up delay" size={5} value={d.followUpAfter} disabled={!d.followUpOn} onChange={(e) => set({ followUpAfter: e.target.value })} />
      </label>

      <h3>What to say</h3>
      <p className="muted small">
        Variables: {'{Name|there}'} (the contact’s first name, or “there”), {'{Business}'} ({business}). “Reply STOP to opt out” is added to a contact’s first automated text.
      </p>
      {TEXTS.filter((t) => t.key !== 'followUp' || d.followUpOn).map((t) => (
        <TextField key={t.key} spec={t} d={d} set={set} business={business} />
      ))}
      {Object.values(d.variants).some((v) => v && v.length > 0) && (
        <label className="check">
          <input type="checkbox" checked={d.thompson} onChange={(e) => set({ thompson: e.target.checked })} /> Send more of the variant that gets more replies (the weights
          then only start it off; see Analytics for each variant’s reply rate)
        </label>
      )}
      {serverErrors.length > 0 && (
        <ul className="form-error" role="alert">
          {serverErrors.map((e) => (
            <li key={e.field + e.message}>{e.message}</li>
          ))}
        </ul>
      )}
      {!serverErrors.length && save.error && (
        <p className="form-error" role="alert">
          {problemText(save.error)}
        </p>
      )}
      <div className="actions">
        <Saved show={saved} />
        <button className="btn primary" disabled={save.isPending}>
          {existing ? 'Save text-back' : 'Turn on missed-call text-back'}
        </button>
      </div>
    </form>
  );
}

function preview(template: string, business: string): string {
  try {
    return renderTemplate(template, { Name: 'Maria', Business: business });
  } catch {
    return '';
  }
}

function Counter({ text }: { text: string }) {
  const c = countSegments(text);
  return (
    <span className="seg-count">
      {c.characters} characters · {c.segments} segment{c.segments === 1 ? '' : 's'} · {c.encoding}
    </span>
  );
}

function TextField({ spec, d, set, business }: { spec: (typeof TEXTS)[number]; d: Draft; set: (p: Partial<Draft>) => void; business: string }) {
  const variants = d.variants[spec.key] ?? [];
  const setVariants = (v: SmsVariant[]) => set({ variants: { ...d.variants, [spec.key]: v } });
  if (variants.length === 0) {
    const text = d.texts[spec.key];
    const shown = preview(text, business);
    return (
      <div className="field text-field">
        <label htmlFor={`text-${spec.key}`}>
          <span className="field-title">{spec.label}</span> <small>{spec.when}</small>
        </label>
        <textarea id={`text-${spec.key}`} rows={3} value={text} onChange={(e) => set({ texts: { ...d.texts, [spec.key]: e.target.value } })} />
        <div className="preview-line">
          <span className="muted small" aria-label={`Preview of ${spec.label}`}>
            {shown ? `“${shown}”` : 'A { or } is not closed'}
          </span>
          <Counter text={shown} />
        </div>
        <button
          type="button"
          className="btn small ghost"
          onClick={() =>
            setVariants([
              { id: 'A', template: text, weight: 1 },
              { id: 'B', template: text, weight: 1 },
            ])
          }
        >
          Try two versions (A/B)
        </button>
      </div>
    );
  }
  const total = variants.reduce((s, v) => s + (v.weight > 0 ? v.weight : 0), 0) || 1;
  return (
    <fieldset className="field text-field variants">
      <legend>
        <span className="field-title">{spec.label}</span> <small>{spec.when}: A/B versions</small>
      </legend>
      {variants.map((v, i) => {
        const shown = preview(v.template, business);
        return (
          <div key={i} className="variant">
            <div className="variant-head">
              <strong>Version {v.id}</strong>
              <label className="inline-weight">
                weight <input type="number" min={1} max={100} aria-label={`Weight of version ${v.id} of ${spec.label}`} value={v.weight} onChange={(e) => setVariants(variants.map((x, j) => (j === i ? { ...x, weight: Number(e.target.value) } : x)))} />
              </label>
              <span className="muted small">{Math.round(((v.weight > 0 ? v.weight : 0) / total) * 100)}% of contacts</span>
              {variants.length > 2 && (
                <button type="button" className="btn small ghost" onClick={() => setVariants(variants.filter((_, j) => j !== i))}>
                  Remove
                </button>
              )}
            </div>
            <textarea aria-label={`Version ${v.id} of ${spec.label}`} rows={2} value={v.template} onChange={(e) => setVariants(variants.map((x, j) => (j === i ? { ...x, template: e.target.value } : x)))} />
            <div className="preview-line">
              <span className="muted small">{shown ? `“${shown}”` : 'A { or } is not closed'}</span>
              <Counter text={shown} />
            </div>
          </div>
        );
      })}
      <div className="row-actions">
        {variants.length < 4 && (
          <button type="button" className="btn small" onClick={() => setVariants([...variants, { id: String.fromCharCode(65 + variants.length), template: variants[0]!.template, weight: 1 }])}>
            Add a version
          </button>
        )}
        <button type="button" className="btn small ghost" onClick={() => (set({ texts: { ...d.texts, [spec.key]: variants[0]!.template }, variants: { ...d.variants, [spec.key]: [] } }))}>
          Back to one text
        </button>
      </div>
    </fieldset>
  );
}
