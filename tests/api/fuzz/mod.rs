//! Fuzzing everything that reads outside input: properties of the pure readers (USSD input
//! classification and the menu, every provider's webhook readers), and generated hostile
//! requests against the real app's webhook routes and admin API. Seeds are fixed: a failure
//! names its case and reproduces; `FUZZ_SEED` (HTTP) and `PROPTEST_RNG_SEED` (properties)
//! draw other cases, `PROPTEST_CASES` more of them.

mod admin;
mod hostile;
mod providers;
mod ussd;
mod webhooks;

/// The properties' settings: `cases` cases drawn from a fixed seed, no regression files.
pub fn config(cases: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases,
        rng_seed: proptest::test_runner::RngSeed::Fixed(1930),
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}
