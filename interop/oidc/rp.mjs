// The whole OpenID Connect flows against our running server with panva's openid-client (an OpenID
// certified relying-party library), started by the Rust test `oidc_interop` with a JSON file that
// names the issuer, the WeCom simulator, the member and the registered clients.
//
// For each client (client_secret_basic, client_secret_post, a public client with PKCE only, and a
// client registered for ES256 ID tokens):
//   discovery (the library checks our document and that its issuer is the one asked for);
//   prompt=none without a session answers login_required;
//   the authorization URL with PKCE S256, state and nonce, the browser part followed by hand (plain
//   HTTP, a cookie jar: authorize -> the simulator's WeCom OAuth -> /wecom/callback -> redirect_uri);
//   authorizationCodeGrant (the library checks iss in the response, state, the ID token's signature
//   by our JWKS, iss, aud, nonce, exp, iat); userinfo (sub must match the ID token's);
//   prompt=none with the session gives a code at once (with max_age: auth_time checked);
//   refreshTokenGrant (a new refresh token, which works), then the old one again is refused, which
//   revokes the rotated grant: its access token gets userinfo's Bearer invalid_token challenge;
//   a wrong client secret (Basic) gets the token endpoint's Basic challenge;
//   end session (required when the configuration says `end_session: true`, else only when
//   discovery names an end_session_endpoint): buildEndSessionUrl with id_token_hint,
//   post_logout_redirect_uri and state, back with that state, and the session is gone (prompt=none
//   answers login_required) with its grants (its refresh token is refused).
// Prints `openid-client: N passed, M failed`; exits non-zero on any failure.
// Usage: node interop/oidc/rp.mjs CONFIG.json
import { readFileSync } from 'node:fs';
import * as client from 'openid-client';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let passed = 0;
let failed = 0;
const ok = (what) => { passed++; console.log(`ok   openid-client ${what}`); };
const fail = (what) => { failed++; console.log(`FAIL openid-client ${what}`); };
const check = (cond, what, detail = '') => (cond ? ok(what) : fail(`${what}${detail ? `: ${detail}` : ''}`));

/** A browser: a cookie jar per host (cookies ignore ports, as browsers do) and WeCom's User-Agent. */
class Browser {
  constructor() { this.jar = new Map(); }

  cookieHeader(url) {
    const cookies = this.jar.get(url.hostname) ?? new Map();
    return [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(url, response) {
    const cookies = this.jar.get(url.hostname) ?? new Map();
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const maxAge = attrs.map((a) => a.trim().split('=')).find(([k]) => k.toLowerCase() === 'max-age');
      if (maxAge && Number(maxAge[1]) <= 0) cookies.delete(name);
      else cookies.set(name, value);
    }
    this.jar.set(url.hostname, cookies);
  }

  async get(url) {
    const u = new URL(url);
    const headers = { 'user-agent': cfg.user_agent };
    const cookie = this.cookieHeader(u);
    if (cookie) headers.cookie = cookie;
    const r = await fetch(u, { redirect: 'manual', headers });
    this.store(u, r);
    return r;
  }

  /** Follows redirects from `url` until one leaves for `stop` (not fetched): that URL. */
  async follow(url, stop) {
    let next = new URL(url);
    for (let i = 0; i < 12; i++) {
      if (next.href.startsWith(stop)) return next;
      const r = await this.get(next);
      const loc = r.headers.get('location');
      if (r.status >= 300 && r.status < 400 && loc) {
        next = new URL(loc, next);
      } else {
        const body = (await r.text()).slice(0, 300);
        throw new Error(`the chain ended on ${next.origin}${next.pathname} with ${r.status}: ${body}`);
      }
    }
    throw new Error('too many redirects');
  }

  /** "Signs in to the WeCom client" as the member (the simulator's cookie). */
  async wecomLogin(userid) {
    const r = await this.get(`${cfg.sim_base}/sim/as?userid=${encodeURIComponent(userid)}&next=%2Fsim`);
    if (r.status >= 400) throw new Error(`simulator login: ${r.status}`);
  }
}

const scope = 'openid profile email groups';

/** An authorization request through `browser`: the callback URL and the checks it needs. */
async function authorize(config, browser, extra = {}) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const expectedState = client.randomState();
  const expectedNonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: cfg.redirect_uri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state: expectedState,
    nonce: expectedNonce,
    ...extra,
  });
  const callback = await browser.follow(url, cfg.redirect_uri);
  return { callback, checks: { pkceCodeVerifier, expectedState, expectedNonce, idTokenExpected: true } };
}

/** `action` must fail with a `WWW-Authenticate` challenge the library parses: `scheme`, `error`. */
async function expectChallenge(what, action, scheme, error) {
  try {
    await action();
    fail(`${what}: accepted`);
  } catch (e) {
    const ch = e instanceof client.WWWAuthenticateChallengeError ? e.cause?.[0] : undefined;
    check(e.status === 401 && ch?.scheme === scheme && ch?.parameters?.error === error,
      `${what}: 401 with ${scheme}${error ? ` error=${error}` : ''}`,
      `${e.name} ${e.status ?? ''} ${ch ? JSON.stringify(ch) : e.message}`);
  }
}

/** The authorization response must be the error `want` (the library reads and checks it). */
async function expectAuthorizationError(label, config, browser, want) {
  try {
    const { callback, checks } = await authorize(config, browser, { prompt: 'none' });
    await client.authorizationCodeGrant(config, callback, checks);
    fail(`${label}: expected ${want}, got a code that redeemed`);
  } catch (e) {
    const got = e instanceof client.AuthorizationResponseError ? e.error : `${e.name}: ${e.message}`;
    check(got === want, `${label}: ${want}`, `got ${got}`);
  }
}

async function run(c) {
  const auth = {
    client_secret_basic: () => client.ClientSecretBasic(c.client_secret),
    client_secret_post: () => client.ClientSecretPost(c.client_secret),
    none: () => client.None(),
  }[c.auth]();
  // Our test server listens on http://127.0.0.1: the library insists on https unless told.
  // A client registered for ES256 ID tokens says so, and the library then accepts only ES256.
  const metadata = c.id_token_signed_response_alg
    ? { id_token_signed_response_alg: c.id_token_signed_response_alg } : undefined;
  const config = await client.discovery(new URL(cfg.issuer), c.client_id, metadata, auth, {
    execute: [client.allowInsecureRequests],
  });
  const meta = config.serverMetadata();
  check(meta.issuer === cfg.issuer, `${c.label}: discovery accepted, issuer ${meta.issuer}`);

  const browser = new Browser();
  await browser.wecomLogin(cfg.userid);
  await expectAuthorizationError(`${c.label}: prompt=none without a session`, config, browser, 'login_required');

  const { callback, checks } = await authorize(config, browser);
  const tokens = await client.authorizationCodeGrant(config, callback, checks);
  const claims = tokens.claims();
  check(claims?.sub === cfg.sub, `${c.label}: ID token validated, sub ${claims?.sub}`);
  check(claims.aud === c.client_id || (Array.isArray(claims.aud) && claims.aud.includes(c.client_id)),
    `${c.label}: ID token audience is the client`);
  check(typeof tokens.refresh_token === 'string', `${c.label}: a refresh token`);
  if (c.id_token_signed_response_alg) {
    const alg = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url')).alg;
    check(alg === c.id_token_signed_response_alg, `${c.label}: ID token signed with ${alg}`);
  }

  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  check(info.name === cfg.name, `${c.label}: userinfo name ${info.name}`);

  // The IdP session answers prompt=none at once; with max_age the library wants auth_time within it.
  const again = await authorize(config, browser, { prompt: 'none', max_age: '300' });
  const quiet = await client.authorizationCodeGrant(config, again.callback, { ...again.checks, maxAge: 300 });
  check(quiet.claims()?.sub === cfg.sub && typeof quiet.claims()?.auth_time === 'number',
    `${c.label}: prompt=none with a session gives a code (max_age, auth_time checked)`);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  check(typeof refreshed.refresh_token === 'string' && refreshed.refresh_token !== tokens.refresh_token,
    `${c.label}: refresh rotated the refresh token`);
  const info2 = await client.fetchUserInfo(config, refreshed.access_token, claims.sub);
  check(info2.sub === cfg.sub, `${c.label}: the refreshed access token reads userinfo`);
  try {
    await client.refreshTokenGrant(config, tokens.refresh_token);
    fail(`${c.label}: the old refresh token was accepted again`);
  } catch (e) {
    check(e instanceof client.ResponseBodyError && e.error === 'invalid_grant',
      `${c.label}: the old refresh token is refused`, `${e.name}: ${e.error ?? e.message}`);
  }
  // Its reuse revoked the family: the rotated grant's access token is refused at userinfo.
  await expectChallenge(`${c.label}: userinfo with a revoked access token`,
    () => client.fetchUserInfo(config, refreshed.access_token, claims.sub), 'bearer', 'invalid_token');
  if (c.auth === 'client_secret_basic') {
    const wrong = await client.discovery(new URL(cfg.issuer), c.client_id, undefined,
      client.ClientSecretBasic(`${c.client_secret}x`), { execute: [client.allowInsecureRequests] });
    await expectChallenge(`${c.label}: a wrong secret`,
      () => client.refreshTokenGrant(wrong, tokens.refresh_token), 'basic', undefined);
  }

  if (!meta.end_session_endpoint) {
    // The configuration says whether the server under test must have it.
    if (cfg.end_session) fail(`${c.label}: discovery names no end_session_endpoint`);
    else console.log(`skip openid-client ${c.label}: end session (discovery names no end_session_endpoint)`);
    return;
  }
  const logoutState = client.randomState();
  const end = client.buildEndSessionUrl(config, {
    id_token_hint: quiet.id_token,
    post_logout_redirect_uri: cfg.post_logout_redirect_uri,
    state: logoutState,
  });
  const back = await browser.follow(end, cfg.post_logout_redirect_uri);
  check(back.searchParams.get('state') === logoutState, `${c.label}: end session returns with state`);
  await expectAuthorizationError(`${c.label}: prompt=none after end session`, config, browser, 'login_required');
  // The session's grants ended with it.
  try {
    await client.refreshTokenGrant(config, quiet.refresh_token);
    fail(`${c.label}: the session's refresh token still works after end session`);
  } catch (e) {
    check(e instanceof client.ResponseBodyError && e.error === 'invalid_grant',
      `${c.label}: the session's refresh token is refused after end session`, `${e.name}: ${e.error ?? e.message}`);
  }
}

for (const c of cfg.clients) {
  try {
    await run(c);
  } catch (e) {
    const detail = e.error ? `${e.error}: ${e.error_description ?? ''}` : '';
    fail(`${c.label}: ${e.name} ${e.code ?? ''} ${e.message} ${detail} ${e.cause?.message ?? ''}`);
  }
}
console.log(`openid-client: ${passed} passed, ${failed} failed`);
process.exit(failed || !passed ? 1 : 0);
