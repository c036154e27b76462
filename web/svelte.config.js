import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** A static single-page app: every deep link answers index.html (make dev's server, CloudFront). */
export default {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter({ fallback: 'index.html', strict: false }),
		// Hashed file names under _app/immutable: cached for a year by both servers.
		appDir: '_app'
	}
};
