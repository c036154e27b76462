/**
 * Editing an asset's date, time zone and place (the viewer's info panel, and the selection's
 * bulk edit). The API takes the capture time with its offset (2019-07-24T11:25:40+02:00):
 * the offset becomes the asset's time zone, the wall clock the timeline's day.
 */

export interface DateFields {
	date: string;
	time: string;
	offset: string;
}

export interface EditFields extends DateFields {
	latitude: string;
	longitude: string;
	description: string;
}

const OFFSET = /^[+-]\d\d:\d\d$/;

/** Every UTC offset in use (whole hours, and the half and quarter hours some zones keep). */
export const OFFSETS: string[] = (() => {
	const minutes = [];
	for (let m = -12 * 60; m <= 14 * 60; m += 15) minutes.push(m);
	const used = new Set([-570, -210, 210, 270, 330, 345, 390, 525, 570, 630, 765, 825]);
	return minutes.filter((m) => m % 60 === 0 || used.has(m)).map(formatOffset);
})();

export function formatOffset(minutes: number): string {
	const sign = minutes < 0 ? '-' : '+';
	const abs = Math.abs(minutes);
	return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The browser's own offset at ``at`` (the default for an asset without a time zone). */
export function localOffset(at: Date = new Date()): string {
	return formatOffset(-at.getTimezoneOffset());
}

/**
 * The form's starting values from what the API says: the wall clock (localDateTime, labelled
 * UTC) and the time zone (an offset such as +02:00; anything else falls back to ``fallback``).
 */
export function dateFields(localDateTime: string | null | undefined, timeZone: string | null | undefined, fallback = '+00:00'): DateFields {
	const wall = localDateTime ?? '';
	return {
		date: wall.slice(0, 10),
		time: wall.slice(11, 19),
		offset: timeZone && OFFSET.test(timeZone) ? timeZone : fallback
	};
}

/** The capture time the API takes, or an error message for the form. */
export function dateTimeOriginal(f: DateFields): { value: string } | { error: string } {
	if (!/^\d{4}-\d\d-\d\d$/.test(f.date)) return { error: 'Enter a date' };
	const time = /^\d\d:\d\d$/.test(f.time) ? `${f.time}:00` : f.time;
	if (!/^\d\d:\d\d:\d\d$/.test(time)) return { error: 'Enter a time' };
	if (!OFFSET.test(f.offset)) return { error: 'Choose a time zone' };
	return { value: `${f.date}T${time}${f.offset}` };
}

/** Latitude and longitude go together; empty both to leave the place alone. */
export function position(latitude: string, longitude: string): { value: { latitude: number; longitude: number } | null } | { error: string } {
	const lat = latitude.trim();
	const lon = longitude.trim();
	if (!lat && !lon) return { value: null };
	if (!lat || !lon) return { error: 'Give both latitude and longitude' };
	const la = Number(lat);
	const lo = Number(lon);
	if (!Number.isFinite(la) || la < -90 || la > 90) return { error: 'Latitude is between -90 and 90' };
	if (!Number.isFinite(lo) || lo < -180 || lo > 180) return { error: 'Longitude is between -180 and 180' };
	return { value: { latitude: la, longitude: lo } };
}

export interface AssetChanges {
	dateTimeOriginal?: string;
	latitude?: number;
	longitude?: number;
	description?: string | null;
}

/**
 * What to send: only what the form changed from ``before`` (so a bulk edit of the place
 * leaves each asset's own date alone), or the first problem found.
 */
export function changes(before: EditFields, after: EditFields, withDescription = true): { value: AssetChanges } | { error: string } {
	const out: AssetChanges = {};
	if (after.date !== before.date || after.time !== before.time || after.offset !== before.offset) {
		const when = dateTimeOriginal(after);
		if ('error' in when) return when;
		out.dateTimeOriginal = when.value;
	}
	if (after.latitude !== before.latitude || after.longitude !== before.longitude) {
		const where = position(after.latitude, after.longitude);
		if ('error' in where) return where;
		if (where.value) Object.assign(out, where.value);
	}
	if (withDescription && after.description !== before.description) {
		out.description = after.description.trim() || null;
	}
	return { value: out };
}
