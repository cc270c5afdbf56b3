import { InvalidTarget, OAuthError } from './errors';
import { parseResources } from './resource';

function refusal(action: () => unknown) {
  try {
    action();
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return { type: error.constructor, body: error.toBody() };
  }
  throw new Error('expected an OAuth error');
}

const INVALID = { type: InvalidTarget, body: { error: 'invalid_target', error_description: 'a resource must be an absolute URI without a fragment' } };

describe('parseResources (RFC 8707 §2)', () => {
  it('keeps absolute URIs as given, deduplicated, in order', () => {
    expect(parseResources(['https://b.example/api?x=%20', 'urn:example:res', 'https://b.example/api?x=%20'])).toEqual(['https://b.example/api?x=%20', 'urn:example:res']);
  });

  it.each([
    ['a relative reference', '/api'],
    ['a fragment', 'https://a.example/#x'],
    ['a space between two URIs', 'https://a.example https://b.example'],
    ['a space in the path', 'https://a.example/a b'],
    ['a tab', 'https://a.example/\t'],
    ['a non-ASCII character', 'https://a.example/é'],
    ['a quote', 'https://a.example/"'],
    ['no scheme', 'a.example'],
  ])('refuses %s as invalid_target', (_case, value) => {
    expect(refusal(() => parseResources([value]))).toEqual(INVALID);
  });
});
