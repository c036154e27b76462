import { describe, expect, it } from 'vitest';
import { ancestors, folderTree } from './folders';

describe('folderTree', () => {
	it('nests folders and makes up the parents between them', () => {
		const tree = folderTree(['/home/me/Pictures/2020', '/home/me/Pictures', '/home/me/Pictures/2021/Trip']);
		expect(tree.map((n) => n.name)).toEqual(['/']);
		const pictures = tree[0].children[0].children[0].children[0];
		expect(pictures).toMatchObject({ name: 'Pictures', path: '/home/me/Pictures', hasAssets: true });
		expect(pictures.children.map((c) => [c.name, c.path, c.hasAssets])).toEqual([
			['2020', '/home/me/Pictures/2020', true],
			['2021', '/home/me/Pictures/2021', false]
		]);
		expect(pictures.children[1].children[0]).toMatchObject({ path: '/home/me/Pictures/2021/Trip', hasAssets: true });
		expect(tree[0].children[0]).toMatchObject({ name: 'home', path: '/home', hasAssets: false });
	});

	it('keeps relative and drive paths as their own roots', () => {
		const tree = folderTree(['C:/Users/me', 'Camera']);
		expect(tree.map((n) => n.path)).toEqual(['C:', 'Camera']);
		expect(tree[0].children[0].children[0].path).toBe('C:/Users/me');
	});

	it('finds the way down to a folder', () => {
		const tree = folderTree(['/a/b/c', '/a/d']);
		expect(ancestors(tree, '/a/b/c').map((n) => n.name)).toEqual(['/', 'a', 'b', 'c']);
		expect(ancestors(tree, '/nowhere')).toEqual([]);
	});
});
