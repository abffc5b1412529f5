//! Password hashing with Argon2id at a configured cost.
//!
//! The cost (memory and iterations) is a setting so that tests can hash in microseconds while
//! production keeps Argon2id's defaults (19 MiB, 2 iterations, 1 lane). A hash records its own
//! cost, so hashes made at another cost still verify. The hash that a login for an unknown
//! username is checked against is made at the configured cost, so that a wrong username takes as
//! long as a wrong password.

use std::sync::{Arc, OnceLock};

use anyhow::{anyhow, Context};
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use rand::RngCore;

/// How costly a new password hash is (Argon2id, one lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    /// Memory in KiB (`PUSTAKA_PASSWORD_HASH_MEMORY_KIB`).
    pub memory_kib: u32,
    /// Passes over the memory (`PUSTAKA_PASSWORD_HASH_ITERATIONS`).
    pub iterations: u32,
}

impl HashCost {
    /// Argon2's own minimum memory (8 KiB per lane).
    pub const MIN_MEMORY_KIB: u32 = Params::MIN_M_COST;
    /// A ceiling against typos: every login in flight holds this much memory.
    pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
    /// Argon2's own minimum number of passes.
    pub const MIN_ITERATIONS: u32 = Params::MIN_T_COST;
    /// A ceiling against typos: the time of a login grows with it.
    pub const MAX_ITERATIONS: u32 = 100;

    /// The Argon2id parameters, or why this cost cannot be used.
    pub fn params(self) -> anyhow::Result<Params> {
        if !(Self::MIN_MEMORY_KIB..=Self::MAX_MEMORY_KIB).contains(&self.memory_kib) {
            anyhow::bail!(
                "the password hash memory must be from {} KiB (Argon2's minimum) to {} KiB; it is {} KiB",
                Self::MIN_MEMORY_KIB,
                Self::MAX_MEMORY_KIB,
                self.memory_kib
            );
        }
        if !(Self::MIN_ITERATIONS..=Self::MAX_ITERATIONS).contains(&self.iterations) {
            anyhow::bail!(
                "the password hash iterations must be from {} (Argon2's minimum) to {}; it is {}",
                Self::MIN_ITERATIONS,
                Self::MAX_ITERATIONS,
                self.iterations
            );
        }
        Params::new(self.memory_kib, self.iterations, Params::DEFAULT_P_COST, None)
            .map_err(|e| anyhow!("Argon2 refuses {} KiB and {} iterations: {e}", self.memory_kib, self.iterations))
    }

    /// Below the Argon2id defaults (fine for tests, weak for real passwords).
    pub fn is_below_default(self) -> bool {
        self.memory_kib < Params::DEFAULT_M_COST || self.iterations < Params::DEFAULT_T_COST
    }
}

impl Default for HashCost {
    /// Argon2id's defaults, the OWASP recommendation: 19 MiB, 2 iterations.
    fn default() -> Self {
        Self { memory_kib: Params::DEFAULT_M_COST, iterations: Params::DEFAULT_T_COST }
    }
}

/// Hashes and verifies passwords (off the async threads: at the production cost a hash takes tens
/// of milliseconds on purpose).
#[derive(Clone)]
pub struct Hasher {
    cost: HashCost,
    argon2: Argon2<'static>,
    /// A hash of a random password at this cost, made when first needed (see [`Hasher::warm`]).
    dummy: Arc<OnceLock<String>>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").field("cost", &self.cost).finish_non_exhaustive()
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new(HashCost::default()).expect("Argon2id's default parameters are valid")
    }
}

impl Hasher {
    /// A hasher at `cost`, or why the cost cannot be used.
    pub fn new(cost: HashCost) -> anyhow::Result<Self> {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, cost.params()?);
        Ok(Self { cost, argon2, dummy: Arc::new(OnceLock::new()) })
    }

    /// The cost of new hashes.
    pub fn cost(&self) -> HashCost {
        self.cost
    }

    /// Makes the unknown-user hash now (blocking), so that the first login for an unknown username
    /// does not take longer than the others.
    pub fn warm(&self) {
        self.dummy_hash();
    }

    fn dummy_hash(&self) -> &str {
        self.dummy.get_or_init(|| {
            let mut random = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut random);
            self.hash_blocking(&hex::encode(random)).expect("hashing a random password")
        })
    }

    fn hash_blocking(&self, password: &str) -> anyhow::Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow!("hashing a password: {e}"))
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let (me, password) = (self.clone(), password.to_owned());
        tokio::task::spawn_blocking(move || me.hash_blocking(&password)).await.context("hashing a password")?
    }

    /// Whether `password` matches the `stored` hash. With no stored hash (an unknown username) it
    /// checks against a hash at the configured cost and answers `false`, taking as long.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> anyhow::Result<bool> {
        let (me, password) = (self.clone(), password.to_owned());
        tokio::task::spawn_blocking(move || {
            let (hash, known) = match &stored {
                Some(h) => (h.as_str(), true),
                None => (me.dummy_hash(), false),
            };
            let parsed = PasswordHash::new(hash).map_err(|e| anyhow!("stored hash: {e}"))?;
            // Verification follows the cost recorded in the hash, so older hashes still verify.
            let ok = me.argon2.verify_password(password.as_bytes(), &parsed).is_ok();
            Ok(ok && known)
        })
        .await
        .context("verifying a password")?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOW: HashCost = HashCost { memory_kib: 64, iterations: 1 };

    #[test]
    fn the_default_is_argon2id_defaults() {
        let p = HashCost::default().params().unwrap();
        assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19456, 2, 1));
        assert!(!HashCost::default().is_below_default());
        assert!(LOW.is_below_default());
    }

    #[test]
    fn costs_below_argon2s_minimums_are_refused() {
        for bad in [
            HashCost { memory_kib: 7, iterations: 1 },
            HashCost { memory_kib: 0, iterations: 2 },
            HashCost { memory_kib: 64, iterations: 0 },
            HashCost { memory_kib: HashCost::MAX_MEMORY_KIB + 1, iterations: 2 },
        ] {
            assert!(Hasher::new(bad).is_err(), "{bad:?}");
        }
        assert!(Hasher::new(HashCost { memory_kib: 8, iterations: 1 }).is_ok());
    }

    #[tokio::test]
    async fn hashes_record_the_cost_and_verify() {
        let low = Hasher::new(LOW).unwrap();
        let hash = low.hash("secret-password").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        assert!(low.verify("secret-password", Some(hash.clone())).await.unwrap());
        assert!(!low.verify("wrong-password", Some(hash.clone())).await.unwrap());
        // A hash made at another cost still verifies.
        let other = Hasher::new(HashCost { memory_kib: 128, iterations: 2 }).unwrap();
        assert!(other.verify("secret-password", Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_users_are_checked_against_a_hash_at_the_same_cost() {
        let low = Hasher::new(LOW).unwrap();
        assert!(!low.verify("anything", None).await.unwrap());
        assert!(low.dummy_hash().starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{}", low.dummy_hash());
        let default = Hasher::default();
        default.warm();
        assert!(default.dummy_hash().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    }
}
