//! The links an email carries: the invitation's accept URL and the signed
//! Block future invitations link. Composed here, from the public URL and
//! the key, so that no email needs anything above `mail` to be written.

use crate::domain::url_query;
use crate::security::secret::{DigestKey, constant_time_eq};

/// Where an invitation's ticket is redeemed.
pub fn accept_url(public_url: &str, ticket: &str) -> String {
    format!("{public_url}/redeem?ticket={}", url_query::encode(ticket))
}

/// The signed Block future invitations link for an address (lower case).
pub fn block_link(public_url: &str, key: &DigestKey, address_lower: &str) -> String {
    format!(
        "{public_url}/invitations/block?address={}&sig={}",
        url_query::encode(address_lower),
        block_signature(key, address_lower)
    )
}

/// The signature a Block link carries for an address (lower case).
pub fn block_signature(key: &DigestKey, address_lower: &str) -> String {
    key.digest(address_lower)
}

/// Whether `signature` is the one a Block link carries for the address,
/// compared in constant time.
pub fn block_signature_is_valid(key: &DigestKey, address_lower: &str, signature: &str) -> bool {
    constant_time_eq(&block_signature(key, address_lower), signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DigestKey {
        DigestKey::derive(b"a master key of enough length for tests", "block links")
    }

    #[test]
    fn the_block_link_is_signed_for_its_address_and_encodes_it() {
        let link = block_link("https://portal.test", &key(), "a+b@fabrikam.example");
        assert!(
            link.starts_with("https://portal.test/invitations/block?address=a%2Bb%40fabrikam.example&sig="),
            "{link}"
        );
        let sig = link.rsplit("sig=").next().unwrap();
        assert!(block_signature_is_valid(&key(), "a+b@fabrikam.example", sig));
        assert!(!block_signature_is_valid(&key(), "c@fabrikam.example", sig));
    }

    #[test]
    fn the_accept_url_carries_the_ticket() {
        assert_eq!(
            accept_url("https://portal.test", "abc-_9"),
            "https://portal.test/redeem?ticket=abc-_9"
        );
    }
}
