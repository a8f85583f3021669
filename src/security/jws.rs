//! Signed tokens (JWS compact form) and the keys that sign them.
//!
//! Keys are generated here and kept parsed in memory: signing with an
//! already parsed key pair costs one RSA or ECDSA operation, where
//! re-reading the key for every token (as `jsonwebtoken::encode` does with
//! a DER key) would add the parse each time. Checking tokens goes through
//! `jsonwebtoken`, against the published (public) half.
//!
//! Private keys are stored sealed with AES-256-GCM under a key derived
//! from the server key, so a copy of the database alone cannot sign.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The algorithms tokens are signed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JwsAlg {
    Rs256,
    Es256,
}

impl JwsAlg {
    pub const ALL: [JwsAlg; 2] = [JwsAlg::Rs256, JwsAlg::Es256];

    pub fn name(self) -> &'static str {
        match self {
            JwsAlg::Rs256 => "RS256",
            JwsAlg::Es256 => "ES256",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    fn jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            JwsAlg::Rs256 => jsonwebtoken::Algorithm::RS256,
            JwsAlg::Es256 => jsonwebtoken::Algorithm::ES256,
        }
    }
}

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// A private signing key, parsed, with its key ID.
pub struct SigningKey {
    kid: String,
    alg: JwsAlg,
    pair: Pair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish()
    }
}

impl SigningKey {
    /// A new key (RSA 2048 for RS256, P-256 for ES256) and its PKCS#8 form
    /// to store.
    pub fn generate(kid: String, alg: JwsAlg) -> anyhow::Result<(Self, Vec<u8>)> {
        let pkcs8 = match alg {
            JwsAlg::Rs256 => {
                let pair =
                    RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| anyhow::anyhow!("RSA key generation failed"))?;
                pair.as_der()
                    .map_err(|_| anyhow::anyhow!("RSA key encoding failed"))?
                    .as_ref()
                    .to_vec()
            }
            JwsAlg::Es256 => {
                let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|_| anyhow::anyhow!("EC key generation failed"))?;
                pair.to_pkcs8v1()
                    .map_err(|_| anyhow::anyhow!("EC key encoding failed"))?
                    .as_ref()
                    .to_vec()
            }
        };
        let key = Self::from_pkcs8(kid, alg, &pkcs8)?;
        Ok((key, pkcs8))
    }

    pub fn from_pkcs8(kid: String, alg: JwsAlg, pkcs8: &[u8]) -> anyhow::Result<Self> {
        let pair = match alg {
            JwsAlg::Rs256 => Pair::Rsa(RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| anyhow::anyhow!("RSA key: {e}"))?),
            JwsAlg::Es256 => Pair::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                    .map_err(|e| anyhow::anyhow!("EC key: {e}"))?,
            ),
        };
        Ok(Self { kid, alg, pair })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> JwsAlg {
        self.alg
    }

    /// The public half as a JWK (RFC 7517), as the JWKS publishes it.
    pub fn public_jwk(&self) -> PublicJwk {
        match &self.pair {
            Pair::Rsa(pair) => {
                let public = pair.public_key();
                PublicJwk {
                    kty: "RSA".into(),
                    use_: "sig".into(),
                    kid: self.kid.clone(),
                    alg: self.alg.name().into(),
                    n: Some(URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero())),
                    e: Some(URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero())),
                    crv: None,
                    x: None,
                    y: None,
                }
            }
            Pair::Ec(pair) => {
                // Uncompressed point: 0x04, then x and y, 32 bytes each.
                let point = pair.public_key().as_ref();
                PublicJwk {
                    kty: "EC".into(),
                    use_: "sig".into(),
                    kid: self.kid.clone(),
                    alg: self.alg.name().into(),
                    n: None,
                    e: None,
                    crv: Some("P-256".into()),
                    x: Some(URL_SAFE_NO_PAD.encode(&point[1..33])),
                    y: Some(URL_SAFE_NO_PAD.encode(&point[33..65])),
                }
            }
        }
    }

    /// `claims` signed in the compact form, with `typ` in the header
    /// ("JWT" for ID tokens, "at+jwt" for access tokens, RFC 9068).
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> anyhow::Result<String> {
        let header = serde_json::json!({ "typ": typ, "alg": self.alg.name(), "kid": self.kid });
        let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?));
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let signature = match &self.pair {
            Pair::Rsa(pair) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, token.as_bytes(), &mut sig)
                    .map_err(|_| anyhow::anyhow!("RSA signing failed"))?;
                sig
            }
            Pair::Ec(pair) => pair
                .sign(&rng, token.as_bytes())
                .map_err(|_| anyhow::anyhow!("EC signing failed"))?
                .as_ref()
                .to_vec(),
        };
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(token)
    }
}

/// A public key as published in the JWKS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PublicJwk {
    pub kty: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub kid: String,
    pub alg: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub e: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub crv: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub y: Option<String>,
}

impl PublicJwk {
    fn decoding_key(&self) -> Option<jsonwebtoken::DecodingKey> {
        match self.kty.as_str() {
            "RSA" => jsonwebtoken::DecodingKey::from_rsa_components(self.n.as_deref()?, self.e.as_deref()?).ok(),
            "EC" => jsonwebtoken::DecodingKey::from_ec_components(self.x.as_deref()?, self.y.as_deref()?).ok(),
            _ => None,
        }
    }
}

/// What a token must be to be accepted by `verify`.
pub struct Expect<'a> {
    pub issuer: &'a str,
    /// None: any audience (the caller checks it).
    pub audience: Option<&'a str>,
    /// The header's `typ`, compared case-insensitively.
    pub typ: &'a str,
    /// Accept an expired token (an `id_token_hint` may be one).
    pub allow_expired: bool,
}

/// Checks a token's signature against the published keys (by `kid`), its
/// `typ`, issuer, audience and expiry, and returns its claims.
pub fn verify<T: DeserializeOwned>(token: &str, keys: &[PublicJwk], expect: &Expect<'_>) -> Option<T> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    if !header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(expect.typ))
    {
        return None;
    }
    let kid = header.kid.as_deref()?;
    let jwk = keys.iter().find(|k| k.kid == kid)?;
    let alg = JwsAlg::parse(&jwk.alg)?;
    if header.alg != alg.jsonwebtoken() {
        return None;
    }
    let mut validation = jsonwebtoken::Validation::new(alg.jsonwebtoken());
    validation.set_issuer(&[expect.issuer]);
    match expect.audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    validation.validate_exp = !expect.allow_expired;
    validation.leeway = 30;
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    jsonwebtoken::decode::<T>(token, &jwk.decoding_key()?, &validation)
        .ok()
        .map(|data| data.claims)
}

/// Seals private keys at rest (AES-256-GCM, a random nonce each time).
#[derive(Clone)]
pub struct KeySeal([u8; 32]);

impl KeySeal {
    pub fn new(key: [u8; 32]) -> Self {
        Self(key)
    }

    fn key(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.0).expect("an AES-256 key is 32 bytes"))
    }

    /// base64url(nonce ‖ ciphertext ‖ tag); `label` is bound in as
    /// associated data, so a sealed key cannot be moved to another row.
    pub fn seal(&self, label: &str, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the operating system's random source failed");
        let mut data = plaintext.to_vec();
        self.key()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(label.as_bytes()),
                &mut data,
            )
            .expect("AES-GCM sealing does not fail for small inputs");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        URL_SAFE_NO_PAD.encode(out)
    }

    pub fn open(&self, label: &str, sealed: &str) -> Option<Vec<u8>> {
        let raw = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let mut data = rest.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let plain = self
            .key()
            .open_in_place(nonce, Aad::from(label.as_bytes()), &mut data)
            .ok()?;
        Some(plain.to_vec())
    }
}

/// `BASE64URL(SHA-256(verifier))`: the S256 PKCE challenge of a verifier.
pub fn pkce_s256(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Claims {
        iss: String,
        sub: String,
        aud: String,
        exp: i64,
    }

    fn claims(exp: i64) -> Claims {
        Claims {
            iss: "https://id.example/t/v2.0".into(),
            sub: "u1".into(),
            aud: "app".into(),
            exp,
        }
    }

    fn expect() -> Expect<'static> {
        Expect {
            issuer: "https://id.example/t/v2.0",
            audience: Some("app"),
            typ: "JWT",
            allow_expired: false,
        }
    }

    #[test]
    fn tokens_signed_with_either_algorithm_verify_against_the_published_key_only() {
        let later = 4_000_000_000;
        for alg in JwsAlg::ALL {
            let (key, pkcs8) = SigningKey::generate(format!("k-{}", alg.name()), alg).unwrap();
            let token = key.sign("JWT", &claims(later)).unwrap();
            let published = vec![key.public_jwk()];
            assert_eq!(verify::<Claims>(&token, &published, &expect()), Some(claims(later)));
            // The stored form gives the same key back.
            let again = SigningKey::from_pkcs8(key.kid().into(), alg, &pkcs8).unwrap();
            assert_eq!(again.public_jwk(), key.public_jwk());
            // Another key with the same kid does not verify it.
            let (other, _) = SigningKey::generate(key.kid().into(), alg).unwrap();
            assert_eq!(verify::<Claims>(&token, &[other.public_jwk()], &expect()), None);
            // Wrong typ, audience, issuer or an expired token are refused.
            let wrong_typ = Expect {
                typ: "at+jwt",
                ..expect()
            };
            assert_eq!(verify::<Claims>(&token, &published, &wrong_typ), None);
            let wrong_aud = Expect {
                audience: Some("other"),
                ..expect()
            };
            assert_eq!(verify::<Claims>(&token, &published, &wrong_aud), None);
            let wrong_iss = Expect {
                issuer: "https://evil.example/t/v2.0",
                ..expect()
            };
            assert_eq!(verify::<Claims>(&token, &published, &wrong_iss), None);
            let expired = key.sign("JWT", &claims(1_000)).unwrap();
            assert_eq!(verify::<Claims>(&expired, &published, &expect()), None);
            let lenient = Expect {
                allow_expired: true,
                ..expect()
            };
            assert!(verify::<Claims>(&expired, &published, &lenient).is_some());
            // A tampered payload fails.
            let mut parts: Vec<&str> = token.split('.').collect();
            let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(later + 1)).unwrap());
            parts[1] = &forged;
            assert_eq!(verify::<Claims>(&parts.join("."), &published, &expect()), None);
        }
    }

    #[test]
    fn sealed_keys_open_only_with_the_same_key_and_label() {
        let seal = KeySeal::new([7; 32]);
        let sealed = seal.seal("kid-1", b"private");
        assert_eq!(seal.open("kid-1", &sealed).as_deref(), Some(&b"private"[..]));
        assert_eq!(seal.open("kid-2", &sealed), None);
        assert_eq!(KeySeal::new([8; 32]).open("kid-1", &sealed), None);
        assert_ne!(seal.seal("kid-1", b"private"), sealed, "a fresh nonce each time");
    }

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
