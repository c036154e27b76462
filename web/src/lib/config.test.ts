import { describe, expect, it } from 'vitest';
import { fieldErrors, fields, get, parse, set, type Config } from './config';

const config: Config = {
	image: { thumbnail: { format: 'webp', size: 250 } },
	machineLearning: { enabled: true },
	invitation: { maxUses: null },
	trash: { days: 30 }
};

describe('settings form', () => {
	it('flattens the document into labelled fields of the right kind', () => {
		expect(fields(config).map((f) => [f.path, f.section, f.label, f.kind, f.nullable])).toEqual([
			['image.thumbnail.format', 'image', 'Thumbnail format', 'choice', false],
			['image.thumbnail.size', 'image', 'Thumbnail size', 'number', false],
			['machineLearning.enabled', 'machineLearning', 'Enabled', 'boolean', false],
			['invitation.maxUses', 'invitation', 'Max uses', 'number', true],
			['trash.days', 'trash', 'Days', 'number', false]
		]);
		expect(fields(config)[0].options).toEqual(['jpeg', 'webp']);
	});

	it('reads and sets a path without touching the original', () => {
		const changed = set(config, 'image.thumbnail.size', 300);
		expect(get(changed, 'image.thumbnail.size')).toBe(300);
		expect(get(changed, 'image.thumbnail.format')).toBe('webp');
		expect(get(config, 'image.thumbnail.size')).toBe(250);
	});

	it('parses what was typed, leaving bad input for the server to name', () => {
		const [, size, , maxUses] = fields(config);
		expect(parse(' 300 ', size)).toBe(300);
		expect(parse('', maxUses)).toBeNull();
		expect(parse('', size)).toBe('');
		expect(parse('big', size)).toBe('big');
	});

	it('maps the 400 details to their fields', () => {
		expect(fieldErrors([{ field: 'image.thumbnail.size', message: 'too small' }, { field: 'body', message: 'x' }])).toEqual({
			'image.thumbnail.size': 'too small',
			body: 'x'
		});
		expect(fieldErrors(null)).toEqual({});
	});
});
