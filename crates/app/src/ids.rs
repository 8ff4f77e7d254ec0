//! Identifiers: a readable prefix for the kind, then 16 random lowercase base-32 characters
//! (80 bits), e.g. `site_k3v9q2m7x8a1b4c6`. Secrets (session ids, API tokens) are 256 bits.

use rand::Rng;

const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";

pub fn new_id(prefix: &str) -> String {
    let mut rng = rand::rng();
    let tail: String = (0..16)
        .map(|_| ALPHABET[rng.random_range(0..32)] as char)
        .collect();
    format!("{prefix}_{tail}")
}

/// 32 random bytes as lowercase hex.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

pub fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// An id a person or client sent: prefix and alphabet checked before any query runs.
pub fn is_id(prefix: &str, text: &str) -> bool {
    text.strip_prefix(prefix)
        .and_then(|t| t.strip_prefix('_'))
        .is_some_and(|t| t.len() == 16 && t.bytes().all(|b| ALPHABET.contains(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_their_kind_and_check_back() {
        let id = new_id("site");
        assert!(is_id("site", &id), "{id}");
        assert!(!is_id("org", &id));
        assert!(!is_id("site", "site_' OR 1=1 --"));
        assert_ne!(new_id("site"), new_id("site"));
    }
}
