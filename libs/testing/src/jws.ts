/**
 * The compact JWS `jws` with a different signature: its first base64url character changed, which
 * carries the six high bits of the signature's first byte, so the signature always changes. (Changing
 * its last characters does not always: they carry padding bits that decoders ignore, and a spec that
 * replaced the last two with `AA` failed about 1 run in 256.)
 */
export function withTamperedSignature(jws: string): string {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  return `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
}
