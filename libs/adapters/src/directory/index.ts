// directory.contract.ts (jest) is deliberately not exported: it is for specs only.
export { LdifDirectory, type LdifDirectoryOptions } from './ldif-directory';
export { type LdifRecord, LdifSyntaxError, ldifValues, parseLdif } from './ldif-parser';
export {
  hashSaltedSha,
  isSaltedShaScheme,
  parseSaltedSha,
  passwordScheme,
  SALTED_SHA_SCHEMES,
  type SaltedShaHash,
  type SaltedShaScheme,
  verifySaltedSha,
} from './ssha';
