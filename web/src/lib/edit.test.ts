import { describe, expect, it } from 'vitest';
import { OFFSETS, changes, dateFields, dateTimeOriginal, formatOffset, position, type EditFields } from './edit';

const blank: EditFields = { date: '', time: '', offset: '+00:00', latitude: '', longitude: '', description: '' };

describe('asset edit', () => {
	it('reads the wall clock and the offset the API gives', () => {
		expect(dateFields('2019-07-24T11:25:40Z', '+02:00')).toEqual({ date: '2019-07-24', time: '11:25:40', offset: '+02:00' });
		// A named zone the form cannot show falls back.
		expect(dateFields('2019-07-24T11:25:40+00:00', 'Europe/Paris', '-05:00').offset).toBe('-05:00');
		expect(dateFields(null, null).date).toBe('');
	});

	it('sends the capture time with its offset', () => {
		expect(dateTimeOriginal({ date: '2020-01-02', time: '03:04', offset: '-05:30' })).toEqual({ value: '2020-01-02T03:04:00-05:30' });
		expect(dateTimeOriginal({ date: '', time: '03:04', offset: '+00:00' })).toEqual({ error: 'Enter a date' });
		expect(dateTimeOriginal({ date: '2020-01-02', time: '3pm', offset: '+00:00' })).toEqual({ error: 'Enter a time' });
	});

	it('lists offsets from -12:00 to +14:00, India and Nepal included', () => {
		expect(OFFSETS[0]).toBe('-12:00');
		expect(OFFSETS.at(-1)).toBe('+14:00');
		expect(OFFSETS).toContain('+05:30');
		expect(OFFSETS).toContain('+05:45');
		expect(OFFSETS).not.toContain('+05:15');
		expect(formatOffset(-210)).toBe('-03:30');
	});

	it('takes latitude and longitude as a pair, in range', () => {
		expect(position('', '')).toEqual({ value: null });
		expect(position('48.85', '')).toEqual({ error: 'Give both latitude and longitude' });
		expect(position('91', '2')).toEqual({ error: 'Latitude is between -90 and 90' });
		expect(position('48.85', 'east')).toEqual({ error: 'Longitude is between -180 and 180' });
		expect(position(' 48.8566 ', '2.3522')).toEqual({ value: { latitude: 48.8566, longitude: 2.3522 } });
	});

	it('sends only what changed', () => {
		const before = { ...blank, date: '2019-07-24', time: '11:25:40', description: 'old' };
		expect(changes(before, { ...before })).toEqual({ value: {} });
		expect(changes(before, { ...before, latitude: '1', longitude: '2' })).toEqual({ value: { latitude: 1, longitude: 2 } });
		expect(changes(before, { ...before, offset: '+09:00' })).toEqual({ value: { dateTimeOriginal: '2019-07-24T11:25:40+09:00' } });
		expect(changes(before, { ...before, description: '  ' })).toEqual({ value: { description: null } });
		expect(changes(before, { ...before, description: 'x' }, false)).toEqual({ value: {} });
		expect(changes(blank, { ...blank, time: '10:00' })).toEqual({ error: 'Enter a date' });
	});
});
