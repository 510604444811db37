# Third-party PDF producers for the PDF/A corpus (run by pdfcorpus.rs with Debian's python3).
# Usage: python3 pdfcorpus_producers.py OUT_DIR [big]
import os
import struct
import sys
import zlib
import zipfile

out = sys.argv[1]
what = sys.argv[2] if len(sys.argv) > 2 else "corpus"


def path(name):
    return os.path.join(out, name)


def png(name, width, height, pixel):
    """Writes an RGB PNG with the standard library only."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        for x in range(width):
            raw.extend(pixel(x, y))
    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
    with open(path(name), "wb") as f:
        f.write(data)
    return path(name)


FRENCH = "Commandement de payer : la société débitrice, à Paris, doit 1 234,56 €"

if what == "big":
    # About 50 MB (ASCII85 over incompressible image data, 20 pages), for the memory benchmark.
    from reportlab.pdfgen import canvas
    from reportlab.lib.utils import ImageReader
    import io
    c = canvas.Canvas(path("big-50mb.pdf"))
    side = 820
    for page in range(20):
        noise = os.urandom(side * side * 3)
        rows = [b"\x00" + noise[i * side * 3:(i + 1) * side * 3] for i in range(side)]
        def chunk(tag, data):
            cc = struct.pack(">I", len(data)) + tag + data
            return cc + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        pngdata = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
        pngdata += chunk(b"IDAT", zlib.compress(b"".join(rows), 0)) + chunk(b"IEND", b"")
        c.setFont("Helvetica", 12)
        c.drawString(72, 800, "Annexe %d - pièce numérisée" % (page + 1))
        c.drawImage(ImageReader(io.BytesIO(pngdata)), 40, 100, width=500, height=500)
        c.showPage()
    c.save()
    sys.exit(0)

from reportlab.pdfgen import canvas
from reportlab.lib.pagesizes import A4

# reportlab, standard fonts not embedded, French accents (WinAnsiEncoding).
c = canvas.Canvas(path("reportlab-std14.pdf"), pagesize=A4)
c.setTitle("Signification n° 42")
c.setAuthor("Étude 9991")
c.setFont("Helvetica", 12)
c.drawString(72, 770, FRENCH)
c.setFont("Times-Bold", 14)
c.drawString(72, 740, "Acte de commissaire de justice")
c.setFont("Courier", 10)
c.drawString(72, 710, "Référence 9991/2026/0042")
c.setFont("Helvetica-BoldOblique", 12)
c.drawString(72, 680, "Fait à Lyon, le 22 novembre 2026")
c.showPage()
c.setFont("Times-Italic", 12)
c.drawString(72, 770, "Page deux : élection de domicile, numéro SIRET 356 000 000 00048")
c.save()

# reportlab, CMYK colours (a print workflow's act): not allowed with an sRGB output intent.
c = canvas.Canvas(path("reportlab-cmyk.pdf"), pagesize=A4)
c.setFillColorCMYK(0, 0.2, 0.9, 0)
c.rect(60, 700, 475, 80, fill=1, stroke=0)
c.setFillColorCMYK(0, 0, 0, 1)
c.setFont("Helvetica", 12)
c.drawString(72, 650, "Avis de passage imprimé en quadrichromie")
c.drawString(72, 630, FRENCH)
c.showPage()
c.save()

# reportlab, 320 pages.
c = canvas.Canvas(path("reportlab-320-pages.pdf"), pagesize=A4)
for p in range(320):
    c.setFont("Helvetica", 11)
    for line in range(40):
        c.drawString(60, 780 - line * 18, "Page %d ligne %d : saisie-attribution entre les mains du tiers saisi" % (p + 1, line + 1))
    c.showPage()
c.save()

# An image-only scan (no text at all).
scan = png("scan.png", 400, 560, lambda x, y: bytes([(x * 7 + y * 3) % 256] * 3) if (x // 20 + y // 20) % 7 else b"\x20\x20\x20")
c = canvas.Canvas(path("scan-image-only.pdf"), pagesize=A4)
c.drawImage(scan, 40, 60, width=515, height=720)
c.showPage()
c.save()

# A form (reportlab AcroForm); JavaScript is added by pdfcorpus.rs.
c = canvas.Canvas(path("form-base.pdf"), pagesize=A4)
c.setFont("Helvetica", 12)
c.drawString(72, 770, "Formulaire de réponse du tiers saisi")
c.acroForm.textfield(name="montant", tooltip="Montant", x=72, y=700, width=200, height=20, value="1234,56")
c.acroForm.checkbox(name="accord", x=72, y=650, size=16, checked=True)
c.showPage()
c.save()

# cairo: vector shapes and text with an embedded font.
import cairo
surface = cairo.PDFSurface(path("cairo.pdf"), 595, 842)
ctx = cairo.Context(surface)
ctx.set_source_rgb(0.1, 0.2, 0.6)
ctx.rectangle(60, 60, 475, 80)
ctx.fill()
ctx.set_source_rgb(0, 0, 0)
ctx.select_font_face("DejaVu Sans", cairo.FONT_SLANT_NORMAL, cairo.FONT_WEIGHT_NORMAL)
ctx.set_font_size(14)
ctx.move_to(60, 200)
ctx.show_text("Procès-verbal de constat dressé par cairo")
ctx.move_to(60, 230)
ctx.show_text(FRENCH)
ctx.set_line_width(2)
ctx.move_to(60, 260)
ctx.line_to(535, 260)
ctx.stroke()
ctx.show_page()
surface.finish()

# matplotlib: a figure with transparency.
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(6, 4))
ax.fill_between([0, 1, 2, 3], [1, 3, 2, 4], alpha=0.4, color="tab:blue")
ax.bar([0.5, 1.5, 2.5], [2, 1, 3], alpha=0.5, color="tab:red")
ax.set_title("Montants saisis par trimestre")
ax.set_xlabel("Trimestre")
fig.savefig(path("matplotlib-alpha.pdf"))

# A ZIP named .pdf.
with zipfile.ZipFile(path("archive-named.pdf"), "w") as z:
    z.writestr("acte.txt", "ceci n'est pas un PDF")

# A PNG for the office documents.
png("logo.png", 120, 60, lambda x, y: bytes([200, 30 + x, 60 + y]))
