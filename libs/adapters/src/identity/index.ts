export { type CredentialCallMeta, HttpCredentialVerifier, type HttpCredentialVerifierOptions } from './http-credential-verifier';
