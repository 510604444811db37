//! Test PKI (rcgen).
