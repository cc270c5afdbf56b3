import { readFileSync } from 'node:fs';
import { InvalidScopePolicyError, parseScopePolicy, type ScopePolicy } from '@authz/oauth';

/**
 * SCOPE_POLICY: a JSON object (starts with `{`) or the path of a JSON file; validated at startup (a bad
 * policy stops the service, it never silently grants more). Undefined when unset.
 */
export function loadScopePolicy(value: string | undefined): ScopePolicy | undefined {
  if (value === undefined) return undefined;
  const text = value.trimStart().startsWith('{') ? value : readFileSync(value, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidScopePolicyError(`SCOPE_POLICY is not valid JSON: ${(error as Error).message}`);
  }
  return parseScopePolicy(json);
}
