// Run by `npm run check:package` after the build: the real ESM and CJS builds of the package,
// loaded in one process, are two copies of TwoFactorError; isTwoFactorError from either
// recognises errors from both (the dual-package hazard `instanceof` falls into).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const esm = await import('twofold');
const cjs = createRequire(import.meta.url)('twofold');
assert.notEqual(esm.TwoFactorError, cjs.TwoFactorError, 'expected two copies of the class');
const errors = [];
for (const lib of [esm, cjs]) {
  try {
    lib.decodeBase32('!!');
  } catch (e) {
    errors.push(e);
  }
}
assert.equal(errors.length, 2);
assert.equal(errors[0] instanceof cjs.TwoFactorError, false);
assert.equal(errors[1] instanceof esm.TwoFactorError, false);
for (const lib of [esm, cjs]) for (const e of errors) assert.equal(lib.isTwoFactorError(e), true);
console.log('dual package: isTwoFactorError recognises errors of the ESM and the CJS build');
