//! Who may use the admin API: bearer tokens and their roles.
//!
//! A token is `mitan_` followed by 32 random bytes in base64url. Only its SHA-256 is stored, so a
//! copy of the database holds no usable token; a request's token is hashed and looked up. An
//! `admin` sees and changes everything; an `officer` token names a recruiter and sees only the
//! figures of that recruiter's subtree, with small village counts hidden.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

use crate::enrollment::{display_name, AreaKind, NameError, RecruiterKind};

/// What every token starts with (so a leaked one is easy to recognise and scan for).
pub const TOKEN_PREFIX: &str = "mitan_";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Officer,
}

impl Role {
    pub fn tag(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Officer => "officer",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Self> {
        [Role::Admin, Role::Officer]
            .into_iter()
            .find(|role| role.tag() == tag)
    }
}

/// Who holds a principal's rights: an API token, or a dashboard user signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Token(i64),
    User(i64),
}

/// The holder of a valid token or dashboard session, as a request handler sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub holder: Holder,
    pub name: String,
    pub role: Role,
    /// The recruiter an officer token is bound to.
    pub recruiter_id: Option<i64>,
}

impl Principal {
    /// How the audit log names the holder: `token:<id>:<name>` or `user:<id>:<name>`.
    pub fn actor(&self) -> String {
        match self.holder {
            Holder::Token(id) => format!("token:{id}:{}", self.name),
            Holder::User(id) => format!("user:{id}:{}", self.name),
        }
    }

    /// The recruiters and people this token may see figures for.
    pub fn scope(&self) -> Scope {
        match (self.role, self.recruiter_id) {
            (Role::Admin, _) => Scope::All,
            (Role::Officer, Some(root)) => Scope::Subtree(root),
            // The database refuses an officer token without a recruiter; see nothing if one slips.
            (Role::Officer, None) => Scope::Subtree(-1),
        }
    }

    /// Whether a count describing the people of an area of this kind is shown only as "<5".
    pub fn hides_small_counts_in(&self, kind: Option<AreaKind>) -> bool {
        self.role == Role::Officer && kind == Some(AreaKind::Village)
    }

    /// Whether this principal may print cards of recruiter `recruiter_id`'s codes: an admin any
    /// recruiter's, an officer only their own recruiter's (a card hands out a code that credits
    /// its owner, so an officer prints no one else's, not even a recruiter below them).
    pub fn may_print_cards_of(&self, recruiter_id: i64) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Officer => self.recruiter_id == Some(recruiter_id),
        }
    }

    /// Whether this token sees a recruiter as an entry of its own. A mitan is a person, so
    /// listing a village's mitans one by one would count its people exactly: officers see those
    /// only inside the figures of the recruiters above them (their own entry excepted).
    pub fn sees_individually(
        &self,
        recruiter_id: i64,
        kind: RecruiterKind,
        area: Option<AreaKind>,
    ) -> bool {
        self.role == Role::Admin
            || self.recruiter_id == Some(recruiter_id)
            || !(kind == RecruiterKind::Mitan && area == Some(AreaKind::Village))
    }
}

/// A new dashboard password: 20 characters from an alphabet without look-alikes (no `0`/`O`,
/// `1`/`l`/`I`), about 114 bits; printed once by `mitan user create`.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rand::Rng::gen_range(&mut rng, 0..ALPHABET.len())]))
        .collect()
}

/// A username as one signs in with it: 3 to 40 letters, digits, `.`, `_` or `-`, starting with a
/// letter, compared as written; never a phone number (no run of seven digits).
pub fn check_username(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if !(3..=40).contains(&name.len()) {
        return Err("must be 3 to 40 characters");
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) || !name.chars().all(allowed) {
        return Err("letters, digits, `.`, `_` or `-`, starting with a letter");
    }
    if crate::privacy::without_numbers(name) != name {
        return Err("must not hold a phone number");
    }
    Ok(name.to_string())
}

/// A password given by hand: at least 12 characters (a generated one has 20).
pub fn check_password(password: &str) -> Result<(), &'static str> {
    if password.chars().count() < 12 {
        return Err("must be at least 12 characters");
    }
    if password.len() > 200 {
        return Err("must be at most 200 bytes");
    }
    Ok(())
}

/// Wrong passwords tried per username, per instance: past `per_minute` a sign-in is refused
/// without its password being checked, until the minute has passed.
pub struct LoginLimits(
    governor::RateLimiter<
        String,
        governor::state::keyed::DefaultKeyedStateStore<String>,
        governor::clock::DefaultClock,
    >,
);

impl LoginLimits {
    pub fn new(per_minute: u32) -> Self {
        let n = std::num::NonZeroU32::new(per_minute.max(1)).expect("at least one");
        let quota = governor::Quota::with_period(std::time::Duration::from_secs(60) / n.get())
            .expect("a positive period")
            .allow_burst(n);
        Self(governor::RateLimiter::keyed(quota))
    }

    /// Whether `username` may try a password now; a try counts whether it succeeds or not.
    pub fn allow(&self, username: &str) -> bool {
        self.0.check_key(&username.to_lowercase()).is_ok()
    }
}

/// The argon2id hash of a password, with a fresh salt, in the PHC string format.
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher as _, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password with default parameters")
        .to_string()
}

/// Whether `password` is the one `hash` was made from (constant time; a malformed hash never is).
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier as _};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The SHA-256 of a token: what is stored, and what a presented token is looked up by.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A fresh random token.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The token in an `Authorization` header value, if it is a well-formed `Bearer mitan_…`.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && token.starts_with(TOKEN_PREFIX)).then_some(token)
}

/// A token to issue (`mitan token create`).
#[derive(Debug, Clone)]
pub struct TokenRequest<'a> {
    pub role: Role,
    pub recruiter_id: Option<i64>,
    pub name: &'a str,
    /// Who asks, for the audit log (`cli` from the command line).
    pub actor: &'a str,
    pub at: DateTime<Utc>,
}

impl TokenRequest<'_> {
    /// The token's display name, once the request is one a token can be made for: an officer's
    /// names a recruiter, an admin's none. (Whether that recruiter exists, the store says.)
    pub fn check(&self) -> Result<String, IssueError> {
        let name = display_name(self.name).map_err(IssueError::Name)?;
        match (self.role, self.recruiter_id) {
            (Role::Officer, None) => Err(IssueError::OfficerWithoutRecruiter),
            (Role::Admin, Some(_)) => Err(IssueError::AdminWithRecruiter),
            _ => Ok(name),
        }
    }
}

/// A token just created: the only moment its text exists outside the holder's hands.
#[derive(Debug)]
pub struct IssuedToken {
    pub id: i64,
    pub token: String,
}

/// Why a token was not made.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("--name: {0}")]
    Name(NameError),
    #[error("an officer token must name the recruiter whose subtree it sees (--recruiter ID)")]
    OfficerWithoutRecruiter,
    #[error("an admin token sees everything and names no recruiter (drop --recruiter)")]
    AdminWithRecruiter,
    #[error("--recruiter {0}: no such recruiter")]
    NoSuchRecruiter(i64),
}

/// Whose recruiters and people a query covers: everyone, or one recruiter's subtree (that
/// recruiter, everyone they recruited, everyone those recruited, and so on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Subtree(i64),
}

impl Scope {
    /// The root recruiter; `None` for everyone.
    pub fn root(self) -> Option<i64> {
        match self {
            Scope::All => None,
            Scope::Subtree(root) => Some(root),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_print_anyone_s_cards_and_officers_only_their_own() {
        let who = |role, recruiter_id| Principal {
            holder: Holder::User(1),
            name: "u".into(),
            role,
            recruiter_id,
        };
        assert!(who(Role::Admin, None).may_print_cards_of(7));
        assert!(who(Role::Officer, Some(7)).may_print_cards_of(7));
        assert!(!who(Role::Officer, Some(7)).may_print_cards_of(8));
        assert!(!who(Role::Officer, None).may_print_cards_of(7));
    }

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let password = generate_password();
        assert_eq!(password.len(), 20);
        assert_ne!(password, generate_password());
        let hash = hash_password(&password);
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains(&password));
        assert!(verify_password(&password, &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password(&password, "not a hash"));
        assert_ne!(hash, hash_password(&password), "a fresh salt each time");
    }

    #[test]
    fn tokens_are_long_random_and_recognisable() {
        let a = generate_token();
        let b = generate_token();
        assert_ne!(a, b);
        assert!(a.starts_with("mitan_"));
        assert_eq!(a.len(), "mitan_".len() + 43);
        assert!(a[6..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn only_a_bearer_mitan_token_is_read_from_the_header() {
        assert_eq!(bearer_token("Bearer mitan_abc"), Some("mitan_abc"));
        assert_eq!(bearer_token("bearer  mitan_abc "), Some("mitan_abc"));
        assert_eq!(bearer_token("Basic mitan_abc"), None);
        assert_eq!(bearer_token("Bearer abc"), None);
        assert_eq!(bearer_token("mitan_abc"), None);
    }

    #[test]
    fn officers_see_a_villages_mitans_only_in_figures() {
        let officer = Principal {
            holder: Holder::Token(1),
            name: "SI Verma".into(),
            role: Role::Officer,
            recruiter_id: Some(4),
        };
        let village = Some(AreaKind::Village);
        assert!(!officer.sees_individually(9, RecruiterKind::Mitan, village));
        assert!(officer.sees_individually(9, RecruiterKind::Mitan, Some(AreaKind::Thana)));
        assert!(officer.sees_individually(9, RecruiterKind::Ncc, village));
        assert!(
            officer.sees_individually(4, RecruiterKind::Mitan, village),
            "their own entry"
        );
        let admin = Principal {
            role: Role::Admin,
            recruiter_id: None,
            ..officer
        };
        assert!(admin.sees_individually(9, RecruiterKind::Mitan, village));
    }

    #[test]
    fn officers_hide_small_village_counts_and_admins_do_not() {
        let officer = Principal {
            holder: Holder::Token(1),
            name: "SI Verma".into(),
            role: Role::Officer,
            recruiter_id: Some(4),
        };
        assert!(officer.hides_small_counts_in(Some(AreaKind::Village)));
        assert!(!officer.hides_small_counts_in(Some(AreaKind::Thana)));
        assert!(!officer.hides_small_counts_in(None));
        assert_eq!(officer.scope(), Scope::Subtree(4));
        assert_eq!(officer.actor(), "token:1:SI Verma");
        let admin = Principal {
            role: Role::Admin,
            recruiter_id: None,
            ..officer
        };
        assert!(!admin.hides_small_counts_in(Some(AreaKind::Village)));
        assert_eq!(admin.scope(), Scope::All);
    }
}
