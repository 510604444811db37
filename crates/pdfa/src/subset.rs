//! TrueType subsetting by emptying unused glyphs: glyph ids, `cmap` and metrics stay as they
//! are (a simple font keeps its WinAnsi code-to-glyph mapping through the `cmap`), only the
//! outlines nobody shows are dropped, with the layout tables a PDF does not use. A 400 KB font
//! shrinks to a few KB, and readers no longer parse it in full on every page.

use std::collections::BTreeSet;

/// Tables a PDF reader may use for a simple TrueType font; the others are dropped.
const KEEP: &[&[u8; 4]] = &[
    b"OS/2", b"cmap", b"cvt ", b"fpgm", b"gasp", b"glyf", b"head", b"hhea", b"hmtx", b"loca",
    b"maxp", b"name", b"post", b"prep",
];

fn u16_at(d: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(i)?, *d.get(i + 1)?]))
}

fn u32_at(d: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *d.get(i)?,
        *d.get(i + 1)?,
        *d.get(i + 2)?,
        *d.get(i + 3)?,
    ]))
}

struct Table<'a> {
    tag: [u8; 4],
    data: &'a [u8],
}

fn tables(font: &[u8]) -> Option<Vec<Table<'_>>> {
    let n = usize::from(u16_at(font, 4)?);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font.get(rec..rec + 4)?.try_into().ok()?;
        let off = usize::try_from(u32_at(font, rec + 8)?).ok()?;
        let len = usize::try_from(u32_at(font, rec + 12)?).ok()?;
        out.push(Table {
            tag,
            data: font.get(off..off.checked_add(len)?)?,
        });
    }
    Some(out)
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, c| {
        let mut b = [0u8; 4];
        b[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(b))
    })
}

/// `font` with only the outlines of `glyphs` (plus glyph 0 and composite components); `None`
/// when the font is not a plain TrueType font we can read.
pub(crate) fn subset(font: &[u8], glyphs: &BTreeSet<u16>) -> Option<Vec<u8>> {
    let tables = tables(font)?;
    let find = |tag: &[u8; 4]| tables.iter().find(|t| &t.tag == tag).map(|t| t.data);
    let head = find(b"head")?;
    let long_loca = u16_at(head, 50)? == 1;
    let num_glyphs = usize::from(u16_at(find(b"maxp")?, 4)?);
    let loca = find(b"loca")?;
    let glyf = find(b"glyf")?;
    let offset = |g: usize| -> Option<usize> {
        if long_loca {
            usize::try_from(u32_at(loca, g * 4)?).ok()
        } else {
            Some(usize::from(u16_at(loca, g * 2)?) * 2)
        }
    };
    let glyph = |g: usize| -> Option<&[u8]> {
        let (a, b) = (offset(g)?, offset(g + 1)?);
        glyf.get(a..b.max(a))
    };
    // Close over composite glyphs' components.
    let mut keep: BTreeSet<usize> = glyphs.iter().map(|g| usize::from(*g)).collect();
    keep.insert(0);
    let mut todo: Vec<usize> = keep.iter().copied().collect();
    while let Some(g) = todo.pop() {
        if g >= num_glyphs {
            continue;
        }
        let data = glyph(g)?;
        if data.len() < 10 || i16::from_be_bytes([data[0], data[1]]) >= 0 {
            continue;
        }
        let mut p = 10;
        loop {
            let flags = u16_at(data, p)?;
            let component = usize::from(u16_at(data, p + 2)?);
            if keep.insert(component) {
                todo.push(component);
            }
            p += 4;
            p += if flags & 1 != 0 { 4 } else { 2 };
            if flags & 8 != 0 {
                p += 2;
            } else if flags & 0x40 != 0 {
                p += 4;
            } else if flags & 0x80 != 0 {
                p += 8;
            }
            if flags & 0x20 == 0 {
                break;
            }
        }
    }
    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity((num_glyphs + 1) * 4);
    for g in 0..num_glyphs {
        new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).ok()?.to_be_bytes());
        if keep.contains(&g) {
            new_glyf.extend_from_slice(glyph(g)?);
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).ok()?.to_be_bytes());
    let mut new_head = head.to_vec();
    new_head
        .get_mut(50..52)?
        .copy_from_slice(&1u16.to_be_bytes());
    new_head.get_mut(8..12)?.copy_from_slice(&[0; 4]);

    let mut out_tables: Vec<([u8; 4], Vec<u8>)> = Vec::new();
    for t in &tables {
        if !KEEP.contains(&&t.tag) {
            continue;
        }
        let data = match &t.tag {
            b"glyf" => std::mem::take(&mut new_glyf),
            b"loca" => std::mem::take(&mut new_loca),
            b"head" => new_head.clone(),
            // Format 3: no glyph names. Readers map codes through the cmap; parsing thousands
            // of names on every page made poppler 30 times slower on a 300-page act.
            b"post" if t.data.len() >= 32 => {
                let mut post = t.data[..32].to_vec();
                post[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());
                post
            }
            _ => t.data.to_vec(),
        };
        out_tables.push((t.tag, data));
    }
    out_tables.sort_by_key(|a| a.0);
    let n = u16::try_from(out_tables.len()).ok()?;
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    let mut pow = 1u16;
    let mut log = 0u16;
    while pow * 2 <= n {
        pow *= 2;
        log += 1;
    }
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&(pow * 16).to_be_bytes());
    out.extend_from_slice(&log.to_be_bytes());
    out.extend_from_slice(&(n * 16 - pow * 16).to_be_bytes());
    let mut offset = 12 + 16 * out_tables.len();
    let mut head_offset = 0;
    for (tag, data) in &out_tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&u32::try_from(offset).ok()?.to_be_bytes());
        out.extend_from_slice(&u32::try_from(data.len()).ok()?.to_be_bytes());
        if tag == b"head" {
            head_offset = offset;
        }
        offset += data.len().div_ceil(4) * 4;
    }
    for (_, data) in &out_tables {
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    let adjust = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out.get_mut(head_offset + 8..head_offset + 12)?
        .copy_from_slice(&adjust.to_be_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const SANS: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../resources/fonts/LiberationSans-Regular.ttf"
    ));

    #[test]
    fn subset_keeps_used_glyphs_and_mapping() {
        let face = ttf_parser::Face::parse(SANS, 0).unwrap();
        let used: BTreeSet<u16> = "Acte é"
            .chars()
            .map(|c| face.glyph_index(c).unwrap().0)
            .collect();
        let small = subset(SANS, &used).unwrap();
        assert!(small.len() < SANS.len() / 5, "{} bytes", small.len());
        let sub = ttf_parser::Face::parse(&small, 0).unwrap();
        assert_eq!(sub.number_of_glyphs(), face.number_of_glyphs());
        for c in "Acte é".chars() {
            let g = sub.glyph_index(c).unwrap();
            assert_eq!(g, face.glyph_index(c).unwrap());
            assert_eq!(sub.glyph_hor_advance(g), face.glyph_hor_advance(g));
            if c != ' ' {
                assert!(sub.glyph_bounding_box(g).is_some(), "{c}");
            }
        }
        let z = sub.glyph_index('Z').unwrap();
        assert!(sub.glyph_bounding_box(z).is_none());
        assert_eq!(checksum(&small), 0xB1B0_AFBA);
        assert!(subset(b"not a font", &used).is_none());
    }
}
