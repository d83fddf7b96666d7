//! The vault turns a number into its stored form and back.
//!
//! From one 32-byte master key, HKDF-SHA256 derives an index key and an encryption key. A number
//! is stored as a [`BlindIndex`] (HMAC-SHA256 of the E.164 form: equal numbers meet, nothing can
//! be read back), an XChaCha20-Poly1305 ciphertext with a random nonce and the id of the key that
//! sealed it, and a two-digit hint for display.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::Msisdn;

type HmacSha256 = Hmac<Sha256>;

const NONCE_LEN: usize = 24;
/// Bound into every ciphertext, so a sealed number cannot be replayed as another kind of secret.
const AAD: &[u8] = b"mitan/phone/v1";

/// The 32-byte secret every other key comes from.
pub struct MasterKey(Zeroizing<[u8; 32]>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("must be base64 of exactly 32 bytes, found {0} bytes")]
    WrongLength(usize),
    #[error("must be base64 of exactly 32 bytes: not valid base64")]
    NotBase64,
}

impl MasterKey {
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = Zeroizing::new(
            BASE64
                .decode(text.trim().as_bytes())
                .map_err(|_| KeyError::NotBase64)?,
        );
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::WrongLength(bytes.len()))?;
        Ok(Self(Zeroizing::new(key)))
    }

    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::RngCore::fill_bytes(&mut OsRng, key.as_mut());
        Self(key)
    }

    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE64.encode(self.0.as_ref()))
    }
}

/// `HMAC-SHA256(k_index, e164)`: looks a number up without storing it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BlindIndex([u8; 32]);

impl BlindIndex {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// A short, non-reversible tag for logs (`ix:1a2b3c4d`).
    pub fn log_tag(&self) -> String {
        format!("ix:{}", hex::encode(&self.0[..4]))
    }
}

impl std::fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.log_tag())
    }
}

/// A number in the only form that is ever written to storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedPhone {
    pub index: BlindIndex,
    /// Nonce followed by the AEAD ciphertext.
    pub ciphertext: Vec<u8>,
    pub key_id: String,
    pub hint: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("sealed with key {0:?}, which this service does not hold")]
    UnknownKey(String),
    #[error("the ciphertext does not authenticate")]
    Corrupt,
}

pub struct Vault {
    index_key: Zeroizing<[u8; 32]>,
    resume_key: Zeroizing<[u8; 32]>,
    consent_key: Zeroizing<[u8; 32]>,
    cipher: XChaCha20Poly1305,
    key_id: String,
}

impl Vault {
    pub fn new(master: &MasterKey) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(b"mitan"), master.0.as_ref());
        let derive = |info: &[u8]| {
            let mut out = Zeroizing::new([0u8; 32]);
            hkdf.expand(info, out.as_mut())
                .expect("32 bytes is a valid HKDF-SHA256 output length");
            out
        };
        let enc_key = derive(b"phone-encryption/v1");
        let key_id = hex::encode(&derive(b"key-id/v1")[..4]);
        Self {
            index_key: derive(b"blind-index/v1"),
            resume_key: derive(b"ussd-resume/v1"),
            consent_key: derive(b"sms-consent/v1"),
            cipher: XChaCha20Poly1305::new(enc_key.as_ref().into()),
            key_id,
        }
    }

    /// The id stored beside every ciphertext: a fingerprint of the master key, not the key.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn blind_index(&self, number: &Msisdn) -> BlindIndex {
        BlindIndex(keyed_hash(&self.index_key, number))
    }

    /// A tag for resuming a dropped USSD session before consent. Keyed apart from the blind
    /// index, so it cannot be matched against stored people; kept only for the resume window.
    pub fn resume_tag(&self, number: &Msisdn) -> [u8; 32] {
        keyed_hash(&self.resume_key, number)
    }

    /// A tag for a number that has not consented yet (a pending SMS join or invitation) and for
    /// finding the messages queued to a number. Keyed apart from the blind index and the resume
    /// tag, so it cannot be matched against stored people.
    pub fn consent_tag(&self, number: &Msisdn) -> [u8; 32] {
        keyed_hash(&self.consent_key, number)
    }

    pub fn seal(&self, number: &Msisdn) -> SealedPhone {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: number.e164().as_bytes(),
            aad: AAD,
        };
        let sealed = self
            .cipher
            .encrypt(&nonce, payload)
            .expect("XChaCha20-Poly1305 encrypts any short message");
        let mut ciphertext = nonce.to_vec();
        ciphertext.extend_from_slice(&sealed);
        SealedPhone {
            index: self.blind_index(number),
            ciphertext,
            key_id: self.key_id.clone(),
            hint: number.hint(),
        }
    }

    /// Decrypts a stored number, in memory, to send to it.
    pub fn open(&self, ciphertext: &[u8], key_id: &str) -> Result<Msisdn, OpenError> {
        if key_id != self.key_id {
            return Err(OpenError::UnknownKey(key_id.to_string()));
        }
        if ciphertext.len() <= NONCE_LEN {
            return Err(OpenError::Corrupt);
        }
        let (nonce, sealed) = ciphertext.split_at(NONCE_LEN);
        let plain = Zeroizing::new(
            self.cipher
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: sealed,
                        aad: AAD,
                    },
                )
                .map_err(|_| OpenError::Corrupt)?,
        );
        let e164 = std::str::from_utf8(&plain).map_err(|_| OpenError::Corrupt)?;
        // Sealed numbers were E.164 when sealed; the region is irrelevant for a `+` number.
        Msisdn::parse(e164, phonenumber::country::Id::IN).map_err(|_| OpenError::Corrupt)
    }
}

fn keyed_hash(key: &[u8; 32], number: &Msisdn) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(number.e164().as_bytes());
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(s: &str) -> Msisdn {
        Msisdn::parse(s, phonenumber::country::Id::IN).unwrap()
    }

    fn vault() -> Vault {
        Vault::new(&MasterKey::from_base64(&BASE64.encode([7u8; 32])).unwrap())
    }

    #[test]
    fn a_sealed_number_opens_to_the_same_number() {
        let v = vault();
        let sealed = v.seal(&number("+919876543210"));
        assert_eq!(
            v.open(&sealed.ciphertext, &sealed.key_id).unwrap(),
            number("9876543210")
        );
        assert_eq!(sealed.hint, "10");
    }

    #[test]
    fn the_stored_form_holds_no_digits_of_the_number() {
        let sealed = vault().seal(&number("+919876543210"));
        let stored = [
            sealed.ciphertext.as_slice(),
            sealed.index.as_bytes(),
            sealed.key_id.as_bytes(),
        ]
        .concat();
        for needle in ["9876543210", "919876543210", "98765"] {
            assert!(!stored.windows(needle.len()).any(|w| w == needle.as_bytes()));
        }
    }

    #[test]
    fn equal_numbers_share_a_blind_index_but_never_a_ciphertext() {
        let v = vault();
        let (a, b) = (
            v.seal(&number("09876543210")),
            v.seal(&number("+91 98765 43210")),
        );
        assert_eq!(a.index, b.index);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_ne!(a.index, v.seal(&number("+919876543211")).index);
        assert_ne!(a.index.as_bytes(), v.resume_tag(&number("09876543210")));
        assert_ne!(a.index.as_bytes(), v.consent_tag(&number("09876543210")));
        assert_ne!(
            v.resume_tag(&number("09876543210")),
            v.consent_tag(&number("09876543210"))
        );
    }

    #[test]
    fn another_master_key_neither_finds_nor_opens_a_number() {
        let other = Vault::new(&MasterKey::generate());
        let sealed = vault().seal(&number("+919876543210"));
        assert_ne!(other.blind_index(&number("+919876543210")), sealed.index);
        assert!(matches!(
            other.open(&sealed.ciphertext, &sealed.key_id),
            Err(OpenError::UnknownKey(_))
        ));
    }

    #[test]
    fn a_tampered_ciphertext_is_refused() {
        let v = vault();
        let mut sealed = v.seal(&number("+919876543210"));
        let last = sealed.ciphertext.len() - 1;
        sealed.ciphertext[last] ^= 1;
        assert!(matches!(
            v.open(&sealed.ciphertext, &sealed.key_id),
            Err(OpenError::Corrupt)
        ));
        assert!(v.open(&[1, 2, 3], &sealed.key_id).is_err());
    }

    #[test]
    fn master_keys_must_be_32_bytes_of_base64() {
        assert_eq!(
            MasterKey::from_base64("not base64!").err(),
            Some(KeyError::NotBase64)
        );
        assert_eq!(
            MasterKey::from_base64(&BASE64.encode([1u8; 16])).err(),
            Some(KeyError::WrongLength(16))
        );
        let key = MasterKey::generate();
        assert!(MasterKey::from_base64(&key.to_base64()).is_ok());
    }
}
