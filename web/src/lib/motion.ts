/**
 * A timeline tile's Live Photo: the motion part plays while the pointer rests on the tile, as
 * Immich does. Its URL is asked for only on the first hover (a month of Live Photos must not
 * cost a request per tile) and kept for the next; leaving stops it, also when the URL was
 * still on its way.
 */
export class MotionHover {
	/** The URL to play now, or null (not hovered, or not fetched yet). */
	playing: string | null = null;
	private url: string | null = null;
	private fetching: Promise<string | null> | null = null;
	private hovered = false;

	constructor(
		private fetchUrl: () => Promise<string>,
		private onChange: (playing: string | null) => void
	) {}

	async enter(): Promise<void> {
		this.hovered = true;
		const url = this.url ?? (await this.fetchOnce());
		if (this.hovered && url) this.set(url);
	}

	leave(): void {
		this.hovered = false;
		this.set(null);
	}

	/** The URL failed to play (expired): the next hover asks again. The still shows through
	 * the failed video meanwhile. */
	failed(): void {
		this.url = null;
	}

	private fetchOnce(): Promise<string | null> {
		this.fetching ??= this.fetchUrl()
			.then((url) => (this.url = url))
			.catch(() => null)
			.finally(() => (this.fetching = null));
		return this.fetching;
	}

	private set(playing: string | null) {
		if (playing === this.playing) return;
		this.playing = playing;
		this.onChange(playing);
	}
}
