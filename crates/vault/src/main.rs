//! `sceau-vault`: init a data directory, serve, manage consents and recipients, verify the journal.

fn main() {}
