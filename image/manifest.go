package image

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ramdax/appliance/release"
)

// FileSum is one artifact's size and sha256.
type FileSum struct {
	Path   string // relative to the release directory
	Size   int64
	SHA256 string
}

// String is the manifest line: sha256, size, path.
func (f FileSum) String() string { return fmt.Sprintf("%s %9d %s", f.SHA256, f.Size, f.Path) }

// Sum hashes dir/rel.
func Sum(dir, rel string) (FileSum, error) {
	f, err := os.Open(filepath.Join(dir, rel))
	if err != nil {
		return FileSum{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return FileSum{}, fmt.Errorf("hash %s: %w", rel, err)
	}
	return FileSum{rel, n, hex.EncodeToString(h.Sum(nil))}, nil
}

// WriteManifest writes dir/manifest: the header lines as comments, then
// one line per file of rels that exists under dir. Checking a release:
// grep -v '^#' manifest | awk '{print $1"  "$3}' | sha256sum -c
func WriteManifest(dir string, header []string, rels []string) ([]FileSum, error) {
	var b strings.Builder
	for _, h := range header {
		fmt.Fprintf(&b, "# %s\n", h)
	}
	b.WriteString("# sha256 bytes file\n")
	var sums []FileSum
	for _, rel := range rels {
		s, err := Sum(dir, rel)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		sums = append(sums, s)
		fmt.Fprintln(&b, s)
	}
	if err := os.WriteFile(filepath.Join(dir, release.ManifestFile), []byte(b.String()), 0o644); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return sums, nil
}
