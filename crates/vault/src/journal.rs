//! The hash-chained evidence journal (placeholder until sceau-core's evidence model is merged).
