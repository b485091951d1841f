/**
 * The whole public surface of `twofold`, as named re-exports. Subpaths:
 * `twofold/qr`, `twofold/memory`, `twofold/testing`.
 * @module twofold
 */

export { isTwoFactorError, TwoFactorError } from './errors.js';
export type { TwoFactorErrorCode } from './errors.js';
export { DEFAULTS } from './defaults.js';

// --- otp (issue: OTP core) ---
export { hotp } from './otp/hotp.js';
export type { HashAlgorithm, HotpOptions } from './otp/hotp.js';
export { totp, verifyTotp } from './otp/totp.js';
export type { TotpOptions, TotpWindow, VerifyTotpOptions, VerifyTotpResult } from './otp/totp.js';
export { generateSecret } from './otp/secret.js';
export type { GenerateSecretOptions, RandomSource } from './otp/secret.js';
export { encodeBase32, decodeBase32, formatSecret } from './otp/base32.js';
export { buildKeyUri } from './otp/uri.js';
export { parseKeyUri } from './otp/uri-parse.js';
export type { KeyUriFields, KeyUriOptions, KeyUriType, ParsedKeyUri } from './otp/uri.js';

// --- policy ---
export { evaluatePolicy } from './policy/evaluate.js';
export { validateSettings } from './policy/settings.js';
export { parseSettings, serializeSettings } from './policy/codec.js';
export type { ParseSettingsResult, SettingsJson } from './policy/codec.js';
export type { SettingsField, SettingsProblem, SettingsProblemCode } from './policy/settings.js';
export type {
  EnforceSetupDecision,
  EnforceVerifyDecision,
  GracePeriod,
  Method,
  MethodList,
  PolicyAgent,
  PolicyDecision,
  PolicyInput,
  PolicyReason,
  PolicySettings,
  RequireDecision,
  SkipNoMethodDecision,
  SkipOptionalDecision,
} from './policy/types.js';

// --- service ---
export { createTwoFactor } from './service/create.js';
export type {
  AdminActor,
  BeginTotpSetupResult,
  GenerateRecoveryCodesResult,
  RecoveryCheckResult,
  EmailCheckResult,
  LockedResult,
  ProvisionTotpResult,
  SendEmailCodeResult,
  SkipSetupResult,
  SuspendedResult,
  TotpCheckResult,
  TotpFailureReason,
  TotpKeyResult,
  TotpSetupResult,
  TwoFactor,
  TwoFactorStatus,
  UnlockResult,
} from './service/types.js';
export type {
  NoticeOptions,
  ServiceEmailOptions,
  ServiceTotpOptions,
  SettingsSource,
  TwoFactorOptions,
} from './service/options.js';
export type {
  Clock,
  EmailCodeMessage,
  EmailMessage,
  EmailNoticeMessage,
  EmailPurpose,
  Mailer,
  RecordVersion,
  SecretCipher,
  StoredRecord,
  TwoFactorEvent,
  TwoFactorEventType,
  TwoFactorStorage,
} from './ports.js';

// --- email codes and secrets at rest ---
export { isEmailAddress } from './email/address.js';
export { escapeHtml, renderDefaultEmail } from './email/message.js';
export type { EmailTemplateInput, RenderEmail, RenderedEmail } from './email/message.js';
export { NOTICE_TYPES, renderDefaultNotice } from './email/notice.js';
export type { Notice, NoticeMethod, NoticeTemplateInput, NoticeType, RenderNotice, RenderedNotice } from './email/notice.js';
export { aesGcmSecretCipher } from './aes-gcm.js';
export type { AesGcmKey, AesGcmSecretCipher, AesGcmSecretCipherOptions } from './aes-gcm.js';
export { checkRecord } from './record/parse.js';
export { RECORD_SCHEMA } from './record/schema.js';
export type {
  AgentRecord,
  DroppedSetupRecord,
  RecoveryRecord,
  EmailChallengeRecord,
  EmailFactorRecord,
  ThrottleRecord,
  TotpFactorRecord,
  TotpKeyRecord,
  TotpSetupRecord,
} from './record/schema.js';
export type { EmailLimits } from './record/email.js';
export type { ThrottleConfig } from './record/throttle.js';
