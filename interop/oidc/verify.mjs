// Checks our JWK Set and the tokens the Rust test `oidc_keys::interop_jwks_tokens` signed across a
// key rollover with panva's `jose` (the JOSE library behind openid-client): every key of the set
// imports, every token expected valid verifies against the set (kid → key, issuer, audience, RS256 or
// ES256), every token expected refused (tampered, or of a retired key) is refused.
// Usage: node interop/oidc/verify.mjs DIR   (DIR holds jwks.json and tokens.json)
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, importJWK, jwtVerify } from 'jose';

const dir = process.argv[2];
const jwks = JSON.parse(readFileSync(`${dir}/jwks.json`, 'utf8'));
const doc = JSON.parse(readFileSync(`${dir}/tokens.json`, 'utf8'));
let passed = 0;
let failed = 0;
const fail = (what) => { failed++; console.log(`jose: FAIL ${what}`); };

for (const jwk of jwks.keys) {
  try {
    if (jwk.use !== 'sig' || !jwk.kid || !['RS256', 'ES256'].includes(jwk.alg)) throw new Error('use/kid/alg');
    await importJWK(jwk, jwk.alg);
    passed++;
  } catch (e) {
    fail(`key ${jwk.kid}: ${e.message}`);
  }
}
const keyset = createLocalJWKSet(jwks);
for (const c of doc.cases) {
  let outcome;
  try {
    await jwtVerify(c.token, keyset, {
      issuer: doc.issuer,
      audience: doc.audience,
      algorithms: ['RS256', 'ES256'],
    });
    outcome = 'valid';
  } catch (e) {
    outcome = `refused (${e.code || e.message})`;
  }
  if ((outcome === 'valid') === c.valid) passed++;
  else fail(`${c.name}: expected ${c.valid ? 'valid' : 'refused'}, got ${outcome}`);
}
console.log(`jose: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
