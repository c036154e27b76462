/**
 * The timeline's geometry, without the DOM: months (buckets) stacked vertically, each a
 * header plus its assets in justified rows. A month's height is estimated from its count
 * until its assets arrive; a month is laid out in chunks of ``CHUNK`` assets, each only when
 * it nears the viewport, so a 70k-asset month costs a chunk's layout per scroll step, not a
 * frozen page. The scroll height is capped (browsers stop at ~17–33 M px): past the cap the
 * scroll position maps proportionally onto the virtual height.
 */
import { estimateHeight, justify, type Box, type Layout, type LayoutOptions } from './layout';

export const HEADER = 48;
export const SECTION_GAP = 24;
export const CHUNK = 500;
export const MAX_SCROLL_HEIGHT = 8_000_000;

export interface TimelineAssetLike {
	id: string;
	ratio: number;
}

interface Chunk {
	start: number;
	end: number;
	layout: Layout | null;
	height: number;
}

export interface Section<A extends TimelineAssetLike> {
	bucket: string;
	count: number;
	top: number;
	height: number;
	assets: A[] | null;
	chunks: Chunk[] | null;
}

export interface Placed<A> {
	asset: A;
	box: Box;
	/** Index within its month. */
	index: number;
	section: number;
}

export interface Header {
	section: number;
	bucket: string;
	count: number;
	top: number;
}

export class TimelineModel<A extends TimelineAssetLike> {
	sections: Section<A>[] = [];
	height = 0;
	private options: LayoutOptions;

	constructor(options: LayoutOptions) {
		this.options = { gap: 4, ...options };
	}

	get width() {
		return this.options.width;
	}

	setBuckets(buckets: { timeBucket: string; count: number }[]) {
		this.sections = buckets.map((b) => ({
			bucket: b.timeBucket,
			count: b.count,
			top: 0,
			height: 0,
			assets: null,
			chunks: null
		}));
		this.measureAll();
	}

	/** New container width (or target height): every month is measured again. */
	resize(options: Partial<LayoutOptions>) {
		this.options = { ...this.options, ...options };
		for (const s of this.sections) if (s.assets) s.chunks = this.chunk(s.assets.length);
		this.measureAll();
	}

	/** A month's assets arrived. Returns how far everything below it moved. */
	setAssets(index: number, assets: A[]): number {
		const s = this.sections[index];
		s.assets = assets;
		s.count = assets.length;
		s.chunks = this.chunk(assets.length);
		return this.remeasure(index);
	}

	/** The scroll height the page gets (capped) and the virtual offset at a scroll position. */
	get scrollHeight() {
		return Math.min(this.height, MAX_SCROLL_HEIGHT);
	}

	virtualTop(scrollTop: number, viewport: number): number {
		if (this.height <= MAX_SCROLL_HEIGHT) return scrollTop;
		const range = MAX_SCROLL_HEIGHT - viewport;
		return range <= 0 ? 0 : (scrollTop / range) * (this.height - viewport);
	}

	scrollTopFor(virtual: number, viewport: number): number {
		if (this.height <= MAX_SCROLL_HEIGHT) return virtual;
		return (virtual / Math.max(1, this.height - viewport)) * (MAX_SCROLL_HEIGHT - viewport);
	}

	/** Sections overlapping [top, bottom] of the virtual space. */
	sectionsIn(top: number, bottom: number): number[] {
		const found: number[] = [];
		let i = this.firstAt(top);
		for (; i < this.sections.length && this.sections[i].top <= bottom; i++) found.push(i);
		return found;
	}

	/**
	 * What to draw for [top, bottom]: headers and placed assets in virtual coordinates.
	 * Lays out the chunks it touches; returns ``shift``, how far content above ``top``
	 * moved while doing so (the caller scrolls by it so what you look at stays put).
	 */
	visible(top: number, bottom: number): { headers: Header[]; items: Placed<A>[]; shift: number } {
		const headers: Header[] = [];
		const items: Placed<A>[] = [];
		let shift = 0;
		for (const i of this.sectionsIn(top, bottom)) {
			const s = this.sections[i];
			if (!s.chunks || !s.assets) {
				headers.push({ section: i, bucket: s.bucket, count: s.count, top: s.top });
				continue;
			}
			let chunkTop = s.top + HEADER;
			let grew = 0;
			for (const chunk of s.chunks) {
				if (chunkTop > bottom) break;
				if (chunkTop + chunk.height >= top) {
					if (!chunk.layout) {
						const before = chunk.height;
						chunk.layout = justify(
							s.assets.slice(chunk.start, chunk.end).map((a) => a.ratio),
							this.options
						);
						chunk.height = chunk.layout.height;
						if (chunkTop < top) shift += chunk.height - before;
						grew += chunk.height - before;
					}
					for (const row of chunk.layout.rows) {
						const rowTop = chunkTop + row.top;
						if (rowTop > bottom || rowTop + row.height < top) continue;
						for (let k = row.start; k < row.end; k++) {
							const b = chunk.layout.boxes[k];
							items.push({
								asset: s.assets[chunk.start + k],
								box: { left: b.left, top: rowTop, width: b.width, height: b.height },
								index: chunk.start + k,
								section: i
							});
						}
					}
				}
				chunkTop += chunk.height + (this.options.gap ?? 4);
			}
			headers.push({ section: i, bucket: s.bucket, count: s.count, top: s.top });
			if (grew) this.remeasure(i);
		}
		return { headers, items, shift };
	}

	/** The month before/after (for the viewer's ←/→ across months). */
	neighbour(section: number, index: number, step: 1 | -1): { section: number; index: number } | null {
		let s = section;
		let i = index + step;
		while (s >= 0 && s < this.sections.length) {
			const count = this.sections[s].assets?.length ?? this.sections[s].count;
			if (i >= 0 && i < count) return { section: s, index: i };
			s += step;
			if (s < 0 || s >= this.sections.length) return null;
			i = step === 1 ? 0 : (this.sections[s].assets?.length ?? this.sections[s].count) - 1;
			if (i >= 0 && this.sections[s].count > 0) return { section: s, index: i };
		}
		return null;
	}

	private chunk(count: number): Chunk[] {
		const chunks: Chunk[] = [];
		for (let start = 0; start < count; start += CHUNK) {
			const end = Math.min(count, start + CHUNK);
			chunks.push({ start, end, layout: null, height: estimateHeight(end - start, this.options) });
		}
		return chunks;
	}

	private sectionHeight(s: Section<A>): number {
		const gap = this.options.gap ?? 4;
		const body = s.chunks
			? s.chunks.reduce((sum, c) => sum + c.height, 0) + Math.max(0, s.chunks.length - 1) * gap
			: estimateHeight(s.count, this.options);
		return HEADER + body + SECTION_GAP;
	}

	private measureAll() {
		let top = 0;
		for (const s of this.sections) {
			s.top = top;
			s.height = this.sectionHeight(s);
			top += s.height;
		}
		this.height = top;
	}

	/** Re-measures section ``index`` and moves those below; returns the height change. */
	private remeasure(index: number): number {
		const s = this.sections[index];
		const before = s.height;
		s.height = this.sectionHeight(s);
		const delta = s.height - before;
		if (delta) {
			for (let i = index + 1; i < this.sections.length; i++) this.sections[i].top += delta;
			this.height += delta;
		}
		return delta;
	}

	private firstAt(y: number): number {
		let lo = 0;
		let hi = this.sections.length - 1;
		while (lo < hi) {
			const mid = (lo + hi + 1) >> 1;
			if (this.sections[mid].top <= y) lo = mid;
			else hi = mid - 1;
		}
		return Math.max(0, lo);
	}
}
