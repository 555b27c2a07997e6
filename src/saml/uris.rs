//! The protocol's fixed names, defined once: namespace, algorithm, binding, NameID-format and
//! attribute-name-format URIs, and the smallest RSA key we sign or verify with. The writer, the parser, the signer and the verifier all
//! read them from here, so what we emit and what we accept cannot drift apart.

/// Namespace URIs.
pub mod ns {
    /// SAML 2.0 protocol (`samlp:`); also the `protocolSupportEnumeration` of SAML 2.0 metadata.
    pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
    /// SAML 2.0 assertion (`saml:`).
    pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
    /// SAML 2.0 metadata (`md:`).
    pub const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
    /// XML-DSig (`ds:`).
    pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
    /// XML Schema instance (`xsi:`).
    pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    /// Exclusive XML Canonicalization 1.0 (also the namespace of `InclusiveNamespaces`).
    pub const EC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
    /// The namespace bound to the `xml` prefix by definition.
    pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
    /// The namespace of `xmlns` attributes; may never be declared.
    pub const XMLNS: &str = "http://www.w3.org/2000/xmlns/";
    /// SAML V2.0 Metadata Profile for Algorithm Support (`alg:`): which digest and signature
    /// algorithms an entity accepts.
    pub const ALG: &str = "urn:oasis:names:tc:SAML:metadata:algsupport";
    /// XML Encryption (`xenc:`): encrypted Assertions.
    pub const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
    /// SOAP 1.1 envelope (`SOAP-ENV:`): the SOAP binding's carrier (SAML Bindings §3.2).
    pub const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
}

/// Algorithm URIs (XML-DSig, RFC 4051, XML-Enc).
pub mod alg {
    /// RSA PKCS#1 v1.5 with SHA-256 (what we sign with).
    pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    /// RSA PKCS#1 v1.5 with SHA-384.
    pub const RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
    /// RSA PKCS#1 v1.5 with SHA-512.
    pub const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
    /// ECDSA with SHA-256.
    pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
    /// ECDSA with SHA-384.
    pub const ECDSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384";
    /// ECDSA with SHA-512.
    pub const ECDSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512";
    /// RSA PKCS#1 v1.5 with SHA-1 (only with the per-app opt-in).
    pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
    /// SHA-1 digest (only with the per-app opt-in).
    pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
    /// SHA-256 digest (what we digest with).
    pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
    /// SHA-384 digest.
    pub const SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";
    /// SHA-512 digest.
    pub const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
    /// Enveloped-signature transform.
    pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
    /// Exclusive c14n without comments (transform and canonicalization method).
    pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
    /// `EncryptedData/@Type`: the plaintext is one element.
    pub const XENC_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
    /// RSA-OAEP key transport with MGF1 and SHA-1 (the digest inside OAEP, as the URI defines).
    pub const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
    /// AES-256-GCM block encryption (XML Encryption 1.1).
    pub const AES256_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
    /// AES-128-GCM block encryption (XML Encryption 1.1).
    pub const AES128_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes128-gcm";
    /// AES-256-CBC block encryption.
    pub const AES256_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
    /// AES-128-CBC block encryption.
    pub const AES128_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
}

/// Binding URIs.
pub mod binding {
    /// HTTP-POST: the only binding we answer with.
    pub const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
    /// HTTP-Redirect: how SPs may send their AuthnRequests.
    pub const HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
    /// SOAP: the back channel, where a LogoutRequest goes when no browser is there (a leaver).
    pub const SOAP: &str = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP";
}

/// NameID format URIs.
pub mod name_id {
    /// SAML 1.1 unspecified: the value means what the SP and IdP agree it means.
    pub const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
    /// SAML 1.1 email address.
    pub const EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    /// A stable pairwise identifier per SP and member.
    pub const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
    /// A new value for each Response.
    pub const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
    /// An entity ID (the format of an `Issuer`).
    pub const ENTITY: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";
}

/// Attribute `NameFormat` URIs.
pub mod attr_name {
    /// A plain name.
    pub const BASIC: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";
    /// A name that is a URI.
    pub const URI: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
}

/// The smallest RSA modulus we sign with, and the smallest an SP's key may have for its signatures
/// to verify.
pub const MIN_RSA_BITS: u32 = 2048;
