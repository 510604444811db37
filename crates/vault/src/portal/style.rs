//! The portal's one stylesheet, inline in every page and allowed by its hash in the
//! Content-Security-Policy (no `'unsafe-inline'`, no second request): mobile first (one column
//! of cards from 320 px, no horizontal scrolling), body text at 16 px or more, buttons and
//! fields at least 44 px high, contrast ≥ 4.5:1, a visible focus ring.

use std::sync::LazyLock;

use base64::Engine;
use sha2::{Digest, Sha256};

/// The stylesheet.
pub(super) const STYLE: &str = "\
*{box-sizing:border-box}\
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}\
body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,\
sans-serif;font-size:1rem;line-height:1.5;color:#1b1b1b;background:#f3f4f1}\
.bandeau{background:#1d3557;color:#fff;padding:.5rem 0}\
.bandeau-int{max-width:48rem;margin:0 auto;padding:0 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;\
align-items:center;justify-content:space-between}\
.marque{margin:0;font-weight:700}\
.session{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}\
.session p{margin:0;font-size:1rem}\
.session form{margin:0}\
main{max-width:48rem;margin:0 auto;padding:1rem}\
h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0 1rem}\
h2{font-size:1.2rem;line-height:1.3;margin:0 0 .5rem}\
p{margin:0 0 .75rem}\
a{color:#0b4f9c}\
a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #e09f00;\
outline-offset:2px}\
.liste{list-style:none;margin:0;padding:0}\
.carte{background:#fff;border:1px solid #c9ccc4;border-radius:.5rem;padding:1rem;\
margin:0 0 1rem}\
.carte>:last-child{margin-bottom:0}\
.fichier,.mince{overflow-wrap:anywhere}\
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:0 0 .75rem}\
.bouton,button{display:inline-flex;align-items:center;justify-content:center;min-height:2.75rem;\
min-width:2.75rem;padding:.5rem 1rem;border:2px solid #0b4f9c;border-radius:.4rem;\
background:#0b4f9c;color:#fff;font:inherit;font-weight:600;text-decoration:none;\
text-align:center;cursor:pointer}\
.bouton.second,button.second{background:#fff;color:#0b4f9c}\
.bandeau button.second{border-color:#fff}\
label{display:block;font-weight:600;margin:0 0 .25rem}\
input{font:inherit}\
input:not([type]),input[type=text]{min-height:2.75rem;width:100%;max-width:20rem;\
padding:.5rem;border:1px solid #6b6b6b;border-radius:.3rem}\
input[type=file]{max-width:100%;min-height:2.75rem}\
.champ{margin:0 0 1rem}\
.erreur{color:#a00000;font-weight:600}\
.info{color:#05603a}\
.discret{color:#4a4a4a}\
.etat{display:inline-block;padding:.1rem .6rem;border-radius:1rem;font-weight:700}\
.etat-personne{background:#dff3e6;color:#0a5029}\
.etat-domicile{background:#fdeccb;color:#633f00}\
.etat-attente{background:#e4ebf6;color:#1d3557}\
dl.fiche{margin:0 0 .75rem}\
dl.fiche dt{font-weight:700}\
dl.fiche dd{margin:0 0 .5rem}\
.aide{background:#fff8e1;border-color:#c99a00}\
@media (min-width:40rem){dl.fiche{display:grid;grid-template-columns:11rem 1fr;gap:.25rem 1rem}\
dl.fiche dd{margin:0}h1{font-size:1.75rem}}";

/// `'sha256-…'` of [`STYLE`], for the Content-Security-Policy.
static STYLE_HASH: LazyLock<String> = LazyLock::new(|| {
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()))
    )
});

/// The portal's Content-Security-Policy: nothing but this stylesheet and same-origin forms.
pub(super) static CSP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; style-src {}; img-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
        *STYLE_HASH
    )
});
