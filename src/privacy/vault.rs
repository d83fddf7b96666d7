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

/// The keys a number is found by, under one master key: its blind index (people, recruiters, the
/// suppression list), its consent tag (pending consents, the outbox), its resume tag (USSD) and
/// its fraud-report index (a number villagers reported).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberKeys {
    pub index: BlindIndex,
    pub consent: [u8; 32],
    pub resume: [u8; 32],
    pub reported: [u8; 32],
}

/// A retired master key as the database keeps it after `mitan keys rotate` began: its lookup keys
/// (to find what is stored only as a keyed hash, such as an erased number on the suppression
/// list) and, while the rotation runs, the key itself (to open numbers not yet re-sealed). Both
/// are sealed under the key that replaced it (`sealed_under`), never stored in clear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetiredKey {
    pub key_id: String,
    pub sealed_under: String,
    pub lookup: Vec<u8>,
    pub master: Option<Vec<u8>>,
}

/// The three keys lookups are made with.
struct LookupKeys {
    index: Zeroizing<[u8; 32]>,
    resume: Zeroizing<[u8; 32]>,
    consent: Zeroizing<[u8; 32]>,
}

impl LookupKeys {
    fn of(hkdf: &Hkdf<Sha256>) -> Self {
        Self {
            index: derive(hkdf, b"blind-index/v1"),
            resume: derive(hkdf, b"ussd-resume/v1"),
            consent: derive(hkdf, b"sms-consent/v1"),
        }
    }

    fn number_keys(&self, number: &Msisdn) -> NumberKeys {
        NumberKeys {
            index: BlindIndex(keyed_hash(&self.index, number)),
            consent: keyed_hash(&self.consent, number),
            resume: keyed_hash(&self.resume, number),
            reported: self.reported(number),
        }
    }

    /// A reported number's index: the index key over a message of its own domain, so it cannot
    /// be matched against people's blind indexes, and a retired key's lookups still find it.
    fn reported(&self, number: &Msisdn) -> [u8; 32] {
        keyed(
            &self.index,
            &[b"fraud-number/v1:", number.e164().as_bytes()],
        )
    }

    /// One reporter's vote about one number: the consent key over both numbers, so neither the
    /// reporter's blind index nor the number's index is stored beside a vote.
    fn vote(&self, reporter: &Msisdn, number: &Msisdn) -> [u8; 32] {
        keyed(
            &self.consent,
            &[
                b"fraud-vote/v1:",
                reporter.e164().as_bytes(),
                b"|",
                number.e164().as_bytes(),
            ],
        )
    }

    fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new([&self.index[..], &self.resume[..], &self.consent[..]].concat())
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let part = |i: usize| -> Option<Zeroizing<[u8; 32]>> {
            Some(Zeroizing::new(
                bytes.get(i * 32..(i + 1) * 32)?.try_into().ok()?,
            ))
        };
        (bytes.len() == 96).then_some(())?;
        Some(Self {
            index: part(0)?,
            resume: part(1)?,
            consent: part(2)?,
        })
    }
}

/// A key this vault no longer seals with but still finds (and, during a rotation, opens) with.
struct Former {
    key_id: String,
    lookup: LookupKeys,
    cipher: Option<XChaCha20Poly1305>,
}

pub struct Vault {
    lookup: LookupKeys,
    cipher: XChaCha20Poly1305,
    key_id: String,
    former: Vec<Former>,
}

fn derive(hkdf: &Hkdf<Sha256>, info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    hkdf.expand(info, out.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    out
}

impl Vault {
    pub fn new(master: &MasterKey) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(b"mitan"), master.0.as_ref());
        let enc_key = derive(&hkdf, b"phone-encryption/v1");
        Self {
            lookup: LookupKeys::of(&hkdf),
            cipher: XChaCha20Poly1305::new(enc_key.as_ref().into()),
            key_id: hex::encode(&derive(&hkdf, b"key-id/v1")[..4]),
            former: Vec::new(),
        }
    }

    /// This vault, also finding (and opening, where the master is still kept) with the keys it
    /// replaced. Each must be sealed under this vault's key.
    pub fn with_retired(mut self, retired: &[RetiredKey]) -> Result<Self, OpenError> {
        for key in retired {
            let (lookup, master) = self.open_retired(key)?;
            let cipher = master.map(|master| Vault::new(&master).cipher);
            self.former.push(Former {
                key_id: key.key_id.clone(),
                lookup,
                cipher,
            });
        }
        Ok(self)
    }

    /// `old`, retired in favour of this vault's key: its lookup keys and itself, sealed with it.
    pub fn retire(&self, old: &MasterKey) -> RetiredKey {
        let vault = Vault::new(old);
        RetiredKey {
            key_id: vault.key_id.clone(),
            sealed_under: self.key_id.clone(),
            lookup: self.seal_key_material(&vault.key_id, "lookup", &vault.lookup.to_bytes()),
            master: Some(self.seal_key_material(&vault.key_id, "master", old.0.as_ref())),
        }
    }

    /// A key `from` retired earlier (sealed under `from`'s key), sealed again under this vault's.
    pub fn reseal_retired(&self, from: &Vault, key: &RetiredKey) -> Result<RetiredKey, OpenError> {
        let (lookup, master) = from.open_retired(key)?;
        Ok(RetiredKey {
            key_id: key.key_id.clone(),
            sealed_under: self.key_id.clone(),
            lookup: self.seal_key_material(&key.key_id, "lookup", &lookup.to_bytes()),
            master: master
                .map(|master| self.seal_key_material(&key.key_id, "master", master.0.as_ref())),
        })
    }

    fn open_retired(&self, key: &RetiredKey) -> Result<(LookupKeys, Option<MasterKey>), OpenError> {
        if key.sealed_under != self.key_id {
            return Err(OpenError::UnknownKey(key.sealed_under.clone()));
        }
        let lookup = self.open_key_material(&key.key_id, "lookup", &key.lookup)?;
        let lookup = LookupKeys::from_bytes(&lookup).ok_or(OpenError::Corrupt)?;
        let master = match &key.master {
            None => None,
            Some(sealed) => {
                let bytes = self.open_key_material(&key.key_id, "master", sealed)?;
                let bytes: [u8; 32] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| OpenError::Corrupt)?;
                Some(MasterKey(Zeroizing::new(bytes)))
            }
        };
        Ok((lookup, master))
    }

    fn seal_key_material(&self, key_id: &str, what: &str, secret: &[u8]) -> Vec<u8> {
        let aad = format!("mitan/retired-key/v1/{what}/{key_id}");
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret,
                    aad: aad.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any short message");
        [nonce.as_slice(), &sealed].concat()
    }

    fn open_key_material(
        &self,
        key_id: &str,
        what: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let aad = format!("mitan/retired-key/v1/{what}/{key_id}");
        if sealed.len() <= NONCE_LEN {
            return Err(OpenError::Corrupt);
        }
        let (nonce, sealed) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| OpenError::Corrupt)
    }

    /// The id stored beside every ciphertext: a fingerprint of the master key, not the key.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Whether a ciphertext sealed under `key_id` can be opened: this vault's key, or one it
    /// replaced whose rotation still runs.
    pub fn opens(&self, key_id: &str) -> bool {
        key_id == self.key_id
            || self
                .former
                .iter()
                .any(|former| former.key_id == key_id && former.cipher.is_some())
    }

    /// Whether this vault knows keys it replaced (and so looks for numbers stored under them).
    pub fn has_former_keys(&self) -> bool {
        !self.former.is_empty()
    }

    pub fn blind_index(&self, number: &Msisdn) -> BlindIndex {
        BlindIndex(keyed_hash(&self.lookup.index, number))
    }

    /// Every key a number is found by, under this vault's key.
    pub fn number_keys(&self, number: &Msisdn) -> NumberKeys {
        self.lookup.number_keys(number)
    }

    /// The same, under each key this vault replaced: what may still be stored of the number from
    /// before a rotation.
    pub fn former_number_keys(&self, number: &Msisdn) -> Vec<NumberKeys> {
        self.former
            .iter()
            .map(|former| former.lookup.number_keys(number))
            .collect()
    }

    /// A tag for resuming a dropped USSD session before consent. Keyed apart from the blind
    /// index, so it cannot be matched against stored people; kept only for the resume window.
    pub fn resume_tag(&self, number: &Msisdn) -> [u8; 32] {
        keyed_hash(&self.lookup.resume, number)
    }

    /// A tag for a number that has not consented yet (a pending SMS join or invitation) and for
    /// finding the messages queued to a number. Keyed apart from the blind index and the resume
    /// tag, so it cannot be matched against stored people.
    pub fn consent_tag(&self, number: &Msisdn) -> [u8; 32] {
        keyed_hash(&self.lookup.consent, number)
    }

    /// The index a reported number is counted by, under this vault's key.
    pub fn reported_index(&self, number: &Msisdn) -> [u8; 32] {
        self.lookup.reported(number)
    }

    /// The tags of `reporter`'s vote about `number`: under this vault's key first, then under
    /// each key it replaced (a vote cast before a rotation still counts once).
    pub fn vote_tags(&self, reporter: &Msisdn, number: &Msisdn) -> Vec<[u8; 32]> {
        std::iter::once(&self.lookup)
            .chain(self.former.iter().map(|former| &former.lookup))
            .map(|lookup| lookup.vote(reporter, number))
            .collect()
    }

    /// The key in a call's flow and status-callback URLs (hex, 128 bits): the consent key over
    /// the call's outbox id, so only the provider this service gave the URL to can drive the
    /// call (Exotel signs nothing). A call placed before a key rotation keeps a key only the
    /// former key made: it is tried too.
    pub fn call_key(&self, call: i64) -> String {
        Self::call_key_with(&self.lookup, call)
    }

    /// Whether `given` is call `call`'s key, under this vault's key or one it replaced
    /// (compared in constant time).
    pub fn is_call_key(&self, call: i64, given: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        std::iter::once(&self.lookup)
            .chain(self.former.iter().map(|former| &former.lookup))
            .any(|lookup| {
                bool::from(
                    Self::call_key_with(lookup, call)
                        .as_bytes()
                        .ct_eq(given.as_bytes()),
                )
            })
    }

    fn call_key_with(lookup: &LookupKeys, call: i64) -> String {
        let tag = keyed(&lookup.consent, &[b"voice-call/v1:", &call.to_be_bytes()]);
        hex::encode(&tag[..16])
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
        let cipher = if key_id == self.key_id {
            &self.cipher
        } else {
            self.former
                .iter()
                .find(|former| former.key_id == key_id)
                .and_then(|former| former.cipher.as_ref())
                .ok_or_else(|| OpenError::UnknownKey(key_id.to_string()))?
        };
        if ciphertext.len() <= NONCE_LEN {
            return Err(OpenError::Corrupt);
        }
        let (nonce, sealed) = ciphertext.split_at(NONCE_LEN);
        let plain = Zeroizing::new(
            cipher
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

fn keyed_hash(key: &Zeroizing<[u8; 32]>, number: &Msisdn) -> [u8; 32] {
    keyed(key, &[number.e164().as_bytes()])
}

fn keyed(key: &Zeroizing<[u8; 32]>, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac =
        <HmacSha256 as Mac>::new_from_slice(&key[..]).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
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

    #[test]
    fn a_new_key_opens_and_finds_what_the_key_it_replaced_sealed() {
        let (old_key, new_key) = (MasterKey::generate(), MasterKey::generate());
        let old = Vault::new(&old_key);
        let sealed = old.seal(&number("+919876543210"));
        let new = Vault::new(&new_key);
        let retired = new.retire(&old_key);
        assert_eq!(
            (retired.key_id.as_str(), retired.sealed_under.as_str()),
            (old.key_id(), new.key_id())
        );
        let new = new.with_retired(std::slice::from_ref(&retired)).unwrap();
        assert!(new.opens(old.key_id()) && new.has_former_keys());
        assert_eq!(
            new.open(&sealed.ciphertext, &sealed.key_id).unwrap(),
            number("+919876543210")
        );
        assert_eq!(
            new.former_number_keys(&number("+919876543210")),
            vec![old.number_keys(&number("+919876543210"))]
        );
        assert_ne!(
            new.number_keys(&number("+919876543210")),
            old.number_keys(&number("+919876543210"))
        );
        // What is sealed now is sealed under the new key alone.
        assert_eq!(
            new.seal(&number("+919876543210")).key_id,
            Vault::new(&new_key).key_id()
        );

        // When the rotation ends the retired key keeps only its lookups.
        let finished = RetiredKey {
            master: None,
            ..retired.clone()
        };
        let after = Vault::new(&new_key).with_retired(&[finished]).unwrap();
        assert!(!after.opens(old.key_id()));
        assert!(matches!(
            after.open(&sealed.ciphertext, &sealed.key_id),
            Err(OpenError::UnknownKey(_))
        ));
        assert_eq!(
            after.former_number_keys(&number("+919876543210")),
            vec![old.number_keys(&number("+919876543210"))]
        );

        // Sealed key material holds neither key in clear, and opens under no other key.
        let old_bytes = old_key.0.as_ref();
        let stored = [
            retired.lookup.as_slice(),
            retired.master.as_deref().unwrap(),
        ]
        .concat();
        assert!(!stored.windows(32).any(|w| w == old_bytes));
        assert!(Vault::new(&MasterKey::generate())
            .with_retired(std::slice::from_ref(&retired))
            .is_err());
        let mut tampered = retired.clone();
        tampered.key_id = "00000000".into();
        assert!(matches!(
            Vault::new(&new_key).with_retired(&[tampered]),
            Err(OpenError::Corrupt)
        ));
    }

    #[test]
    fn a_reported_number_and_a_vote_match_nothing_else_and_survive_a_rotation() {
        let (old_key, new_key) = (MasterKey::generate(), MasterKey::generate());
        let old = Vault::new(&old_key);
        let (villager, neighbour, caller) = (
            number("+919876543210"),
            number("+919812345678"),
            number("+917000012345"),
        );
        let keys = old.number_keys(&caller);
        assert_eq!(keys.reported, old.reported_index(&caller));
        assert_ne!(&keys.reported[..], keys.index.as_bytes());
        assert_ne!(keys.reported, keys.consent);
        let vote = old.vote_tags(&villager, &caller);
        assert_eq!(vote.len(), 1);
        assert_ne!(vote, old.vote_tags(&neighbour, &caller));
        assert_ne!(vote, old.vote_tags(&caller, &villager));
        assert!(!vote.contains(&keys.consent) && !vote.contains(&keys.reported));

        let new = Vault::new(&new_key)
            .with_retired(&[RetiredKey {
                master: None,
                ..Vault::new(&new_key).retire(&old_key)
            }])
            .unwrap();
        let after = new.vote_tags(&villager, &caller);
        assert_eq!(after.len(), 2);
        assert_ne!(after[0], vote[0]);
        assert_eq!(
            after[1], vote[0],
            "a vote cast under the old key is still found"
        );
        assert_eq!(new.former_number_keys(&caller)[0].reported, keys.reported);
    }

    #[test]
    fn a_second_rotation_carries_the_first_retired_key_over() {
        let (first, second, third) = (
            MasterKey::generate(),
            MasterKey::generate(),
            MasterKey::generate(),
        );
        let v2 = Vault::new(&second);
        let retired_first = RetiredKey {
            master: None,
            ..v2.retire(&first)
        };
        let v3 = Vault::new(&third);
        let carried = v3.reseal_retired(&v2, &retired_first).unwrap();
        assert_eq!(carried.sealed_under, v3.key_id());
        assert!(carried.master.is_none());
        let second_retired = v3.retire(&second);
        let v3 = v3.with_retired(&[carried, second_retired]).unwrap();
        let n = number("+919876543210");
        assert_eq!(
            v3.former_number_keys(&n),
            vec![
                Vault::new(&first).number_keys(&n),
                Vault::new(&second).number_keys(&n)
            ]
        );
    }
}
