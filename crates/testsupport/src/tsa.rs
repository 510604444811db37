//! RFC 3161 TSA on loopback backed by `openssl ts -reply`.
