// The whole public surface of `twofold`, as named re-exports. Subpaths: `twofold/qr`,
// `twofold/memory`, `twofold/testing`.

export { TwoFactorError } from './errors.js';
export type { TwoFactorErrorCode } from './errors.js';
export { DEFAULTS } from './defaults.js';

// --- otp (issue: OTP core) ---

// --- policy ---
