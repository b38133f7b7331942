package photo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// Quadrant colours, far enough apart to survive JPEG.
var (
	red    = color.RGBA{220, 20, 20, 255}
	green  = color.RGBA{20, 200, 20, 255}
	blue   = color.RGBA{20, 20, 220, 255}
	yellow = color.RGBA{230, 230, 20, 255}
)

// quadrants returns a w×h image whose top-left, top-right, bottom-left and
// bottom-right quadrants are red, green, blue and yellow.
func quadrants(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := red
			switch {
			case x >= w/2 && y < h/2:
				c = green
			case x < w/2 && y >= h/2:
				c = blue
			case x >= w/2 && y >= h/2:
				c = yellow
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func encodePNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// normalize runs Normalize with o and decodes its output, which must be a
// baseline JPEG with no APP segment.
func normalize(t *testing.T, in []byte, o Options) image.Image {
	t.Helper()
	out, err := Normalize(bytes.NewReader(in), o)
	if err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	checkJPEG(t, out)
	m, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decoding the output: %v", err)
	}
	return m
}

// checkJPEG checks that b is a baseline JPEG that carries no metadata: its
// segments before the scan are only quantization and Huffman tables and a
// baseline SOF.
func checkJPEG(t testing.TB, b []byte) {
	t.Helper()
	if Sniff(b) != "image/jpeg" {
		t.Fatalf("output is not a JPEG: % x", b[:min(len(b), 16)])
	}
	if bytes.Contains(b, []byte("Exif")) || bytes.Contains(b, []byte("JFIF")) {
		t.Fatal("output carries an APP segment")
	}
	i := 2
	for {
		if i+4 > len(b) || b[i] != 0xFF {
			t.Fatalf("bad marker at %d", i)
		}
		m := b[i+1]
		switch m {
		case 0xDB, 0xC4, 0xC0, 0xDA: // DQT, DHT, SOF0 (baseline), SOS
		default:
			t.Fatalf("output has segment 0x%02X", m)
		}
		if m == 0xDA {
			return
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
}

func size(m image.Image) (int, int) { return m.Bounds().Dx(), m.Bounds().Dy() }

// near reports whether the colour of m at (x, y) is within tol of c on each
// channel.
func near(m image.Image, x, y int, c color.RGBA, tol int) bool {
	r, g, b, _ := m.At(m.Bounds().Min.X+x, m.Bounds().Min.Y+y).RGBA()
	d := func(a uint32, b uint8) bool {
		v := int(a>>8) - int(b)
		return v >= -tol && v <= tol
	}
	return d(r, c.R) && d(g, c.G) && d(b, c.B)
}

func checkColor(t *testing.T, m image.Image, x, y int, c color.RGBA, what string) {
	t.Helper()
	if !near(m, x, y, c, 24) {
		r, g, b, _ := m.At(m.Bounds().Min.X+x, m.Bounds().Min.Y+y).RGBA()
		t.Errorf("%s at (%d,%d) = (%d,%d,%d), want about %v", what, x, y, r>>8, g>>8, b>>8, c)
	}
}

// checkCorners checks the colours near the four corners of m.
func checkCorners(t *testing.T, m image.Image, tl, tr, bl, br color.RGBA) {
	t.Helper()
	w, h := size(m)
	checkColor(t, m, 2, 2, tl, "top-left")
	checkColor(t, m, w-3, 2, tr, "top-right")
	checkColor(t, m, 2, h-3, bl, "bottom-left")
	checkColor(t, m, w-3, h-3, br, "bottom-right")
}

func TestNormalizePNG(t *testing.T) {
	m := normalize(t, encodePNG(t, quadrants(300, 200)), Options{})
	if w, h := size(m); w != 300 || h != 200 {
		t.Fatalf("size %dx%d, want 300x200", w, h)
	}
	checkCorners(t, m, red, green, blue, yellow)
}

func TestNormalizeJPEG(t *testing.T) {
	m := normalize(t, encodeJPEG(t, quadrants(200, 300)), Options{})
	if w, h := size(m); w != 200 || h != 300 {
		t.Fatalf("size %dx%d, want 200x300", w, h)
	}
	checkCorners(t, m, red, green, blue, yellow)
}

func TestColorModels(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 50, 40))
	gray16 := image.NewGray16(image.Rect(0, 0, 50, 40))
	rgba64 := image.NewRGBA64(image.Rect(0, 0, 50, 40))
	pal := image.NewPaletted(image.Rect(0, 0, 50, 40), color.Palette{color.Black, color.Transparent, red})
	cmyk := image.NewCMYK(image.Rect(0, 0, 50, 40))
	for y := 0; y < 40; y++ {
		for x := 0; x < 50; x++ {
			gray.SetGray(x, y, color.Gray{uint8(x * 5)})
			gray16.SetGray16(x, y, color.Gray16{uint16(y * 1000)})
			rgba64.SetRGBA64(x, y, color.RGBA64{uint16(x * 1000), 0, 0, 0xFFFF})
			pal.SetColorIndex(x, y, uint8((x+y)%3))
			cmyk.SetCMYK(x, y, color.CMYK{uint8(x), uint8(y), 0, 0})
		}
	}
	cases := map[string][]byte{
		"gray PNG":     encodePNG(t, gray),
		"gray16 PNG":   encodePNG(t, gray16),
		"rgba64 PNG":   encodePNG(t, rgba64),
		"paletted PNG": encodePNG(t, pal),
		"gray JPEG":    encodeJPEG(t, gray),
		"cmyk PNG":     encodePNG(t, cmyk), // written as RGBA by image/png
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			m := normalize(t, in, Options{})
			if w, h := size(m); w != 50 || h != 40 {
				t.Fatalf("size %dx%d, want 50x40", w, h)
			}
		})
	}
}

func TestDownscaleKeepsAspectRatio(t *testing.T) {
	cases := []struct {
		w, h, side   int
		wantW, wantH int
	}{
		{3000, 1500, 0, 1024, 512},
		{1500, 3000, 0, 512, 1024},
		{2048, 2048, 0, 1024, 1024},
		{1025, 1000, 0, 1024, 999},
		{1200, 900, 100, 100, 75},
		{5000, 3, 100, 100, 1}, // rounds up to one pixel, never zero
		{3, 5000, 100, 1, 100},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%dx%d/%d", c.w, c.h, c.side), func(t *testing.T) {
			m := normalize(t, encodePNG(t, quadrants(c.w, c.h)), Options{MaxSide: c.side})
			if w, h := size(m); w != c.wantW || h != c.wantH {
				t.Fatalf("size %dx%d, want %dx%d", w, h, c.wantW, c.wantH)
			}
			if c.wantW > 10 && c.wantH > 10 {
				checkCorners(t, m, red, green, blue, yellow)
			}
		})
	}
}

func TestNoUpscale(t *testing.T) {
	for _, s := range [][2]int{{1, 1}, {10, 10}, {1024, 1}, {1, 1024}, {1024, 1024}, {640, 480}} {
		m := normalize(t, encodePNG(t, quadrants(s[0], s[1])), Options{})
		if w, h := size(m); w != s[0] || h != s[1] {
			t.Errorf("%dx%d became %dx%d", s[0], s[1], w, h)
		}
	}
}

func TestTransparencyFlattenedOnWhite(t *testing.T) {
	// Transparent pixels whose colour channels are black: a conversion that
	// drops the alpha would leave them black.
	m := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	for y := 0; y < 40; y++ {
		for x := 0; x < 40; x++ {
			switch {
			case y < 20:
				m.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 0})
			case x < 20:
				m.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 128})
			default:
				m.SetNRGBA(x, y, color.NRGBA{0, 0, 255, 255})
			}
		}
	}
	white := color.RGBA{255, 255, 255, 255}
	for _, side := range []int{0, 20} { // as is, and through the scaler
		out := normalize(t, encodePNG(t, m), Options{MaxSide: side})
		w, h := size(out)
		checkColor(t, out, w/2, 2, white, "transparent")
		checkColor(t, out, 2, h-3, color.RGBA{255, 127, 127, 255}, "half transparent red")
		checkColor(t, out, w-3, h-3, color.RGBA{0, 0, 255, 255}, "opaque blue")
	}
}

func TestWebP(t *testing.T) {
	white := color.RGBA{255, 255, 255, 255}
	wr := color.RGBA{200, 30, 30, 255}
	wb := color.RGBA{30, 30, 200, 255}
	for _, name := range []string{"redblue-alpha.lossy.webp", "redblue-alpha.lossless.webp"} {
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			if got := Sniff(in); got != "image/webp" {
				t.Fatalf("Sniff = %q", got)
			}
			m := normalize(t, in, Options{})
			if w, h := size(m); w != 64 || h != 48 {
				t.Fatalf("size %dx%d, want 64x48", w, h)
			}
			checkCorners(t, m, wr, wb, wr, white)
		})
	}
}

// tiffEntry is one 12-byte IFD entry.
type tiffEntry struct {
	tag, typ uint16
	count    uint32
	value    [4]byte
}

// exifSegment builds an APP1 "Exif" segment (marker included) whose IFD0
// holds an Orientation tag and a pointer to a GPS IFD with a latitude, in
// byte order bo.
func exifSegment(bo binary.ByteOrder, orientation uint16) []byte {
	var t bytes.Buffer
	if bo == binary.BigEndian {
		t.WriteString("MM")
	} else {
		t.WriteString("II")
	}
	u16 := func(v uint16) { binary.Write(&t, bo, v) }
	u32 := func(v uint32) { binary.Write(&t, bo, v) }
	short := func(v uint16) (b [4]byte) { bo.PutUint16(b[:], v); return }
	long := func(v uint32) (b [4]byte) { bo.PutUint32(b[:], v); return }
	ifd := func(es []tiffEntry) {
		u16(uint16(len(es)))
		for _, e := range es {
			u16(e.tag)
			u16(e.typ)
			u32(e.count)
			t.Write(e.value[:])
		}
		u32(0) // no next IFD
	}
	u16(42)
	u32(8) // IFD0 right after the header
	// IFD0: 3 entries, 2+3*12+4 = 42 bytes, from 8 to 50.
	ifd([]tiffEntry{
		{0x010F, 2, 4, [4]byte{'A', 'c', 'm', 0}}, // Make
		{0x0112, 3, 1, short(orientation)},        // Orientation
		{0x8825, 4, 1, long(50)},                  // GPS IFD pointer
	})
	// GPS IFD at 50: 2 entries, 30 bytes, to 80; the latitude rationals follow.
	ifd([]tiffEntry{
		{0x0001, 2, 2, [4]byte{'N', 0}}, // GPSLatitudeRef
		{0x0002, 5, 3, long(80)},        // GPSLatitude
	})
	for _, v := range []uint32{48, 1, 51, 1, 2917, 100} { // 48°51'29.17"
		u32(v)
	}
	body := append([]byte("Exif\x00\x00"), t.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(body)+2))
	return append(seg, body...)
}

// withSegment inserts seg right after the SOI of the JPEG j.
func withSegment(j, seg []byte) []byte {
	out := append([]byte{}, j[:2]...)
	out = append(out, seg...)
	return append(out, j[2:]...)
}

func TestEXIFOrientation6(t *testing.T) {
	src := encodeJPEG(t, quadrants(80, 40))
	in := withSegment(src, exifSegment(binary.LittleEndian, 6))
	if got := exifOrientation(in); got != 6 {
		t.Fatalf("exifOrientation = %d, want 6", got)
	}
	// The decoder itself must accept the segment.
	if _, err := jpeg.Decode(bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	m := normalize(t, in, Options{})
	if w, h := size(m); w != 40 || h != 80 {
		t.Fatalf("size %dx%d, want 40x80 (rotated)", w, h)
	}
	// Rotated 90° clockwise: the bottom-left quadrant comes to the top-left.
	checkCorners(t, m, blue, red, yellow, green)
}

func TestEXIFOrientations(t *testing.T) {
	R, G, B, Y := red, green, blue, yellow
	want := map[uint16][4]color.RGBA{ // top-left, top-right, bottom-left, bottom-right
		1: {R, G, B, Y},
		2: {G, R, Y, B}, // mirrored
		3: {Y, B, G, R}, // rotated 180°
		4: {B, Y, R, G}, // flipped
		5: {R, B, G, Y}, // transposed
		6: {B, R, Y, G}, // rotated 90° clockwise
		7: {Y, G, B, R}, // transversed
		8: {G, Y, R, B}, // rotated 90° counterclockwise
	}
	src := encodeJPEG(t, quadrants(60, 30))
	for o := uint16(1); o <= 8; o++ {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			t.Run(fmt.Sprintf("%d/%v", o, bo), func(t *testing.T) {
				in := withSegment(src, exifSegment(bo, o))
				m := normalize(t, in, Options{})
				wantW, wantH := 60, 30
				if o >= 5 {
					wantW, wantH = 30, 60
				}
				if w, h := size(m); w != wantW || h != wantH {
					t.Fatalf("size %dx%d, want %dx%d", w, h, wantW, wantH)
				}
				c := want[o]
				checkCorners(t, m, c[0], c[1], c[2], c[3])
			})
		}
	}
}

func TestEXIFOrientationAfterDownscale(t *testing.T) {
	in := withSegment(encodeJPEG(t, quadrants(2000, 1000)), exifSegment(binary.BigEndian, 8))
	m := normalize(t, in, Options{})
	if w, h := size(m); w != 512 || h != 1024 {
		t.Fatalf("size %dx%d, want 512x1024", w, h)
	}
	checkCorners(t, m, green, yellow, red, blue)
}

func TestEXIFAfterJFIF(t *testing.T) {
	// A JFIF APP0 before the EXIF APP1, as some cameras and editors write.
	app0 := []byte{0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	src := encodeJPEG(t, quadrants(40, 20))
	in := withSegment(withSegment(src, exifSegment(binary.LittleEndian, 3)), app0)
	if got := exifOrientation(in); got != 3 {
		t.Fatalf("exifOrientation = %d, want 3", got)
	}
}

func TestEXIFDropped(t *testing.T) {
	seg := exifSegment(binary.LittleEndian, 1)
	comment := []byte("\xFF\xFE\x00\x0Esecret place") // COM segment
	in := withSegment(withSegment(encodeJPEG(t, quadrants(64, 64)), seg), comment)
	out, err := Normalize(bytes.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkJPEG(t, out)
	for _, s := range [][]byte{[]byte("Exif"), []byte("Acm"), []byte("secret"), {0xFF, 0xE1}, {0xFF, 0xFE}} {
		if bytes.Contains(out, s) {
			t.Errorf("output contains %q", s)
		}
	}
	// The GPS latitude seconds of the input, 2917, are gone too.
	if bytes.Contains(out, []byte{0x65, 0x0B, 0, 0}) {
		t.Error("output contains the GPS latitude")
	}
}

func TestMalformedEXIF(t *testing.T) {
	good := exifSegment(binary.LittleEndian, 6)
	body := good[4:] // "Exif\0\0" + TIFF
	tiff := body[6:]
	mutate := func(f func(t []byte) []byte) []byte {
		t := f(append([]byte{}, tiff...))
		b := append([]byte("Exif\x00\x00"), t...)
		seg := []byte{0xFF, 0xE1, 0, 0}
		binary.BigEndian.PutUint16(seg[2:], uint16(len(b)+2))
		return append(seg, b...)
	}
	segs := map[string][]byte{
		"empty TIFF":       mutate(func(t []byte) []byte { return t[:0] }),
		"short TIFF":       mutate(func(t []byte) []byte { return t[:7] }),
		"bad byte order":   mutate(func(t []byte) []byte { t[0] = 'X'; return t }),
		"bad magic":        mutate(func(t []byte) []byte { t[2] = 43; return t }),
		"IFD past the end": mutate(func(t []byte) []byte { binary.LittleEndian.PutUint32(t[4:], 0xFFFFFFF0); return t }),
		"IFD at the end":   mutate(func(t []byte) []byte { binary.LittleEndian.PutUint32(t[4:], uint32(len(t)-1)); return t }),
		"huge count": mutate(func(t []byte) []byte {
			// The entries run past the end before any orientation tag.
			binary.LittleEndian.PutUint16(t[8:], 0xFFFF)
			binary.LittleEndian.PutUint16(t[8+2+12:], 0x0113)
			return t
		}),
		"cut in IFD":       mutate(func(t []byte) []byte { return t[:30] }),
		"orientation 0":    mutate(func(t []byte) []byte { binary.LittleEndian.PutUint16(t[8+2+12+8:], 0); return t }),
		"orientation 9":    mutate(func(t []byte) []byte { binary.LittleEndian.PutUint16(t[8+2+12+8:], 9); return t }),
		"orientation LONG": mutate(func(t []byte) []byte { binary.LittleEndian.PutUint16(t[8+2+12+2:], 4); return t }),
		"count 2":          mutate(func(t []byte) []byte { binary.LittleEndian.PutUint32(t[8+2+12+4:], 2); return t }),
		"not Exif":         append([]byte{0xFF, 0xE1, 0, 8}, "http:/"...),
		"short APP1":       {0xFF, 0xE1, 0, 6, 'E', 'x', 'i', 'f'},
	}
	src := encodeJPEG(t, quadrants(40, 20))
	for name, seg := range segs {
		t.Run(name, func(t *testing.T) {
			in := withSegment(src, seg)
			if got := exifOrientation(in); got != 1 {
				t.Errorf("exifOrientation = %d, want 1", got)
			}
			m := normalize(t, in, Options{})
			if w, h := size(m); w != 40 || h != 20 {
				t.Errorf("size %dx%d, want 40x20", w, h)
			}
		})
	}
	// Broken segment structure around an EXIF.
	raw := map[string][]byte{
		"empty":             {},
		"SOI only":          {0xFF, 0xD8},
		"no marker":         {0xFF, 0xD8, 0x00},
		"fill to the end":   {0xFF, 0xD8, 0xFF, 0xFF, 0xFF},
		"no length":         {0xFF, 0xD8, 0xFF, 0xE1, 0x00},
		"length 0":          {0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x00},
		"length past end":   append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}, body...),
		"EXIF after SOS":    append([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02}, good...),
		"EXIF after EOI":    append([]byte{0xFF, 0xD8, 0xFF, 0xD9}, good...),
		"not a JPEG":        good,
		"many segments":     append(bytes.Repeat([]byte{0xFF, 0xFE, 0x00, 0x02}, maxSegments), good...),
		"standalone marker": append([]byte{0xFF, 0xD8, 0xFF, 0xD0, 0xFF, 0x01}, good...),
	}
	raw["many segments"] = append([]byte{0xFF, 0xD8}, raw["many segments"]...)
	for name, b := range raw {
		got := exifOrientation(b)
		want := 1
		if name == "standalone marker" {
			want = 6
		}
		if got != want {
			t.Errorf("%s: exifOrientation = %d, want %d", name, got, want)
		}
	}
}

// pngChunk returns a PNG chunk with its length and CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// pngHeader returns the signature and IHDR of a w×h 8-bit RGBA PNG, then a
// small IDAT: a decoder that went on would allocate the whole image.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // depth 8, RGBA, deflate, filter 0, no interlace
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, pngChunk("IHDR", ihdr)...)
	b = append(b, pngChunk("IDAT", []byte{0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01})...)
	return append(b, pngChunk("IEND", nil)...)
}

func TestTooManyPixelsRefusedBeforeDecoding(t *testing.T) {
	in := pngHeader(20000, 20000) // 400 megapixels, 1.6 GB as RGBA
	if cfg, err := png.DecodeConfig(bytes.NewReader(in)); err != nil || cfg.Width != 20000 {
		t.Fatalf("the crafted header is not a valid PNG header: %v", err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Normalize(bytes.NewReader(in), Options{})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooManyPixels) {
		t.Fatalf("err = %v, want ErrTooManyPixels", err)
	}
	if err.Error() != "the photo has more than 50 megapixels" {
		t.Errorf("message %q", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("Normalize allocated %d bytes for a refused header", n)
	}
}

func TestMaxPixels(t *testing.T) {
	in := encodePNG(t, quadrants(1000, 1001))
	_, err := Normalize(bytes.NewReader(in), Options{MaxPixels: 1_000_000})
	if !errors.Is(err, ErrTooManyPixels) || err.Error() != "the photo has more than 1 megapixel" {
		t.Fatalf("err = %v", err)
	}
	if _, err := Normalize(bytes.NewReader(in), Options{MaxPixels: 1_001_000}); err != nil {
		t.Fatalf("exactly MaxPixels: %v", err)
	}
	_, err = Normalize(bytes.NewReader(in), Options{MaxPixels: 2_500_000 / 5})
	if err == nil || err.Error() != "the photo has more than 500000 pixels" {
		t.Fatalf("err = %v", err)
	}
	// Widths and heights whose product overflows 32 bits.
	for _, s := range [][2]uint32{{0x7FFFFFFF, 0x7FFFFFFF}, {1 << 16, 1 << 16}, {50_000_001, 1}} {
		_, err := Normalize(bytes.NewReader(pngHeader(s[0], s[1])), Options{})
		if !errors.Is(err, ErrTooManyPixels) && !errors.Is(err, ErrCorrupt) {
			t.Errorf("%dx%d: err = %v", s[0], s[1], err)
		}
	}
}

// countingReader counts the bytes read from an endless source.
type countingReader struct{ n int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xFF
	}
	r.n += int64(len(p))
	return len(p), nil
}

func TestTooLarge(t *testing.T) {
	r := &countingReader{}
	_, err := Normalize(r, Options{})
	if !errors.Is(err, ErrTooLarge) || err.Error() != "the photo is larger than 5 MB" {
		t.Fatalf("err = %v", err)
	}
	if r.n > DefaultMaxBytes+1+64<<10 { // ReadAll's buffer may ask for more than LimitReader passes on
		t.Errorf("read %d bytes", r.n)
	}

	in := encodePNG(t, quadrants(64, 64))
	n := int64(len(in))
	if _, err := Normalize(bytes.NewReader(in), Options{MaxBytes: n}); err != nil {
		t.Fatalf("exactly MaxBytes: %v", err)
	}
	_, err = Normalize(bytes.NewReader(in), Options{MaxBytes: n - 1})
	if !errors.Is(err, ErrTooLarge) || err.Error() != "the photo is larger than "+strconv.FormatInt(n-1, 10)+" bytes" {
		t.Fatalf("err = %v", err)
	}
	_, err = Normalize(bytes.NewReader(make([]byte, 3<<20)), Options{MaxBytes: 2 << 20})
	if !errors.Is(err, ErrTooLarge) || err.Error() != "the photo is larger than 2 MB" {
		t.Fatalf("err = %v", err)
	}
}

func TestLimitMessages(t *testing.T) {
	for n, want := range map[int64]string{1: "1 byte", 1000: "1000 bytes", 2048: "2 kB", 5 << 20: "5 MB", 3 << 19: "1.5 MB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{1: "1 pixel", 12: "12 pixels", 1e6: "1 megapixel", 12e6: "12 megapixels", 2_500_000: "2.5 megapixels"} {
		if got := formatPixels(n); got != want {
			t.Errorf("formatPixels(%d) = %q, want %q", n, got, want)
		}
	}
	for _, err := range []error{ErrTooLarge, ErrFormat, ErrTooManyPixels, ErrCorrupt} {
		if m := err.Error(); m == "" || m[len(m)-1] == '.' {
			t.Errorf("message %q", m)
		}
	}
}

func TestNotAnImage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	random[0] = 0 // not by chance a JPEG
	var g bytes.Buffer
	if err := gif.Encode(&g, quadrants(10, 10), nil); err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{
		"empty":     nil,
		"random":    random,
		"text":      []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"),
		"GIF":       g.Bytes(),
		"BMP":       append([]byte("BM"), random[:100]...),
		"RIFF WAVE": []byte("RIFF\x24\x00\x00\x00WAVEfmt "),
	} {
		_, err := Normalize(bytes.NewReader(in), Options{})
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
}

func TestCorrupt(t *testing.T) {
	j := encodeJPEG(t, quadrants(300, 300))
	p := encodePNG(t, quadrants(300, 300))
	w, err := os.ReadFile("testdata/redblue-alpha.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	noise := func(prefix []byte) []byte {
		b := append([]byte{}, prefix...)
		for range 2000 {
			b = append(b, byte(rng.UintN(256)))
		}
		return b
	}
	cases := map[string][]byte{
		"truncated JPEG":        j[:len(j)/2],
		"JPEG header only":      j[:200],
		"JPEG magic only":       j[:3],
		"JPEG magic then noise": noise(j[:3]),
		"truncated PNG":         p[:len(p)/2],
		"PNG signature only":    p[:8],
		"PNG then noise":        noise(p[:8]),
		"PNG 0x0":               pngHeader(0, 0),
		"truncated WebP":        w[:len(w)/2],
		"WebP header only":      w[:12],
		"WebP then noise":       noise(w[:12]),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Normalize(bytes.NewReader(in), Options{})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
			if err.Error() != "the image is damaged and cannot be read" {
				t.Errorf("message %q", err)
			}
		})
	}
}

func TestReaderError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Normalize(io.MultiReader(bytes.NewReader([]byte{0xFF, 0xD8}), iotest{boom}), Options{})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

type iotest struct{ err error }

func (r iotest) Read([]byte) (int, error) { return 0, r.err }

func TestDecoderPanicIsCorrupt(t *testing.T) {
	f := &format{
		mime:         "image/x-test",
		decodeConfig: func(io.Reader) (image.Config, error) { panic("config") },
		decode:       func(io.Reader) (image.Image, error) { panic("decode") },
	}
	if _, err := decodeConfig(f, nil); !errors.Is(err, ErrCorrupt) {
		t.Errorf("decodeConfig: %v", err)
	}
	if _, err := decode(f, nil); !errors.Is(err, ErrCorrupt) {
		t.Errorf("decode: %v", err)
	}
	f.decode = func(io.Reader) (image.Image, error) { return nil, nil }
	if _, err := decode(f, nil); !errors.Is(err, ErrCorrupt) {
		t.Errorf("nil image: %v", err)
	}
}

func TestQuality(t *testing.T) {
	// Noise makes the size depend on the quality.
	m := image.NewRGBA(image.Rect(0, 0, 200, 200))
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range m.Pix {
		m.Pix[i] = byte(rng.UintN(256))
	}
	in := encodePNG(t, m)
	sizes := map[int]int{}
	for _, q := range []int{0, 10, 85, 100, 1000} {
		out, err := Normalize(bytes.NewReader(in), Options{Quality: q})
		if err != nil {
			t.Fatal(err)
		}
		checkJPEG(t, out)
		sizes[q] = len(out)
	}
	if sizes[0] != sizes[85] || sizes[100] != sizes[1000] || !(sizes[10] < sizes[85] && sizes[85] < sizes[100]) {
		t.Errorf("sizes by quality: %v", sizes)
	}
}

func TestSniff(t *testing.T) {
	w, _ := os.ReadFile("testdata/redblue-alpha.lossless.webp")
	for in, want := range map[string]string{
		"":                                     "",
		"\xFF\xD8":                             "",
		"\xFF\xD8\xFF":                         "image/jpeg",
		string(encodeJPEG(t, quadrants(8, 8))): "image/jpeg",
		string(encodePNG(t, quadrants(8, 8))):  "image/png",
		"\x89PNG\r\n\x1a":                      "",
		string(w):                              "image/webp",
		"RIFF\x00\x00\x00\x00WEBP":             "image/webp",
		"RIFF\x00\x00\x00\x00WAVE":             "",
		"GIF89a":                               "",
		"<html>":                               "",
	} {
		if got := Sniff([]byte(in)); got != want {
			t.Errorf("Sniff(%q) = %q, want %q", in[:min(len(in), 12)], got, want)
		}
	}
}

func TestFit(t *testing.T) {
	for _, c := range [][5]int{
		{1024, 1024, 1024, 1024, 1024},
		{4000, 3000, 1024, 1024, 768},
		{3000, 4000, 1024, 768, 1024},
		{1, 100000, 1024, 1, 1024},
		{100000, 1, 1024, 1024, 1},
		{0x7FFFFFFF, 0x7FFFFFFE, 1024, 1024, 1024},
	} {
		w, h := fit(c[0], c[1], c[2])
		if w != c[3] || h != c[4] {
			t.Errorf("fit(%d, %d, %d) = %d, %d, want %d, %d", c[0], c[1], c[2], w, h, c[3], c[4])
		}
	}
}

var writeSeeds = flag.Bool("write-seeds", false, "rewrite the seed corpus of FuzzNormalize in testdata/fuzz")

// fuzzSeeds are the inputs of the seed corpus: one valid file per format and
// per kind of metadata, all small enough for the fuzzer to mutate quickly.
func fuzzSeeds(t testing.TB) map[string][]byte {
	webpLossy, err := os.ReadFile("testdata/redblue-alpha.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	webpLossless, err := os.ReadFile("testdata/redblue-alpha.lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	nrgba := image.NewNRGBA(image.Rect(0, 0, 6, 5))
	for i := range nrgba.Pix {
		nrgba.Pix[i] = byte(i * 7)
	}
	gray := image.NewGray(image.Rect(0, 0, 9, 9))
	for i := range gray.Pix {
		gray.Pix[i] = byte(i * 3)
	}
	return map[string][]byte{
		"seed-png-rgba":          encodePNG(t, quadrants(8, 6)),
		"seed-png-nrgba":         encodePNG(t, nrgba),
		"seed-png-gray":          encodePNG(t, gray),
		"seed-png-huge-header":   pngHeader(20000, 20000),
		"seed-jpeg":              encodeJPEG(t, quadrants(16, 8)),
		"seed-jpeg-gray":         encodeJPEG(t, gray),
		"seed-jpeg-exif-6-le":    withSegment(encodeJPEG(t, quadrants(16, 8)), exifSegment(binary.LittleEndian, 6)),
		"seed-jpeg-exif-8-be":    withSegment(encodeJPEG(t, quadrants(8, 16)), exifSegment(binary.BigEndian, 8)),
		"seed-webp-lossy-alpha":  webpLossy,
		"seed-webp-lossless":     webpLossless,
		"seed-jpeg-truncated":    encodeJPEG(t, quadrants(16, 8))[:300],
		"seed-not-an-image-text": []byte("not an image"),
	}
}

// TestWriteFuzzSeeds writes the seed corpus when run with -write-seeds, and
// otherwise checks that it is there.
func TestWriteFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzNormalize")
	for name, b := range fuzzSeeds(t) {
		path := filepath.Join(dir, name)
		if *writeSeeds {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			data := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
			if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		} else if _, err := os.Stat(path); err != nil {
			t.Errorf("seed missing (go test -run TestWriteFuzzSeeds -write-seeds): %v", err)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	// The seed corpus is in testdata/fuzz/FuzzNormalize. Small limits keep
	// each run fast; the code paths are those of the defaults.
	o := Options{MaxBytes: 1 << 20, MaxPixels: 1 << 20, MaxSide: 64}
	f.Fuzz(func(t *testing.T, in []byte) {
		if o := exifOrientation(in); o < 1 || o > 8 {
			t.Fatalf("exifOrientation = %d", o)
		}
		mime := Sniff(in)
		out, err := Normalize(bytes.NewReader(in), o)
		if err != nil {
			switch {
			case errors.Is(err, ErrFormat):
				if mime != "" {
					t.Fatalf("ErrFormat for %s", mime)
				}
			case errors.Is(err, ErrTooLarge), errors.Is(err, ErrTooManyPixels), errors.Is(err, ErrCorrupt):
				if mime == "" {
					t.Fatalf("%v for a file Sniff does not know", err)
				}
			default:
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		checkJPEG(t, out)
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("output: %v", err)
		}
		if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > o.MaxSide || cfg.Height > o.MaxSide {
			t.Fatalf("output is %dx%d", cfg.Width, cfg.Height)
		}
	})
}

// benchJPEG returns a 4000×3000 JPEG of smooth gradients and some noise,
// like a 12-megapixel phone photo.
func benchJPEG(b *testing.B) []byte {
	m := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
	rng := rand.New(rand.NewPCG(7, 8))
	for y := 0; y < 3000; y++ {
		for x := 0; x < 4000; x++ {
			n := byte(rng.UintN(16))
			i := m.PixOffset(x, y)
			m.Pix[i] = byte(x*255/4000) + n
			m.Pix[i+1] = byte(y*255/3000) + n
			m.Pix[i+2] = byte((x+y)*255/7000) + n
			m.Pix[i+3] = 255
		}
	}
	return encodeJPEG(b, m)
}

func BenchmarkNormalizeJPEG4000x3000(b *testing.B) {
	in := benchJPEG(b)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Normalize(bytes.NewReader(in), Options{MaxBytes: 64 << 20}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(in)), "input-bytes")
}
