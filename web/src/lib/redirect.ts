/**
 * The presigned URL behind one of the API's 302 routes (playback, original): the browser
 * follows the redirect with the Bearer header (dropped on the way to S3, a different
 * origin), and the final URL is read before the body is: the request is then aborted.
 */
import { session } from './api/client';

export async function presignedUrl(path: string): Promise<string> {
	const controller = new AbortController();
	const response = await fetch(path, {
		headers: { Authorization: `Bearer ${session.token}` },
		signal: controller.signal
	});
	controller.abort();
	if (!response.ok) {
		let message = response.statusText;
		try {
			message = (await response.json()).message;
		} catch {
			/* aborted body */
		}
		throw new Error(message || `HTTP ${response.status}`);
	}
	return response.url;
}

export async function downloadOriginal(assetId: string) {
	const url = await presignedUrl(`/api/assets/${assetId}/original`);
	const a = document.createElement('a');
	a.href = url;
	a.download = '';
	document.body.append(a);
	a.click();
	a.remove();
}
