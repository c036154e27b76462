import { describe, expect, it } from 'vitest';
import { droppedFiles, pickedFiles, type DroppedEntry } from './folder-files';
import type { FolderFile } from './upload';

function file(name: string, relative = ''): File {
	const f = new File([name], name, { type: 'image/jpeg' });
	if (relative) Object.defineProperty(f, 'webkitRelativePath', { value: relative });
	return f;
}

/** A dropped tree as the File and Directory Entries API shows it; directories answer their
 * children in batches of ``batch``, then an empty batch, as Chromium's reader does. */
function tree(fullPath: string, children?: DroppedEntry[], batch = 2): DroppedEntry {
	const name = fullPath.split('/').pop()!;
	if (!children) {
		return { isFile: true, isDirectory: false, name, fullPath, file: (ok: (f: File) => void) => ok(file(name)) } as DroppedEntry;
	}
	let at = 0;
	const readEntries = (ok: (e: DroppedEntry[]) => void) => {
		ok(children.slice(at, at + batch));
		at += batch;
	};
	return { isFile: false, isDirectory: true, name, fullPath, createReader: () => ({ readEntries }) } as DroppedEntry;
}

const shown = (files: (File | FolderFile)[]) => files.map((f) => ('path' in f ? `${f.file.name} @ ${f.path}` : f.name));

describe('pickedFiles', () => {
	it('gives a picked folder’s files their paths, skips hidden ones, keeps lone files as they are', () => {
		const picked = pickedFiles([
			file('a.jpg', 'Trip/a.jpg'),
			file('b.jpg', 'Trip/day 2/b.jpg'),
			file('.DS_Store', 'Trip/.DS_Store'),
			file('c.jpg', 'Trip/.thumbs/c.jpg'),
			file('alone.jpg')
		]);
		expect(shown(picked)).toEqual(['a.jpg @ Trip/a.jpg', 'b.jpg @ Trip/day 2/b.jpg', 'alone.jpg']);
	});
});

describe('droppedFiles', () => {
	it('walks dropped folders (every batch of the reader) and keeps dropped files without a path', async () => {
		const dropped = [
			tree('/Trip', [
				tree('/Trip/a.jpg'),
				tree('/Trip/.DS_Store'),
				tree('/Trip/day 2', [tree('/Trip/day 2/b.jpg'), tree('/Trip/day 2/c.jpg'), tree('/Trip/day 2/d.jpg')]),
				tree('/Trip/.hidden', [tree('/Trip/.hidden/e.jpg')])
			]),
			tree('/alone.jpg'),
			null
		];

		const files = await droppedFiles(dropped);

		expect(shown(files)).toEqual([
			'a.jpg @ Trip/a.jpg',
			'b.jpg @ Trip/day 2/b.jpg',
			'c.jpg @ Trip/day 2/c.jpg',
			'd.jpg @ Trip/day 2/d.jpg',
			'alone.jpg'
		]);
	});

	it('gives nothing for an empty folder', async () => {
		expect(await droppedFiles([tree('/Empty', [])])).toEqual([]);
	});
});
