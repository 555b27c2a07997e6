//! WeCom's message encryption for the event callback (接收消息 › 加解密方案): the signature
//! `msg_signature` = SHA-1 hex of the sorted concatenation of Token, timestamp, nonce and ciphertext;
//! the AES key = base64 of EncodingAESKey + `=` (43 characters → 32 bytes); AES-256-CBC with the key's
//! first 16 bytes as IV; the plaintext is 16 random bytes ‖ message length (4 bytes, big-endian) ‖
//! message ‖ receiveid (the corp ID), PKCS#7-padded to a 32-byte block.
//!
//! Protocol only: no HTTP, no store. Decrypting checks, in this order, the signature (constant time),
//! the base64, the block size, the padding, the length and the receiveid, and says which failed.
//! Encrypting (the simulator's and the tests' side) takes the randomness as a parameter.

use crate::random::Rng;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use openssl::symm::{Cipher, Crypter, Mode};

/// WeCom pads to this block size (not AES's 16).
const BLOCK: usize = 32;
/// The random prefix of every plaintext.
const RANDOM_PREFIX: usize = 16;
/// Largest ciphertext (base64) we try to open; WeCom's events are a few hundred bytes.
pub const MAX_CIPHERTEXT: usize = 64 * 1024;

/// Base64 as WeCom's EncodingAESKey needs it: a key WeCom generated may end in a character whose
/// unused low bits are not zero (Python's decoder, which WeCom's own samples use, ignores them).
const KEY_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The callback Token (3–32 letters or digits, as WeCom's console generates and accepts it).
#[derive(Clone, PartialEq, Eq)]
pub struct CallbackToken(String);

impl std::fmt::Debug for CallbackToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallbackToken(***)")
    }
}

impl CallbackToken {
    /// Checks WeCom's rule for the Token; the error says what is wrong.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let s = s.trim();
        if !(3..=32).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(
                "the Token is 3 to 32 letters or digits (WeCom's console generates one: \
                        应用管理 › your app › 接收消息 › 设置API接收 › Token)",
            );
        }
        Ok(Self(s.to_string()))
    }

    /// The Token as typed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The AES key decoded from an EncodingAESKey.
#[derive(Clone, PartialEq, Eq)]
pub struct AesKey([u8; 32]);

impl std::fmt::Debug for AesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesKey(***)")
    }
}

impl AesKey {
    /// Decodes WeCom's EncodingAESKey (43 characters of base64); the error says what is wrong.
    pub fn parse(encoding_aes_key: &str) -> Result<Self, &'static str> {
        const WHAT: &str = "the EncodingAESKey is 43 letters and digits (base64): copy it from \
                            应用管理 › your app › 接收消息 › 设置API接收 › EncodingAESKey";
        let s = encoding_aes_key.trim();
        if s.len() != 43
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        {
            return Err(WHAT);
        }
        let bytes = KEY_B64.decode(format!("{s}=")).map_err(|_| WHAT)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| WHAT)?;
        Ok(Self(key))
    }

    fn iv(&self) -> &[u8] {
        &self.0[..16]
    }
}

/// Why an encrypted message was refused (each a distinct audit reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoError {
    /// `msg_signature` does not match.
    BadSignature,
    /// The ciphertext is not base64, not whole blocks, or too large.
    Malformed,
    /// The padding, the length field or the receiveid's place do not add up (wrong key, or tampered).
    BadPlaintext,
    /// The receiveid is another corp's.
    WrongReceiver,
    /// The message is not UTF-8.
    NotUtf8,
    /// OpenSSL failed (encrypting).
    Cipher,
}

impl CryptoError {
    /// The audit and log word.
    pub fn reason(self) -> &'static str {
        match self {
            Self::BadSignature => "bad_signature",
            Self::Malformed => "malformed_ciphertext",
            Self::BadPlaintext => "bad_plaintext",
            Self::WrongReceiver => "wrong_corp_id",
            Self::NotUtf8 => "not_utf8",
            Self::Cipher => "cipher_error",
        }
    }
}

impl std::fmt::Display for CryptoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for CryptoError {}

/// One callback configuration: Token, key and the receiveid (our corp ID).
#[derive(Debug, Clone)]
pub struct EventCrypto {
    token: CallbackToken,
    key: AesKey,
    receive_id: String,
}

impl EventCrypto {
    /// The scheme for `receive_id` (the corp ID the messages must name).
    pub fn new(token: CallbackToken, key: AesKey, receive_id: impl Into<String>) -> Self {
        Self {
            token,
            key,
            receive_id: receive_id.into(),
        }
    }

    /// `msg_signature`: SHA-1 hex of the four values sorted and concatenated.
    pub fn signature(&self, timestamp: &str, nonce: &str, ciphertext: &str) -> String {
        let mut parts = [self.token.as_str(), timestamp, nonce, ciphertext];
        parts.sort_unstable();
        hex::encode(openssl::sha::sha1(parts.concat().as_bytes()))
    }

    /// Checks `signature` (constant time) and opens `ciphertext`: the message, when every check
    /// passes.
    pub fn open(
        &self,
        signature: &str,
        timestamp: &str,
        nonce: &str,
        ciphertext: &str,
    ) -> Result<String, CryptoError> {
        let expected = self.signature(timestamp, nonce, ciphertext);
        let given = signature.trim().to_ascii_lowercase();
        if !crate::crypto::constant_time_eq(expected.as_bytes(), given.as_bytes()) {
            return Err(CryptoError::BadSignature);
        }
        self.decrypt(ciphertext)
    }

    /// Decrypts `ciphertext` (base64) and checks padding, length and receiveid; no signature check
    /// (callers use [`EventCrypto::open`]).
    fn decrypt(&self, ciphertext: &str) -> Result<String, CryptoError> {
        if ciphertext.len() > MAX_CIPHERTEXT {
            return Err(CryptoError::Malformed);
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(ciphertext.trim())
            .map_err(|_| CryptoError::Malformed)?;
        if raw.is_empty() || raw.len() % BLOCK != 0 {
            return Err(CryptoError::Malformed);
        }
        let plain = self
            .cipher(Mode::Decrypt, &raw)
            .map_err(|_| CryptoError::Malformed)?;
        let body = unpad(&plain).ok_or(CryptoError::BadPlaintext)?;
        let rest = body.get(RANDOM_PREFIX..).ok_or(CryptoError::BadPlaintext)?;
        let (len, rest) = rest
            .split_first_chunk::<4>()
            .ok_or(CryptoError::BadPlaintext)?;
        let len = u32::from_be_bytes(*len) as usize;
        if len > rest.len() {
            return Err(CryptoError::BadPlaintext);
        }
        let (msg, receive_id) = rest.split_at(len);
        if receive_id != self.receive_id.as_bytes() {
            return Err(CryptoError::WrongReceiver);
        }
        String::from_utf8(msg.to_vec()).map_err(|_| CryptoError::NotUtf8)
    }

    /// Encrypts `msg` for this receiveid with 16 bytes from `rng`: the base64 ciphertext.
    pub fn encrypt(&self, msg: &str, rng: &dyn Rng) -> Result<String, CryptoError> {
        let mut prefix = [0u8; RANDOM_PREFIX];
        rng.fill(&mut prefix);
        self.encrypt_with_prefix(msg, &prefix)
    }

    /// Encrypts with the given random prefix (the known-answer tests fix it).
    fn encrypt_with_prefix(
        &self,
        msg: &str,
        prefix: &[u8; RANDOM_PREFIX],
    ) -> Result<String, CryptoError> {
        let len = u32::try_from(msg.len()).map_err(|_| CryptoError::Cipher)?;
        let mut plain = Vec::with_capacity(msg.len() + 64);
        plain.extend_from_slice(prefix);
        plain.extend_from_slice(&len.to_be_bytes());
        plain.extend_from_slice(msg.as_bytes());
        plain.extend_from_slice(self.receive_id.as_bytes());
        let pad = BLOCK - plain.len() % BLOCK;
        plain.extend(std::iter::repeat_n(pad as u8, pad));
        let sealed = self.cipher(Mode::Encrypt, &plain)?;
        Ok(base64::engine::general_purpose::STANDARD.encode(sealed))
    }

    /// AES-256-CBC without OpenSSL's padding (WeCom pads to 32 itself).
    fn cipher(&self, mode: Mode, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let cipher = Cipher::aes_256_cbc();
        let mut c = Crypter::new(cipher, mode, &self.key.0, Some(self.key.iv()))
            .map_err(|_| CryptoError::Cipher)?;
        c.pad(false);
        let mut out = vec![0u8; data.len() + cipher.block_size()];
        let mut n = c.update(data, &mut out).map_err(|_| CryptoError::Cipher)?;
        n += c.finalize(&mut out[n..]).map_err(|_| CryptoError::Cipher)?;
        out.truncate(n);
        Ok(out)
    }
}

/// Strips PKCS#7 padding to a 32-byte block: the count is 1–32 and every pad byte equals it.
fn unpad(plain: &[u8]) -> Option<&[u8]> {
    let pad = usize::from(*plain.last()?);
    if pad == 0 || pad > BLOCK || pad > plain.len() {
        return None;
    }
    let (body, padding) = plain.split_at(plain.len() - pad);
    padding
        .iter()
        .all(|&b| usize::from(b) == pad)
        .then_some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    // wechatpy's tests/test_crypto.py (its WeCom `work` crypto), an independent implementation.
    const TOKEN: &str = "123456";
    const KEY: &str = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
    const CORP: &str = "wx49f0ab532d5d035a";

    fn crypto(corp: &str) -> EventCrypto {
        EventCrypto::new(
            CallbackToken::parse(TOKEN).unwrap(),
            AesKey::parse(KEY).unwrap(),
            corp,
        )
    }

    const ECHO: &str =
        "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==";

    #[test]
    fn url_verification_vector_opens() {
        let c = crypto(CORP);
        let echo = c
            .open(
                "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
                "1411443780",
                "437374425",
                ECHO,
            )
            .unwrap();
        assert!(!echo.is_empty());
        // Another nonce: the signature no longer matches.
        assert_eq!(
            c.open(
                "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
                "1411443780",
                "437374424",
                ECHO
            ),
            Err(CryptoError::BadSignature)
        );
    }

    const MSG_CIPHER: &str = "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=";

    #[test]
    fn message_vector_opens_and_names_the_corp() {
        let c = crypto(CORP);
        let sig = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d";
        let msg = c.open(sig, "1411525903", "461056294", MSG_CIPHER).unwrap();
        assert!(msg.contains("<Content><![CDATA[test]]></Content>"), "{msg}");
        assert!(msg.contains("messense"));
        // The same message for another corp is refused after the signature passed.
        assert_eq!(
            crypto("wwanothercorp").open(sig, "1411525903", "461056294", MSG_CIPHER),
            Err(CryptoError::WrongReceiver)
        );
    }

    #[test]
    fn encrypt_vector_matches_wechatpy() {
        let reply = "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>";
        let c = crypto(CORP);
        let out = c.encrypt_with_prefix(reply, b"1234567890123456").unwrap();
        assert_eq!(out, "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3");
        assert_eq!(
            c.signature("1411525903", "461056294", &out),
            "407518b7649e86ef23978113f92d27afa9296533"
        );
    }

    #[test]
    fn round_trip_with_random_prefix() {
        let c = crypto(CORP);
        let msg = "<xml><Event>change_contact</Event>中文</xml>";
        let ct = c.encrypt(msg, &crate::random::OsRng).unwrap();
        let sig = c.signature("1", "n", &ct);
        assert_eq!(c.open(&sig, "1", "n", &ct).unwrap(), msg);
        assert_eq!(
            c.open(&sig.to_uppercase(), "1", "n", &ct).unwrap(),
            msg,
            "hex case does not matter"
        );
    }

    #[test]
    fn tampering_is_refused() {
        let c = crypto(CORP);
        let ct = c.encrypt("<xml/>", &crate::random::OsRng).unwrap();
        // Flip a bit of the last block: the padding no longer checks out.
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(&ct)
            .unwrap();
        let n = raw.len();
        raw[n - 17] ^= 0x01;
        let bad = base64::engine::general_purpose::STANDARD.encode(&raw);
        let sig = c.signature("1", "n", &bad);
        assert_eq!(c.open(&sig, "1", "n", &bad), Err(CryptoError::BadPlaintext));
        let short = &ct[..ct.len() - 4];
        let sig = c.signature("1", "n", short);
        assert_eq!(c.open(&sig, "1", "n", short), Err(CryptoError::Malformed));
        let sig = c.signature("1", "n", "!!");
        assert_eq!(c.open(&sig, "1", "n", "!!"), Err(CryptoError::Malformed));
        // A key of another scheme decrypts to garbage: refused, never a panic.
        let other = EventCrypto::new(
            CallbackToken::parse(TOKEN).unwrap(),
            AesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").unwrap(),
            CORP,
        );
        let sig = other.signature("1", "n", &ct);
        assert!(other.open(&sig, "1", "n", &ct).is_err());
    }

    #[test]
    fn settings_rules() {
        assert!(CallbackToken::parse("ab").is_err());
        assert!(CallbackToken::parse("abc").is_ok());
        assert!(CallbackToken::parse(&"a".repeat(33)).is_err());
        assert!(CallbackToken::parse("abc-def").is_err());
        assert!(AesKey::parse(&KEY[..42]).is_err());
        assert!(AesKey::parse(&format!("{}=", &KEY[..42])).is_err());
        assert!(AesKey::parse(KEY).is_ok());
        assert!(!format!("{:?}", AesKey::parse(KEY).unwrap()).contains("kWx"));
    }
}
