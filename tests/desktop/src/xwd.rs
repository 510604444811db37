//! An X Window Dump (what `xwd` writes) to PNG, for the window tests' screenshots.
//!
//! The dump: a header of 25 big-endian 32-bit fields (followed by the window's name, counted in
//! the header's size), `ncolors` 12-byte colour entries, then the pixels in rows of
//! `bytes_per_line`, each pixel `bits_per_pixel` wide in the dump's byte order and split into
//! colours by the header's masks. Only the true-colour dumps of Xvfb (24 or 32 bits per pixel)
//! are read.

use anyhow::{bail, ensure, Context, Result};

/// Converts `dump` to a PNG, cropped to `area` (x, y, width, height) when given.
pub fn to_png(dump: &[u8], area: Option<(u32, u32, u32, u32)>) -> Result<Vec<u8>> {
    ensure!(dump.len() >= 100, "xwd dump too short");
    let field = |i: usize| {
        u32::from_be_bytes([
            dump[4 * i],
            dump[4 * i + 1],
            dump[4 * i + 2],
            dump[4 * i + 3],
        ])
    };
    let (header_size, width, height) = (field(0) as usize, field(4), field(5));
    let (lsb_first, bpp, bytes_per_line) = (field(7) == 0, field(11), field(12) as usize);
    let masks = [field(14), field(15), field(16)];
    let ncolors = field(19) as usize;
    if bpp != 32 && bpp != 24 {
        bail!("xwd dump of {bpp} bits per pixel: only true colour is read");
    }
    let pixels = header_size + 12 * ncolors;
    ensure!(
        dump.len() >= pixels + bytes_per_line * height as usize,
        "xwd dump truncated"
    );
    let (x0, y0, w, h) = match area {
        Some((x, y, w, h)) => {
            let x = x.min(width);
            let y = y.min(height);
            (x, y, w.min(width - x), h.min(height - y))
        }
        None => (0, 0, width, height),
    };
    ensure!(w > 0 && h > 0, "empty screenshot area");
    let step = (bpp / 8) as usize;
    let channel = |p: u32, mask: u32| -> u8 {
        if mask == 0 {
            return 0;
        }
        ((p & mask) >> mask.trailing_zeros()) as u8
    };
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in y0..y0 + h {
        let row = &dump[pixels + y as usize * bytes_per_line..];
        for x in x0..x0 + w {
            let b = &row[x as usize * step..x as usize * step + step];
            let mut bytes = [0u8; 4];
            bytes[..step].copy_from_slice(b);
            let p = if lsb_first {
                u32::from_le_bytes(bytes)
            } else {
                u32::from_be_bytes(bytes) >> (8 * (4 - step))
            };
            rgb.extend(masks.iter().map(|&m| channel(p, m)));
        }
    }
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().context("PNG header")?;
        writer.write_image_data(&rgb).context("PNG data")?;
    }
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3×2 dump in Xvfb's layout (32 bits, LSB first, masks 0xff0000/0xff00/0xff).
    fn dump() -> Vec<u8> {
        let name = b"root\0";
        let header_size = 100 + name.len() as u32;
        let mut h = [0u32; 25];
        h[0] = header_size;
        h[1] = 7;
        h[2] = 2;
        h[3] = 24;
        h[4] = 3;
        h[5] = 2;
        h[7] = 0;
        h[11] = 32;
        h[12] = 12;
        h[14] = 0xff0000;
        h[15] = 0xff00;
        h[16] = 0xff;
        h[19] = 1;
        let mut d: Vec<u8> = h.iter().flat_map(|v| v.to_be_bytes()).collect();
        d.extend(name);
        d.extend([0u8; 12]);
        for (r, g, b) in [
            (255, 0, 0),
            (0, 255, 0),
            (0, 0, 255),
            (1, 2, 3),
            (4, 5, 6),
            (7, 8, 9),
        ] {
            d.extend([b, g, r, 0]);
        }
        d
    }

    fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn pixels_keep_their_colours_and_the_crop_its_place() {
        let (w, h, px) = decode(&to_png(&dump(), None).unwrap());
        assert_eq!((w, h), (3, 2));
        assert_eq!(&px[..9], &[255, 0, 0, 0, 255, 0, 0, 0, 255]);
        let (w, h, px) = decode(&to_png(&dump(), Some((1, 1, 10, 10))).unwrap());
        assert_eq!((w, h), (2, 1));
        assert_eq!(px, vec![4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn a_truncated_dump_is_an_error() {
        let d = dump();
        assert!(to_png(&d[..d.len() - 1], None).is_err());
        assert!(to_png(&d[..50], None).is_err());
    }
}
