/**
 * Justified rows, as Immich and Google Photos lay out a grid: each row is filled to the
 * container's width by scaling its items' height, so no item is cropped. Pure: the timeline,
 * the album and the search pages all use it, and the tests pin its geometry.
 */
export interface Box {
	left: number;
	top: number;
	width: number;
	height: number;
}

export interface Row {
	top: number;
	height: number;
	/** Index of the row's first item and one past its last. */
	start: number;
	end: number;
}

export interface Layout {
	boxes: Box[];
	rows: Row[];
	height: number;
}

export interface LayoutOptions {
	width: number;
	targetHeight: number;
	gap?: number;
	/** A row short of items (the last one) is not stretched beyond this. */
	maxHeight?: number;
}

// Panoramas and slivers would make a row of one; clamp like Immich's layout does.
const MIN_RATIO = 0.5;
const MAX_RATIO = 3;

export function clampRatio(ratio: number): number {
	if (!Number.isFinite(ratio) || ratio <= 0) return 1;
	return Math.min(MAX_RATIO, Math.max(MIN_RATIO, ratio));
}

export function justify(ratios: ArrayLike<number>, options: LayoutOptions): Layout {
	const { width, targetHeight } = options;
	const gap = options.gap ?? 4;
	const maxHeight = options.maxHeight ?? targetHeight * 1.25;
	const boxes: Box[] = new Array(ratios.length);
	const rows: Row[] = [];
	let top = 0;
	let start = 0;
	let sum = 0;
	const place = (end: number, height: number) => {
		let left = 0;
		for (let i = start; i < end; i++) {
			const w = clampRatio(ratios[i]) * height;
			boxes[i] = { left, top, width: w, height };
			left += w + gap;
		}
		rows.push({ top, height, start, end });
		top += height + gap;
		start = end;
		sum = 0;
	};
	for (let i = 0; i < ratios.length; i++) {
		sum += clampRatio(ratios[i]);
		const gaps = (i - start) * gap;
		// The height that makes items start..i exactly fill the width.
		const height = (width - gaps) / sum;
		if (height <= targetHeight) place(i + 1, height);
	}
	if (start < ratios.length) {
		const gaps = (ratios.length - 1 - start) * gap;
		place(ratios.length, Math.min(maxHeight, (width - gaps) / sum));
	}
	return { boxes, rows, height: rows.length ? top - gap : 0 };
}

/** The height ``count`` items of average ratio would take, before their ratios are known. */
export function estimateHeight(count: number, options: LayoutOptions, averageRatio = 1.4): number {
	if (count === 0) return 0;
	const gap = options.gap ?? 4;
	const perRow = Math.max(1, Math.round(options.width / (averageRatio * options.targetHeight)));
	const rows = Math.ceil(count / perRow);
	return rows * (options.targetHeight + gap) - gap;
}
