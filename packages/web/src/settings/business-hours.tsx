import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Plus, Trash2 } from 'lucide-react';
import { useMemo, useState } from 'react';
import { WEEKDAYS } from '@textback/core';
import { api, ApiError, ok, type Schemas } from '../api/client';
import { Loading } from '../ui';
import { FieldErrors, FormField } from './automation-editor';
import {
  addRange,
  copyDayToWeekdays,
  DAY_NAMES,
  formToPatch,
  hoursToForm,
  placeHoursError,
  setDayOpen,
  timeZones,
  todayIn,
  type HoursErrorPlace,
  type HoursForm,
  type Weekday,
} from './business-hours-form';
import { problemText, Saved } from './common';

/* ---------------------------------------------------------------- Business hours */

/**
 * The organization's time zone, weekly opening hours (several ranges a day if needed) and holidays.
 * Used by "wait until business hours" steps, the business_hours.open condition and reports.
 */
export function BusinessHours() {
  const org = useQuery({ queryKey: ['organization'], queryFn: () => ok(api.GET('/v1/organization')) });
  if (!org.data) return <Loading />;
  return <HoursEditor key={org.data.id} org={org.data} />;
}

function HoursEditor({ org }: { org: Schemas['Organization'] }) {
  const qc = useQueryClient();
  const [form, setForm] = useState<HoursForm>(() => hoursToForm(org.time_zone, org.business_hours));
  const [dirty, setDirty] = useState(false);
  const zones = useMemo(timeZones, []);
  const update = (next: HoursForm) => (setForm(next), setDirty(true));
  const save = useMutation({
    mutationFn: () => ok(api.PATCH('/v1/organization', { body: formToPatch(form) })),
    onSuccess: (data) => {
      setDirty(false);
      qc.setQueryData(['organization'], data);
    },
  });

  const errors: { place: HoursErrorPlace; message: string }[] =
    save.error instanceof ApiError ? (save.error.problem.errors ?? []).map((e) => ({ place: placeHoursError(e.field), message: e.message })) : [];
  const where = (test: (p: HoursErrorPlace) => boolean) => errors.filter((e) => test(e.place)).map((e) => e.message);
  const setDay = (day: Weekday, ranges: HoursForm['days'][Weekday]['ranges']) => update({ ...form, days: { ...form.days, [day]: { ...form.days[day], ranges } } });

  return (
    <form className="card hours-form" onSubmit={(e) => (e.preventDefault(), save.mutate())} noValidate>
      <p className="muted small">Textback uses these hours for “wait until business hours” steps, “business hours are open” conditions and reply-time reports.</p>
      <FormField label="Time zone of the business" className="narrow" hint="Type a city, e.g. Chicago or Berlin" errors={where((p) => p.at === 'zone')}>
        {(p) => (
          <>
            <input {...p} list="time-zones" value={form.timeZone} onChange={(e) => update({ ...form, timeZone: e.target.value })} placeholder="America/Chicago" autoComplete="off" />
            <datalist id="time-zones">
              {zones.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </>
        )}
      </FormField>

      <fieldset className="plain-set">
        <legend>Opening hours</legend>
        <FieldErrors errors={where((p) => p.at === 'form')} />
        <div className="week">
          {WEEKDAYS.map((day) => {
            const d = form.days[day];
            const dayErrors = where((p) => p.at === 'day' && p.day === day);
            return (
              <div key={day} className={`day-row${d.open ? '' : ' closed'}`} role="group" aria-label={DAY_NAMES[day]}>
                <label className="day-open">
                  <input type="checkbox" checked={d.open} onChange={(e) => update(setDayOpen(form, day, e.target.checked))} />
                  <span className="day-name">{DAY_NAMES[day]}</span>
                </label>
                <div className="day-ranges">
                  {!d.open && <span className="muted">Closed</span>}
                  {d.open &&
                    d.ranges.map((r, i) => {
                      const rangeErrors = where((p) => p.at === 'range' && p.day === day && p.index === i);
                      const errId = `${day}-${i}-err`;
                      return (
                        <div key={i} className="range">
                          <div className="range-times">
                            <label className="sr-only" htmlFor={`${day}-${i}-open`}>
                              {DAY_NAMES[day]} opens{d.ranges.length > 1 ? ` (range ${i + 1})` : ''}
                            </label>
                            <input
                              id={`${day}-${i}-open`}
                              type="time"
                              value={r.open}
                              aria-invalid={rangeErrors.length ? true : undefined}
                              aria-describedby={rangeErrors.length ? errId : undefined}
                              onChange={(e) => setDay(day, d.ranges.map((x, j) => (j === i ? { ...x, open: e.target.value } : x)))}
                            />
                            <span aria-hidden="true">–</span>
                            <label className="sr-only" htmlFor={`${day}-${i}-close`}>
                              {DAY_NAMES[day]} closes{d.ranges.length > 1 ? ` (range ${i + 1})` : ''}
                            </label>
                            <input
                              id={`${day}-${i}-close`}
                              type="time"
                              value={r.close}
                              aria-invalid={rangeErrors.length ? true : undefined}
                              aria-describedby={rangeErrors.length ? errId : undefined}
                              onChange={(e) => setDay(day, d.ranges.map((x, j) => (j === i ? { ...x, close: e.target.value } : x)))}
                            />
                            <button
                              type="button"
                              className="icon-btn danger"
                              aria-label={`Remove ${DAY_NAMES[day]} ${r.open}–${r.close}`}
                              title="Remove these hours"
                              onClick={() => (d.ranges.length === 1 ? update(setDayOpen(form, day, false)) : setDay(day, d.ranges.filter((_, j) => j !== i)))}
                            >
                              <Trash2 size={16} />
                            </button>
                          </div>
                          {rangeErrors.length > 0 && (
                            <small className="field-error" id={errId}>
                              {rangeErrors.join('; ')}
                            </small>
                          )}
                        </div>
                      );
                    })}
                  {dayErrors.length > 0 && <small className="field-error">{dayErrors.join('; ')}</small>}
                </div>
                <div className="day-tools">
                  {d.open && (
                    <button type="button" className="btn small ghost" onClick={() => update(addRange(form, day))} aria-label={`Add hours on ${DAY_NAMES[day]}`}>
                      <Plus size={14} /> Add hours
                    </button>
                  )}
                </div>
              </div>
            );
          })}
        </div>
        <div className="actions start">
          <button type="button" className="btn small" onClick={() => update(copyDayToWeekdays(form, 'mon'))}>
            Copy Monday’s hours to Tuesday–Friday
          </button>
        </div>
        <p className="muted small">Closing at 12:00 AM (00:00) means midnight. For hours past midnight, close at midnight and open the next day at 12:00 AM.</p>
      </fieldset>

      <fieldset className="plain-set">
        <legend>Holidays (closed all day)</legend>
        {form.holidays.length === 0 && <p className="muted small">No holidays.</p>}
        <ul className="holidays">
          {form.holidays.map((h, i) => {
            const errs = where((p) => p.at === 'holiday' && p.index === i);
            return (
              <li key={i}>
                <label className="sr-only" htmlFor={`holiday-${i}`}>
                  Holiday {i + 1}
                </label>
                <input
                  id={`holiday-${i}`}
                  type="date"
                  value={h}
                  aria-invalid={errs.length ? true : undefined}
                  aria-describedby={errs.length ? `holiday-${i}-err` : undefined}
                  onChange={(e) => update({ ...form, holidays: form.holidays.map((x, j) => (j === i ? e.target.value : x)) })}
                />
                <span className="muted small holiday-day">{weekdayOf(h)}</span>
                <button type="button" className="icon-btn danger" aria-label={`Remove holiday ${h || i + 1}`} onClick={() => update({ ...form, holidays: form.holidays.filter((_, j) => j !== i) })}>
                  <Trash2 size={16} />
                </button>
                {errs.length > 0 && (
                  <small className="field-error" id={`holiday-${i}-err`}>
                    {errs.join('; ')}
                  </small>
                )}
              </li>
            );
          })}
        </ul>
        <button type="button" className="btn small" onClick={() => update({ ...form, holidays: [...form.holidays, todayIn(form.timeZone)] })}>
          <Plus size={14} /> Add a holiday
        </button>
      </fieldset>

      {save.error && (
        <p className="form-error" role="alert">
          Not saved. {errors.length > 0 ? 'The problems are shown next to the hours they name.' : problemText(save.error)}
        </p>
      )}
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

function weekdayOf(date: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return '';
  const d = new Date(`${date}T12:00:00Z`);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleDateString(undefined, { weekday: 'long', timeZone: 'UTC' });
}
