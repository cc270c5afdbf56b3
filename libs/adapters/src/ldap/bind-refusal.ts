import { type DirectoryRefusalReason } from '@authz/ports';
import { type PasswordPolicyValue, PasswordPolicyError } from 'ldapts';

/**
 * Active Directory's sub-codes in the `data` field of a failed bind's diagnostic message, e.g.
 * `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 775, v4563`.
 * (Microsoft: "Common Active Directory bind errors".)
 */
export const AD_BIND_SUBCODES: Readonly<Record<string, DirectoryRefusalReason>> = {
  '52e': 'invalid_credentials',
  '525': 'no_such_user',
  '530': 'not_permitted_now',
  '531': 'not_permitted_here',
  '532': 'password_expired',
  '533': 'account_disabled',
  '701': 'account_expired',
  '773': 'must_change_password',
  '775': 'account_locked',
};

/** The AD sub-code of a diagnostic message, or undefined. */
export function adSubcode(message: string): string | undefined {
  return /\bdata ([0-9a-f]{3,4})\b/i.exec(message)?.[1]?.toLowerCase();
}

/**
 * Why the directory refused a bind with invalidCredentials (49): the OpenLDAP ppolicy response control
 * (draft-behera-ldap-password-policy §6.2) first, then AD's sub-code, else plain bad credentials.
 */
export function refusalReason(policy: PasswordPolicyValue | undefined, diagnosticMessage: string): DirectoryRefusalReason {
  switch (policy?.error) {
    case PasswordPolicyError.PasswordExpired:
      return 'password_expired';
    case PasswordPolicyError.AccountLocked:
      return 'account_locked';
    case PasswordPolicyError.ChangeAfterReset:
      return 'must_change_password';
    default:
      break;
  }
  const code = adSubcode(diagnosticMessage);
  return (code !== undefined ? AD_BIND_SUBCODES[code] : undefined) ?? 'invalid_credentials';
}
