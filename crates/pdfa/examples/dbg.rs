#![allow(clippy::unwrap_used, missing_docs)]
fn main() {
    let doc = lopdf::Document::load("/tmp/pc/form-base.pdf").unwrap();
    for (id, o) in &doc.objects {
        let Ok(f) = o.as_dict() else { continue };
        if !f.has_type(b"Font") { continue; }
        println!("{id:?} {:?}", f.get(b"BaseFont"));
        let enc = f.get_font_encoding(&doc).unwrap();
        for b in [b'1', b',', 0xE9u8, b' ', b'F', b'4'] {
            println!("  {b:#x} {:?}", lopdf::Document::decode_text(&enc, &[b]));
        }
    }
}
