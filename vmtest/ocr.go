package vmtest

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// ocrScale enlarges the screen before OCR: tesseract misreads the
// console's 8x16 font at its own size (0 as ©, m as n) and reads it well
// three times as large, smoothed.
const ocrScale = 3

// ReadScreen returns the text tesseract reads on the screenshot at path,
// the way an operator reads the screen, with runs of white space made one
// space.
func ReadScreen(t testing.TB, path string) string {
	t.Helper()
	prepared := path + ".ocr.png"
	if err := prepareForOCR(path, prepared); err != nil {
		t.Fatalf("OCR %s: %v", path, err)
	}
	out, err := exec.Command("tesseract", prepared, "stdout", "--psm", "6").Output()
	if err != nil {
		t.Fatalf("tesseract %s: %v: run `make deps`", prepared, err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// prepareForOCR writes src enlarged, smoothed, and as dark text on white,
// which is what tesseract is trained on; the console draws light text on
// black.
func prepareForOCR(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	img, err := png.Decode(in)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	gray := image.NewGray(img.Bounds())
	draw.Draw(gray, gray.Rect, img, img.Bounds().Min, draw.Src)
	out := image.NewGray(image.Rect(0, 0, gray.Rect.Dx()*ocrScale, gray.Rect.Dy()*ocrScale))
	for y := range out.Rect.Dy() {
		for x := range out.Rect.Dx() {
			out.SetGray(x, y, color.Gray{Y: 255 - bilinear(gray, x, y)})
		}
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if err := png.Encode(f, out); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// bilinear is the brightness of the enlarged image's pixel (x, y),
// interpolated between the four source pixels around it.
func bilinear(g *image.Gray, x, y int) uint8 {
	fx := max(0, (float64(x)+0.5)/ocrScale-0.5)
	fy := max(0, (float64(y)+0.5)/ocrScale-0.5)
	x0, y0 := int(fx), int(fy)
	x1, y1 := min(x0+1, g.Rect.Dx()-1), min(y0+1, g.Rect.Dy()-1)
	dx, dy := fx-float64(x0), fy-float64(y0)
	at := func(x, y int) float64 { return float64(g.GrayAt(g.Rect.Min.X+x, g.Rect.Min.Y+y).Y) }
	v := at(x0, y0)*(1-dx)*(1-dy) + at(x1, y0)*dx*(1-dy) + at(x0, y1)*(1-dx)*dy + at(x1, y1)*dx*dy
	return uint8(v + 0.5)
}

// ScreenShows says whether OCR text holds want, forgiving what OCR gets
// wrong on a console font: case, spacing, O for 0, rn for m, and a dash
// for a hyphen.
func ScreenShows(text, want string) bool {
	return strings.Contains(ocrFold(text), ocrFold(want))
}

func ocrFold(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	// Tesseract was seen to read "uname -m" on the console's font as
	// "uname —m".
	return strings.NewReplacer("o", "0", "rn", "m", "—", "-", "–", "-", "‐", "-").Replace(s)
}
