package photo

import (
	"encoding/binary"
	"image"
)

// maxSegments bounds the JPEG segments exifOrientation walks before giving
// up: the EXIF segment comes right after SOI (or after a JFIF APP0).
const maxSegments = 64

// exifOrientation returns the EXIF orientation (1 to 8) of the JPEG b, read
// from the IFD0 of the first "Exif" APP1 segment before the start of scan.
// A missing, malformed or out of range orientation gives 1, the identity:
// a broken EXIF never stops an upload.
func exifOrientation(b []byte) int {
	if len(b) < 2 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	i := 2
	for n := 0; n < maxSegments; n++ {
		// A marker is 0xFF, optional 0xFF fill bytes, then its code.
		if i >= len(b) || b[i] != 0xFF {
			return 1
		}
		for i < len(b) && b[i] == 0xFF {
			i++
		}
		if i >= len(b) {
			return 1
		}
		marker := b[i]
		i++
		switch {
		case marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7):
			continue // standalone markers, no length
		case marker == 0xDA || marker == 0xD9:
			return 1 // start of scan or end of image: no EXIF before it
		}
		if i+2 > len(b) {
			return 1
		}
		length := int(binary.BigEndian.Uint16(b[i:]))
		if length < 2 || i+length > len(b) {
			return 1
		}
		data := b[i+2 : i+length]
		i += length
		if marker == 0xE1 && len(data) >= 6 && string(data[:6]) == "Exif\x00\x00" {
			return tiffOrientation(data[6:])
		}
	}
	return 1
}

// tiffOrientation reads tag 0x0112 (Orientation) of IFD0 of a TIFF
// structure, as EXIF lays it out in APP1. Every offset is checked against
// len(t).
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(t[2:]) != 42 {
		return 1
	}
	ifd := uint64(bo.Uint32(t[4:]))
	if ifd+2 > uint64(len(t)) {
		return 1
	}
	count := uint64(bo.Uint16(t[ifd:]))
	for k := uint64(0); k < count; k++ {
		e := ifd + 2 + 12*k
		if e+12 > uint64(len(t)) {
			return 1
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		// Orientation is one SHORT (type 3), stored in the first two bytes
		// of the value field.
		if bo.Uint16(t[e+2:]) != 3 || bo.Uint32(t[e+4:]) != 1 {
			return 1
		}
		v := int(bo.Uint16(t[e+8:]))
		if v < 1 || v > 8 {
			return 1
		}
		return v
	}
	return 1
}

// orient returns m transformed as EXIF orientation o asks for display:
// 2 mirror, 3 rotate 180°, 4 flip, 5 transpose, 6 rotate 90° clockwise,
// 7 transverse, 8 rotate 90° counterclockwise. Orientation 1 (or any
// other value) returns m itself.
func orient(m *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return m
	}
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	d := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			var sx, sy int
			switch o {
			case 2:
				sx, sy = w-1-x, y
			case 3:
				sx, sy = w-1-x, h-1-y
			case 4:
				sx, sy = x, h-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, h-1-x
			case 7:
				sx, sy = w-1-y, h-1-x
			case 8:
				sx, sy = w-1-y, x
			}
			s := m.PixOffset(m.Rect.Min.X+sx, m.Rect.Min.Y+sy)
			p := d.PixOffset(x, y)
			copy(d.Pix[p:p+4], m.Pix[s:s+4])
		}
	}
	return d
}
