//! The vault server.
