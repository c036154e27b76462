import { api, session, setOnUnauthorized, type Schemas } from './api/client';

export const auth = $state<{ user: Schemas['UserResponse'] | null; ready: boolean }>({
	user: null,
	ready: false
});

export async function loadMe(): Promise<void> {
	if (!session.token) {
		auth.user = null;
	} else {
		try {
			auth.user = await api('get', '/api/users/me');
		} catch {
			session.token = null;
			auth.user = null;
		}
	}
	auth.ready = true;
}

export async function login(email: string, password: string): Promise<void> {
	const r = await api('post', '/api/auth/login', { body: { email, password } });
	session.token = r.accessToken;
	await loadMe();
}

export async function logout(): Promise<void> {
	try {
		await api('post', '/api/auth/logout');
	} finally {
		session.token = null;
		auth.user = null;
	}
}

setOnUnauthorized(() => {
	session.token = null;
	auth.user = null;
});
