/**
 * TOTP secrets at rest: unsealing one for the call that uses it, and sealing every
 * secret of a record (the active factor's and each pending set-up's) before it is saved, with
 * the host's `SecretCipher` and the agent id as context.
 * @module
 */
import { _describe } from '../shared/validate.js';
import { TwoFactorError } from '../errors.js';
import type { SecretCipher } from '../ports.js';
import type { AgentRecord, TotpKeyRecord } from '../record/schema.js';

type _Sealable = Pick<TotpKeyRecord, 'secret' | 'secretEncrypted'>;

/**
 * The base32 secret of a TOTP key, decrypted if it is stored encrypted. Only the calls that
 * use the secret decrypt it, so an agent whose secret cannot be decrypted (a key taken out of
 * the list too early) can still be handled: policy, email, status, admin removal.
 *
 * @throws TwoFactorError `SECRET_DECRYPT_FAILED` (with the cipher's error as `cause`).
 */
export async function unsealedSecret(cipher: SecretCipher | undefined, agentId: string, key: _Sealable): Promise<string> {
  if (!key.secretEncrypted) return key.secret;
  if (cipher === undefined) {
    throw new TwoFactorError('SECRET_DECRYPT_FAILED', 'the stored TOTP secret is encrypted, but no secretCipher is configured');
  }
  let plain: unknown;
  try {
    plain = await cipher.decrypt(key.secret, agentId);
  } catch (cause) {
    if (cause instanceof TwoFactorError && cause.code === 'SECRET_DECRYPT_FAILED') throw cause;
    throw new TwoFactorError('SECRET_DECRYPT_FAILED', 'secretCipher.decrypt failed', { cause });
  }
  if (typeof plain !== 'string' || plain.length === 0) {
    throw new TwoFactorError('SECRET_DECRYPT_FAILED', `secretCipher.decrypt must resolve to a non-empty string, got ${_describe(plain)}`);
  }
  return plain;
}

/**
 * The record as it is stored: every TOTP secret in it sealed. A plain secret (new, or stored
 * before the cipher was configured) is encrypted; an encrypted one is kept as it is, unless
 * the cipher says it was sealed with an older key (`needsRotation`), when it is re-encrypted
 * with the current key, if it still decrypts (if not, it is kept: the save is not the place to
 * fail on it). Without a cipher the record is stored as it is.
 *
 * @throws TwoFactorError `SECRET_ENCRYPT_FAILED`; nothing is saved then.
 */
export async function sealedRecord(cipher: SecretCipher | undefined, agentId: string, record: AgentRecord): Promise<AgentRecord> {
  if (cipher === undefined) return record;
  const totp = record.totp === null ? null : await _sealed(cipher, agentId, record.totp);
  const totpSetups = await Promise.all(record.totpSetups.map((setup) => _sealed(cipher, agentId, setup)));
  return { ...record, totp, totpSetups };
}

async function _sealed<K extends _Sealable>(cipher: SecretCipher, agentId: string, key: K): Promise<K> {
  let plain: string;
  if (!key.secretEncrypted) plain = key.secret;
  else if (typeof cipher.needsRotation === 'function' && cipher.needsRotation(key.secret)) {
    try {
      plain = await unsealedSecret(cipher, agentId, key);
    } catch {
      return key;
    }
  } else return key;
  let sealed: unknown;
  try {
    sealed = await cipher.encrypt(plain, agentId);
  } catch (cause) {
    if (cause instanceof TwoFactorError && cause.code === 'SECRET_ENCRYPT_FAILED') throw cause;
    throw new TwoFactorError('SECRET_ENCRYPT_FAILED', 'secretCipher.encrypt failed; nothing was saved', { cause });
  }
  if (typeof sealed !== 'string' || sealed.length === 0) {
    throw new TwoFactorError('SECRET_ENCRYPT_FAILED', `secretCipher.encrypt must resolve to a non-empty string, got ${_describe(sealed)}; nothing was saved`);
  }
  return { ...key, secret: sealed, secretEncrypted: true };
}
