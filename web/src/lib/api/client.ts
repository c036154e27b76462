/**
 * The one way the app talks to the API: paths, bodies and answers typed from the generated
 * OpenAPI schema (src/lib/api/schema.d.ts, built from docs/openapi.json), so a route or DTO
 * change the client does not follow fails `npm run check` instead of failing in a browser.
 */
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

type Json<C> = C extends { content: { 'application/json': infer T } } ? T : void;
type Ok<O> = O extends { responses: infer R }
	? R extends { 200: infer C }
		? Json<C>
		: R extends { 201: infer C }
			? Json<C>
			: R extends { 202: infer C }
				? Json<C>
				: void
	: never;
type Body<O> = O extends { requestBody: { content: { 'application/json': infer B } } }
	? B
	: O extends { requestBody?: { content: { 'application/json': infer B } } }
		? B
		: never;
type PathParams<O> = O extends { parameters: { path: infer P } } ? P : never;
type QueryParams<O> = O extends { parameters: { query?: infer Q } } ? Q : never;

export interface Options<O> {
	path?: PathParams<O>;
	query?: QueryParams<O>;
	body?: Body<O>;
	signal?: AbortSignal;
}

export class ApiError extends Error {
	constructor(
		readonly status: number,
		message: string,
		readonly body: unknown = null
	) {
		super(message);
	}
}

const TOKEN_KEY = 'skyroll.token';

export const session = {
	get token(): string | null {
		return globalThis.localStorage?.getItem(TOKEN_KEY) ?? null;
	},
	set token(value: string | null) {
		if (value) localStorage.setItem(TOKEN_KEY, value);
		else localStorage.removeItem(TOKEN_KEY);
	}
};

/** Called on a 401 from a signed-in call (the session ended): the layout sends you to log in. */
export let onUnauthorized: () => void = () => {};
export function setOnUnauthorized(fn: () => void) {
	onUnauthorized = fn;
}

export function buildUrl(path: string, params?: object, query?: object): string {
	let url = path.replace(/\{(\w+)\}/g, (_, name) =>
		encodeURIComponent(String((params as Record<string, unknown>)?.[name] ?? ''))
	);
	const search = new URLSearchParams();
	for (const [key, value] of Object.entries(query ?? {})) {
		if (value !== undefined && value !== null) search.set(key, String(value));
	}
	const qs = search.toString();
	if (qs) url += `?${qs}`;
	return url;
}

export async function api<P extends keyof paths, M extends Method & keyof paths[P]>(
	method: M,
	path: P,
	options: Options<paths[P][M]> = {}
): Promise<Ok<paths[P][M]>> {
	const url = buildUrl(path as string, options.path as object, options.query as object);
	const headers: Record<string, string> = {};
	const token = session.token;
	if (token) headers.Authorization = `Bearer ${token}`;
	if (options.body !== undefined) headers['Content-Type'] = 'application/json';
	const response = await fetch(url, {
		method: method.toUpperCase(),
		headers,
		body: options.body === undefined ? undefined : JSON.stringify(options.body),
		signal: options.signal
	});
	const text = await response.text();
	const data = text ? JSON.parse(text) : undefined;
	if (!response.ok) {
		if (response.status === 401 && token) onUnauthorized();
		const message = (data && (data.message as string)) || response.statusText;
		throw new ApiError(response.status, message, data);
	}
	return data as Ok<paths[P][M]>;
}
