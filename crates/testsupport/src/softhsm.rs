//! Isolated SoftHSM2 tokens.
