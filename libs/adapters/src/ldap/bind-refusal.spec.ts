import { PasswordPolicyError } from 'ldapts';
import { adSubcode, refusalReason } from './bind-refusal';

const ad = (code: string) => `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data ${code}, v4563\u0000`;

describe('refusalReason', () => {
  it.each([
    ['52e', 'invalid_credentials'],
    ['525', 'no_such_user'],
    ['530', 'not_permitted_now'],
    ['531', 'not_permitted_here'],
    ['532', 'password_expired'],
    ['533', 'account_disabled'],
    ['701', 'account_expired'],
    ['773', 'must_change_password'],
    ['775', 'account_locked'],
    ['999', 'invalid_credentials'],
  ])('maps the AD sub-code %s to %s', (code, reason) => {
    expect(refusalReason(undefined, ad(code))).toBe(reason);
  });

  it('maps the ppolicy response control before anything else', () => {
    expect(refusalReason({ error: PasswordPolicyError.PasswordExpired }, '')).toBe('password_expired');
    expect(refusalReason({ error: PasswordPolicyError.AccountLocked }, ad('52e'))).toBe('account_locked');
    expect(refusalReason({ error: PasswordPolicyError.ChangeAfterReset }, '')).toBe('must_change_password');
    expect(refusalReason({ graceAuthNsRemaining: 2 }, 'Invalid Credentials')).toBe('invalid_credentials');
    expect(refusalReason(undefined, 'Invalid Credentials')).toBe('invalid_credentials');
  });

  it('reads the sub-code only from a `data xxx` field', () => {
    expect(adSubcode(ad('775'))).toBe('775');
    expect(adSubcode('data 52E,')).toBe('52e');
    expect(adSubcode('metadata 775')).toBeUndefined();
    expect(adSubcode('no sub-code')).toBeUndefined();
  });
});
