// Run by `npm run check:package`: every relative link and image in the README resolves to a
// file that `npm pack` puts in the tarball, so the packaged README has no dead links.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' }));
const packed = new Set(pack.files.map((f) => f.path));
const readme = readFileSync('README.md', 'utf8');
const targets = [...readme.matchAll(/\]\(([^)\s]+)\)|<img[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1] ?? m[2]);
const relative = targets.filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith('#')).map((t) => t.split('#')[0]);
assert.ok(relative.length > 0, 'the README has relative links to check');
const dead = relative.filter((t) => !packed.has(t));
assert.deepEqual(dead, [], `README links to files the tarball does not have: ${dead.join(', ')}`);
for (const file of ['LICENSE', 'README.md', 'package.json']) assert.ok(packed.has(file), `the tarball lacks ${file}`);
console.log(`readme links: ${relative.length} relative links, all in the tarball (${packed.size} files)`);
