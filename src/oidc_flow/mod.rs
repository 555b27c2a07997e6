//! The OpenID Connect provider's domain over the shared login: the grant a login leaves for a
//! client ([`grant`]: the code, the tokens and what they carry, from the login's `Release`), the
//! token endpoint's rules ([`token`]: client authentication, code redemption with PKCE, refresh
//! rotation, userinfo), the member's consent for clients that ask for it ([`consent`]),
//! RP-initiated logout ([`logout`]: the plan, the hint's session, the revocation) and
//! Back-Channel Logout's delivery to the clients of an ended session ([`backchannel`]). The protocol
//! pieces that know nothing of the login — clients, the authorization request, JWS, the key set,
//! logout's checks — are [`crate::oidc`]'s, below `login`.

pub mod backchannel;
pub mod consent;
pub mod grant;
pub mod logout;
pub mod token;
