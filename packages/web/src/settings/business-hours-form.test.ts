import { validateBusinessHours } from '@textback/core';
import { describe, expect, it } from 'vitest';
import { addRange, copyDayToWeekdays, formToPatch, hoursToForm, placeHoursError, setDayOpen } from './business-hours-form';

const DEFAULT = {
  weekly: { mon: [{ open: '09:00', close: '17:00' }], tue: [{ open: '09:00', close: '17:00' }], wed: [], thu: [], fri: [{ open: '08:00', close: '12:00' }, { open: '13:00', close: '24:00' }], sat: [], sun: [] },
  holidays: ['2026-12-25'],
};

describe('business hours: API <-> form', () => {
  it('round-trips several ranges a day, closed days, midnight and holidays', () => {
    const form = hoursToForm('America/Chicago', DEFAULT);
    expect(form.days.fri.ranges[1]).toEqual({ open: '13:00', close: '00:00' }); // a time input cannot show 24:00
    expect(form.days.wed.open).toBe(false);
    expect(formToPatch(form)).toEqual({ time_zone: 'America/Chicago', business_hours: DEFAULT });
  });

  it('fills in days the stored hours leave out as closed', () => {
    const form = hoursToForm('Europe/Berlin', { weekly: { sat: [{ open: '10:00', close: '14:00' }] } });
    expect(formToPatch(form).business_hours.weekly).toEqual({ mon: [], tue: [], wed: [], thu: [], fri: [], sat: [{ open: '10:00', close: '14:00' }], sun: [] });
    expect(formToPatch(form).business_hours.holidays).toEqual([]);
  });

  it('closing a day sends it empty but keeps its hours for reopening; opening an empty day gives 09:00–17:00', () => {
    let form = hoursToForm('UTC', DEFAULT);
    form = setDayOpen(form, 'mon', false);
    expect(formToPatch(form).business_hours.weekly.mon).toEqual([]);
    form = setDayOpen(form, 'mon', true);
    expect(formToPatch(form).business_hours.weekly.mon).toEqual([{ open: '09:00', close: '17:00' }]);
    form = setDayOpen(form, 'sun', true);
    expect(formToPatch(form).business_hours.weekly.sun).toEqual([{ open: '09:00', close: '17:00' }]);
  });

  it('adds a second range after the first, which the domain accepts (no overlap)', () => {
    const form = addRange(hoursToForm('America/New_York', DEFAULT), 'mon');
    const patch = formToPatch(form);
    expect(patch.business_hours.weekly.mon).toEqual([{ open: '09:00', close: '17:00' }, { open: '18:00', close: '19:00' }]);
    expect(validateBusinessHours({ timeZone: patch.time_zone, ...patch.business_hours })).toEqual([]);
  });

  it('copies Monday to the other weekdays', () => {
    const form = copyDayToWeekdays(addRange(hoursToForm('UTC', DEFAULT), 'mon'), 'mon');
    expect(formToPatch(form).business_hours.weekly.thu).toHaveLength(2);
    expect(formToPatch(form).business_hours.weekly.sat).toEqual([]);
  });

  it('places server errors on the zone, the range, the day or the holiday they name', () => {
    expect(placeHoursError('time_zone')).toEqual({ at: 'zone' });
    expect(placeHoursError('business_hours.weekly.mon[1].close')).toEqual({ at: 'range', day: 'mon', index: 1, part: 'close' });
    expect(placeHoursError('business_hours.weekly.tue[0]')).toEqual({ at: 'range', day: 'tue', index: 0 });
    expect(placeHoursError('body.business_hours.weekly.wed.0.open')).toEqual({ at: 'range', day: 'wed', index: 0, part: 'open' });
    expect(placeHoursError('business_hours.weekly.fri')).toEqual({ at: 'day', day: 'fri' });
    expect(placeHoursError('business_hours.holidays[2]')).toEqual({ at: 'holiday', index: 2 });
    expect(placeHoursError('business_hours.weekly')).toEqual({ at: 'form' });
  });
});
