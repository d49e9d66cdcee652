//! Unguessable tokens for private links.

use rand::RngCore;

/// 160 random bits as 40 lowercase hex characters.
pub fn new_token() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `s` could be a token at all (checked before any query).
pub fn looks_like_token(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_40_hex_characters_and_differ() {
        let (a, b) = (new_token(), new_token());
        assert!(looks_like_token(&a), "{a}");
        assert_ne!(a, b);
    }
}
