/**
 * The automation editor: the automation's name, state, trigger and numbers, and its steps as forms
 * (condition, wait, send a text, update the contact, webhook, assign, stop), nested under conditions.
 * Steps the form has no fields for stay as JSON in place. Saved with PATCH /v1/automations/{id};
 * the server's validation errors (paths such as `steps[2].duration`) are shown on the step and field
 * they name. Below it, a dry run of the saved automation.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ArrowDown, ArrowUp, Braces, ListChecks, Plus, Trash2 } from 'lucide-react';
import { createContext, useContext, useId, useMemo, useState, type ReactNode } from 'react';
import { CONDITION_FIELDS, CONTACT_ATTRIBUTE_FIELD_PREFIX, countSegments, TRIGGER_TYPES } from '@textback/core';
import { api, ApiError, ok, type Schemas } from '../api/client';
import { formatPhone } from '../format';
import { ErrorNote, Loading } from '../ui';
import { problemText, Saved } from './common';
import {
  FORM_STEP_TYPES,
  STEP_LABELS,
  TRIGGER_WORDS,
  formKnows,
  fromDrafts,
  isSimpleComparison,
  kindOf,
  moveStep,
  newStep,
  operatorsFor,
  problemsAt,
  removeStep,
  replaceStep,
  stepProblems,
  takesList,
  takesValue,
  toDraft,
  toDrafts,
  withConditionField,
  type FieldProblem,
  type Json,
  type KnownStepType,
  type StepDraft,
} from './automation-form';

const STATE_WORDS: Record<string, { label: string; hint: string }> = {
  draft: { label: 'Draft', hint: 'Never sends' },
  active: { label: 'Active', hint: 'Runs on every matching event' },
  paused: { label: 'Paused', hint: 'Stops, and ends runs in progress' },
};

const OP_WORDS: Record<string, string> = {
  '==': 'is',
  '!=': 'is not',
  in: 'is one of',
  not_in: 'is none of',
  '>': 'is more than',
  '>=': 'is at least',
  '<': 'is less than',
  '<=': 'is at most',
  exists: 'is set',
  missing: 'is not set',
  within: 'was within the last',
  older_than: 'was longer ago than',
};

const FIELD_WORDS: Record<string, string> = {
  'call.outcome': 'Call outcome',
  'call.direction': 'Call direction',
  'call.duration': 'Call length (seconds)',
  'call.number': 'Our number that was called',
  'contact.source': 'Contact source',
  'contact.last_text_at': 'Our last text to the contact',
  'contact.last_reply_at': 'The contact’s last reply',
  'business_hours.open': 'Business hours are open',
  'run.replied': 'The contact replied since our text',
};

/** What the steps need from the page: the lists to pick from, the server's problems, and how to change a step. */
interface EditorContext {
  teams: { id: string; name: string }[];
  users: { id: string; name: string | null; email: string }[];
  problems: FieldProblem[];
  change: (key: string, next: StepDraft) => void;
  remove: (key: string) => void;
  move: (key: string, by: -1 | 1) => void;
}
const Ctx = createContext<EditorContext | null>(null);
const useEditor = () => useContext(Ctx)!;

export function AutomationEditor({ id, onClose }: { id: string; onClose: () => void }) {
  const a = useQuery({ queryKey: ['automations', id], queryFn: () => ok(api.GET('/v1/automations/{id}', { params: { path: { id } } })) });
  const [savedVersion, setSavedVersion] = useState<string | null>(null);
  if (a.error) return <ErrorNote error={problemText(a.error)} />;
  if (!a.data) return <Loading />;
  return (
    <div className="stack">
      {/* A fresh form for every saved version: what is shown is what the server has. */}
      <EditorForm key={a.data.updated_at} automation={a.data} onClose={onClose} justSaved={savedVersion === a.data.updated_at} onSaved={setSavedVersion} />
      <DryRun id={id} trigger={a.data.trigger.type} />
    </div>
  );
}

interface Head {
  name: string;
  state: string;
  priority: string;
  triggerType: string;
  after: string;
  numbers: 'all' | string[];
  /** Scope keys the form does not show (extensions), kept as they are. */
  scopeRest: Json;
}

/** The head of a document: the server's automation, or JSON typed into "the whole automation as JSON". */
function headOf(a: Json): Head {
  const { numbers, ...scopeRest } = (a.scope ?? { numbers: 'all' }) as Json;
  const trigger = (a.trigger ?? {}) as { type?: string; after?: string };
  return {
    name: (a.name as string | undefined) ?? '',
    state: (a.state as string | undefined) ?? 'draft',
    priority: String(a.priority ?? 50),
    triggerType: trigger.type ?? 'call.completed',
    after: trigger.after ?? '',
    numbers: numbers === 'all' ? 'all' : Array.isArray(numbers) ? (numbers as string[]) : 'all',
    scopeRest,
  };
}

function documentOf(head: Head, steps: Json[]): Json {
  const priority = Number(head.priority);
  return {
    name: head.name,
    state: head.state,
    priority: head.priority.trim() !== '' && Number.isFinite(priority) ? priority : head.priority,
    trigger: head.triggerType === 'message.not_replied' ? { type: head.triggerType, after: head.after } : { type: head.triggerType },
    scope: { ...head.scopeRest, numbers: head.numbers },
    steps,
  };
}

function EditorForm({ automation, onClose, justSaved, onSaved }: { automation: Schemas['Automation']; onClose: () => void; justSaved: boolean; onSaved: (version: string) => void }) {
  const qc = useQueryClient();
  const teams = useQuery({ queryKey: ['teams'], queryFn: async () => (await ok(api.GET('/v1/teams'))).data, staleTime: 60_000 });
  const users = useQuery({ queryKey: ['users'], queryFn: async () => (await ok(api.GET('/v1/users'))).data, staleTime: 60_000 });
  const numbers = useQuery({ queryKey: ['numbers', 'scope-picker'], queryFn: async () => (await ok(api.GET('/v1/numbers'))).data, staleTime: 60_000 });
  const [head, setHead] = useState<Head>(() => headOf(automation));
  const [steps, setSteps] = useState<StepDraft[]>(() => toDrafts(automation.steps));
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [dirty, setDirty] = useState(false);
  const set = (patch: Partial<Head>) => (setHead((h) => ({ ...h, ...patch })), setDirty(true));
  /** A change that moves steps makes the server's paths stale: its problems go until the next save. */
  const edit = (fn: (s: StepDraft[]) => StepDraft[], structural = false) => {
    setSteps(fn);
    setDirty(true);
    if (structural) setProblems([]);
  };
  const save = useMutation({
    mutationFn: async () => {
      const local: { path: string; message: string }[] = [];
      const doc = documentOf(head, fromDrafts(steps, 'steps', local));
      if (local.length > 0) throw new ApiError(422, { title: 'Some steps are not valid JSON', detail: 'Some steps are not valid JSON', errors: local.map((p) => ({ field: p.path, message: p.message })) });
      return ok(api.PATCH('/v1/automations/{id}', { params: { path: { id: automation.id } }, body: doc }));
    },
    onMutate: () => setProblems([]),
    onError: (e) => setProblems(e instanceof ApiError ? ((e.problem.errors ?? []) as FieldProblem[]) : []),
    onSuccess: (data) => {
      onSaved(data.updated_at);
      qc.setQueryData(['automations', automation.id], data);
      void qc.invalidateQueries({ queryKey: ['automations'], exact: true });
    },
  });
  const context: EditorContext = {
    teams: teams.data ?? [],
    users: users.data ?? [],
    problems,
    change: (key, next) => edit((s) => replaceStep(s, key, next)),
    remove: (key) => edit((s) => removeStep(s, key), true),
    move: (key, by) => edit((s) => moveStep(s, key, by), true),
  };
  const headProblem = (...path: string[]) => problemsAt(problems, path).map((p) => (p.rest.length ? `${p.rest.join('.')}: ${p.message}` : p.message));
  const stepsProblem = problems.filter((p) => {
    const s = problemsAt([p], ['steps'])[0];
    return s !== undefined && s.rest.length === 0;
  });
  const unplaced = problems.filter((p) => !['name', 'state', 'priority', 'trigger', 'scope', 'steps'].includes(p.field.replace(/^body[./]/, '').split(/[.[/]/)[0] ?? ''));
  const orgNumbers = numbers.data ?? [];

  return (
    <form className="card automation-editor" aria-labelledby="automation-editor-title" onSubmit={(e) => (e.preventDefault(), save.mutate())} noValidate>
      <div className="editor-head">
        <h3 id="automation-editor-title">Edit “{automation.name}”</h3>
        <button type="button" className="btn small ghost" onClick={onClose}>
          ← All automations
        </button>
      </div>
      <Ctx.Provider value={context}>
        <div className="grid-2">
          <FormField label="Name" errors={headProblem('name')}>
            {(p) => <input {...p} value={head.name} onChange={(e) => set({ name: e.target.value })} />}
          </FormField>
          <FormField label="Priority" hint="When several automations match one event, the higher number runs first." errors={headProblem('priority')}>
            {(p) => <input {...p} type="number" value={head.priority} onChange={(e) => set({ priority: e.target.value })} />}
          </FormField>
        </div>
        <fieldset className="plain-set">
          <legend>State</legend>
          <div className="state-choice">
            {Object.entries(STATE_WORDS).map(([value, w]) => (
              <label key={value} className={`seg ${head.state === value ? 'on' : ''}`}>
                <input type="radio" name="automation-state" value={value} checked={head.state === value} onChange={() => set({ state: value })} className="sr-only" />
                <span>{w.label}</span>
                <small>{w.hint}</small>
              </label>
            ))}
          </div>
          <FieldErrors errors={headProblem('state')} />
        </fieldset>
        <div className="grid-2">
          <FormField label="Starts when" errors={headProblem('trigger', 'type')}>
            {(p) => (
              <select {...p} value={head.triggerType} onChange={(e) => set({ triggerType: e.target.value, after: e.target.value === 'message.not_replied' ? head.after || '1d' : '' })}>
                {TRIGGER_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {TRIGGER_WORDS[t] ?? t}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          {head.triggerType === 'message.not_replied' && (
            <FormField label="No reply after" hint="e.g. 4h, 1d, 2d" errors={headProblem('trigger', 'after')}>
              {(p) => <input {...p} value={head.after} onChange={(e) => set({ after: e.target.value })} />}
            </FormField>
          )}
        </div>
        <fieldset className="plain-set">
          <legend>On which numbers</legend>
          <label className="check">
            <input type="radio" name="scope" checked={head.numbers === 'all'} onChange={() => set({ numbers: 'all' })} /> All our numbers
          </label>
          <label className="check">
            <input type="radio" name="scope" checked={head.numbers !== 'all'} onChange={() => set({ numbers: head.numbers === 'all' ? orgNumbers.slice(0, 1).map((n) => n.phone) : head.numbers })} /> Only these numbers
          </label>
          {head.numbers !== 'all' && (
            <div className="number-picks">
              {orgNumbers.map((n) => {
                const e164 = n.phone;
                const list = head.numbers as string[];
                return (
                  <label key={e164} className="check">
                    <input type="checkbox" checked={list.includes(e164)} onChange={(e) => set({ numbers: e.target.checked ? [...list, e164] : list.filter((x) => x !== e164) })} />
                    {formatPhone(e164)} {n.name ? <span className="muted">· {n.name}</span> : null}
                  </label>
                );
              })}
            </div>
          )}
          <FieldErrors errors={headProblem('scope')} />
        </fieldset>

        <h4 className="steps-title">Steps</h4>
        <p className="muted small">Steps run top to bottom. A condition runs its “if yes” steps or its “otherwise” steps, then carries on below it.</p>
        <FieldErrors errors={stepsProblem.map((p) => p.message)} />
        <StepList steps={steps} path={['steps']} onAdd={(type) => edit((s) => [...s, newStep(type)])} />
      </Ctx.Provider>

      <WholeJson head={head} steps={steps} onApply={(doc) => (setHead(headOf(doc)), setSteps(toDrafts(doc.steps)), setDirty(true), setProblems([]))} />

      {save.error && (
        <p className="form-error" role="alert">
          Not saved. {problems.length > 0 ? `${problems.length === 1 ? 'One problem is' : `${problems.length} problems are`} shown next to the field ${problems.length === 1 ? 'it names' : 'they name'}.` : problemText(save.error)}
        </p>
      )}
      <FieldErrors errors={unplaced.map((p) => `${p.field}: ${p.message}`)} />
      <div className="actions sticky-actions">
        {dirty && !save.isPending && <span className="muted small">Unsaved changes</span>}
        <Saved show={justSaved && !dirty} />
        <button className="btn primary" disabled={save.isPending}>
          Save automation
        </button>
      </div>
    </form>
  );
}

/* ---------------------------------------------------------------- Steps */

function StepList({ steps, path, onAdd, label }: { steps: StepDraft[]; path: string[]; onAdd: (type: KnownStepType) => void; label?: string }) {
  return (
    <div className="step-list">
      {steps.length > 0 ? (
        <ol className="auto-steps" aria-label={label}>
          {steps.map((d, i) => (
            <StepCard key={d.key} draft={d} path={[...path, String(i)]} index={i} count={steps.length} />
          ))}
        </ol>
      ) : (
        path.length === 1 && <p className="muted small">No steps yet: add the first one.</p>
      )}
      <AddStep onAdd={onAdd} where={label} />
    </div>
  );
}

function AddStep({ onAdd, where }: { onAdd: (type: KnownStepType) => void; where?: string | undefined }) {
  const [type, setType] = useState<KnownStepType>('send_sms');
  const id = useId();
  return (
    <div className="add-step">
      <label htmlFor={id} className="sr-only">
        Kind of step to add{where ? ` (${where})` : ''}
      </label>
      <select id={id} value={type} onChange={(e) => setType(e.target.value as KnownStepType)}>
        {FORM_STEP_TYPES.map((t) => (
          <option key={t} value={t}>
            {STEP_LABELS[t]}
          </option>
        ))}
      </select>
      <button type="button" className="btn small" onClick={() => onAdd(type)} aria-label={`Add step${where ? ` ${where.toLowerCase()}` : ''}`}>
        <Plus size={14} aria-hidden="true" /> Add step
      </button>
    </div>
  );
}

/** "3" or "3 › if yes 1": how people name a step. */
function stepName(path: string[]): string {
  const out: string[] = [];
  for (let i = 1; i < path.length; i++) {
    const seg = path[i]!;
    if (seg === 'then') out.push('if yes');
    else if (seg === 'else') out.push('otherwise');
    else out.push(String(Number(seg) + 1));
  }
  return out.join(' › ').replace(/(if yes|otherwise) › /g, '$1 ');
}

const FIELDS_OF: Record<string, string[]> = {
  condition: ['if', 'note'],
  delay: ['duration', 'until', 'note'],
  send_sms: ['template', 'note'],
  update_contact: ['attribute', 'value', 'note'],
  webhook: ['url', 'secret', 'note'],
  assign: ['teamId', 'userId', 'note'],
  stop: ['reason', 'note'],
};

function StepCard({ draft: d, path, index, count }: { draft: StepDraft; path: string[]; index: number; count: number }) {
  const ed = useEditor();
  const name = stepName(path);
  const type = String(d.raw.type ?? 'step');
  const known = d.json === undefined;
  const { byField, general } = stepProblems(ed.problems, path, known ? (FIELDS_OF[type] ?? []) : []);
  const raw = (patch: Json, drop: string[] = []) => {
    const next = { ...d.raw, ...patch };
    for (const k of drop) delete next[k];
    ed.change(d.key, { ...d, raw: next });
  };
  const title = known ? (STEP_LABELS[type as KnownStepType] ?? type) : `${type.replace(/_/g, ' ')} (JSON)`;
  const jsonError = d.json !== undefined ? jsonProblem(d.json) : null;
  const canUseForm = d.json !== undefined && !jsonError && formKnows(JSON.parse(d.json));
  const [noteOpen, setNoteOpen] = useState(false);
  const hasNote = typeof d.raw.note === 'string' && (d.raw.note !== '' || noteOpen);
  const note =
    hasNote || byField.note ? (
      <FormField label="Note (optional)" className="note-field" errors={byField.note}>
        {(p) => <input {...p} value={String(d.raw.note ?? '')} onChange={(e) => raw({ note: e.target.value })} placeholder="Why this step is here" autoFocus={noteOpen && !d.raw.note} />}
      </FormField>
    ) : (
      <button type="button" className="btn small ghost add-note" onClick={() => (setNoteOpen(true), raw({ note: '' }))} aria-label={`Add a note to step ${name}`}>
        <Plus size={14} aria-hidden="true" /> Note
      </button>
    );
  return (
    <li className={`step-card step-${type}${general.length || Object.keys(byField).length ? ' has-error' : ''}`} aria-label={`Step ${name}: ${title}`}>
      <div className="step-head">
        <span className="step-number" aria-hidden="true">
          {name}
        </span>
        <strong className="step-title">{title}</strong>
        <span className="step-tools">
          <button type="button" className="icon-btn" aria-label={`Move step ${name} up`} title="Move up" disabled={index === 0} onClick={() => ed.move(d.key, -1)}>
            <ArrowUp size={16} />
          </button>
          <button type="button" className="icon-btn" aria-label={`Move step ${name} down`} title="Move down" disabled={index === count - 1} onClick={() => ed.move(d.key, 1)}>
            <ArrowDown size={16} />
          </button>
          {known ? (
            <button type="button" className="icon-btn" aria-label={`Edit step ${name} as JSON`} title="Edit as JSON" onClick={() => ed.change(d.key, { ...d, json: JSON.stringify(fromDrafts([d])[0] ?? d.raw, null, 2) })}>
              <Braces size={16} />
            </button>
          ) : (
            canUseForm && (
              <button type="button" className="icon-btn" aria-label={`Edit step ${name} with the form`} title="Use the form" onClick={() => ed.change(d.key, { ...toDraft(JSON.parse(d.json!)), key: d.key })}>
                <ListChecks size={16} />
              </button>
            )
          )}
          <button type="button" className="icon-btn danger" aria-label={`Remove step ${name}`} title="Remove" onClick={() => ed.remove(d.key)}>
            <Trash2 size={16} />
          </button>
        </span>
      </div>
      <FieldErrors errors={general} />
      {!known ? (
        <FormField label={`Step ${name} as JSON`} hint={formKnows(d.raw) ? undefined : 'The form has no fields for this step; it is kept as written.'} errors={jsonError ? [jsonError] : []}>
          {(p) => <textarea {...p} className="mono" rows={Math.min(16, d.json!.split('\n').length + 1)} value={d.json} onChange={(e) => ed.change(d.key, { ...d, json: e.target.value })} spellCheck={false} />}
        </FormField>
      ) : (
        <StepFields d={d} type={type} byField={byField} raw={raw} path={path} note={note} />
      )}
      {known && type !== 'condition' && note}
    </li>
  );
}

function jsonProblem(text: string): string | null {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? null : 'a step is a JSON object: { "type": … }';
  } catch (e) {
    return `Not valid JSON: ${(e as Error).message}`;
  }
}

function StepFields({ d, type, byField, raw, path, note }: { d: StepDraft; type: string; byField: Record<string, string[]>; raw: (patch: Json, drop?: string[]) => void; path: string[]; note: ReactNode }) {
  const ed = useEditor();
  switch (type) {
    case 'delay': {
      const until = d.raw.until === 'business_hours';
      return (
        <div className="step-fields">
          <fieldset className="plain-set">
            <legend className="sr-only">Wait how</legend>
            <label className="check">
              <input type="radio" checked={!until} onChange={() => raw({ duration: '15m' }, ['until'])} /> Wait for a time
            </label>
            <label className="check">
              <input type="radio" checked={until} onChange={() => raw({ until: 'business_hours' }, ['duration'])} /> Wait until business hours are open (no wait if they are)
            </label>
          </fieldset>
          {!until && (
            <FormField label="How long" hint="A number and a unit: 15s, 20m, 2h, 1d, or 1h30m" className="narrow" errors={[...(byField.duration ?? []), ...(byField.until ?? [])]}>
              {(p) => <input {...p} value={String(d.raw.duration ?? '')} onChange={(e) => raw({ duration: e.target.value })} />}
            </FormField>
          )}
          {until && <FieldErrors errors={byField.until ?? []} />}
        </div>
      );
    }
    case 'send_sms':
      return <SmsField d={d} raw={raw} errors={byField.template ?? []} />;
    case 'update_contact': {
      const now = d.raw.value === 'now';
      return (
        <div className="step-fields grid-2">
          <FormField label="Contact attribute" hint="Letters, digits, _ or -" errors={byField.attribute}>
            {(p) => <input {...p} value={String(d.raw.attribute ?? '')} onChange={(e) => raw({ attribute: e.target.value })} placeholder="e.g. last_follow_up_at" />}
          </FormField>
          <div>
            <FormField label="Set it to" errors={byField.value}>
              {(p) => <input {...p} value={now ? '' : String(d.raw.value ?? '')} disabled={now} onChange={(e) => raw({ value: e.target.value })} placeholder={now ? 'the current time' : ''} />}
            </FormField>
            <label className="check">
              <input type="checkbox" checked={now} onChange={(e) => raw({ value: e.target.checked ? 'now' : '' })} /> The current time
            </label>
          </div>
        </div>
      );
    }
    case 'webhook':
      return (
        <div className="step-fields grid-2">
          <FormField label="URL" hint="Textback posts the event here as JSON" errors={byField.url}>
            {(p) => <input {...p} type="url" value={String(d.raw.url ?? '')} onChange={(e) => raw({ url: e.target.value })} placeholder="https://example.com/hooks/textback" />}
          </FormField>
          <FormField label="Signing secret (optional)" errors={byField.secret}>
            {(p) => <input {...p} value={String(d.raw.secret ?? '')} autoComplete="off" onChange={(e) => raw({ secret: e.target.value })} />}
          </FormField>
        </div>
      );
    case 'assign': {
      const toUser = typeof d.raw.userId === 'string';
      const value = String((toUser ? d.raw.userId : d.raw.teamId) ?? '');
      return (
        <div className="step-fields grid-2">
          <FormField label="Assign to" errors={[]}>
            {(p) => (
              <select {...p} value={toUser ? 'user' : 'team'} onChange={(e) => (e.target.value === 'user' ? raw({ userId: '' }, ['teamId']) : raw({ teamId: '' }, ['userId']))}>
                <option value="team">A team</option>
                <option value="user">A person</option>
              </select>
            )}
          </FormField>
          <FormField label={toUser ? 'Person' : 'Team'} errors={[...(byField.teamId ?? []), ...(byField.userId ?? [])]}>
            {(p) => (
              <select {...p} value={value} onChange={(e) => raw(toUser ? { userId: e.target.value } : { teamId: e.target.value })}>
                <option value="">Choose…</option>
                {toUser
                  ? ed.users.map((u) => (
                      <option key={u.id} value={u.id}>
                        {u.name ?? u.email}
                      </option>
                    ))
                  : ed.teams.map((t) => (
                      <option key={t.id} value={t.id}>
                        {t.name}
                      </option>
                    ))}
                {value && !(toUser ? ed.users : ed.teams).some((x) => x.id === value) && <option value={value}>{value}</option>}
              </select>
            )}
          </FormField>
        </div>
      );
    }
    case 'reply_agent':
      return (
        <p className="muted small step-fields">
          From here on, the reply agent answers this contact’s replies in the conversation, with the number’s facts (Settings → Reply agent), even if the number’s own switch is off. It
          hands off to a person as it always does.
        </p>
      );
    case 'stop':
      return (
        <FormField label="Reason (optional, shown in the run history)" errors={byField.reason}>
          {(p) => <input {...p} value={String(d.raw.reason ?? '')} onChange={(e) => raw({ reason: e.target.value })} placeholder="e.g. the contact replied" />}
        </FormField>
      );
    case 'condition':
      return <ConditionFields d={d} errors={byField.if ?? []} path={path} note={note} />;
    default:
      return null;
  }
}

function SmsField({ d, raw, errors }: { d: StepDraft; raw: (patch: Json) => void; errors: string[] }) {
  const text = String(d.raw.template ?? '');
  const seg = useMemo(() => countSegments(text), [text]);
  return (
    <FormField
      label="Text"
      errors={errors}
      hint={
        <>
          <span className="seg-count" aria-live="polite">
            {[...text].length} characters · {seg.segments} {seg.segments === 1 ? 'segment' : 'segments'} · {seg.encoding}
          </span>
          <br />
          Variables: {'{Name|there}'}, {'{Business}'}, {'{Agent}'}, {'{Number}'}, {'{attr.name}'}. Opt-out wording is added by the compliance settings.
        </>
      }
    >
      {(p) => <textarea {...p} rows={3} value={text} onChange={(e) => raw({ template: e.target.value })} />}
    </FormField>
  );
}

function ConditionFields({ d, errors, path, note }: { d: StepDraft; errors: string[]; path: string[]; note: ReactNode }) {
  const ed = useEditor();
  const name = stepName(path);
  const { byField: ifErrors, general: ifGeneral } = stepProblems(errors.length ? ed.problems : [], [...path, 'if'], ['field', 'op', 'value']);
  const addTo = (branch: 'then' | 'else') => (type: KnownStepType) => ed.change(d.key, { ...d, [branch]: [...(d[branch] ?? []), newStep(type)] });
  const cond = isSimpleComparison(d.raw.if) ? d.raw.if : null;
  const setIf = (next: { field: string; op: string }, valueText = d.valueText) => ed.change(d.key, { ...d, raw: { ...d.raw, if: next }, valueText: valueText ?? '' });
  return (
    <div className="step-fields">
      {cond ? (
        <div className="condition-row">
          <FieldPicker d={d} errors={ifErrors.field ?? []} />
          <FormField label="Test" errors={ifErrors.op}>
            {(p) => (
              <select {...p} value={cond.op} onChange={(e) => setIf({ field: cond.field, op: e.target.value })}>
                {operatorsFor(cond.field).map((op) => (
                  <option key={op} value={op}>
                    {OP_WORDS[op] ?? op}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          {takesValue(cond.op) && <ValueInput field={cond.field} op={cond.op} text={d.valueText ?? ''} onText={(t) => setIf({ field: cond.field, op: cond.op }, t)} errors={ifErrors.value ?? []} />}
        </div>
      ) : (
        <FormField label="If (JSON: all / any / not of several tests)" errors={[]}>
          {(p) => <textarea {...p} className="mono" rows={Math.min(14, (d.ifJson ?? '').split('\n').length + 1)} value={d.ifJson ?? ''} onChange={(e) => ed.change(d.key, { ...d, ifJson: e.target.value })} spellCheck={false} />}
        </FormField>
      )}
      <FieldErrors errors={ifGeneral} />
      {note}
      <div className="branch">
        <p className="branch-title">If yes</p>
        <StepList steps={d.then ?? []} path={[...path, 'then']} onAdd={addTo('then')} label={`If yes (step ${name})`} />
      </div>
      <div className="branch">
        <p className="branch-title">Otherwise</p>
        <StepList steps={d.else ?? []} path={[...path, 'else']} onAdd={addTo('else')} label={`Otherwise (step ${name})`} />
      </div>
    </div>
  );
}

function FieldPicker({ d, errors }: { d: StepDraft; errors: string[] }) {
  const ed = useEditor();
  const cond = d.raw.if as { field: string; op: string };
  const isAttr = cond.field.startsWith(CONTACT_ATTRIBUTE_FIELD_PREFIX);
  const known = Object.prototype.hasOwnProperty.call(CONDITION_FIELDS, cond.field);
  return (
    <div className="field-picker">
      <FormField label="When" errors={isAttr ? [] : errors}>
        {(p) => (
          <select {...p} value={isAttr ? '__attr' : cond.field} onChange={(e) => ed.change(d.key, withConditionField(d, e.target.value === '__attr' ? `${CONTACT_ATTRIBUTE_FIELD_PREFIX}` : e.target.value))}>
            {Object.keys(CONDITION_FIELDS).map((f) => (
              <option key={f} value={f}>
                {FIELD_WORDS[f] ?? f}
              </option>
            ))}
            <option value="__attr">A contact attribute…</option>
            {!known && !isAttr && <option value={cond.field}>{cond.field}</option>}
          </select>
        )}
      </FormField>
      {isAttr && (
        <FormField label="Attribute name" errors={errors}>
          {(p) => (
            <input
              {...p}
              value={cond.field.slice(CONTACT_ATTRIBUTE_FIELD_PREFIX.length)}
              onChange={(e) => ed.change(d.key, { ...d, raw: { ...d.raw, if: { ...cond, field: `${CONTACT_ATTRIBUTE_FIELD_PREFIX}${e.target.value}` } } })}
              placeholder="e.g. last_missed_call_sms_at"
            />
          )}
        </FormField>
      )}
    </div>
  );
}

function ValueInput({ field, op, text, onText, errors }: { field: string; op: string; text: string; onText: (t: string) => void; errors: string[] }) {
  const kind = kindOf(field);
  const spec = CONDITION_FIELDS[field];
  if (op === 'within' || op === 'older_than') {
    return (
      <FormField label="Time" hint="e.g. 24h, 7d" errors={errors}>
        {(p) => <input {...p} value={text} onChange={(e) => onText(e.target.value)} />}
      </FormField>
    );
  }
  if (kind === 'boolean') {
    return (
      <FormField label="Value" errors={errors}>
        {(p) => (
          <select {...p} value={text} onChange={(e) => onText(e.target.value)}>
            <option value="true">yes</option>
            <option value="false">no</option>
          </select>
        )}
      </FormField>
    );
  }
  if (kind === 'enum' && spec?.values && !takesList(op)) {
    return (
      <FormField label="Value" errors={errors}>
        {(p) => (
          <select {...p} value={text} onChange={(e) => onText(e.target.value)}>
            {spec.values!.map((v) => (
              <option key={v} value={v}>
                {v.replace(/_/g, ' ')}
              </option>
            ))}
            {!spec.values!.includes(text) && <option value={text}>{text}</option>}
          </select>
        )}
      </FormField>
    );
  }
  return (
    <FormField label={takesList(op) ? 'Values (comma-separated)' : 'Value'} hint={takesList(op) && spec?.values ? spec.values.join(', ') : undefined} errors={errors}>
      {(p) => <input {...p} type={kind === 'number' ? 'number' : 'text'} value={text} onChange={(e) => onText(e.target.value)} />}
    </FormField>
  );
}

/* ---------------------------------------------------------------- Fields with their errors */

type InputProps = { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string };

export function FormField({
  label,
  hint,
  errors,
  className,
  children,
}: {
  label: string;
  hint?: ReactNode;
  errors?: string[] | undefined;
  className?: string;
  children: (props: InputProps) => ReactNode;
}) {
  const id = useId();
  const list = errors ?? [];
  const describedBy = [list.length ? `${id}-err` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ');
  return (
    <div className={`field ${className ?? ''}${list.length ? ' invalid' : ''}`}>
      <label htmlFor={id} className="field-label">
        {label}
      </label>
      {children({ id, ...(list.length ? { 'aria-invalid': true as const } : {}), ...(describedBy ? { 'aria-describedby': describedBy } : {}) })}
      {list.length > 0 && (
        <small className="field-error" id={`${id}-err`}>
          {list.join('; ')}
        </small>
      )}
      {hint && <small id={`${id}-hint`}>{hint}</small>}
    </div>
  );
}

export function FieldErrors({ errors }: { errors: string[] }) {
  if (errors.length === 0) return null;
  return (
    <ul className="field-errors">
      {errors.map((e, i) => (
        <li key={i}>{e}</li>
      ))}
    </ul>
  );
}

/* ---------------------------------------------------------------- The whole document as JSON */

function WholeJson({ head, steps, onApply }: { head: Head; steps: StepDraft[]; onApply: (doc: Json) => void }) {
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const current = () => JSON.stringify(documentOf(head, fromDrafts(steps)), null, 2);
  return (
    <details className="whole-json" onToggle={(e) => (e.currentTarget.open ? setText(current()) : setText(null))}>
      <summary>The whole automation as JSON</summary>
      <p className="muted small">For what the form does not show (such as extensions in the scope). “Use this JSON” puts it in the form above; nothing is saved until you save.</p>
      {text !== null && (
        <>
          <label className="sr-only" htmlFor="whole-json">
            The whole automation as JSON
          </label>
          <textarea id="whole-json" className="mono" rows={16} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
          {error && <p className="form-error">{error}</p>}
          <div className="actions">
            <button type="button" className="btn small" onClick={() => setText(current())}>
              Reset from the form
            </button>
            <button
              type="button"
              className="btn small"
              onClick={() => {
                try {
                  const doc = JSON.parse(text) as unknown;
                  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('the automation is a JSON object');
                  setError(null);
                  onApply(doc as Json);
                } catch (e) {
                  setError(`Not valid JSON: ${(e as Error).message}`);
                }
              }}
            >
              Use this JSON
            </button>
          </div>
        </>
      )}
    </details>
  );
}

/* ---------------------------------------------------------------- Dry run */

const OUTCOMES = ['missed', 'voicemail', 'answered', 'too_short', 'answered_elsewhere'];

function DryRun({ id, trigger }: { id: string; trigger: string | undefined }) {
  const isCall = trigger === 'call.completed';
  const [mode, setMode] = useState<'sample' | 'replay'>('sample');
  const [outcome, setOutcome] = useState('missed');
  const [direction, setDirection] = useState<'inbound' | 'outbound'>('inbound');
  const [days, setDays] = useState(7);
  const dry = useMutation({
    mutationFn: () =>
      ok(
        api.POST('/v1/automations/{id}/dry-run', {
          params: { path: { id } },
          body: mode === 'replay' ? { replay_days: days } : { event: isCall ? { call: { outcome: outcome as 'missed', direction } } : {} },
        }),
      ),
  });
  const result = dry.data;
  const results = result?.data ?? [];
  const sends = results.flatMap((r) => r.would_send.map((s) => ({ ...s, event: r.event })));
  return (
    <section className="card dry-run" aria-labelledby="dry-run-title">
      <h3 id="dry-run-title">Dry run</h3>
      <p className="muted small">What the saved automation would text, to whom and when, as if it were active. Nothing is sent.</p>
      <form className="stack" onSubmit={(e) => (e.preventDefault(), dry.mutate())}>
        <fieldset className="plain-set">
          <legend className="sr-only">Run it on</legend>
          <label className="check">
            <input type="radio" name="dry-mode" checked={mode === 'sample'} onChange={() => setMode('sample')} /> {isCall ? 'A sample call from a sample contact, now' : 'A sample event from a sample contact, now'}
          </label>
          <label className="check">
            <input type="radio" name="dry-mode" checked={mode === 'replay'} onChange={() => setMode('replay')} /> Our real calls of the last days
          </label>
        </fieldset>
        <div className="inline-form">
          {mode === 'sample' && isCall && (
            <>
              <label className="field inline">
                <span>Call outcome</span>
                <select value={outcome} onChange={(e) => setOutcome(e.target.value)}>
                  {OUTCOMES.map((o) => (
                    <option key={o} value={o}>
                      {o.replace(/_/g, ' ')}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field inline">
                <span>Direction</span>
                <select value={direction} onChange={(e) => setDirection(e.target.value as 'inbound')}>
                  <option value="inbound">they called us</option>
                  <option value="outbound">we called them</option>
                </select>
              </label>
            </>
          )}
          {mode === 'replay' && (
            <label className="field inline">
              <span>Days</span>
              <input type="number" min={1} max={90} value={days} onChange={(e) => setDays(Number(e.target.value))} />
            </label>
          )}
          <button className="btn" disabled={dry.isPending}>
            Dry run
          </button>
        </div>
      </form>
      <ErrorNote error={problemText(dry.error)} />
      {result && (
        <div className="dry-result" role="status">
          <p>
            <strong>
              {result.would_send === 0 ? 'Would send no text' : `Would send ${result.would_send} ${result.would_send === 1 ? 'text' : 'texts'}`}
            </strong>{' '}
            <span className="muted">
              ({results.length} {results.length === 1 ? 'event' : 'events'})
            </span>
          </p>
          {sends.length > 0 && (
            <ol className="dry-sends" aria-label="Texts it would send">
              {sends.slice(0, 50).map((s, i) => (
                <li key={i}>
                  <p className="dry-meta">
                    <span>{whenText(s.at, s.event?.at)}</span> <span>to {formatPhone(s.to)}</span>
                  </p>
                  <p className="dry-body">{s.body}</p>
                </li>
              ))}
            </ol>
          )}
          {results.slice(0, 20).map((r, i) => (
            <details key={i} className="dry-trace">
              <summary>
                {r.event.call ? `${String(r.event.call.outcome).replace(/_/g, ' ')} call` : r.event.type} at {new Date(r.event.at).toLocaleString()}: {r.outcome}
              </summary>
              <ol className="steps">
                {r.steps.map((s, j) => (
                  <li key={j}>
                    <code>{s.step}</code> {s.message}
                  </li>
                ))}
              </ol>
            </details>
          ))}
        </div>
      )}
    </section>
  );
}

/** "May 3, 2:15:30 PM (15s after the event)". */
function whenText(at: string, eventAt: string | undefined): string {
  const when = new Date(at).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' });
  if (!eventAt) return when;
  const seconds = Math.round((Date.parse(at) - Date.parse(eventAt)) / 1000);
  if (seconds <= 0) return `${when} (right away)`;
  const after = seconds < 120 ? `${seconds}s` : seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
  return `${when} (${after} after the event)`;
}
