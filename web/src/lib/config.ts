/**
 * The server-settings form (GET/PUT /api/system-config): the settings document flattened into
 * fields by dotted path (image.thumbnail.size), each with the kind of input it needs, and put
 * back together for the PUT. The server validates; the form shows what it says per field.
 */

export type Value = string | number | boolean | null;
export type Config = { [key: string]: Value | Config };

export interface Field {
	path: string;
	section: string;
	label: string;
	kind: 'boolean' | 'number' | 'choice';
	options?: string[];
	/** Empty means "none" (unlimited, never): sent as null. */
	nullable: boolean;
}

/** The settings with a fixed list of values (the schema's enums). */
export const CHOICES: Record<string, string[]> = {
	'ffmpeg.transcode': ['disabled', 'required', 'optimal', 'all'],
	'ffmpeg.targetVideoCodec': ['h264'],
	'ffmpeg.preset': ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'],
	'image.thumbnail.format': ['jpeg', 'webp'],
	'image.preview.format': ['jpeg', 'webp'],
	'machineLearning.clip.modelName': ['offline', 'clip']
};

/** The settings whose "none" is null (unlimited quota, invitations that never expire). */
export const NULLABLE = new Set(['user.defaultQuotaSizeInBytes', 'invitation.expiresInDays', 'invitation.maxUses']);

const WORDS: Record<string, string> = { crf: 'CRF', ffmpeg: 'Video (FFmpeg)', clip: 'Smart search (CLIP)', ml: 'ML' };

export function humanize(key: string): string {
	if (WORDS[key]) return WORDS[key];
	const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
	return words.charAt(0).toUpperCase() + words.slice(1);
}

export function fields(config: Config, prefix = ''): Field[] {
	const out: Field[] = [];
	for (const [key, value] of Object.entries(config)) {
		const path = prefix ? `${prefix}.${key}` : key;
		if (value !== null && typeof value === 'object') {
			out.push(...fields(value, path));
			continue;
		}
		const [section, ...rest] = path.split('.');
		const label = rest.length ? rest.map((k, i) => (i ? humanize(k).toLowerCase() : humanize(k))).join(' ') : humanize(section);
		const kind = CHOICES[path] ? 'choice' : typeof value === 'boolean' ? 'boolean' : 'number';
		out.push({ path, section, label, kind, options: CHOICES[path], nullable: NULLABLE.has(path) || value === null });
	}
	return out;
}

export function get(config: Config, path: string): Value {
	let node: Value | Config = config;
	for (const key of path.split('.')) node = (node as Config)?.[key] ?? null;
	return node as Value;
}

/** A copy of ``config`` with ``path`` set. */
export function set(config: Config, path: string, value: Value): Config {
	const [key, ...rest] = path.split('.');
	const child = config[key];
	return {
		...config,
		[key]: rest.length ? set((child ?? {}) as Config, rest.join('.'), value) : value
	};
}

/** What a text input holds, as the JSON the API takes: numbers as numbers, empty as null
 * (where "none" is allowed), anything else as typed (the server says what is wrong). */
export function parse(text: string, field: Field): Value {
	const t = text.trim();
	if (!t) return field.nullable ? null : '';
	const n = Number(t);
	return Number.isFinite(n) ? n : t;
}

/** The server's 400 details ([{field, message}]) by field path. */
export function fieldErrors(details: unknown): Record<string, string> {
	const out: Record<string, string> = {};
	if (!Array.isArray(details)) return out;
	for (const d of details) {
		if (d && typeof d === 'object' && 'field' in d) {
			const field = String((d as { field: unknown }).field).replace(/^body\.?/, '');
			out[field || 'body'] = String((d as { message?: unknown }).message ?? 'Invalid');
		}
	}
	return out;
}
