package vmtest

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// ocrScale enlarges the screen before OCR: tesseract reads the console's
// 8x16 font poorly at its own size and well at three times it.
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

// prepareForOCR writes src enlarged and as dark text on white, which is
// what tesseract is trained on; the console draws light text on black.
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
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx()*ocrScale, b.Dy()*ocrScale))
	for y := range out.Rect.Dy() {
		for x := range out.Rect.Dx() {
			g := color.GrayModel.Convert(img.At(b.Min.X+x/ocrScale, b.Min.Y+y/ocrScale)).(color.Gray)
			out.SetGray(x, y, color.Gray{Y: 255 - g.Y})
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

// ScreenShows says whether OCR text holds want, forgiving what OCR gets
// wrong on a console font: case, spacing, and O for 0.
func ScreenShows(text, want string) bool {
	return strings.Contains(ocrFold(text), ocrFold(want))
}

func ocrFold(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	return strings.ReplaceAll(s, "o", "0")
}
