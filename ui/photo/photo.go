// Package photo turns an uploaded profile photo into a safe stored JPEG.
//
// Like Python Canaille, it accepts JPEG, PNG and WebP uploads. The upload is
// decoded and re-encoded, so nothing of the original file survives but its
// pixels: EXIF (GPS position, camera serial numbers), XMP, ICC profiles,
// comments and any trailing data are dropped. The EXIF orientation of a JPEG
// is applied to the pixels before the metadata is dropped, so the photo stays
// upright. The result is downscaled to fit MaxSide×MaxSide, flattened onto
// white and stored as a baseline JPEG, since LDAP's jpegPhoto attribute holds
// JPEG.
//
// The format is sniffed from the content only, never from a file name or a
// client's Content-Type. The dimensions are read from the header and checked
// against MaxPixels before any pixel buffer is allocated, so the memory a
// call uses is bounded by the pixel guard.
package photo

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Default limits, used for the zero fields of Options.
const (
	DefaultMaxBytes  int64 = 5 << 20    // 5 MiB
	DefaultMaxPixels int64 = 50_000_000 // 50 megapixels
	DefaultMaxSide         = 1024
	DefaultQuality         = 85
)

// Options holds the limits of Normalize. Zero (or negative) fields take the
// defaults.
type Options struct {
	// MaxBytes is the largest upload accepted, in bytes (DefaultMaxBytes).
	MaxBytes int64
	// MaxPixels is the largest width×height decoded (DefaultMaxPixels).
	MaxPixels int64
	// MaxSide is the largest width and height of the stored photo
	// (DefaultMaxSide). Smaller photos are never upscaled.
	MaxSide int
	// Quality is the JPEG quality, 1 to 100 (DefaultQuality); values above
	// 100 are taken as 100.
	Quality int
}

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	if o.MaxSide <= 0 {
		o.MaxSide = DefaultMaxSide
	}
	if o.Quality <= 0 {
		o.Quality = DefaultQuality
	}
	if o.Quality > 100 {
		o.Quality = 100
	}
	return o
}

// Errors returned by Normalize. Test them with errors.Is: ErrTooLarge and
// ErrTooManyPixels are returned wrapped in an error whose message gives the
// limit actually in force. Each message is a sentence a user can read.
var (
	ErrTooLarge      = errors.New("the photo is larger than 5 MB")
	ErrFormat        = errors.New("the file is not a JPEG, PNG or WebP image")
	ErrTooManyPixels = errors.New("the photo has more than 50 megapixels")
	ErrCorrupt       = errors.New("the image is damaged and cannot be read")
)

// limitError is a sentinel with a message naming the limit in force.
type limitError struct {
	msg      string
	sentinel error
}

func (e *limitError) Error() string { return e.msg }
func (e *limitError) Unwrap() error { return e.sentinel }

func tooLarge(limit int64) error {
	if limit == DefaultMaxBytes {
		return ErrTooLarge
	}
	return &limitError{"the photo is larger than " + formatBytes(limit), ErrTooLarge}
}

func tooManyPixels(limit int64) error {
	if limit == DefaultMaxPixels {
		return ErrTooManyPixels
	}
	return &limitError{"the photo has more than " + formatPixels(limit), ErrTooManyPixels}
}

// formatBytes writes n in MB (MiB) or kB (KiB) when that is exact enough to
// be truthful, in bytes otherwise.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d kB", n>>10)
	case n == 1:
		return "1 byte"
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

func formatPixels(n int64) string {
	switch {
	case n == 1e6:
		return "1 megapixel"
	case n >= 1e6 && n%1e6 == 0:
		return fmt.Sprintf("%d megapixels", n/1e6)
	case n >= 1e6:
		return fmt.Sprintf("%.1f megapixels", float64(n)/1e6)
	case n == 1:
		return "1 pixel"
	default:
		return fmt.Sprintf("%d pixels", n)
	}
}

// format is one accepted upload format. The decoders are called directly,
// not through image.Decode, so that the formats accepted are exactly these
// whatever other packages of the program register.
type format struct {
	mime         string
	decodeConfig func(io.Reader) (image.Config, error)
	decode       func(io.Reader) (image.Image, error)
}

var (
	formatJPEG = &format{"image/jpeg", jpeg.DecodeConfig, jpeg.Decode}
	formatPNG  = &format{"image/png", png.DecodeConfig, png.Decode}
	formatWebP = &format{"image/webp", webp.DecodeConfig, webp.Decode}
)

func sniff(b []byte) *format {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return formatJPEG
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return formatPNG
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return formatWebP
	}
	return nil
}

// Sniff reports the content type of stored photo bytes, "image/jpeg",
// "image/png" or "image/webp", from their content, or "" when they are not
// one of these images.
func Sniff(b []byte) string {
	if f := sniff(b); f != nil {
		return f.mime
	}
	return ""
}

// Normalize reads an uploaded photo from r and returns it as a stored JPEG.
// It reads at most MaxBytes+1 bytes, sniffs the format from the content,
// refuses images over MaxPixels before decoding them, applies the EXIF
// orientation of JPEGs, downscales to fit MaxSide×MaxSide keeping the aspect
// ratio (never upscaling), flattens transparency onto white and encodes a
// baseline JPEG at Quality. The errors are ErrTooLarge, ErrFormat,
// ErrTooManyPixels and ErrCorrupt, or the error of r.
func Normalize(r io.Reader, o Options) ([]byte, error) {
	o = o.withDefaults()
	b, err := io.ReadAll(io.LimitReader(r, o.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > o.MaxBytes {
		return nil, tooLarge(o.MaxBytes)
	}
	f := sniff(b)
	if f == nil {
		return nil, ErrFormat
	}

	cfg, err := decodeConfig(f, b)
	if err != nil {
		return nil, ErrCorrupt
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, ErrCorrupt
	}
	// Width and height are each below 2^31, their product fits an int64.
	if int64(cfg.Width)*int64(cfg.Height) > o.MaxPixels {
		return nil, tooManyPixels(o.MaxPixels)
	}

	src, err := decode(f, b)
	if err != nil {
		return nil, ErrCorrupt
	}
	sb := src.Bounds()
	// A decoder is trusted with the size it announced only: one that
	// disagrees with its own header is treated as corrupt.
	if sb.Dx() != cfg.Width || sb.Dy() != cfg.Height {
		return nil, ErrCorrupt
	}

	orientation := 1
	if f == formatJPEG {
		orientation = exifOrientation(b)
	}

	dst := scale(src, o.MaxSide)
	dst = orient(dst, orientation)

	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: o.Quality}); err != nil {
		return nil, fmt.Errorf("photo: encoding the JPEG: %w", err)
	}
	return out.Bytes(), nil
}

// decodeConfig and decode turn a panic of a decoder into an error: an upload
// must never crash the server, whatever bug a decoder has.
func decodeConfig(f *format, b []byte) (cfg image.Config, err error) {
	defer func() {
		if recover() != nil {
			cfg, err = image.Config{}, ErrCorrupt
		}
	}()
	return f.decodeConfig(bytes.NewReader(b))
}

func decode(f *format, b []byte) (img image.Image, err error) {
	defer func() {
		if recover() != nil {
			img, err = nil, ErrCorrupt
		}
	}()
	img, err = f.decode(bytes.NewReader(b))
	if err == nil && img == nil {
		err = ErrCorrupt
	}
	return img, err
}

// fit returns the size of a w×h image downscaled to fit side×side, keeping
// the aspect ratio; an image that already fits keeps its size. Neither side
// is ever below 1.
func fit(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		nh := int((int64(h)*int64(side) + int64(w)/2) / int64(w))
		return side, max(nh, 1)
	}
	nw := int((int64(w)*int64(side) + int64(h)/2) / int64(h))
	return max(nw, 1), side
}

// scale draws src onto a white RGBA image of the size fit gives, so that
// transparency is flattened onto white.
func scale(src image.Image, side int) *image.RGBA {
	sb := src.Bounds()
	w, h := fit(sb.Dx(), sb.Dy(), side)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	if w == sb.Dx() && h == sb.Dy() {
		draw.Draw(dst, dst.Bounds(), src, sb.Min, draw.Over)
	} else {
		draw.CatmullRom.Scale(dst, dst.Bounds(), src, sb, draw.Over, nil)
	}
	return dst
}
