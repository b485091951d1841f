// Run by .ci/run after the build: packs the package, installs the tarball into an empty project
// (as a stranger would, with PGlite beside it) and runs the storage conformance kit of
// `twofold/testing` against `twofold/postgres` on PGlite, from the installed package only.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'twofold-install-'));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
try {
  const [pack] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], root));
  const tarball = join(dir, pack.filename);
  const app = join(dir, 'app');
  run('mkdir', ['-p', app], dir);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'stranger-app', private: true, type: 'module' }));
  const pglite = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies['@electric-sql/pglite'];
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `@electric-sql/pglite@${pglite}`], app);
  writeFileSync(
    join(app, 'check.mjs'),
    `import { PGlite } from '@electric-sql/pglite';
import { createTable, postgresStorage } from 'twofold/postgres';
import { storageConformance } from 'twofold/testing';
import { createTwoFactor, isTwoFactorError } from 'twofold';
const db = new PGlite();
await createTable(db);
let passed = 0;
for (const check of storageConformance(() => postgresStorage(db))) { await check.run(); passed++; }
const tf = createTwoFactor({ storage: postgresStorage(db), issuer: 'Stranger', settings: { totp: true, email: false, requireAll: false } });
const set = await tf.admin.provisionTotp('a', { account: 'a' });
if (!set.ok || typeof isTwoFactorError !== 'function') throw new Error('the installed package does not work');
console.log('installed tarball: ' + passed + ' conformance checks passed on twofold/postgres over PGlite');
`,
  );
  process.stdout.write(run(process.execPath, ['check.mjs'], app));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

