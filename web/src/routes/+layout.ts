// A single-page app: everything renders in the browser (the API needs the caller's token).
export const ssr = false;
export const prerender = false;
