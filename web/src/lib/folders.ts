/**
 * The folder view's tree, built from the folders the uploads came from
 * (GET /api/view/folder/unique-paths: each a folder that holds files directly). Parents that
 * hold only folders are made up along the way, so every folder is reachable from a root.
 */

export interface FolderNode {
	name: string;
	/** The path the API takes (``/home/me/Pictures``), as the uploads gave it. */
	path: string;
	/** Files were uploaded from this folder itself (not only from folders below it). */
	hasAssets: boolean;
	children: FolderNode[];
}

export function folderTree(paths: string[]): FolderNode[] {
	const roots: FolderNode[] = [];
	const byPath = new Map<string, FolderNode>();
	const withAssets = new Set(paths);
	for (const full of [...paths].sort()) {
		const parts = full.split('/');
		let siblings = roots;
		for (let i = 0; i < parts.length; i++) {
			// A leading slash makes an empty first part: the root folder, "/".
			if (i > 0 && parts[i] === '') continue;
			const path = parts.slice(0, i + 1).join('/') || '/';
			let node = byPath.get(path);
			if (!node) {
				node = { name: parts[i] || '/', path, hasAssets: withAssets.has(path), children: [] };
				byPath.set(path, node);
				siblings.push(node);
			}
			siblings = node.children;
		}
	}
	return roots;
}

/** The folders from the root down to ``path`` (a breadcrumb). */
export function ancestors(roots: FolderNode[], path: string): FolderNode[] {
	for (const node of roots) {
		if (node.path === path) return [node];
		const below = ancestors(node.children, path);
		if (below.length) return [node, ...below];
	}
	return [];
}
