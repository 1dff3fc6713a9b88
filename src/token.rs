//! The bearer token: generated from the OS random source, stored only as its SHA-256, and
//! compared in constant time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const PREFIX: &str = "gorbit_scim_";

/// A fresh token: `gorbit_scim_` + 32 random bytes in base64url without padding.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A short, public handle for a token (shown by `token show`, `status` and the event log):
/// derived from the hash, so it reveals nothing usable.
pub fn fingerprint(hash: &[u8]) -> String {
    let hex: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Whether `presented` hashes to `stored`, in time independent of where they differ.
pub fn verify(presented: &str, stored: &[u8]) -> bool {
    hash(presented).ct_eq(stored).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_verify_against_their_hash_only() {
        let t = generate();
        assert!(t.starts_with(PREFIX));
        assert_eq!(t.len(), PREFIX.len() + 43);
        let h = hash(&t);
        assert!(verify(&t, &h));
        assert!(!verify(&generate(), &h));
        assert!(!verify("", &h));
        assert_ne!(generate(), t);
        assert!(fingerprint(&h).starts_with("sha256:"));
    }
}
