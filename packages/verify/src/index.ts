export { createVerifier } from './verifier.js';
export type { RevocationOptions, TesseraClaims, Verifier, VerifierOptions } from './verifier.js';
export { VerifyError, type VerifyErrorCode } from './errors.js';
export type { RevocationEntry } from './revocation-set.js';
